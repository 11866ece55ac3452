"""What a case and each change to it look like on the network: the bodies of the
`cooperation.case`, `cooperation.case.entry`, `cooperation.case.task` and `cooperation.case.status`
envelopes, checked before their handlers run. They travel sealed to the case's participants."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from ncbnet.network import wire

from ..models.cases import (
    MAX_ENTRY_FILE_BYTES,
    Case,
    CaseEntry,
    CaseStatus,
    CaseTask,
    EntryKind,
    Permission,
    Severity,
)

MAX_PARTICIPANTS = 200
Title = Annotated[str, StringConstraints(min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]


class ParticipantBody(wire.Body):
    node: wire.Node
    permission: Annotated[Permission, wire.CHOICE]
    added_at: wire.Stamp
    added_by: wire.Text300


class CaseBody(wire.Body):
    """The case's header and its participants, from a participant with manage permission."""

    case_id: wire.Id
    owner: wire.Node
    created_by: wire.Text300
    title: Title
    description: LongText = ""
    severity: Annotated[Severity, wire.CHOICE]
    status: Annotated[CaseStatus, wire.CHOICE]
    outcome: LongText = ""
    template: Annotated[str, StringConstraints(max_length=100)] = ""
    created_at: wire.Stamp
    closed_at: wire.Stamp | None = None
    participants: Annotated[list[ParticipantBody], Field(min_length=1, max_length=MAX_PARTICIPANTS)]

    @classmethod
    def of(cls, case: Case) -> dict[str, Any]:
        return {
            "case_id": str(case.pk),
            "owner": case.owner,
            "created_by": case.created_by,
            "title": case.title,
            "description": case.description,
            "severity": case.severity,
            "status": case.status,
            "outcome": case.outcome,
            "template": case.template,
            "created_at": case.created_at.isoformat(),
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "participants": [
                {
                    "node": p.node,
                    "permission": p.permission,
                    "added_at": p.added_at.isoformat(),
                    "added_by": p.added_by,
                }
                for p in case.participants.all()
            ],
        }


class EntryFile(wire.Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=100)]
    sha256: wire.Sha256
    data: Annotated[str, StringConstraints(max_length=4 * ((MAX_ENTRY_FILE_BYTES + 2) // 3))]


class EntryBody(wire.Body):
    case_id: wire.Id
    entry_id: wire.Id
    kind: Annotated[EntryKind, wire.CHOICE]
    text: LongText = ""
    ref: Annotated[str, StringConstraints(max_length=64)] = ""
    author_name: wire.Text300
    # The author's node: the sender, unless a manager brings a newly added participant up to date.
    author_node: wire.Node
    at: wire.Stamp
    file: EntryFile | None = None

    @classmethod
    def of(cls, entry: CaseEntry, file: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "case_id": str(entry.case_id),
            "entry_id": str(entry.pk),
            "kind": entry.kind,
            "text": entry.text,
            "ref": entry.ref,
            "author_name": entry.author_name,
            "author_node": entry.author_node,
            "at": entry.at.isoformat(),
            "file": file,
        }


class TaskBody(wire.Body):
    """A task created, or the whole of its state after a change, with the note of that change."""

    case_id: wire.Id
    task_id: wire.Id
    op: Literal["create", "update"]
    title: Title
    assignee_node: Annotated[str, StringConstraints(max_length=3)] = ""
    assignee_name: wire.Text300 = ""
    due_at: wire.Stamp | None = None
    mandatory: bool = False
    state: Literal["open", "done", "cancelled"]
    created_by_node: wire.Node
    created_at: wire.Stamp
    by: wire.Text300
    note: Annotated[str, StringConstraints(max_length=10_000)] = ""

    @classmethod
    def of(cls, task: CaseTask, op: str, by: str, note: str) -> dict[str, Any]:
        return {
            "case_id": str(task.case_id),
            "task_id": str(task.pk),
            "op": op,
            "title": task.title,
            "assignee_node": task.assignee_node,
            "assignee_name": task.assignee_name,
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "mandatory": task.mandatory,
            "state": task.state,
            "created_by_node": task.created_by_node,
            "created_at": task.created_at.isoformat(),
            "by": by,
            "note": note,
        }


class StatusBody(wire.Body):
    case_id: wire.Id
    status: Annotated[CaseStatus, wire.CHOICE]
    outcome: LongText = ""
    by: wire.Text300
