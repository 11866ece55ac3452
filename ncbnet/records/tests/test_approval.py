"""An agency's user with contribute access submits a record; one of its NCB's officers approves it
(it goes to the hub as the bureau's contribution, in the officer's name, naming the contributor) or
returns it with a reason. Nothing leaves the node before the approval.

Why single-node tests are enough for "approved and published": after the approval the record travels
exactly as any contribution of the bureau does (`contribution.submit`, the same envelope with one more
field), and `test_contribution.py` and the cluster test `test_replicas_cluster.py` show that path to the
hub and back to the replicas. Here: the approval puts the envelope in the outbox, addressed to the hub,
sent as the officer; the hub, receiving it, makes the bureau the owner and notes in the record's first
version who contributed and who approved; the record then goes to the replicas as every record does
(the envelope of the feed to FR is checked too)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, sign_in
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import approval, contribution, lifecycle, replication
from ncbnet.records.models import Contribution, PendingContribution, Record, RecordVersion

pytestmark = pytest.mark.django_db
DOC = {
    "number": "FR-AG-4411",
    "type": "passport",
    "issuing_country": "FR",
    "status": "stolen",
    "date": "2026-05-02",
}
FORM = {**DOC, "access": "all", "countries": "", "handling": "H0", "handling_note": ""}


def outbox(kind):
    """What the hub's outbox holds of `kind`, once the worker's `records.changes` job has run."""
    replication.send_changes()
    return [
        envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=kind).order_by("id")
    ]


@pytest.fixture
def bureau(user_factory, agency_factory):
    police = agency_factory("Police nationale", "police")
    customs = agency_factory("Douane", "customs")
    return {
        "officer": user_factory("ncb", "officer", username="fr-officer"),
        "contributor": user_factory("agency", "contribute", username="fr-police", agency=police),
        "reader": user_factory("agency", "query", username="fr-police-q", agency=police),
        "customs": user_factory("agency", "contribute", username="fr-customs", agency=customs),
    }


def test_an_agency_user_submits_through_the_page_and_nothing_leaves_the_node(client, peers, bureau):
    sign_in(client, "fr-police")
    sent = client.post("/records/contribute/documents/", FORM)
    assert sent.status_code == 302 and sent["Location"] == "/records/contributions/mine/"
    pending = PendingContribution.objects.get()
    assert (pending.state, pending.submitted_by, pending.agency.name) == (
        "pending",
        "fr-police",
        "Police nationale",
    )
    assert pending.label == "FR FR-AG-4411"
    assert outbox(contribution.CONTRIBUTE) == [] and not Contribution.objects.exists()
    mine = client.get("/records/contributions/mine/").content.decode()
    assert "FR FR-AG-4411" in mine and "waiting for approval" in mine
    assert "FR FR-AG-4411" in client.get("/").content.decode()  # the user's own work queue
    assert AuditEntry.objects.filter(action="records.pending.submit", actor="fr-police").exists()


def test_query_access_does_not_contribute_and_bad_data_names_the_field(client, bureau):
    sign_in(client, "fr-police-q")
    assert client.post("/records/contribute/documents/", FORM).status_code == 403
    with pytest.raises(PermissionDenied):
        approval.submit(bureau["reader"], "documents", DOC)
    with pytest.raises(ValidationError) as bad:
        approval.submit(bureau["contributor"], "documents", {**DOC, "issuing_country": "XX"})
    assert "issuing_country" in bad.value.message_dict
    assert not PendingContribution.objects.exists()


def test_the_officer_approves_and_it_goes_to_the_hub_as_the_bureaus(client, peers, bureau):
    pending = approval.submit(bureau["contributor"], "documents", DOC)
    sign_in(client, "fr-officer")
    queue = client.get("/records/contributions/to-approve/").content.decode()
    assert "FR FR-AG-4411" in queue and "fr-police" in queue
    home = client.get("/").content.decode()
    assert "contributions to approve" in home and "FR FR-AG-4411" in home
    assert client.get(f"/records/contributions/pending/{pending.pk}/").status_code == 200
    assert (
        client.post(
            f"/records/contributions/pending/{pending.pk}/decide/", {"decision": "approve"}
        ).status_code
        == 302
    )
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by) == ("approved", "fr-officer")
    assert pending.contribution.sent_by == "fr-officer"
    [e] = outbox(contribution.CONTRIBUTE)
    assert e["to"] == ["hub"]
    body = envelope.open_body(e, "hub", peers["hub"])
    assert (body["by"], body["contributed_by"], body["data"]) == (
        "fr-officer",
        "fr-police (Police nationale)",
        DOC,
    )
    assert "FR FR-AG-4411" not in client.get("/records/contributions/to-approve/").content.decode()
    again = client.post(f"/records/contributions/pending/{pending.pk}/decide/", {"decision": "approve"})
    assert again.status_code == 400 and len(outbox(contribution.CONTRIBUTE)) == 1
    assert AuditEntry.objects.filter(action="records.pending.approve", actor="fr-officer").exists()


def test_the_officer_returns_it_with_a_reason_the_user_reads(client, peers, bureau):
    pending = approval.submit(bureau["contributor"], "documents", DOC)
    sign_in(client, "fr-officer")
    url = f"/records/contributions/pending/{pending.pk}/decide/"
    no_reason = client.post(url, {"decision": "return", "reason": "  "})
    assert no_reason.status_code == 400 and PendingContribution.objects.get().state == "pending"
    assert (
        client.post(
            url, {"decision": "return", "reason": "Date of theft missing from the report"}
        ).status_code
        == 302
    )
    assert outbox(contribution.CONTRIBUTE) == []
    client.logout()
    sign_in(client, "fr-police")
    mine = client.get("/records/contributions/mine/").content.decode()
    assert "returned" in mine and "Date of theft missing from the report" in mine


def test_agency_users_neither_decide_nor_read_anothers_submission(client, bureau):
    pending = approval.submit(bureau["contributor"], "documents", DOC)
    sign_in(client, "fr-customs")
    assert client.get(f"/records/contributions/pending/{pending.pk}/").status_code == 403
    assert (
        client.post(
            f"/records/contributions/pending/{pending.pk}/decide/", {"decision": "approve"}
        ).status_code
        == 403
    )
    assert client.get("/records/contributions/to-approve/").status_code == 403
    with pytest.raises(PermissionDenied):
        approval.approve(bureau["contributor"], pending.pk)
    assert PendingContribution.objects.get().state == "pending"
    assert AuditEntry.objects.filter(action="records.pending.read_refused", actor="fr-customs").exists()
    assert AuditEntry.objects.filter(action="records.pending.decide_refused", actor="fr-police").exists()


def test_the_hub_notes_who_contributed_and_who_approved(peers, hub):
    body = {
        "contribution": envelope.new_id(),
        "by": "fr-officer",
        "contributed_by": "fr-police (Police nationale)",
        "database": "documents",
        "data": DOC,
        "restriction": None,
    }
    assert delivery.accept(arriving(peers, contribution.CONTRIBUTE, body, sender="FR"), 1) == "accepted"
    record = Record.objects.get()
    assert record.owner == "FR"
    version = RecordVersion.objects.get(record=record)
    assert (version.changed_by, version.changed_by_country) == ("fr-officer", "FR")
    assert version.reason == "contributed by fr-police (Police nationale), approved by fr-officer"
    # The record goes back to the owner's replica (and every node that may see it) as any does.
    [feed] = outbox(replication.UPSERT)
    assert "FR" in feed["to"]
    assert str(record.pk) in str(envelope.open_body(feed, "FR", peers["FR"]))


def test_the_hub_refuses_an_oversized_contributor(peers, hub):
    body = {
        "contribution": envelope.new_id(),
        "by": "fr-officer",
        "contributed_by": "x" * 301,
        "database": "documents",
        "data": DOC,
        "restriction": None,
    }
    assert delivery.accept(arriving(peers, contribution.CONTRIBUTE, body, sender="FR"), 1) == "quarantined"
    assert not Record.objects.exists()


def test_the_same_through_the_api(client, peers, bureau):
    sign_in(client, "fr-police")
    sent = client.post(
        "/api/v1/records/submissions", {"database": "documents", "data": DOC}, content_type="application/json"
    )
    assert sent.status_code == 202
    submitted = sent.json()
    assert (submitted["state"], submitted["agency"], submitted["hub_status"]) == (
        "pending",
        "Police nationale",
        None,
    )
    bad = client.post(
        "/api/v1/records/submissions",
        {"database": "documents", "data": {**DOC, "issuing_country": "XX"}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["issuing_country"]
    assert client.post(f"/api/v1/records/submissions/{submitted['id']}/approve").status_code == 403
    assert (
        client.post(
            "/api/v1/records/contributions",
            {"database": "documents", "data": DOC},
            content_type="application/json",
        ).status_code
        == 403
    )
    client.logout()
    sign_in(client, "fr-officer")
    [queued] = client.get("/api/v1/records/submissions").json()["results"]
    assert queued["id"] == submitted["id"]
    empty = client.post(
        f"/api/v1/records/submissions/{submitted['id']}/return",
        {"reason": ""},
        content_type="application/json",
    )
    assert empty.status_code == 422
    approved = client.post(f"/api/v1/records/submissions/{submitted['id']}/approve")
    assert approved.status_code == 200
    assert (approved.json()["state"], approved.json()["decided_by"], approved.json()["hub_status"]) == (
        "approved",
        "fr-officer",
        "sent",
    )
    assert client.get("/api/v1/records/submissions").json()["results"] == []
    assert len(outbox(contribution.CONTRIBUTE)) == 1


def test_a_purged_record_takes_the_agencys_submission_with_it(peers, bureau):
    """The agency's submission copies the record's data; when the hub purges the record at the end
    of its retention, the node drops the submission too (the contribution keeps no data)."""
    pending = approval.approve(bureau["officer"], approval.submit(bureau["contributor"], "documents", DOC).pk)
    rid = envelope.new_id()
    outcome = {"contribution": str(pending.contribution_id), "status": "accepted", "record": rid}
    assert delivery.accept(arriving(peers, contribution.OUTCOME, outcome, sender="hub"), 1) != "quarantined"
    purged = arriving(peers, lifecycle.PURGED, {"ids": [rid]}, sender="hub")
    assert delivery.accept(purged, 2) != "quarantined"
    assert not PendingContribution.objects.exists()
    assert Contribution.objects.get().record_id is not None  # the bureau's answer stays, without data
