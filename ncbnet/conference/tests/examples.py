"""A valid body of each conference envelope type, with the node that normally sends it (for the
network's hostile test of every envelope type, `network/tests/test_hostile.py`)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ncbnet.base import clock, crypto
from ncbnet.base.ids import uuid7
from ncbnet.conference import ballots, services


def network_examples(peers: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    now = clock.now().isoformat()
    conference, resolution, poll, item = (str(uuid7()) for _ in range(4))
    content = b"The report of the General Secretariat."
    statement = ballots.statement(conference, poll, "BR", "yes", str(uuid7()), ballots.stamp(clock.now()))
    key_id, signature = peers["BR"].sign(crypto.canonical(statement))
    ballot = {k: statement[k] for k in ballots.FIELDS} | {"key_id": key_id, "signature": signature}
    poll_body = {
        "id": poll,
        "resolution": resolution,
        "majority": "simple",
        "state": "published",
        "created_at": now,
        "started_at": now,
        "finished_at": now,
    }
    return {
        services.PUBLISHED: (
            "hub",
            {
                "id": conference,
                "year": 2026,
                "title": "Heads of NCB Conference",
                "starts": "2026-05-12",
                "ends": "2026-05-14",
                "venue": "Lyon",
                "time_zone": "Europe/Paris",
                "languages": ["en", "fr", "es", "ar"],
                "submission_deadline": now,
                "published_at": now,
            },
        ),
        services.AGENDA: (
            "hub",
            {
                "conference": conference,
                "sessions": [
                    {
                        "id": str(uuid7()),
                        "kind": "session",
                        "title": "Opening",
                        "starts": now,
                        "ends": now,
                        "room": "Plenary hall",
                        "items": [
                            {
                                "id": item,
                                "number": 1,
                                "title": "Training",
                                "speakers": ["GS"],
                                "majority": "simple",
                            }
                        ],
                    }
                ],
            },
        ),
        services.DOCUMENT: (
            "hub",
            {
                "id": str(uuid7()),
                "conference": conference,
                "item": None,
                "title": "Report",
                "language": "en",
                "filename": "report.txt",
                "content": base64.b64encode(content).decode(),
                "sha256": hashlib.sha256(content).hexdigest(),
                "published_at": now,
            },
        ),
        services.MINUTES: (
            "hub",
            {
                "id": str(uuid7()),
                "item": item,
                "revision": 1,
                "text": "Opened.",
                "author": "gs-conference",
                "created_at": now,
            },
        ),
        services.REGISTRATION: (
            "BR",
            {
                "conference": conference,
                "head": "Ana Souza",
                "delegates": ["Rui Lima"],
                "submitted_by": "br-head",
            },
        ),
        services.CREDENTIALS: (
            "hub",
            {
                "conference": conference,
                "id": str(uuid7()),
                "state": "complete",
                "credentialed_at": now,
                "reason": "",
            },
        ),
        services.SUBMISSION: (
            "BR",
            {
                "id": str(uuid7()),
                "conference": conference,
                "kind": "draft",
                "amends": None,
                "title": "Training before access",
                "text": "The Conference resolves…",
            },
        ),
        services.RESOLUTION_STATE: (
            "hub",
            {
                "id": resolution,
                "conference": conference,
                "item": item,
                "kind": "draft",
                "amends": None,
                "title": "Training before access",
                "text": "The Conference resolves…",
                "submitted_by": "BR",
                "submitted_at": now,
                "state": "in_plenary",
                "majority": "simple",
            },
        ),
        services.POLL: ("hub", poll_body | {"state": "started", "finished_at": None}),
        services.BALLOT: ("BR", ballot),
        services.BALLOT_ANSWER: (
            "hub",
            {"poll": poll, "nonce": ballot["nonce"], "status": "counted", "reason": ""},
        ),
        services.RESULT: (
            "hub",
            {
                "poll": poll_body,
                "published_at": now,
                "entitled": ["BR"],
                "result": {
                    "entitled": 1,
                    "cast": 1,
                    "yes": 1,
                    "no": 0,
                    "abstain": 0,
                    "quorum": True,
                    "majority": "simple",
                    "outcome": "adopted",
                },
                "ballots": [ballot],
                "resolution_state": "adopted",
            },
        ),
        services.ACTION: (
            "hub",
            {
                "id": str(uuid7()),
                "resolution": resolution,
                "title": "Course for every officer",
                "assignee": "GS",
                "state": "open",
                "progress": "",
                "updated_at": now,
            },
        ),
    }
