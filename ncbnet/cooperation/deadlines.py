"""The legal deadlines of a request (EU Directive 2023/977, Art. 5), counted from its receipt at
the requested bureau on the node's clock, and the steps an overdue request escalates by.

- urgent, on information directly accessible to the requested bureau: 8 hours;
- urgent, on information it must obtain from another authority (indirect access): 3 calendar days;
- every other request: 7 calendar days.

A limit may be exceeded only while a judicial authorisation is obtained: the pause adds the time it
takes to the deadline, and the requester is told at once how long and why.
"""

from __future__ import annotations

from datetime import datetime, timedelta

URGENT_DIRECT = timedelta(hours=8)
URGENT_INDIRECT = timedelta(days=3)
ROUTINE = timedelta(days=7)

# An overdue request escalates in steps, each a share of its window after the deadline: the
# requested bureau at once, then its head of NCB, then the requester is told it is late.
BUREAU, HEAD, REQUESTER = 1, 2, 3
STEPS: tuple[tuple[int, float], ...] = ((BUREAU, 0.0), (HEAD, 1 / 8), (REQUESTER, 1 / 4))


def window(urgent: bool, direct: bool) -> timedelta:
    """How long the requested bureau has to answer, from receipt."""
    if urgent:
        return URGENT_DIRECT if direct else URGENT_INDIRECT
    return ROUTINE


def due(received_at: datetime, urgent: bool, direct: bool) -> datetime:
    return received_at + window(urgent, direct)


def escalation_level(due_at: datetime, span: timedelta, now: datetime) -> int:
    """How far an unanswered request due at `due_at` has escalated by `now` (0: not overdue)."""
    level = 0
    for step, share in STEPS:
        if now >= due_at + span * share:
            level = step
    return level
