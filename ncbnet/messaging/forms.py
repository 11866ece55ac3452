from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ncbnet.base.uploads import MultipleFileField

from .models import Handling, InformationAccuracy, Priority, SourceReliability


class ComposeForm(forms.Form):
    to = forms.CharField(
        label=_("To"),
        max_length=2000,
        help_text=_("Country codes separated by commas (FR, BR, KE), region:AF for a region, or all."),
    )
    gs_copy = forms.BooleanField(label=_("General Secretariat in copy"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.ROUTINE)
    subject = forms.CharField(label=pgettext_lazy("message subject", "Subject"), max_length=300)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}))
    handling = forms.ChoiceField(label=_("Handling code"), choices=Handling.choices, initial=Handling.H0)
    handling_note = forms.CharField(label=_("Restriction (H3)"), max_length=500, required=False)
    source_reliability = forms.ChoiceField(
        label=_("Source reliability"), choices=SourceReliability.choices, initial=SourceReliability.X
    )
    information_accuracy = forms.ChoiceField(
        label=_("Information accuracy"), choices=InformationAccuracy.choices, initial=InformationAccuracy.FOUR
    )
    references = forms.CharField(
        label=_("References"),
        required=False,
        max_length=2000,
        help_text=_("One per line: record ID, notice ID or case ID, e.g. notice 0193…"),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to 50 MB in all. Each file is encrypted like the message."),
    )
    in_reply_to = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm_restriction = forms.BooleanField(
        label=_("I confirm this reply respects the restriction of the H3 message it answers"),
        required=False,
    )

    def __init__(self, *args: Any, h3_note: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if h3_note is None:  # only a reply to an H3 message asks for it
            del self.fields["confirm_restriction"]
        else:
            self.fields["confirm_restriction"].help_text = _("The restriction: %(note)s") % {"note": h3_note}

    def clean_references(self) -> list[dict[str, str]]:
        out = []
        for line in self.cleaned_data["references"].splitlines():
            if not line.strip():
                continue
            parts = line.split(None, 1)
            if len(parts) != 2:
                raise forms.ValidationError(_("Write each reference as a kind and an id: notice 0193…"))
            out.append({"kind": parts[0].lower(), "id": parts[1].strip()})
        return out


class ForwardForm(forms.Form):
    to = forms.CharField(
        label=_("To"),
        max_length=2000,
        help_text=_("Country codes separated by commas (FR, BR, KE), region:AF for a region, or all."),
    )
    note = forms.CharField(
        label=_("Your note"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Written above the forwarded message."),
    )
    gs_copy = forms.BooleanField(label=_("General Secretariat in copy"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.ROUTINE)
    confirm_restriction = forms.BooleanField(
        label=_("I confirm this forward respects the stated restriction"), required=False
    )

    def __init__(self, *args: Any, h3_note: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if h3_note is None:
            del self.fields["confirm_restriction"]
        else:
            self.fields["confirm_restriction"].help_text = _("The restriction: %(note)s") % {"note": h3_note}

    def recipients(self) -> list[str]:
        return [t for t in self.cleaned_data["to"].replace(";", ",").split(",") if t.strip()]
