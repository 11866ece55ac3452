"""What the hub sends and what a node submits, hostile first: only the hub publishes the conference,
its documents, polls and results; a document that is not what its hash says, or too large, is
refused; a node's draft after the deadline, or amending another conference's resolution, is
refused; each refusal quarantined with its audit entry and nothing kept."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.base.ids import uuid7
from ncbnet.conference import services
from ncbnet.conference.models import MAX_DOCUMENT, Conference, Document, Resolution
from ncbnet.conference.tests.conftest import accept
from ncbnet.network.models import Quarantine

pytestmark = pytest.mark.django_db


def quarantined(reason: str) -> None:
    q = Quarantine.objects.get()
    assert reason in q.reason, q.reason
    assert AuditEntry.objects.filter(action="network.quarantine", detail__reason=q.reason).exists()


@pytest.fixture
def on_a_node(settings, db):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    now = clock.now()
    return Conference.objects.create(
        year=now.year,
        title="C",
        starts=now.date(),
        ends=now.date(),
        venue="Lyon",
        languages=["en"],
        submission_deadline=now + timedelta(days=1),
    )


def document(c, content=b"The report.", **over):
    return {
        "id": str(uuid7()),
        "conference": str(c.pk),
        "item": None,
        "title": "Report",
        "language": "en",
        "filename": "report.txt",
        "content": base64.b64encode(content).decode(),
        "sha256": hashlib.sha256(content).hexdigest(),
        "published_at": clock.now().isoformat(),
    } | over


def test_a_document_from_the_hub_is_kept_whole(peers, on_a_node):
    assert accept(peers, services.DOCUMENT, document(on_a_node), "hub") == "accepted"
    assert bytes(Document.objects.get().content) == b"The report."


def test_a_document_from_a_node_is_quarantined(peers, on_a_node):
    assert accept(peers, services.DOCUMENT, document(on_a_node), "BR") == "quarantined"
    quarantined("conference documents come only from the hub")
    assert not Document.objects.exists()


def test_a_document_that_is_not_what_its_hash_says_is_quarantined(peers, on_a_node):
    assert accept(peers, services.DOCUMENT, document(on_a_node, sha256="0" * 64), "hub") == "quarantined"
    quarantined("does not match its hash")
    assert not Document.objects.exists()


def test_a_document_too_large_is_quarantined(peers, on_a_node):
    big = b"x" * (MAX_DOCUMENT + 1)
    assert accept(peers, services.DOCUMENT, document(on_a_node, big), "hub") == "quarantined"
    assert not Document.objects.exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\nb.txt", ""])
def test_a_document_with_a_bad_name_is_quarantined(peers, on_a_node, name):
    assert accept(peers, services.DOCUMENT, document(on_a_node, filename=name), "hub") == "quarantined"
    assert not Document.objects.exists()


def test_a_poll_from_a_node_is_quarantined(peers, on_a_node):
    r = Resolution.objects.create(conference=on_a_node, title="T", text="…", submitted_by="GS")
    body = {
        "id": str(uuid7()),
        "resolution": str(r.pk),
        "majority": "simple",
        "state": "started",
        "created_at": clock.now().isoformat(),
        "started_at": clock.now().isoformat(),
        "finished_at": None,
    }
    assert accept(peers, services.POLL, body, "KE") == "quarantined"
    quarantined("polls come only from the hub")
    assert accept(peers, services.POLL, body, "hub") == "accepted"


def submission(c, **over):
    return {
        "id": str(uuid7()),
        "conference": str(c.pk),
        "kind": "draft",
        "amends": None,
        "title": "On training",
        "text": "The Conference resolves …",
    } | over


def test_a_nodes_draft_is_kept_for_its_country(peers, gs, conference):
    assert accept(peers, services.SUBMISSION, submission(conference), "KE") == "accepted"
    assert Resolution.objects.get().submitted_by == "KE"


def test_a_draft_after_the_deadline_is_quarantined(peers, gs, conference):
    with clock.travel(timedelta(days=8)):
        assert accept(peers, services.SUBMISSION, submission(conference), "KE") == "quarantined"
    quarantined("the deadline for drafts and amendments has passed")
    assert not Resolution.objects.exists()


def test_an_amendment_of_another_conferences_resolution_is_quarantined(peers, gs, conference):
    now = clock.now()
    other = Conference.objects.create(
        year=now.year - 1,
        title="C",
        starts=now.date(),
        ends=now.date(),
        venue="V",
        languages=["en"],
        submission_deadline=now,
    )
    old = Resolution.objects.create(conference=other, title="Old", text="…", submitted_by="GS")
    body = submission(conference, kind="amendment", amends=str(old.pk))
    assert accept(peers, services.SUBMISSION, body, "KE") == "quarantined"
    quarantined("the resolution it amends is not of this conference")


@pytest.mark.parametrize(
    "over", [{"submitted_by": "BR"}, {"kind": "amendment"}, {"title": ""}, {"text": "x" * 20_001}]
)
def test_a_malformed_draft_is_quarantined(peers, gs, conference, over):
    assert accept(peers, services.SUBMISSION, submission(conference, **over), "KE") == "quarantined"
    assert not Resolution.objects.exists()
