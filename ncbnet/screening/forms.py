"""The screening page and the manifest upload, for an officer with seconds to spare."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("name") or data.get("document_number") or data.get("mrz")):
            raise forms.ValidationError(_("Give a name, a document number or a machine-readable zone."))
        return data


class ManifestForm(ContextForm):
    file = forms.FileField(label=_("Manifest (CSV with a header, or JSON), up to 100,000 rows"))
