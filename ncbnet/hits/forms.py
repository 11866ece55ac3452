from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Our answer"),
        choices=[
            ("confirmed", _("Confirmed: it is our record and it is still valid")),
            ("denied", _("Not a match (say why)")),
            ("more_time", _("We need more time (say how many minutes)")),
        ],
        widget=forms.RadioSelect,
    )
    minutes = forms.IntegerField(label=_("Minutes we need"), min_value=1, max_value=10080, required=False)
    note = forms.CharField(
        label=_("Note to the bureau that screened"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "more_time" and not data.get("minutes"):
            self.add_error("minutes", _("Say how many minutes you need."))
        if data.get("outcome") == "denied" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why it is not a match."))
        return data
