"""What each kind of notice must hold. Red Notices carry identity and judicial data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, Field, StringConstraints, model_validator

from ncbnet.network import wire
from ncbnet.records.schemas import MAX_PHOTOS, IccsCode, Name, PartialDate, Photo, Strict, iccs_field

from .models import Kind


def _country(code: str) -> str:
    code = code.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


class Subject(Strict):
    """The person (or entity) concerned: a persons record of the owner, or identity given here."""

    record_id: str | None = None
    names: list[Name] = Field([], max_length=20)
    date_of_birth: PartialDate | None = None
    nationalities: list[Annotated[str, StringConstraints(max_length=2), AfterValidator(_country)]] = Field(
        [], max_length=10
    )

    @model_validator(mode="after")
    def identified(self) -> Subject:
        if not self.record_id and not self.names:
            raise ValueError("identity data: a persons record or at least one name")
        return self


class Warrant(Strict):
    reference: str = Field(min_length=1, max_length=200)
    date: dt.date
    authority: str = Field(min_length=1, max_length=300)


class Facts(Strict):
    summary: str = Field(min_length=20, max_length=10000)
    date: dt.date | None = None
    place: str = Field(min_length=1, max_length=300)


class Red(Strict):
    subject: Subject
    purpose: Literal["prosecution", "sentence"]
    charges: list[str] = Field(min_length=1)
    law: str = Field(min_length=1, max_length=2000)
    max_penalty_years: float = Field(ge=0)
    sentence_remaining_months: int | None = Field(None, ge=0)
    warrant: Warrant
    facts: Facts
    iccs: IccsCode | None = iccs_field()


class Yellow(Strict):
    subject: Subject
    missing_since: dt.date | None = None
    place: str = Field(min_length=1, max_length=300)
    circumstances: str = Field(min_length=10, max_length=10000)
    iccs: IccsCode | None = iccs_field()


class Blue(Strict):
    subject: Subject
    information_sought: str = Field(min_length=10, max_length=10000)
    iccs: IccsCode | None = iccs_field()


class Black(Strict):
    description: str = Field(min_length=10, max_length=10000)
    found_on: dt.date
    place: str = Field(min_length=1, max_length=300)
    iccs: IccsCode | None = iccs_field()


class Green(Strict):
    subject: Subject
    activities: str = Field(min_length=10, max_length=10000)
    iccs: IccsCode | None = iccs_field()


class Orange(Strict):
    threat: str = Field(min_length=10, max_length=10000)
    iccs: IccsCode | None = iccs_field()


class Purple(Strict):
    modus_operandi: str = Field(min_length=10, max_length=10000)
    iccs: IccsCode | None = iccs_field()


class Silver(Strict):
    subject: Subject
    assets: str = Field(min_length=10, max_length=10000)
    iccs: IccsCode | None = iccs_field()


class UNSC(Strict):
    subject: Subject
    regime: str = Field(min_length=1, max_length=300)
    measures: list[Literal["asset_freeze", "travel_ban", "arms_embargo"]] = Field(min_length=1)
    iccs: IccsCode | None = iccs_field()


SCHEMAS: dict[str, type[Strict]] = {
    "red": Red,
    "yellow": Yellow,
    "blue": Blue,
    "black": Black,
    "green": Green,
    "orange": Orange,
    "purple": Purple,
    "silver": Silver,
    "unsc": UNSC,
}


# --- on the network: the bodies of the notices app's envelopes ----------------------------------

_Kind = Annotated[Kind, wire.CHOICE]
# What the hub tells a requesting bureau: a notice's state, or its request refused at the checks.
_State = Literal["draft", "in_review", "changes", "rejected", "published", "cancelled", "expired", "refused"]


class RequestBody(wire.Body):
    id: wire.Id
    by: wire.Text150
    kind: _Kind
    data: dict[str, wire.Json]


class CancelBody(wire.Body):
    id: wire.Id
    by: wire.Text150
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class StatusBody(wire.Body):
    id: wire.Id
    state: _State
    title: wire.Text300
    reason: wire.Text2000
    errors: dict[str, wire.Json]
    review_at: wire.Stamp | None = None  # a published notice's next periodic review


class DiffusionBody(wire.Body):
    id: wire.Id
    by: wire.Text150
    kind: _Kind
    recipients: Annotated[list[wire.Country], Field(min_length=1, max_length=200)]
    data: dict[str, wire.Json]
    title: wire.Text300


class ReviseBody(wire.Body):
    """The owner's edited fields for a notice sent back for changes (or refused at the checks)."""

    id: wire.Id
    by: wire.Text150
    data: dict[str, wire.Json]


class ExtendBody(wire.Body):
    """The owner keeps its published notice past the periodic review due at `review_at`."""

    id: wire.Id
    by: wire.Text150
    review_at: wire.Stamp
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class IdBody(wire.Body):
    id: wire.Id


class PublishedBody(wire.Body):
    id: wire.Id
    kind: _Kind
    owner: wire.Country
    title: wire.Text300
    data: dict[str, wire.Json]
    published_at: wire.Stamp


class WithdrawnBody(wire.Body):
    id: wire.Id
    state: _State


# --- public extracts: what the owner bureau gives for publication -------------------------------


def language_b(code: str) -> str:
    """An ISO 639 language code (639-1, 639-2/T or 639-2/B) as ISO 639-2/B in upper case, as the
    public notices API writes languages (FRE, GER, ARA)."""
    code = code.strip().lower()
    found = None
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or next(
            (lang for lang in pycountry.languages if getattr(lang, "bibliographic", None) == code), None
        )
    if found is None:
        raise ValueError(f"{code!r} is not an ISO 639 language code")
    return str(getattr(found, "bibliographic", None) or found.alpha_3).upper()


_Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
_Line = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Country = Annotated[str, StringConstraints(max_length=2), AfterValidator(_country)]


class ExtractDetails(Strict):
    """The public description of a person, beyond what the notice holds. Everything here is
    published once the GS approves the extract; nothing else of the notice is."""

    forename: str = Field("", max_length=100, description="given names; empty when the person has none")
    name: str = Field("", max_length=100, description="family name (default: from the primary name)")
    sex: Literal["F", "M", "U"] | None = None
    height: float | None = Field(None, ge=0.3, le=2.8, description="metres")
    weight: int | None = Field(None, ge=1, le=500, description="kilograms")
    eyes_colors_id: _Code | None = Field(None, description="INTERPOL colour code, e.g. BRO")
    hairs_id: _Code | None = Field(None, description="INTERPOL colour code, e.g. BLA")
    distinguishing_marks: str | None = Field(None, max_length=2000)
    languages: list[Annotated[str, StringConstraints(max_length=3), AfterValidator(language_b)]] = Field(
        [], max_length=10
    )
    place_of_birth: str = Field("", max_length=200)
    country_of_birth: _Country | None = None
    photos: list[Photo] = Field([], max_length=MAX_PHOTOS)


class RedExtract(ExtractDetails):
    pass


class YellowExtract(ExtractDetails):
    birth_name: str = Field("", max_length=200)
    country: _Country | None = Field(None, description="where the person went missing (default: the owner)")
    father_forename: str = Field("", max_length=200)
    mother_name: str = Field("", max_length=200)
    mother_forename: str = Field("", max_length=200)


class UNExtract(ExtractDetails):
    entity: bool = Field(False, description="a listed entity rather than a person")
    un_reference: str = Field(min_length=1, max_length=60, description="the UN sanctions list reference")
    un_resolution: str = Field("", max_length=200)
    un_reference_date: dt.date | None = None
    identity_documents: list[_Line] = Field([], max_length=10)
    adresses: list[_Line] = Field([], max_length=10)


EXTRACT_SCHEMAS: dict[str, type[ExtractDetails]] = {
    "red": RedExtract,
    "yellow": YellowExtract,
    "unsc": UNExtract,
}


class ExtractBody(wire.Body):
    """The owner asks for a public extract of its notice (when it requests it, or later)."""

    id: wire.Id
    by: wire.Text150
    details: dict[str, wire.Json]
