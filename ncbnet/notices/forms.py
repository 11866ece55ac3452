"""The Red Notice request form of an NCB's officers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class RedNoticeForm(forms.Form):
    subject = forms.ChoiceField(label=_("Person (one of your bureau's records)"))
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[("prosecution", _("Prosecution")), ("sentence", _("To serve a sentence"))],
    )
    charges = forms.CharField(label=_("Charges (one per line)"), widget=forms.Textarea(attrs={"rows": 3}))
    law = forms.CharField(label=_("Law and articles"), max_length=2000)
    max_penalty_years = forms.FloatField(label=_("Maximum penalty (years)"), min_value=0)
    sentence_remaining_months = forms.IntegerField(
        label=_("Sentence remaining (months)"), required=False, min_value=0
    )
    warrant_reference = forms.CharField(label=_("Arrest warrant or judgment: reference"), max_length=200)
    warrant_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    warrant_authority = forms.CharField(label=_("Issuing authority"), max_length=300)
    facts = forms.CharField(label=_("Summary of the facts"), widget=forms.Textarea(attrs={"rows": 5}))
    facts_date = forms.DateField(
        label=_("When"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    facts_place = forms.CharField(label=_("Where"), max_length=300)

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = subjects

    def notice_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "subject": {"record_id": d["subject"]},
            "purpose": d["purpose"],
            "charges": [c.strip() for c in d["charges"].splitlines() if c.strip()],
            "law": d["law"],
            "max_penalty_years": d["max_penalty_years"],
            "sentence_remaining_months": d["sentence_remaining_months"],
            "warrant": {
                "reference": d["warrant_reference"],
                "date": d["warrant_date"].isoformat(),
                "authority": d["warrant_authority"],
            },
            "facts": {
                "summary": d["facts"],
                "date": d["facts_date"].isoformat() if d["facts_date"] else None,
                "place": d["facts_place"],
            },
        }
