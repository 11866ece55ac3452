"""What a request and each step of it look like on the network: the bodies of the
`cooperation.request` and `cooperation.request.step` envelopes, checked before their handlers run."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, StringConstraints

from ncbnet.base import iccs
from ncbnet.messaging.models import Handling, InformationAccuracy, SourceReliability
from ncbnet.network import wire

from ..models.requests import Access, Action, Kind, RefusalGround, Request, RequestEvent, UrgencyGround

MAX_SUBJECTS = 20
# The files of one step travel inside its envelope (at most 4 MiB as it travels): 2 MiB in all.
MAX_STEP_FILES_BYTES = 2 * 1024 * 1024
Text1000 = Annotated[str, StringConstraints(max_length=1000)]
Details = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
# A crime category as a request or a result carries it: a level-2 ICCS code, or "" for none
# (bounded before it is looked up; anything else refuses the envelope).
Category = Annotated[str, StringConstraints(max_length=40), AfterValidator(iccs.check)]


class Subject(wire.Body):
    """A person or object the request is about: described, and linked to what the requester holds
    (a record, a notice, a hit) where it exists."""

    type: Literal["person", "object"]
    name: wire.Text300 = ""  # a person's name in any script, or what the object is
    date_of_birth: Annotated[str, StringConstraints(max_length=10)] = ""
    sex: Literal["", "F", "M", "U"] = ""
    nationality: Annotated[str, StringConstraints(max_length=2)] = ""
    description: wire.Text2000 = ""
    record_id: wire.Id | None = None
    notice_id: wire.Id | None = None
    hit_id: wire.Id | None = None


class RequestBody(wire.Body):
    request_id: wire.Id
    requester: wire.Node
    requested: wire.Node
    sender_name: wire.Text300
    kind: Annotated[Kind, wire.CHOICE]
    action: Annotated[Action, wire.CHOICE] | Literal[""] = ""
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    details: Details
    subjects: Annotated[list[Subject], Field(max_length=MAX_SUBJECTS)] = []
    legal_basis: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    urgent: bool
    urgency_ground: Annotated[UrgencyGround, wire.CHOICE] | Literal[""] = ""
    access: Annotated[Access, wire.CHOICE]
    handling: Annotated[Handling, wire.CHOICE]
    handling_note: wire.Text500 = ""
    source_reliability: Annotated[SourceReliability, wire.CHOICE]
    information_accuracy: Annotated[InformationAccuracy, wire.CHOICE]
    group: Annotated[str, StringConstraints(max_length=64)] = ""
    iccs: Category = ""  # absent from the requests of nodes older than crime categories: none
    created_at: wire.Stamp

    # The fields a request keeps as they are (all but the id and the subjects, which are parts).
    KEPT: ClassVar[tuple[str, ...]] = (
        "requester",
        "requested",
        "sender_name",
        "kind",
        "action",
        "title",
        "details",
        "legal_basis",
        "purpose",
        "urgent",
        "urgency_ground",
        "access",
        "handling",
        "handling_note",
        "source_reliability",
        "information_accuracy",
        "group",
        "iccs",
        "created_at",
    )

    @classmethod
    def of(cls, request: Request) -> dict[str, Any]:
        """The body that carries a request kept here (without a category when it has none, as
        nodes older than crime categories read it)."""
        body: dict[str, Any] = {name: getattr(request, name) for name in cls.KEPT}
        body["created_at"] = request.created_at.isoformat()
        body["request_id"] = str(request.pk)
        body["subjects"] = request.subjects
        if not body["iccs"]:
            del body["iccs"]
        return body

    def request_fields(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.KEPT}
        fields["id"] = self.request_id
        fields["subjects"] = [s.model_dump(mode="json", exclude_defaults=True) for s in self.subjects]
        return fields


class StepFile(wire.Body):
    id: wire.Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=100)]
    sha256: wire.Sha256
    data: Annotated[str, StringConstraints(max_length=4 * ((MAX_STEP_FILES_BYTES + 2) // 3))]


# Who takes each step: the requested bureau, or the requester.
BY_REQUESTED = frozenset(
    {
        RequestEvent.Kind.RECEIVED,
        RequestEvent.Kind.ACKNOWLEDGED,
        RequestEvent.Kind.CLARIFICATION_ASKED,
        RequestEvent.Kind.PAUSED,
        RequestEvent.Kind.ANSWERED,
        RequestEvent.Kind.REFUSED,
    }
)
BY_REQUESTER = frozenset({RequestEvent.Kind.CLARIFIED, RequestEvent.Kind.CLOSED})


class StepBody(wire.Body):
    request_id: wire.Id
    event_id: wire.Id
    kind: (
        Literal["received", "acknowledged", "clarification_asked", "paused", "answered", "refused"]
        | Literal["clarified", "closed"]
    )
    by: wire.Text300
    text: Annotated[str, StringConstraints(max_length=100_000)] = ""
    ground: Annotated[RefusalGround, wire.CHOICE] | Literal[""] = ""
    expected_hours: Annotated[int, Field(ge=0, le=90 * 24)] = 0
    handling: Annotated[Handling, wire.CHOICE] | Literal[""] = ""
    files: Annotated[list[StepFile], Field(max_length=10)] = []
