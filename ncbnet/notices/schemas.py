"""What each kind of notice must hold. Red Notices carry identity and judicial data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, Field, StringConstraints, model_validator

from ncbnet.network import wire
from ncbnet.records.schemas import Name, PartialDate, Strict

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


class Yellow(Strict):
    subject: Subject
    missing_since: dt.date | None = None
    place: str = Field(min_length=1, max_length=300)
    circumstances: str = Field(min_length=10, max_length=10000)


class Blue(Strict):
    subject: Subject
    information_sought: str = Field(min_length=10, max_length=10000)


class Black(Strict):
    description: str = Field(min_length=10, max_length=10000)
    found_on: dt.date
    place: str = Field(min_length=1, max_length=300)


class Green(Strict):
    subject: Subject
    activities: str = Field(min_length=10, max_length=10000)


class Orange(Strict):
    threat: str = Field(min_length=10, max_length=10000)


class Purple(Strict):
    modus_operandi: str = Field(min_length=10, max_length=10000)


class Silver(Strict):
    subject: Subject
    assets: str = Field(min_length=10, max_length=10000)


class UNSC(Strict):
    subject: Subject
    regime: str = Field(min_length=1, max_length=300)
    measures: list[Literal["asset_freeze", "travel_ban", "arms_embargo"]] = Field(min_length=1)


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
