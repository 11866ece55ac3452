"""Diffusions travel from a bureau straight to the countries it chose, the GS in copy; the GS
checks them afterwards and a withdrawn one leaves the recipients' lists."""

import uuid

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving, sign_in
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.notices import requests
from ncbnet.notices.models import Diffusion, ReplicaNotice
from ncbnet.notices.tests.test_notices import red

pytestmark = pytest.mark.django_db


def latest(kind):
    return envelope.decode(bytes(OutboxEnvelope.objects.filter(kind=kind).latest("id").payload))


def accept(peers, kind, body, seq, sender):
    return delivery.accept(arriving(peers, kind, body, sender=sender), seq)


def diffusion(peers, body, seq, sender, to=None):
    """A diffusion as its sender's node sends it: one envelope to the countries it names and the
    GS. Whatever role the test node plays, it opens with its own keys (peers["FR"])."""
    from ncbnet.base.node import node_id

    me = node_id()
    recipients = {
        r: envelope.PeerKey.of(peers["FR" if r == me else r].public())
        for r in (to or [*body["recipients"], "hub"])
    }
    built = envelope.build(
        kind=requests.DIFFUSION,
        sender=sender,
        recipients=recipients,
        body=body,
        signer=peers[sender],
        now=clock.now(),
    )
    return delivery.accept(envelope.encode(built), seq)


def test_a_bureau_diffuses_to_chosen_countries_with_the_gs_in_copy(client, peers, user_factory):
    client.force_login(user_factory("ncb", "officer"))
    response = client.post(
        "/api/v1/notices/diffusions",
        {"kind": "red", "recipients": ["br", "KE"], "data": red()},
        content_type="application/json",
    )
    assert response.status_code == 202
    sent = latest(requests.DIFFUSION)
    assert sent["to"] == ["BR", "KE", "hub"]
    assert envelope.open_body(sent, "hub", peers["hub"])["recipients"] == ["BR", "KE"]
    bad = client.post(
        "/api/v1/notices/diffusions",
        {"kind": "red", "recipients": ["BR"], "data": red(max_penalty_years=1)},
        content_type="application/json",
    )
    assert bad.status_code == 422


def test_the_hub_records_it_and_the_gs_withdrawal_reaches_the_recipients(client, peers, hub, user_factory):
    body = {
        "id": str(uuid.uuid4()),
        "by": "fr-officer",
        "kind": "red",
        "recipients": ["BR", "KE"],
        "data": red(facts={"summary": "Leader of an opposition party, accused of fraud.", "place": "Paris"}),
        "title": "Marc Dupont",
    }
    assert diffusion(peers, body, 1, "FR") == "accepted"
    d = Diffusion.objects.get()
    assert d.owner == "FR" and any(f["character"] == "political" for f in d.flags)
    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-reviewer")
    assert "Marc Dupont" in client.get("/review/diffusions/").content.decode()
    client.post(f"/review/diffusions/{d.pk}/", {"outcome": "withdrawn", "reason": "Political character."})
    d.refresh_from_db()
    assert d.check_outcome == "withdrawn"
    assert latest(requests.DIFFUSION_WITHDRAWN)["to"] == ["BR", "KE"]


def test_a_recipient_lists_it_until_the_gs_withdraws_it(client, peers, user_factory):
    body = {
        "id": str(uuid.uuid4()),
        "by": "br-officer",
        "kind": "red",
        "recipients": ["FR"],
        "data": red(),
        "title": "Marc Dupont",
    }
    assert diffusion(peers, body, 1, "BR") == "accepted"
    assert ReplicaNotice.objects.get().source == "diffusion"
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert "Diffusion" in client.get("/notices/").content.decode()
    assert accept(peers, requests.DIFFUSION_WITHDRAWN, {"id": body["id"]}, 2, "BR") == "quarantined"
    assert accept(peers, requests.DIFFUSION_WITHDRAWN, {"id": body["id"]}, 3, "hub") == "accepted"
    assert not ReplicaNotice.objects.exists()


def published_red(peers):
    """A Red Notice the GS published, as every node keeps it."""
    from ncbnet.notices import replication

    body = {
        "id": envelope.new_id(),
        "kind": "red",
        "owner": "KE",
        "title": "Otieno Kamau",
        "data": red(),
        "published_at": clock.now().isoformat(),
    }
    assert delivery.accept(arriving(peers, replication.PUBLISHED, body, sender="hub"), 1) == "accepted"
    return body


def test_a_bureau_cannot_replace_a_notice_the_gs_published(peers):
    """Finding 3: a diffusion with a published notice's id replaced that notice on every node."""
    notice = published_red(peers)
    forged = {
        "id": notice["id"],
        "by": "br-officer",
        "kind": "red",
        "recipients": ["FR"],
        "data": red(facts={"summary": "Nothing to see.", "date": "2026-08-14", "place": "Nowhere"}),
        "title": "Someone else",
    }
    assert diffusion(peers, forged, 2, "BR") == "quarantined"
    kept = ReplicaNotice.objects.get()
    assert kept.title == "Otieno Kamau" and kept.owner == "KE" and kept.source == "notice"
    assert "already kept here" in Quarantine.objects.get().reason


def test_a_diffusion_arrives_once_from_its_owner_with_the_gs_in_copy_and_passes_the_checks(peers):
    body = {
        "id": envelope.new_id(),
        "by": "br-officer",
        "kind": "red",
        "recipients": ["FR"],
        "data": red(),
        "title": "Marc Dupont",
    }
    assert diffusion(peers, body, 1, "BR", to=["FR"]) == "quarantined"  # the GS not in copy
    assert diffusion(peers, body, 2, "BR", to=["FR", "KE", "hub"]) == "quarantined"  # others than named
    assert diffusion(peers, {**body, "data": red(max_penalty_years=1)}, 3, "BR") == "quarantined"
    assert not ReplicaNotice.objects.exists()
    assert diffusion(peers, body, 4, "BR") == "accepted"
    assert diffusion(peers, {**body, "title": "Changed"}, 5, "BR") == "quarantined"  # arrives once
    assert diffusion(peers, {**body, "id": envelope.new_id()}, 6, "hub") == "quarantined"  # not an NCB's
    reasons = list(Quarantine.objects.order_by("id").values_list("reason", flat=True))
    assert "GS in copy" in reasons[0] and "other recipients" in reasons[1] and "checks" in reasons[2]
    assert "arrives once" in reasons[3] and "sent by an NCB" in reasons[4]
    assert ReplicaNotice.objects.get().title == "Marc Dupont"
