"""What a record holds, per database, checked before anything is written.

Partial dates of birth stay partial: a year, a year and month, or a full date.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pycountry
import pydantic
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from ncbnet.base import iccs
from ncbnet.config import member_codes
from ncbnet.network import wire

from . import packing
from .models import Database


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def checked(schema: type[Strict], data: Any) -> dict[str, Any]:
    """The data as the schema normalizes it; pydantic's errors become a Django ValidationError
    naming each field (dotted path), as the pages, the API and the CLI report them."""
    try:
        return schema.model_validate(data).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        out: dict[str, list[str]] = {}
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"]) or "data"
            out.setdefault(field, []).append(str(e["msg"]).removeprefix("Value error, "))
        raise ValidationError(out) from exc


def _country(code: str) -> str:
    code = code.upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _iccs(value: str) -> str | None:
    return iccs.check(value) or None


# A crime category: a level-2 code of UNODC's ICCS (`base.iccs`), or none. Bounded before it is
# checked, so that a long text is refused without being read; "" is none.
IccsCode = Annotated[str, StringConstraints(max_length=40), AfterValidator(_iccs)]


def check_iccs(data: Any) -> None:
    """A record's crime category checked where it is given (a node, before its contribution or
    change travels), so that the officer hears at once what the hub would refuse."""
    value = data.get("iccs") if isinstance(data, dict) else None
    if value is None:
        return
    if not isinstance(value, str):
        raise ValidationError({"data.iccs": ['a level-2 ICCS code, as text (such as "0502")']})
    try:
        iccs.check(value[:40])
    except ValueError as exc:
        raise ValidationError({"data.iccs": [str(exc)]}) from exc


def iccs_field() -> Any:
    """A data schema's `iccs` field: optional, and left out of the data when not given, so that
    data written before crime categories existed, and data without one, stay as they were."""
    return Field(
        None,
        description="the crime category: a level-2 code of UNODC's ICCS, such as 0502 (Theft)",
        exclude_if=lambda v: v is None,
    )


class PartialDate(Strict):
    year: int = Field(ge=1850, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    day: int | None = Field(None, ge=1, le=31)

    @model_validator(mode="after")
    def consistent(self) -> PartialDate:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.day is not None and self.month is not None:
            dt.date(self.year, self.month, self.day)  # raises ValueError for 31 February
        return self

    def text(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{v:02d}" for v in (self.month, self.day) if v is not None]
        return "-".join(parts)


MAX_PHOTO_BYTES = 1024 * 1024
MAX_PHOTOS = 4


class Photo(Strict):
    """A photograph kept in the record itself (so it travels with the record to every replica)."""

    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data: str = Field(description="base64")
    sha256: str = ""

    @model_validator(mode="after")
    def checked(self) -> Photo:
        try:
            raw = base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("a photo's data must be base64") from exc
        if len(raw) > MAX_PHOTO_BYTES:
            raise ValueError(f"a photo is at most {MAX_PHOTO_BYTES // 1024} KB")
        signatures = {
            "image/jpeg": (b"\xff\xd8\xff",),
            "image/png": (b"\x89PNG\r\n\x1a\n",),
            "image/webp": (b"RIFF",),
        }
        if not raw.startswith(signatures[self.content_type]):
            raise ValueError(f"the data is not a {self.content_type} image")
        digest = hashlib.sha256(raw).hexdigest()
        if self.sha256 and self.sha256 != digest:
            raise ValueError("the photo does not match its SHA-256")
        self.sha256 = digest
        return self


# The scripts a name is commonly written in (ISO 15924 codes), for the forms that take names.
SCRIPTS = [
    ("Latn", _("Latin")),
    ("Cyrl", _("Cyrillic")),
    ("Arab", _("Arabic")),
    ("Hans", _("Chinese (simplified)")),
    ("Hant", _("Chinese (traditional)")),
    ("Grek", _("Greek")),
    ("Hebr", _("Hebrew")),
    ("Deva", _("Devanagari")),
    ("Jpan", _("Japanese")),
    ("Hang", _("Korean")),
    ("Thai", _("Thai")),
    ("Geor", _("Georgian")),
    ("Armn", _("Armenian")),
    ("Ethi", _("Ethiopic")),
]


class Name(Strict):
    value: str = Field(min_length=1, max_length=200)
    script: str = Field("Latn", pattern=r"^[A-Z][a-z]{3}$", description="ISO 15924 script code")
    kind: Literal["primary", "alias", "latin"] = "primary"


class PersonData(Strict):
    names: list[Name] = Field(min_length=1)
    date_of_birth: PartialDate | None = None
    sex: Literal["F", "M", "X", "U"] = "U"
    nationalities: list[str] = []
    distinguishing_marks: str = Field("", max_length=2000)
    photos: list[Photo] = Field([], max_length=MAX_PHOTOS)
    iccs: IccsCode | None = iccs_field()

    _nationalities = field_validator("nationalities", mode="after")(lambda v: [_country(c) for c in v])

    @model_validator(mode="after")
    def one_primary_name(self) -> PersonData:
        if not any(n.kind == "primary" for n in self.names):
            raise ValueError("a person needs a primary name")
        return self


class DocumentData(Strict):
    number: str = Field(min_length=3, max_length=40)
    type: Literal["passport", "id_card", "visa", "residence_permit", "other"]
    issuing_country: str
    status: Literal["stolen", "lost", "revoked", "invalidated"]
    date: dt.date
    iccs: IccsCode | None = iccs_field()

    _issuer = field_validator("issuing_country", mode="after")(lambda v: _country(v))


class VehicleData(Strict):
    vin: str = Field("", max_length=17)
    plate: str = Field("", max_length=20)
    make: str = Field(min_length=1, max_length=60)
    model: str = Field("", max_length=60)
    colour: str = Field("", max_length=40)
    country: str
    iccs: IccsCode | None = iccs_field()

    _country = field_validator("country", mode="after")(lambda v: _country(v))

    @model_validator(mode="after")
    def identifiable(self) -> VehicleData:
        if not (self.vin or self.plate):
            raise ValueError("a vehicle needs a VIN or a plate")
        return self


class ArtworkData(Strict):
    title: str = Field(min_length=1, max_length=300)
    artist: str = Field("", max_length=200)
    type: str = Field(min_length=1, max_length=60)
    dimensions: str = Field("", max_length=100)
    description: str = Field("", max_length=4000)
    photos: list[Photo] = Field([], max_length=MAX_PHOTOS)
    iccs: IccsCode | None = iccs_field()


class FirearmData(Strict):
    make: str = Field(min_length=1, max_length=60)
    model: str = Field("", max_length=60)
    serial_number: str = Field(min_length=1, max_length=60)
    calibre: str = Field("", max_length=30)
    type: str = Field(min_length=1, max_length=60)
    iccs: IccsCode | None = iccs_field()


SCHEMAS: dict[str, type[Strict]] = {
    "persons": PersonData,
    "documents": DocumentData,
    "vehicles": VehicleData,
    "artworks": ArtworkData,
    "firearms": FirearmData,
}


class RestrictionData(Strict):
    access: Literal["all", "allow", "deny"] = "all"
    countries: list[str] = []
    handling: Literal["H0", "H1", "H2", "H3"] = "H0"
    handling_note: str = Field("", max_length=500)
    notify_on_view: bool = False

    @field_validator("countries", mode="after")
    @classmethod
    def members(cls, v: list[str]) -> list[str]:
        codes = sorted({c.upper() for c in v})
        unknown = [c for c in codes if c not in member_codes()]
        if unknown:
            raise ValueError(f"not member countries: {', '.join(unknown)}")
        return codes

    @model_validator(mode="after")
    def coherent(self) -> RestrictionData:
        if self.access != "all" and not self.countries:
            raise ValueError(f"'{self.access}' needs at least one country")
        if self.handling == "H3" and not self.handling_note:
            raise ValueError("H3 needs the restriction stated")
        return self


# --- on the network: the bodies of the records app's envelopes ----------------------------------

_Key = Annotated[str, StringConstraints(max_length=100)]
_Handling = Literal["H0", "H1", "H2", "H3"]
_DatabaseName = Annotated[Database, wire.CHOICE]


class RecordPayload(wire.Body):
    """A record as a node's replica keeps it (the owner's country list stays at the hub)."""

    id: wire.Id
    database: _DatabaseName
    owner: wire.Country
    label: wire.Text300
    key: _Key
    data: dict[str, wire.Json]
    version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    handling: _Handling
    handling_note: wire.Text500
    notify_on_view: bool
    updated_at: wire.Stamp
    retain_until: wire.Stamp


class PackedRecords(wire.Body):
    """Records as the JSON text of a list of `RecordPayload`, zlib-compressed, in base64
    (`packing`): how the change feed carries them."""

    zlib: Annotated[str, StringConstraints(max_length=packing.RECORDS_TEXT)]
    raw: Annotated[int, Field(ge=2, le=packing.RECORDS_RAW)]  # bytes once opened
    rows: Annotated[int, Field(ge=1, le=packing.MAX_RECORDS)]


class RecordsBody(wire.Body):
    """Records for a node's replica: as a list (`records`) or packed (`packed`), which is opened
    here, within its bounds and parsed as any envelope's body is (`bounded`), into `records`: a
    handler never sees the difference, and a packed body that does not open is refused as a
    malformed body is."""

    records: Annotated[list[RecordPayload], Field(min_length=1, max_length=packing.MAX_RECORDS)]

    @model_validator(mode="before")
    @classmethod
    def _open_packed(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "packed" not in data:
            return data
        if set(data) != {"packed"}:
            raise ValueError("a body of packed records holds nothing else")
        try:
            packed = PackedRecords.model_validate(data["packed"])
        except pydantic.ValidationError as exc:
            raise ValueError(f"packed: {wire.problems(exc)}") from exc
        # Unpackable and Unbounded are ValueErrors: pydantic reports them as this body's fault.
        return {"records": packing.open_records(packed.zlib, packed.raw, packed.rows)}


class RemoveBody(wire.Body):
    ids: Annotated[list[wire.Id], Field(min_length=1, max_length=100_000)]


class VerifyRequestBody(wire.Body):
    check: wire.Count


# A record's id as the expected set names it, and its version.
_RecordId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
_Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
# Ids per page of an expected set: about 1 MiB of JSON, well under the 4 MiB an envelope carries.
EXPECTED_PAGE = 20_000
MAX_PAGES = 50_000  # a billion records


class ExpectedPage(wire.Body):
    """One page of the set of records (id: version) a node's replica should hold, as the hub
    computed it; the node puts the pages together and uses the set only once all have come and
    their digest matches."""

    part: Annotated[int, Field(ge=0, lt=MAX_PAGES)]
    parts: Annotated[int, Field(ge=1, le=MAX_PAGES)]
    digest: wire.Sha256  # of the whole set (`replication.digest`)
    expected: Annotated[dict[_RecordId, _Version], Field(max_length=EXPECTED_PAGE)]


class VerifyAnswerBody(ExpectedPage):
    check: wire.Count


class ResyncBody(ExpectedPage):
    """Hub to node: what the node may hold as of `as_of`; it drops the rest and fetches what it lacks."""

    resync: wire.Id
    as_of: wire.Stamp
    tick: wire.Count  # the hub's tick count when it was made (see `TickBody`)


FETCH_PAGE = 10_000


class FetchBody(wire.Body):
    """Node to hub: the records a resync named that the node lacks or holds in an older version."""

    resync: wire.Id
    ids: Annotated[list[wire.Id], Field(min_length=1, max_length=FETCH_PAGE)]


class TickBody(wire.Body):
    """Hub to every node, every few hours: a count that goes up by one each time. A node that sees
    it jump missed envelopes (kept too long away, or refused as stale) and asks for a resync."""

    n: Annotated[int, Field(ge=1, le=2**53 - 1)]


class ResyncRequestBody(wire.Body):
    reason: wire.Text300


# A body too big for one envelope travels in parts of this many bytes (see `records.parts`).
PART_BYTES = 1024 * 1024
MAX_PARTS = 16


class PartBody(wire.Body):
    transfer: wire.Id
    of: Literal["replica.record", "records.contribute", "records.change"]
    index: Annotated[int, Field(ge=0, lt=MAX_PARTS)]
    parts: Annotated[int, Field(ge=2, le=MAX_PARTS)]
    sha256: wire.Sha256
    data: Annotated[str, StringConstraints(max_length=4 * ((PART_BYTES + 2) // 3))]


class ViewedBody(wire.Body):
    id: wire.Id
    label: wire.Text300
    by: Annotated[str, StringConstraints(max_length=3)]  # the viewing country, or "GS"
    at: wire.Stamp


class ContributeBody(wire.Body):
    contribution: wire.Id
    by: wire.Text150
    database: Annotated[str, StringConstraints(max_length=16)]
    data: dict[str, wire.Json]
    restriction: dict[str, wire.Json] | None
    # The agency's user whose submission the bureau's officer (`by`) approved, if any.
    contributed_by: wire.Text300 | None = None


class OutcomeBody(wire.Body):
    contribution: wire.Id
    status: Literal["accepted", "refused"]
    record: wire.Id | None = None
    errors: dict[str, wire.Json] = {}


class ChangeBody(wire.Body):
    """Node to hub: the owner's change of one of its records (the sender must own it)."""

    change: wire.Id
    by: wire.Text150
    record: wire.Id
    action: Literal["edit", "restrict", "withdraw", "extend"]
    data: dict[str, wire.Json] | None = None
    restriction: dict[str, wire.Json] | None = None
    reason: wire.Text2000 = ""


class ChangeOutcomeBody(wire.Body):
    change: wire.Id
    status: Literal["accepted", "refused"]
    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    errors: dict[str, wire.Json] = {}


class RetentionDueBody(wire.Body):
    """Hub to the owner: its record reaches the end of its retention on `retain_until`."""

    id: wire.Id
    label: wire.Text300
    retain_until: wire.Stamp


class PurgedBody(wire.Body):
    """Hub to every node: these records were purged; drop everything that copies them."""

    ids: Annotated[list[wire.Id], Field(min_length=1, max_length=1000)]


@dataclass(frozen=True)
class Filters:
    """What a records list is narrowed to besides its database and search terms: an owner, the
    date range it was last changed in, and (at the hub, for the GS) live or withdrawn records."""

    owner: str = ""
    status: Literal["live", "withdrawn", "any"] = "live"
    since: dt.datetime | None = None
    until: dt.datetime | None = None


# A bureau's bulk contribution travels in batches of at most this many rows (`records.imports`).
BATCH_ROWS = 500
_RowNumber = Annotated[int, Field(ge=1, le=10_000_000)]


class BatchRow(wire.Body):
    row: _RowNumber  # its number in the bureau's file
    data: dict[str, wire.Json]


class ContributeBatchBody(wire.Body):
    """Node to hub: rows of a bulk contribution; the sender owns what they become."""

    bulk_import: wire.Id
    batch: Annotated[int, Field(ge=0, le=1_000_000)]
    by: wire.Text150
    database: Annotated[str, StringConstraints(max_length=16)]
    restriction: dict[str, wire.Json] | None
    rows: Annotated[list[BatchRow], Field(min_length=1, max_length=BATCH_ROWS)]


class RowOutcome(wire.Body):
    row: _RowNumber
    status: Literal["accepted", "refused"]
    record: wire.Id | None = None
    errors: Annotated[dict[str, wire.Json], Field(max_length=10)] = {}


class ContributeBatchOutcomeBody(wire.Body):
    """Hub to node: what became of each row of a batch."""

    bulk_import: wire.Id
    batch: Annotated[int, Field(ge=0, le=1_000_000)]
    rows: Annotated[list[RowOutcome], Field(min_length=1, max_length=BATCH_ROWS)]


# --- snapshots by the stream (`records.snapshot`) ---

SNAPSHOT_ROWS = 5000  # records in one chunk at most
SNAPSHOT_PACKED = 1024 * 1024  # a chunk's rows, compressed, at most (base64 adds a third)
SNAPSHOT_RAW = 16 * 1024 * 1024  # and once opened, at most
_ChunkNumber = Annotated[int, Field(ge=1, le=100_000_000)]
_Round = Annotated[int, Field(ge=1, le=1_000_000)]


class SnapshotChunkBody(wire.Body):
    """Hub to node: chunk `seq` of a snapshot, sealed to the node: the records whose ids lie after
    `after` (none: from the first) up to `last`, that the node may see, as JSON rows (`Row`)
    compressed with zlib and written in base64; `final` on the last chunk of a round."""

    snapshot: wire.Id
    node: wire.Country  # whom the chunk is for
    round: _Round
    seq: _ChunkNumber
    after: wire.Id | None
    last: wire.Id | None  # None only when the chunk holds no record and follows none
    final: bool
    total: wire.Count  # records the node may see, as counted when the snapshot started
    rows: Annotated[int, Field(ge=0, le=SNAPSHOT_ROWS)]
    raw: Annotated[int, Field(ge=2, le=SNAPSHOT_RAW)]  # bytes of the rows once decompressed
    packed: Annotated[
        str, StringConstraints(max_length=(SNAPSHOT_PACKED + 2) // 3 * 4, pattern=r"^[A-Za-z0-9+/]*={0,2}$")
    ]


class SnapshotStoredBody(wire.Body):
    """Node to hub: chunk `seq` (of `round`) is stored; the node holds `rows` of the snapshot."""

    snapshot: wire.Id
    round: _Round
    seq: _ChunkNumber
    key: wire.Id | None
    rows: wire.Count
    final: bool


class SnapshotResumeBody(wire.Body):
    """Node to hub: send the snapshot again from after chunk `seq` (0: from the start), whose last
    record was `key`: what the node stored stays stored."""

    snapshot: wire.Id
    seq: Annotated[int, Field(ge=0, le=100_000_000)]
    key: wire.Id | None
    reason: wire.Text300


# A value in a record's data, as a chunk carries it: text, a whole number within ±2^53, true or
# false, null, or a list or object of them (no floats: no record's schema has one, and NaN and
# the infinities, which Python's JSON reader takes, are floats).
_SafeInt = Annotated[int, Field(ge=-(2**53 - 1), le=2**53 - 1)]
SnapshotValue = TypeAliasType(
    "SnapshotValue",
    "str | bool | _SafeInt | list[SnapshotValue] | dict[str, SnapshotValue] | None",
)
# One row of a chunk, in this order: id, database, owner, label, key, data, version, handling,
# handling_note, notify_on_view, updated_at, retain_until. Checked by pydantic's own JSON reader
# in one pass (`snapshot.open_rows`): a person's names and a document's fields are checked by
# their own schemas at the hub, which wrote them; here each column has its type and bound.
SnapshotRow = tuple[
    Annotated[uuid.UUID, Field(strict=False)],
    Literal["persons", "documents", "vehicles", "artworks", "firearms"],
    Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")],
    Annotated[str, StringConstraints(max_length=300)],
    Annotated[str, StringConstraints(max_length=100)],
    dict[str, SnapshotValue],
    Annotated[int, Field(ge=1, le=2**31 - 1)],
    Literal["H0", "H1", "H2", "H3"],
    Annotated[str, StringConstraints(max_length=500)],
    bool,
    Annotated[pydantic.AwareDatetime, Field(strict=False)],
    Annotated[pydantic.AwareDatetime, Field(strict=False)],
]
SNAPSHOT_ROWS_ADAPTER = pydantic.TypeAdapter(
    Annotated[list[SnapshotRow], Field(max_length=SNAPSHOT_ROWS)],
    config=ConfigDict(strict=True, allow_inf_nan=False),
)
