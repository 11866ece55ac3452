"""The request form of every kind of notice, built from the kind's schema (`schemas.SCHEMAS`): one
form class, a field for each field of the schema (nested ones flattened as `warrant__date`), its
label from `LABELS`. The subject is one of the bureau's persons records or an identity given here.
The schema stays the authority: the form only shapes the officer's input into the notice's data,
and the service's errors come back to the field they name."""

from __future__ import annotations

import datetime as dt
import types
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ncbnet.base import iccs
from ncbnet.records.schemas import SCRIPTS

from .models import Kind
from .schemas import SCHEMAS, Subject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise as Promise

# The label of every field of every kind's schema, by its dotted path (a test checks none is missing).
LABELS: dict[str, Promise] = {
    "subject.record_id": _("Person (one of your bureau's records)"),
    "purpose": _("Purpose"),
    "charges": _("Charges (one per line)"),
    "law": _("Law and articles"),
    "max_penalty_years": _("Maximum penalty (years)"),
    "sentence_remaining_months": _("Sentence remaining (months)"),
    "warrant.reference": _("Arrest warrant or judgment: reference"),
    "warrant.date": _("Date of the warrant or judgment"),
    "warrant.authority": _("Issuing authority"),
    "facts.summary": _("Summary of the facts"),
    "facts.date": _("When"),
    "facts.place": _("Where"),
    "missing_since": _("Missing since"),
    "place": _("Place"),
    "circumstances": _("Circumstances"),
    "information_sought": _("Information sought"),
    "description": _("Description of the body"),
    "found_on": _("Found on"),
    "activities": _("Criminal activities"),
    "threat": _("The threat"),
    "modus_operandi": _("Modus operandi, objects, devices or concealment"),
    "assets": _("Assets to trace"),
    "regime": _("Sanctions regime"),
    "measures": _("Measures"),
    "iccs": _("Crime category (ICCS)"),
}
# The choices of the schemas' fixed lists.
CHOICES: dict[str, Promise] = {
    "prosecution": _("Prosecution"),
    "sentence": _("To serve a sentence"),
    "asset_freeze": _("Asset freeze"),
    "travel_ban": _("Travel ban"),
    "arms_embargo": _("Arms embargo"),
}
# What each kind asks of the bureau, shown above its form.
PURPOSES: dict[str, Promise] = {
    "red": _(
        "A Red Notice asks every member country to locate and provisionally arrest a person, with a "
        "view to extradition. Give the judicial data in full."
    ),
    "yellow": _(
        "A Yellow Notice helps locate a missing person or identify a person unable to say who they are."
    ),
    "blue": _("A Blue Notice collects information about a person's identity, location or activities."),
    "black": _("A Black Notice seeks information on an unidentified body."),
    "green": _("A Green Notice warns about a person's criminal activities."),
    "orange": _(
        "An Orange Notice warns of an event, person, object or process that is a serious and imminent threat."
    ),
    "purple": _(
        "A Purple Notice describes modi operandi, objects, devices and concealment methods used by criminals."
    ),
    "silver": _("A Silver Notice asks for information to trace and locate criminal assets."),
    "unsc": _("A UN Security Council Special Notice alerts to persons and entities under its sanctions."),
}

SEP = "__"  # a nested field's name in the form: `warrant__date` for `warrant.date`


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _meta(info: FieldInfo, cls: type) -> Any:
    return next((m for m in info.metadata if isinstance(m, cls)), None)


def _label(path: str) -> Promise:
    return LABELS[path]


def _field(path: str, info: FieldInfo) -> forms.Field:
    """The form field for one schema field (a scalar, a list of text or a list of choices)."""
    annotation, optional = _plain(info.annotation)
    required = info.is_required() and not optional
    label = _label(path)
    if path == "iccs":
        return forms.ChoiceField(
            label=label,
            choices=iccs.choices,
            required=False,
            help_text=_("Left empty, it is taken from the charges where their text names one."),
        )
    origin = get_origin(annotation)
    if origin is Literal:
        choices = [(v, CHOICES[v]) for v in get_args(annotation)]
        return forms.ChoiceField(label=label, choices=choices, required=required)
    if origin is list:
        (item,) = get_args(annotation)
        if get_origin(item) is Literal:
            return forms.MultipleChoiceField(
                label=label,
                choices=[(v, CHOICES[v]) for v in get_args(item)],
                widget=forms.CheckboxSelectMultiple,
                required=required,
            )
        return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3}), required=required)
    if annotation is dt.date:
        return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
    ge, le = _meta(info, Ge), _meta(info, Le)
    low, high = (ge.ge if ge else None), (le.le if le else None)
    if annotation is float:
        return forms.FloatField(label=label, required=required, min_value=low, max_value=high)
    if annotation is int:
        return forms.IntegerField(label=label, required=required, min_value=low, max_value=high)
    longest = _meta(info, MaxLen)
    if longest is None or longest.max_length > 300:
        return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 4}), required=required)
    return forms.CharField(label=label, max_length=longest.max_length, required=required)


def _walk(schema: type[BaseModel], prefix: str = "") -> list[tuple[str, FieldInfo]]:
    """Every leaf field of the schema with its dotted path; the subject is left whole."""
    leaves: list[tuple[str, FieldInfo]] = []
    for name, info in schema.model_fields.items():
        path = f"{prefix}{name}"
        annotation, _optional = _plain(info.annotation)
        if annotation is Subject:
            leaves.append((path, info))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            leaves.extend(_walk(annotation, f"{path}."))
        else:
            leaves.append((path, info))
    return leaves


def paths(kind: str) -> list[str]:
    """The dotted paths of a kind's fields, as `LABELS` names them (the subject by its record)."""
    return [("subject.record_id" if p == "subject" else p) for p, _info in _walk(SCHEMAS[kind])]


def _subject_fields(subjects: list[tuple[str, str]]) -> dict[str, forms.Field]:
    return {
        "subject__record_id": forms.ChoiceField(
            label=_label("subject.record_id"),
            choices=[("", _("None: the identity below")), *subjects],
            required=False,
        ),
        "subject__name": forms.CharField(label=_("Or the name as written"), max_length=200, required=False),
        "subject__script": forms.ChoiceField(
            label=_("Script"), choices=SCRIPTS, initial="Latn", required=False
        ),
        "subject__latin": forms.CharField(
            label=_("Name in Latin letters (if written in another script)"), max_length=200, required=False
        ),
        "subject__birth": forms.CharField(
            label=_("Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)"), max_length=10, required=False
        ),
        "subject__nationalities": forms.CharField(
            label=_("Nationalities (codes, separated by commas)"), max_length=100, required=False
        ),
    }


def _birth(text: str) -> dict[str, int | None] | None:
    if not text.strip():
        return None
    parts = text.strip().split("-")
    if len(parts) > 3 or not all(p.isdigit() for p in parts):
        raise ValidationError(_("Write the date of birth as YYYY, YYYY-MM or YYYY-MM-DD."))
    year, month, day = ([int(p) for p in parts] + [None, None])[:3]
    return {"year": year, "month": month, "day": day}


class NoticeForm(forms.Form):
    """The fields of one kind of notice, built from its schema. `subjects` are the bureau's own
    persons records (id, label) a subject may be chosen from."""

    def __init__(self, *args: Any, kind: str, subjects: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.leaves = _walk(SCHEMAS[kind])
        for path, info in self.leaves:
            if path == "subject":
                self.fields.update(_subject_fields(subjects))
            else:
                self.fields[path.replace(".", SEP)] = _field(path, info)
        if "iccs" in self.fields and "charges" not in self.fields:
            self.fields["iccs"].help_text = ""  # no charges to take it from

    @property
    def about(self) -> Promise:
        return PURPOSES[self.kind]

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    def clean_subject__birth(self) -> dict[str, int | None] | None:
        return _birth(self.cleaned_data.get("subject__birth", ""))

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if (
            "subject__record_id" in self.fields
            and not d.get("subject__record_id")
            and not d.get("subject__name")
        ):
            self.add_error("subject__name", _("Choose one of your records or give the person's name."))
        return d

    def notice_data(self) -> dict[str, Any]:
        """The cleaned input as the kind's data (nested as its schema is)."""
        d = self.cleaned_data
        data: dict[str, Any] = {}
        for path, info in self.leaves:
            if path == "subject":
                data["subject"] = self._subject()
                continue
            value = d.get(path.replace(".", SEP))
            annotation, _optional = _plain(info.annotation)
            if get_origin(annotation) is list and isinstance(value, str):
                value = [line.strip() for line in value.splitlines() if line.strip()]
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif value == "" and not info.is_required():
                value = None
            if path == "iccs" and not value:
                continue  # none: the hub takes it from the charges (and older hubs know no such field)
            head, _dot, leaf = path.rpartition(".")
            (data.setdefault(head, {}) if head else data)[leaf] = value
        return data

    def _subject(self) -> dict[str, Any]:
        d = self.cleaned_data
        subject: dict[str, Any] = {}
        if d.get("subject__record_id"):
            subject["record_id"] = d["subject__record_id"]
        if d.get("subject__name"):
            script = d.get("subject__script") or "Latn"
            subject["names"] = [{"value": d["subject__name"], "script": script, "kind": "primary"}]
            if d.get("subject__latin"):
                subject["names"].append({"value": d["subject__latin"], "script": "Latn", "kind": "latin"})
        if d.get("subject__birth"):
            subject["date_of_birth"] = d["subject__birth"]
        codes = [c.strip().upper() for c in d.get("subject__nationalities", "").split(",") if c.strip()]
        if codes:
            subject["nationalities"] = codes
        return subject

    def refused(self, exc: ValidationError) -> None:
        """The service's errors, each on the field it names (`warrant.date` → `warrant__date`)."""
        for path, errors in exc.message_dict.items():
            name = path.replace(".", SEP)
            if path.startswith("subject.") and name not in self.fields:
                name = "subject__name"
            self.add_error(name if name in self.fields else None, errors)


def initial(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A notice's data as the form's initial values (to edit it after the GS asked for changes)."""
    values: dict[str, Any] = {}
    for path, info in _walk(SCHEMAS[kind]):
        if path == "subject":
            subject = data.get("subject") or {}
            names = subject.get("names") or []
            primary = next((n for n in names if n.get("kind") == "primary"), names[0] if names else None)
            latin = next((n for n in names if n.get("kind") == "latin"), None)
            dob = subject.get("date_of_birth") or {}
            values |= {
                "subject__record_id": subject.get("record_id") or "",
                "subject__name": primary["value"] if primary else "",
                "subject__script": primary.get("script", "Latn") if primary else "Latn",
                "subject__latin": latin["value"] if latin else "",
                "subject__birth": "-".join(
                    f"{v:02d}" if i else f"{v:04d}"
                    for i, v in enumerate((dob.get("year"), dob.get("month"), dob.get("day")))
                    if v is not None
                ),
                "subject__nationalities": ", ".join(subject.get("nationalities") or []),
            }
            continue
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        annotation, _optional = _plain(info.annotation)
        if isinstance(value, list) and get_origin(get_args(annotation)[0]) is not Literal:
            value = "\n".join(str(v) for v in value)
        values[path.replace(".", SEP)] = value
    return values


class DiffusionForm(NoticeForm):
    """A diffusion: the kind's fields and the countries it goes to (the GS always in copy)."""

    def __init__(self, *args: Any, countries: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["recipients"] = forms.MultipleChoiceField(
            label=_("To the countries"), choices=countries, widget=forms.SelectMultiple(attrs={"size": 8})
        )
        self.order_fields(["recipients"])


def shown(kind: str, data: dict[str, Any]) -> list[tuple[Promise, str]]:
    """A notice's fields (but its subject) as the pages show them: each label with its value."""
    if kind not in SCHEMAS:
        return []
    out: list[tuple[Promise, str]] = []
    for path in paths(kind):
        if path.startswith("subject."):
            continue
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", []):
            continue
        if path == "iccs" and iccs.valid(value):
            value = f"{value} {iccs.label(value)}"
        elif isinstance(value, list):
            value = ", ".join(str(CHOICES.get(v, v)) if isinstance(v, str) else str(v) for v in value)
        elif isinstance(value, str):
            value = str(CHOICES.get(value, value))
        out.append((LABELS[path], f"{value:g}" if isinstance(value, float) else str(value)))
    return out
