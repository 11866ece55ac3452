"""Training's envelopes from untrusted peers (hostile first): a course, requirements, a certificate
or a status list from a node that is not the hub, or signed by another key; a course over its
bounds or inconsistent; a credential changed after the hub signed it, or signed by a bureau's key;
a completion sent to a bureau. Each is quarantined with its audit entry, and nothing is kept."""

import base64
from typing import Any

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.network.models import Quarantine
from ncbnet.training import schemas, services
from ncbnet.training.models import Certificate, Course, Enrolment, Requirement, StatusList

from . import helpers
from .helpers import accept, course_body

pytestmark = pytest.mark.django_db


def quarantined(reason_part: str = "") -> Quarantine:
    q = Quarantine.objects.get()
    assert reason_part in q.reason, q.reason
    assert AuditEntry.objects.filter(action="network.quarantine", target_id=str(q.pk)).exists()
    return q


def test_a_course_from_a_bureau_is_refused(peers):
    assert accept(peers, services.COURSE, course_body(), sender="BR") == "quarantined"
    quarantined("come only from the hub")
    assert not Course.objects.exists()


def test_a_course_claiming_the_hub_but_signed_by_a_bureau_is_refused(peers):
    assert accept(peers, services.COURSE, course_body(), sender="hub", signer="BR") == "quarantined"
    quarantined()
    assert not Course.objects.exists()


def _module(i: int) -> dict[str, Any]:
    return {"key": f"m{i}", "title": {"en": f"Module {i}"}}


HOSTILE: dict[str, Any] = {
    "too many modules": {"modules": [_module(i) for i in range(schemas.MAX_MODULES + 1)]},
    "a page too long": {"modules": [{**_module(1), "pages": {"en": "x" * (schemas.MAX_PAGE + 1)}}]},
    "a file too large": {
        "modules": [
            {
                **_module(1),
                "material": [
                    {
                        "language": "en",
                        "filename": "big.pdf",
                        "media_type": "application/pdf",
                        "data": base64.b64encode(b"x" * (schemas.MAX_MATERIAL + 10)).decode(),
                    }
                ],
            }
        ]
    },
    "a file that is not base64": {
        "modules": [
            {
                **_module(1),
                "material": [
                    {"language": "en", "filename": "a.txt", "media_type": "text/plain", "data": "%%"}
                ],
            }
        ]
    },
    "a script for a file": {
        "modules": [
            {
                **_module(1),
                "material": [{"language": "en", "filename": "a.html", "media_type": "text/html", "data": ""}],
            }
        ]
    },
    "a path for a file name": {
        "modules": [
            {
                **_module(1),
                "material": [
                    {"language": "en", "filename": "../etc/passwd", "media_type": "text/plain", "data": ""}
                ],
            }
        ]
    },
    "a language that is not one of the four": {"modules": [{**_module(1), "pages": {"de": "Hallo"}}]},
    "a module twice": {"modules": [_module(1), _module(1)]},
    "control characters": {"modules": [{**_module(1), "title": {"en": "a\x00b"}}]},
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_course_out_of_bounds_is_refused(peers, case):
    body = course_body()
    body["content"] = {**body["content"], **HOSTILE[case]}
    assert accept(peers, services.COURSE, body) == "quarantined"
    quarantined()
    assert not Course.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pass_mark", 0),
        ("pass_mark", 101),
        ("pass_mark", True),
        ("questions", []),
    ],
)
def test_a_quiz_that_is_not_one_is_refused(peers, field, value):
    body = course_body()
    body["content"]["quiz"][field] = value
    assert accept(peers, services.COURSE, body) == "quarantined"
    assert not Course.objects.exists()


def test_an_answer_that_is_not_a_choice_is_refused(peers):
    body = course_body()
    body["content"]["quiz"]["questions"][0]["answer"] = ["z"]
    assert accept(peers, services.COURSE, body) == "quarantined"
    quarantined("the answer names choices")


@pytest.mark.parametrize("code", ["infosec", "A", "X" * 17, "IN FO", "../A"])
def test_a_code_that_is_not_one_is_refused(peers, code):
    assert accept(peers, services.COURSE, course_body(code=code)) == "quarantined"


def test_an_older_version_or_the_same_one_never_replaces_the_kept_course(peers):
    body = course_body(version=2)
    assert accept(peers, services.COURSE, body) == "accepted"
    assert accept(peers, services.COURSE, {**body, "version": 1, "title": {"en": "Old"}}) == "quarantined"
    assert accept(peers, services.COURSE, {**body, "title": {"en": "Same version"}}) == "quarantined"
    assert Course.objects.get().title["en"] == "Information security awareness"
    assert accept(peers, services.COURSE, {**body, "version": 3, "title": {"en": "Newer"}}) == "accepted"
    assert Course.objects.get().title["en"] == "Newer"


def test_a_course_under_another_id_is_refused(peers):
    assert accept(peers, services.COURSE, course_body()) == "accepted"
    assert accept(peers, services.COURSE, course_body(version=2)) == "quarantined"


def test_requirements_from_a_bureau_or_for_unknown_roles_are_refused(peers):
    body = {
        "published_at": "2026-01-01T00:00:00+00:00",
        "requirements": [{"role": "officer", "courses": ["INFOSEC"]}],
    }
    assert accept(peers, services.REQUIREMENTS, body, sender="KE") == "quarantined"
    bad = {**body, "requirements": [{"role": "network_admin", "courses": ["INFOSEC"]}]}
    assert accept(peers, services.REQUIREMENTS, bad) == "quarantined"
    assert not Requirement.objects.exists()


def test_a_completion_sent_to_a_bureau_is_refused(peers):
    body = {
        "registration": "01930000-0000-7000-8000-000000000000",
        "username": "x",
        "name": "X",
        "course_code": "INFOSEC",
        "course_version": 1,
        "modules_viewed": [],
        "answers": {},
        "completed_at": "2026-01-01T00:00:00+00:00",
    }
    assert accept(peers, services.COMPLETION, body, sender="BR") == "quarantined"
    quarantined("completions go to the General Secretariat")


@pytest.fixture
def pending(peers, user_factory):
    course = helpers.from_hub(peers)
    learner = user_factory("agency", "query", username="fr-learner")
    return helpers.passed(learner, course)


def test_the_certificate_the_hub_signed_is_kept(peers, pending):
    credential = helpers.badge(peers, pending)
    assert accept(peers, services.CERTIFICATE, helpers.certificate_body(pending, credential)) == "accepted"
    cert = Certificate.objects.get()
    assert cert.holder == pending.user and cert.credential == credential
    pending.refresh_from_db()
    assert pending.certificate == Enrolment.Certificate.ISSUED


def test_a_tampered_credential_is_refused(peers, pending):
    credential = helpers.badge(peers, pending)
    credential["validUntil"] = "2099-01-01T00:00:00Z"
    assert accept(peers, services.CERTIFICATE, helpers.certificate_body(pending, credential)) == "quarantined"
    quarantined("the signature does not match")
    assert not Certificate.objects.exists()


def test_a_credential_signed_by_a_bureaus_key_is_refused(peers, pending):
    credential = helpers.badge(peers, pending, signer="BR")
    assert accept(peers, services.CERTIFICATE, helpers.certificate_body(pending, credential)) == "quarantined"
    quarantined("not in this node's key directory")
    assert not Certificate.objects.exists()


def test_a_certificate_from_a_bureau_is_refused(peers, pending):
    credential = helpers.badge(peers, pending)
    body = helpers.certificate_body(pending, credential)
    assert accept(peers, services.CERTIFICATE, body, sender="BR") == "quarantined"
    assert not Certificate.objects.exists()


def test_a_credential_of_another_user_is_refused(peers, pending, user_factory):
    other = user_factory("agency", "query", username="someone-else")
    credential = helpers.badge(peers, pending)
    credential_of_other = helpers.badge(peers, type("E", (), {"user": other, "course": pending.course})())
    assert (
        accept(peers, services.CERTIFICATE, helpers.certificate_body(pending, credential_of_other))
        == "quarantined"
    )
    quarantined("not of this enrolment's user")
    assert credential  # the right one is still accepted afterwards
    assert accept(peers, services.CERTIFICATE, helpers.certificate_body(pending, credential)) == "accepted"


def test_a_certificate_for_no_pending_enrolment_is_refused(peers, pending):
    credential = helpers.badge(peers, pending)
    body = helpers.certificate_body(pending, credential)
    assert accept(peers, services.CERTIFICATE, body) == "accepted"
    assert accept(peers, services.CERTIFICATE, body) == "quarantined"
    assert Certificate.objects.count() == 1


def test_a_huge_credential_is_refused(peers, pending):
    credential = helpers.badge(peers, pending)
    credential["padding"] = "x" * 70_000
    assert accept(peers, services.CERTIFICATE, helpers.certificate_body(pending, credential)) == "quarantined"


def test_a_status_list_signed_by_a_bureau_or_sent_by_one_is_refused(peers):
    assert accept(peers, services.STATUS, helpers.status_body(peers, {1}, signer="KE")) == "quarantined"
    assert accept(peers, services.STATUS, helpers.status_body(peers, {1}), sender="KE") == "quarantined"
    assert not StatusList.objects.exists()


def test_a_tampered_status_list_is_refused(peers):
    body = helpers.status_body(peers, {1})
    body["credential"]["credentialSubject"]["encodedList"] = helpers.credentials.encode_list(set())
    assert accept(peers, services.STATUS, body) == "quarantined"
    assert not StatusList.objects.exists()


def test_a_status_list_that_inflates_beyond_its_size_is_refused():
    import gzip

    bomb = (
        "u"
        + base64.urlsafe_b64encode(gzip.compress(b"\0" * (helpers.credentials.LIST_BITS // 8 * 4))).decode()
    )
    with pytest.raises(ValueError, match="bits"):
        helpers.credentials.decode_list(bomb)


def test_an_older_status_list_never_replaces_a_newer_one(peers):
    newer = helpers.status_body(peers, {1}, later=10)
    older = helpers.status_body(peers, set(), later=1)
    assert accept(peers, services.STATUS, newer) == "accepted"
    assert accept(peers, services.STATUS, older) == "quarantined"
    assert helpers.credentials.is_set(StatusList.objects.get().credential, 1)
