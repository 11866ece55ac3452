"""Form fields the cooperation pages share with the records' forms (which other apps may not import):
the crime category, offered and labelled as a record's is, so it reads, and translates, alike."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ncbnet.base import iccs


def iccs_field() -> forms.ChoiceField:
    """The crime category: a level-2 ICCS code, chosen from a list grouped by section (as
    `records.forms.iccs_field`, with the same label and help)."""
    return forms.ChoiceField(
        label=_("Crime category (ICCS)"),
        choices=iccs.choices,
        required=False,
        help_text=_("UNODC's International Classification of Crime for Statistical Purposes"),
    )
