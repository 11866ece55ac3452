"""The cross-check of a received request: each subject against the node's replica (the screening
engine's persons and documents), the notices it holds, recent hits and earlier requests, kept as
matches before anyone answers; run by the periodic job, audited."""

from __future__ import annotations

import uuid

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cooperation.models import CrossCheck, Request
from ncbnet.cooperation.services import crosscheck
from ncbnet.cooperation.services import requests as services
from ncbnet.hits.models import HitReport
from ncbnet.network import envelope
from ncbnet.notices.tests.test_notices import red

from .conftest import request_body

pytestmark = pytest.mark.django_db


def replica_record(deliver, database, label, key, data) -> str:
    now = clock.now().isoformat()
    record = {
        "id": envelope.new_id(),
        "database": database,
        "owner": "KE",
        "label": label,
        "key": key,
        "data": data,
        "version": 1,
        "handling": "H0",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now,
        "retain_until": now,
    }
    assert deliver("replica.record", {"records": [record]}, sender="hub") == "accepted"
    return record["id"]


@pytest.fixture
def held(deliver):
    """This node's replica: a person and a passport; a red notice on the same person; a hit."""
    person = replica_record(
        deliver,
        "persons",
        "Marc Dupont",
        "MARC DUPONT",
        {
            "names": [{"value": "Marc Dupont"}],
            "date_of_birth": {"year": 1980, "month": 4, "day": 2},
            "sex": "M",
        },
    )
    passport = replica_record(
        deliver,
        "documents",
        "KE-112233",
        "KE112233",
        {"number": "KE-112233", "type": "passport", "issuing_country": "KE", "status": "stolen"},
    )
    notice = envelope.new_id()
    body = {
        "id": notice,
        "kind": "red",
        "owner": "KE",
        "title": "Marc Dupont",
        "data": red(),
        "published_at": clock.now().isoformat(),
    }
    assert deliver("replica.notice", body, sender="hub") == "accepted"
    hit = HitReport.objects.create(  # a hit this node reported on the person last month
        id=uuid.uuid4(),
        record_id=person,
        database="persons",
        label="Marc Dupont",
        owner="KE",
        found_by="FR",
        found_by_node="FR",
        officer="fr-border",
        score=0.97,
        found_at=clock.now(),
        received_at=clock.now(),
        due_at=clock.now(),
    )
    return {"person": person, "passport": passport, "notice": notice, "hit": str(hit.pk)}


def arrive(deliver, subjects) -> Request:
    body = request_body(subjects=subjects)
    assert deliver(services.KIND, body) == "accepted"
    return Request.objects.get(pk=body["request_id"])


def test_the_job_lists_the_record_notice_hit_and_earlier_request_held(deliver, held, user_factory):
    earlier = arrive(deliver, [{"type": "person", "name": "Marc Dupont"}])
    r = arrive(
        deliver,
        [
            {"type": "person", "name": "Marc DUPONT", "date_of_birth": "1980-04-02", "sex": "M"},
            {"type": "object", "name": "KE112233", "description": "a Kenyan passport"},
            {"type": "person", "name": "Zyx Qwerty"},
        ],
    )
    assert r.crosschecked_at is None  # not in the envelope handler
    assert crosscheck.run() == {"checked": 2, "matches": CrossCheck.objects.count()}
    r = Request.objects.get(pk=r.pk)
    assert r.crosschecked_at is not None
    found = {(m.subject, m.found, m.ref) for m in r.crosschecks.all()}
    assert (0, "record", held["person"]) in found
    assert (0, "notice", held["notice"]) in found
    assert (0, "hit", held["hit"]) in found
    assert (0, "request", str(earlier.pk)) in found
    assert (1, "record", held["passport"]) in found
    assert not [m for m in found if m[0] == 2]
    assert AuditEntry.objects.filter(action="cooperation.request.crosscheck", target_id=str(r.pk)).exists()
    officer = user_factory("ncb", "officer")
    assert services.read(officer, r.pk).crosschecks.count() == len(found)


def test_a_request_is_checked_once(deliver, held):
    r = arrive(deliver, [{"type": "person", "name": "Marc Dupont"}])
    assert crosscheck.check(r.pk) is not None
    kept = CrossCheck.objects.count()
    assert crosscheck.check(r.pk) is None and crosscheck.run() == {"checked": 0, "matches": 0}
    assert CrossCheck.objects.count() == kept


def test_an_open_case_naming_the_subject_is_listed_and_a_closed_one_is_not(deliver, peers, user_factory):
    from ncbnet.cooperation.services import cases

    officer = user_factory("ncb", "officer")
    open_case = cases.create(officer, cases.Draft(title="Cigarette smuggling by Nadia Okafor"))
    closed = cases.create(officer, cases.Draft(title="Fraud: Nadia Okafor's first company"))
    cases.close(officer, closed.pk, "Convicted in 2025.")
    r = arrive(deliver, [{"type": "person", "name": "Nadia Okafor"}])
    crosscheck.check(r.pk)
    assert list(r.crosschecks.filter(found="case").values_list("ref", flat=True)) == [str(open_case.pk)]
