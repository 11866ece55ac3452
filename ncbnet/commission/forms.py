"""The public filing form and the secretariat's admissibility form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pycountry
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ncbnet.base import clock
from ncbnet.base.downloads import safe_filename

from .files import HEAD, sniff
from .models import Document, Position, Request
from .services import Filing, Upload

MAX_CORRECTION = 20_000  # characters of a record's corrected data


def _countries() -> list[tuple[str, str]]:
    return [("", "—"), *sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])]


class FilingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What you ask"), choices=Request.Kind.choices)
    filer = forms.ChoiceField(
        label=gettext_lazy("Who files"), choices=Request.Filer.choices, widget=forms.RadioSelect
    )
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=100)
    given_names = forms.CharField(label=gettext_lazy("Given names"), max_length=150, required=False)
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    nationality = forms.ChoiceField(label=gettext_lazy("Nationality"), choices=_countries)
    email = forms.EmailField(label=gettext_lazy("Email address for the Commission's answers"), max_length=200)
    representative = forms.CharField(
        label=gettext_lazy("Lawyer's name, firm and address (if a lawyer files)"),
        max_length=200,
        required=False,
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the answer"), choices=settings.LANGUAGES)
    asked = forms.CharField(
        label=gettext_lazy("What you ask the Commission (which data, which country's bureau if known)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    reasons = forms.CharField(
        label=gettext_lazy("Why"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    identity = forms.FileField(
        label=gettext_lazy("A copy of an identity document (PDF, JPEG or PNG, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    authority = forms.FileField(
        label=gettext_lazy("The power of attorney, if a lawyer files (PDF, JPEG or PNG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def _file(self, name: str) -> Any:
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        assert isinstance(upload, UploadedFile)
        upload.seek(0)
        if sniff(upload.read(HEAD)) is None:
            raise forms.ValidationError(_("Only PDF, JPEG or PNG files are accepted."))
        upload.seek(0)
        return upload

    def clean_identity(self) -> Any:
        return self._file("identity")

    def clean_authority(self) -> Any:
        return self._file("authority")

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data["date_of_birth"]
        if born > clock.now().date() or born.year < 1900:
            raise forms.ValidationError(_("Enter a real date of birth."))
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("filer") == Request.Filer.LAWYER:
            if not data.get("representative", "").strip():
                self.add_error("representative", _("A lawyer filing says who they are."))
            if not data.get("authority") and "authority" not in self.errors:
                self.add_error("authority", _("A lawyer filing sends the power of attorney."))
        return data

    def filing(self) -> Filing:
        d = self.cleaned_data
        return Filing(
            kind=d["kind"],
            filer=d["filer"],
            family_name=d["family_name"].strip(),
            given_names=d["given_names"].strip(),
            date_of_birth=d["date_of_birth"],
            nationality=d["nationality"],
            email=d["email"],
            representative=d["representative"].strip() if d["filer"] == Request.Filer.LAWYER else "",
            language=d["language"],
            asked=d["asked"].strip(),
            reasons=d["reasons"].strip(),
        )

    def uploads(self) -> list[Upload]:
        found = []
        for field, kind in (("identity", Document.Kind.IDENTITY), ("authority", Document.Kind.AUTHORITY)):
            upload = self.cleaned_data.get(field)
            if upload is None:
                continue
            if field == "authority" and self.cleaned_data["filer"] != Request.Filer.LAWYER:
                continue
            content = upload.read()
            found.append(
                Upload(
                    kind=kind,
                    name=safe_filename(upload.name or "", fallback=kind),
                    media_type=sniff(content[:HEAD]) or "",
                    content=content,
                )
            )
        return found


class FollowForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=20)
    secret = forms.CharField(
        label=gettext_lazy("Secret"), max_length=64, widget=forms.PasswordInput(render_value=False)
    )


class AdmissibilityForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Admissibility"),
        choices=[("admissible", gettext_lazy("Admissible")), ("inadmissible", gettext_lazy("Inadmissible"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the applicant (required if inadmissible)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConsultForm(forms.Form):
    database = forms.ChoiceField(
        label=gettext_lazy("Where the data is"),
        choices=[("records", gettext_lazy("A record")), ("notices", gettext_lazy("A notice"))],
    )
    subject = forms.UUIDField(label=gettext_lazy("Its identifier"))
    question = forms.CharField(
        label=gettext_lazy("What the Commission asks the owner bureau"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PositionForm(forms.Form):
    position = forms.ChoiceField(
        label=gettext_lazy("The bureau's position"), choices=Position.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Reasons, for the Commission"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecisionForm(forms.Form):
    """The decision, its reasons, and for a correction the corrected data of each record consulted
    on (JSON in the record's own form, the current data given to start from)."""

    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=Request.Decision.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=gettext_lazy("Reasons, for the applicant"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, records: Sequence[tuple[Any, str, dict[str, Any]]] = (), **kwargs: Any):
        """`records`: (consultation id, label, current data) of each record consulted on."""
        super().__init__(*args, **kwargs)
        self.corrected: dict[str, str] = {}
        for consultation_id, label, data in records:
            name = f"correction_{consultation_id}"
            self.corrected[name] = str(consultation_id)
            self.fields[name] = forms.CharField(
                label=_("Corrected data of %(label)s (for a correction)") % {"label": label},
                required=False,
                max_length=MAX_CORRECTION,
                initial=json.dumps(data, ensure_ascii=False, indent=2),
                widget=forms.Textarea(attrs={"rows": 8, "class": "mono", "spellcheck": "false"}),
            )

    def correction_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.corrected]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        corrections: dict[str, dict[str, Any]] = {}
        if cleaned.get("decision") == Request.Decision.CORRECT:
            for name, consultation_id in self.corrected.items():
                try:
                    data = json.loads(cleaned.get(name) or "")
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    self.add_error(name, _("Give the corrected data as a JSON object."))
                else:
                    corrections[consultation_id] = data
        cleaned["corrections"] = corrections
        return cleaned
