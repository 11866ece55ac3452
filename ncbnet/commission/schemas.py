"""The bodies of the Commission's envelopes (docs/protocol.md)."""

from __future__ import annotations

from typing import Literal

from ncbnet.network import wire

CONSULT = "ccf.consult"
POSITION = "ccf.position"
BLOCK = "ccf.block"
DECISION = "ccf.decision"


class ConsultBody(wire.Body):
    """Hub to the owner bureau: the Commission asks for its position on one record or notice."""

    consultation: wire.Id
    database: Literal["records", "notices"]
    subject: wire.Id
    label: wire.Text300
    kind: Literal["access", "correction", "deletion"]
    question: wire.Text2000
    asked_at: wire.Stamp
    due_at: wire.Stamp


class PositionBody(wire.Body):
    """Owner bureau to the hub: its position, for the Commission."""

    consultation: wire.Id
    position: Literal["keep", "correct", "delete"]
    note: wire.Text2000
    by: wire.Text150
    at: wire.Stamp


class BlockBody(wire.Body):
    """Hub to the owner bureau: the Commission blocked (or unblocked) the record consulted on."""

    consultation: wire.Id
    subject: wire.Id
    label: wire.Text300
    blocked: bool
    at: wire.Stamp


class DecisionBody(wire.Body):
    """Hub to the owner bureau: the Commission's decision on the request it was consulted on, as
    carried out on its record or notice (its reasons are those the applicant reads)."""

    consultation: wire.Id
    subject: wire.Id
    label: wire.Text300
    decision: Literal["answered", "keep", "correct", "delete"]
    reasons: wire.Text4000
    at: wire.Stamp
