"""Forms for a bureau's officers: contribute a person or a travel document, with the owner's restriction."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ncbnet.base import iccs

from .schemas import SCRIPTS


def _with_iccs(data: dict[str, Any], cleaned: dict[str, Any]) -> dict[str, Any]:
    """The record's data with the category chosen, if one was."""
    return {**data, "iccs": cleaned["iccs"]} if cleaned.get("iccs") else data


class RestrictionForm(forms.Form):
    access = forms.ChoiceField(
        label=_("Who may see it"),
        choices=[
            ("all", _("Every member country")),
            ("allow", _("Only the countries listed")),
            ("deny", _("Every country but those listed")),
        ],
        initial="all",
    )
    countries = forms.CharField(
        label=_("Countries (codes, separated by commas)"), required=False, max_length=600
    )
    handling = forms.ChoiceField(label=_("Handling code"), choices=[(c, c) for c in ("H0", "H1", "H2", "H3")])
    handling_note = forms.CharField(label=_("Restriction (H3)"), required=False, max_length=500)
    notify_on_view = forms.BooleanField(label=_("Tell us whenever another bureau views it"), required=False)

    def restriction(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "access": d["access"],
            "countries": [c.strip() for c in d["countries"].split(",") if c.strip()],
            "handling": d["handling"],
            "handling_note": d["handling_note"],
            "notify_on_view": d["notify_on_view"],
        }


class PersonForm(RestrictionForm):
    name = forms.CharField(label=_("Name as written"), max_length=200)
    script = forms.ChoiceField(label=_("Script"), choices=SCRIPTS, initial="Latn")
    latin = forms.CharField(
        label=_("Name in Latin letters (if written in another script)"), required=False, max_length=200
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1850, max_value=2100)
    birth_month = forms.IntegerField(label=_("Month of birth"), required=False, min_value=1, max_value=12)
    birth_day = forms.IntegerField(label=_("Day of birth"), required=False, min_value=1, max_value=31)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("U", _("Unknown")), ("F", _("Female")), ("M", _("Male")), ("X", _("Other"))]
    )
    nationalities = forms.CharField(label=_("Nationalities (codes, separated by commas)"), required=False)
    distinguishing_marks = forms.CharField(
        label=_("Distinguishing marks"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(label=_("Photo (JPEG, PNG or WebP, up to 1 MB)"), required=False)
    iccs = iccs.form_field()
    field_order = [
        "name",
        "script",
        "latin",
        "birth_year",
        "birth_month",
        "birth_day",
        "sex",
        "nationalities",
        "distinguishing_marks",
        "iccs",
    ]

    def data_for_hub(self) -> dict[str, Any]:
        d = self.cleaned_data
        names = [{"value": d["name"], "script": d["script"], "kind": "primary"}]
        if d["latin"]:
            names.append({"value": d["latin"], "script": "Latn", "kind": "latin"})
        dob = None
        if d["birth_year"]:
            dob = {"year": d["birth_year"], "month": d["birth_month"], "day": d["birth_day"]}
        person = {
            "names": names,
            "date_of_birth": dob,
            "sex": d["sex"],
            "nationalities": [c.strip() for c in d["nationalities"].split(",") if c.strip()],
            "distinguishing_marks": d["distinguishing_marks"],
        }
        return _with_iccs(person, d)


class DocumentForm(RestrictionForm):
    number = forms.CharField(label=_("Document number"), max_length=40)
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[
            ("passport", _("Passport")),
            ("id_card", _("Identity card")),
            ("visa", _("Visa")),
            ("residence_permit", _("Residence permit")),
            ("other", _("Other")),
        ],
    )
    issuing_country = forms.CharField(label=_("Issuing country (code)"), max_length=2)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("stolen", _("Stolen")),
            ("lost", _("Lost")),
            ("revoked", _("Revoked")),
            ("invalidated", _("Invalidated")),
        ],
    )
    date = forms.DateField(label=_("Date of theft or loss"), widget=forms.DateInput(attrs={"type": "date"}))
    iccs = iccs.form_field()
    field_order = ["number", "type", "issuing_country", "status", "date", "iccs"]

    def data_for_hub(self) -> dict[str, Any]:
        d = self.cleaned_data
        document = {
            "number": d["number"],
            "type": d["type"],
            "issuing_country": d["issuing_country"],
            "status": d["status"],
            "date": d["date"].isoformat(),
        }
        return _with_iccs(document, d)


class VehicleForm(RestrictionForm):
    vin = forms.CharField(label=_("VIN"), required=False, max_length=17)
    plate = forms.CharField(label=_("Plate"), required=False, max_length=20)
    make = forms.CharField(label=_("Make"), max_length=60)
    model = forms.CharField(label=_("Model"), required=False, max_length=60)
    colour = forms.CharField(label=_("Colour"), required=False, max_length=40)
    country = forms.CharField(label=_("Country of registration (code)"), max_length=2)
    iccs = iccs.form_field()
    field_order = ["vin", "plate", "make", "model", "colour", "country", "iccs"]

    def data_for_hub(self) -> dict[str, Any]:
        d = self.cleaned_data
        return _with_iccs({k: d[k] for k in ("vin", "plate", "make", "model", "colour", "country")}, d)


class FirearmForm(RestrictionForm):
    make = forms.CharField(label=_("Make"), max_length=60)
    model = forms.CharField(label=_("Model"), required=False, max_length=60)
    serial_number = forms.CharField(label=_("Serial number"), max_length=60)
    calibre = forms.CharField(label=_("Calibre"), required=False, max_length=30)
    type = forms.CharField(label=_("Type"), max_length=60)
    iccs = iccs.form_field()
    field_order = ["make", "model", "serial_number", "calibre", "type", "iccs"]

    def data_for_hub(self) -> dict[str, Any]:
        d = self.cleaned_data
        return _with_iccs({k: d[k] for k in ("make", "model", "serial_number", "calibre", "type")}, d)


class ArtworkForm(RestrictionForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    artist = forms.CharField(label=_("Artist"), required=False, max_length=200)
    type = forms.CharField(label=_("Type"), max_length=60)
    dimensions = forms.CharField(label=_("Dimensions"), required=False, max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    iccs = iccs.form_field()
    field_order = ["title", "artist", "type", "dimensions", "description", "iccs"]

    def data_for_hub(self) -> dict[str, Any]:
        d = self.cleaned_data
        return _with_iccs({k: d[k] for k in ("title", "artist", "type", "dimensions", "description")}, d)


FORMS: dict[
    str, type[PersonForm] | type[DocumentForm] | type[VehicleForm] | type[FirearmForm] | type[ArtworkForm]
] = {
    "persons": PersonForm,
    "documents": DocumentForm,
    "vehicles": VehicleForm,
    "firearms": FirearmForm,
    "artworks": ArtworkForm,
}


RESTRICTION_FIELDS = ("access", "countries", "handling", "handling_note", "notify_on_view")


def initial(database: str, data: dict[str, Any]) -> dict[str, Any]:
    """A record's data as its database's form shows it, to be edited."""
    if database == "persons":
        names = data.get("names") or [{}]
        primary = next((n for n in names if n.get("kind", "primary") == "primary"), names[0])
        latin = next((n.get("value", "") for n in names if n.get("kind") == "latin"), "")
        dob = data.get("date_of_birth") or {}
        return {
            "name": primary.get("value", ""),
            "script": primary.get("script", "Latn"),
            "latin": latin,
            "birth_year": dob.get("year"),
            "birth_month": dob.get("month"),
            "birth_day": dob.get("day"),
            "sex": data.get("sex", "U"),
            "nationalities": ", ".join(data.get("nationalities") or []),
            "distinguishing_marks": data.get("distinguishing_marks", ""),
            "iccs": data.get("iccs") or "",
        }
    return {k: v for k, v in data.items() if k != "photos"}


def edit_form(database: str, post: Any = None, data: dict[str, Any] | None = None) -> Any:
    """The database's form without the restriction (changed on its own) or a new photo: the
    record's photos stay as they are."""
    form = FORMS[database](post, initial=initial(database, data or {}))
    for name in (*RESTRICTION_FIELDS, "photo"):
        form.fields.pop(name, None)
    return form


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), required=True
    )


class RestrictionChangeForm(RestrictionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class BulkImportForm(RestrictionForm):
    """A bureau's bulk contribution: a file of records of one database, one restriction for all."""

    database = forms.ChoiceField(
        label=_("Database"),
        choices=[
            ("documents", _("Travel documents")),
            ("persons", _("Persons")),
            ("vehicles", _("Vehicles")),
            ("firearms", _("Firearms")),
            ("artworks", _("Works of art")),
        ],
    )
    file = forms.FileField(label=_("File (CSV with a header, or JSON lines), up to 200,000 rows"))
    field_order = ["database", "file"]
