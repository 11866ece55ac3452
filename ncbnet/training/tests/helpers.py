"""A small course, as the GS's training staff author it, and the hub's side of the exchange done
with the hub's own key store (`peers["hub"]`) for tests that run as an NCB node."""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from typing import Any

from ncbnet.base import clock
from ncbnet.base.ids import uuid7
from ncbnet.conftest import arriving
from ncbnet.network import delivery
from ncbnet.training import credentials, services
from ncbnet.training.models import Course

_seq = iter(range(1, 1_000_000))

RIGHT = {"q1": ["b"], "q2": ["a", "c"]}
WRONG = {"q1": ["a"], "q2": ["a"]}


def course_data(code: str = "INFOSEC", **over: Any) -> dict[str, Any]:
    data = {
        "code": code,
        "title": {"en": "Information security awareness", "fr": "Sensibilisation à la sécurité"},
        "summary": {"en": "Keeping the network and its data safe."},
        "content": {
            "modules": [
                {
                    "key": "passwords",
                    "title": {"en": "Passwords and second factors"},
                    "pages": {
                        "en": "Never share your password.",
                        "fr": "Ne partagez jamais votre mot de passe.",
                    },
                    "material": [
                        {
                            "language": "en",
                            "filename": "checklist.txt",
                            "media_type": "text/plain",
                            "data": base64.b64encode(b"1. Lock your screen.\n").decode(),
                        }
                    ],
                },
                {"key": "handling", "title": {"en": "Handling codes"}, "pages": {"en": "H1, H2, H3."}},
            ],
            "quiz": {
                "pass_mark": 100,
                "questions": [
                    {
                        "key": "q1",
                        "text": {"en": "May you share your password?"},
                        "choices": [{"key": "a", "text": {"en": "Yes"}}, {"key": "b", "text": {"en": "No"}}],
                        "answer": ["b"],
                    },
                    {
                        "key": "q2",
                        "text": {"en": "Which are handling codes?"},
                        "choices": [
                            {"key": "a", "text": {"en": "H1"}},
                            {"key": "b", "text": {"en": "X9"}},
                            {"key": "c", "text": {"en": "H3"}},
                        ],
                        "answer": ["a", "c"],
                    },
                ],
            },
        },
        "validity_days": 1461,
        "open_enrolment": False,
    }
    data.update(over)
    return copy.deepcopy(data)


def course_body(code: str = "INFOSEC", version: int = 1, **over: Any) -> dict[str, Any]:
    """A `training.course` body as the hub sends it."""
    data = course_data(code)
    body = {
        "id": str(uuid7()),
        "version": version,
        "authored_by": "gs-trainer",
        "published_at": clock.now().isoformat(),
        **{k: data[k] for k in ("code", "title", "summary", "content", "validity_days", "open_enrolment")},
    }
    body.update(over)
    return body


def accept(
    peers: dict[str, Any], kind: str, body: dict[str, Any], sender: str = "hub", signer: str | None = None
) -> str:
    raw = arriving(peers, kind, json.loads(json.dumps(body)), sender=sender, signer=signer)
    return delivery.accept(raw, stream_seq=next(_seq))


def from_hub(peers: dict[str, Any], code: str = "INFOSEC", **over: Any) -> Course:
    assert accept(peers, services.COURSE, course_body(code, **over)) == "accepted"
    return Course.objects.get(code=code)


def requirements(peers: dict[str, Any], mapping: dict[str, list[str]]) -> None:
    body = {
        "published_at": clock.now().isoformat(),
        "requirements": [{"role": r, "courses": c} for r, c in mapping.items()],
    }
    assert accept(peers, services.REQUIREMENTS, body) == "accepted"


def badge(
    peers: dict[str, Any], enrolment: Any, *, index: int = 0, days: int = 1461, signer: str = "hub"
) -> dict[str, Any]:
    """The credential the hub would issue for this enrolment, signed with `signer`'s key."""
    now = clock.now()
    return credentials.sign(
        credentials.open_badge(
            credential_id=str(uuid7()),
            node="FR",
            username=enrolment.user.username,
            name=enrolment.user.get_full_name(),
            course=enrolment.course,
            valid_from=now,
            valid_until=now + timedelta(days=days),
            status_index=index,
            score=100,
        ),
        peers[signer],
    )


def certificate_body(enrolment: Any, credential: Any, state: str = "downloadable") -> dict[str, Any]:
    return {
        "registration": str(enrolment.pk),
        "state": state,
        "reason": "",
        "score": 100,
        "credential": credential,
    }


def status_body(
    peers: dict[str, Any], revoked: set[int], signer: str = "hub", later: int = 1
) -> dict[str, Any]:
    with clock.travel(timedelta(seconds=later)):
        return {"credential": credentials.status_list(revoked, clock.now(), peers[signer])}


def passed(learner: Any, course: Course) -> Any:
    """The learner, enrolled by the test, views every module and passes the quiz."""
    e = services._enrol_one(learner, course, "manual", "test")
    assert e is not None
    for key in course.module_keys():
        services.open_module(learner, e.pk, key)
    a = services.attempt(learner, e.pk, RIGHT)
    assert a.passed
    e.refresh_from_db()
    return e


def network_examples() -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid body of each training envelope type, with the node that normally sends it (for the
    network's hostile test of every envelope type)."""
    now = clock.now().isoformat()
    return {
        services.COURSE: ("hub", course_body()),
        services.REQUIREMENTS: (
            "hub",
            {"published_at": now, "requirements": [{"role": "officer", "courses": ["INFOSEC"]}]},
        ),
        services.COMPLETION: (
            "BR",
            {
                "registration": str(uuid7()),
                "username": "br-police",
                "name": "Ana Souza",
                "course_code": "INFOSEC",
                "course_version": 1,
                "modules_viewed": ["passwords", "handling"],
                "answers": RIGHT,
                "completed_at": now,
            },
        ),
        services.CERTIFICATE: (
            "hub",
            {
                "registration": str(uuid7()),
                "state": "notpassing",
                "reason": "re-graded",
                "score": 0,
                "credential": None,
            },
        ),
        services.STATUS: ("hub", {"credential": {"id": credentials.STATUS_LIST}}),
    }
