"""What crosses the network for the conference: each envelope's body, bounded and strict
(`network.wire.Body`). The hub sends the conference, its agenda, documents, minutes, resolutions'
states, polls, results and actions to every node; a node sends the hub its delegation, its
resolutions and its ballots, and never names another country as their author (the sender is)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ncbnet.network.wire import CHOICE, Body, Country, Id, Stamp, Text150, Text300, Text500

from .models import (
    LANGUAGES,
    MAX_DELEGATES,
    MAX_DOCUMENT,
    Ballot,
    Item,
    Poll,
    Registration,
    Resolution,
    Session,
)

UUID_TEXT = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
IdText = Annotated[str, StringConstraints(pattern=UUID_TEXT)]  # an id as signed: lower-case text
Language = Literal["en", "fr", "es", "ar"]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=150)]
Assignee = Annotated[str, StringConstraints(pattern=r"^(GS|[A-Z]{2})$")]
MAX_BALLOTS = 200  # one per member country
B64_DOCUMENT = (MAX_DOCUMENT * 4) // 3 + 4


class ConferenceBody(Body):
    id: Id
    year: Annotated[int, Field(ge=1900, le=9999)]
    title: Text300
    starts: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    ends: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    venue: Text300
    time_zone: Annotated[str, StringConstraints(max_length=64)]
    languages: Annotated[list[Language], Field(min_length=1, max_length=4)]
    submission_deadline: Stamp
    published_at: Stamp


class ItemBody(Body):
    id: Id
    number: Annotated[int, Field(ge=1, le=999)]
    title: Text300
    speakers: Annotated[list[Name], Field(max_length=20)]
    majority: Item.Majority = CHOICE


class SessionBody(Body):
    id: Id
    kind: Session.Kind = CHOICE
    title: Text300
    starts: Stamp
    ends: Stamp
    room: Text150
    items: Annotated[list[ItemBody], Field(max_length=100)]

    @model_validator(mode="after")
    def ends_after_it_starts(self) -> SessionBody:
        if self.ends <= self.starts:
            raise ValueError("a session ends after it starts")
        return self


class AgendaBody(Body):
    conference: Id
    sessions: Annotated[list[SessionBody], Field(max_length=200)]


class DocumentBody(Body):
    id: Id
    conference: Id
    item: Id | None
    title: Text300
    language: Language
    filename: Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=r"^[^/\\\x00-\x1f]+$")]
    content: Annotated[str, StringConstraints(max_length=B64_DOCUMENT, pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    published_at: Stamp


class MinutesBody(Body):
    id: Id
    item: Id
    revision: Annotated[int, Field(ge=1, le=100_000)]
    text: LongText
    author: Text150
    created_at: Stamp


class RegistrationBody(Body):
    """A node's delegation (the country is the sender), or its withdrawal."""

    conference: Id
    head: Name
    delegates: Annotated[list[Name], Field(max_length=MAX_DELEGATES)]
    submitted_by: Text150
    withdraw: bool = False


class CredentialsBody(Body):
    """The hub's decision on a node's delegation, to that node only."""

    conference: Id
    id: Id
    state: Registration.State = CHOICE
    credentialed_at: Stamp | None
    reason: Text500


class SubmissionBody(Body):
    """A draft resolution or an amendment a node's delegation submits."""

    id: Id
    conference: Id
    kind: Resolution.Kind = CHOICE
    amends: Id | None
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]

    @model_validator(mode="after")
    def an_amendment_amends(self) -> SubmissionBody:
        if (self.kind == Resolution.Kind.AMENDMENT) != (self.amends is not None):
            raise ValueError("an amendment names the resolution it amends; a draft names none")
        return self


class ResolutionBody(Body):
    id: Id
    conference: Id
    item: Id | None
    kind: Resolution.Kind = CHOICE
    amends: Id | None
    title: Text300
    text: LongText
    submitted_by: Assignee
    submitted_at: Stamp
    state: Resolution.State = CHOICE
    majority: Item.Majority = CHOICE


class PollBody(Body):
    id: Id
    resolution: Id
    majority: Item.Majority = CHOICE
    state: Poll.State = CHOICE
    created_at: Stamp
    started_at: Stamp | None
    finished_at: Stamp | None


class BallotBody(Body):
    """A ballot as the node signed it (`ballots.sign`): the text exactly as signed."""

    conference: IdText
    poll: IdText
    country: Country
    choice: Ballot.Choice = CHOICE
    nonce: IdText
    cast_at: Annotated[str, StringConstraints(max_length=40)]
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    signature: Annotated[str, StringConstraints(max_length=100, pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


class BallotAnswerBody(Body):
    poll: Id
    nonce: Id
    status: Literal["counted", "refused"]
    reason: Text500


class ResultValues(Body):
    entitled: Annotated[int, Field(ge=0, le=MAX_BALLOTS)]
    cast: Annotated[int, Field(ge=0, le=MAX_BALLOTS)]
    yes: Annotated[int, Field(ge=0, le=MAX_BALLOTS)]
    no: Annotated[int, Field(ge=0, le=MAX_BALLOTS)]
    abstain: Annotated[int, Field(ge=0, le=MAX_BALLOTS)]
    quorum: bool
    majority: Item.Majority = CHOICE
    outcome: Literal["adopted", "rejected", "no_quorum"]


class ResultBody(Body):
    poll: PollBody
    published_at: Stamp
    entitled: Annotated[list[Country], Field(max_length=MAX_BALLOTS)]
    result: ResultValues
    ballots: Annotated[list[BallotBody], Field(max_length=MAX_BALLOTS)]
    resolution_state: Resolution.State = CHOICE


class ActionBody(Body):
    id: Id
    resolution: Id
    title: Text300
    assignee: Assignee
    state: Literal["open", "in_progress", "done"]
    progress: Annotated[str, StringConstraints(max_length=4000)]
    updated_at: Stamp


__all__ = ["LANGUAGES"]
