"""The screening page and the manifest upload, for an officer with seconds to spare."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ncbnet.base.uploads import Limit

from .manifests import MAX_BYTES

SEX = [("", "—"), ("F", _("Female")), ("M", _("Male")), ("X", _("Other")), ("U", _("Unknown"))]


class ContextForm(forms.Form):
    reason = forms.CharField(label=_("Why (sent with any hit)"), max_length=200, required=False)
    place = forms.CharField(label=_("Where (sent with any hit)"), max_length=200, required=False)
    urgent = forms.BooleanField(
        label=_("Urgent: the person or object is here now (the owner answers within 10 minutes)"),
        required=False,
    )

    def context(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("reason", "place", "urgent")}


class ScreenForm(ContextForm):
    name = forms.CharField(label=_("Name, in any script and any order"), max_length=300, required=False)
    date_of_birth = forms.CharField(
        label=_("Date of birth (1980, 1980-05 or 1980-05-12)"), max_length=10, required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX, required=False)
    nationality = forms.CharField(label=_("Nationality (two letters)"), max_length=2, required=False)
    document_number = forms.CharField(label=_("Travel document number"), max_length=60, required=False)
    issuing_country = forms.CharField(label=_("Issuing country (two letters)"), max_length=2, required=False)
    mrz = forms.CharField(
        label=_("Or the machine-readable zone, as read"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    vin = forms.CharField(label=_("Vehicle identification number (VIN)"), max_length=30, required=False)
    plate = forms.CharField(label=_("Plate"), max_length=20, required=False)
    serial_number = forms.CharField(label=_("Firearm serial number"), max_length=60, required=False)
    make = forms.CharField(label=_("Firearm make"), max_length=60, required=False)
    artwork = forms.CharField(label=_("Work of art: title, artist"), max_length=300, required=False)

    WHAT = ("name", "document_number", "mrz", "vin", "plate", "serial_number", "artwork")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) for k in self.WHAT):
            raise forms.ValidationError(
                _(
                    "Give a name, a document number, a machine-readable zone, a vehicle, a firearm "
                    "or a work of art."
                )
            )
        if data.get("artwork") and len(data["artwork"].strip()) < 3:
            self.add_error("artwork", _("At least three letters."))
        return data


# What the manifest page and API read: one file of at most 50 MB (base.uploads).
MANIFEST_UPLOAD = Limit(files=MAX_BYTES, message=_("A manifest is at most 50 MB; split a larger one."))


class ManifestForm(ContextForm):
    file = forms.FileField(label=_("Manifest (CSV with a header, or JSON), up to 100,000 rows"))
