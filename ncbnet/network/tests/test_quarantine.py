"""The network administrator's quarantine: list, read, retry (an envelope whose parent arrived
later goes through), drop; on the pages and the command line, every step audited; the
plumbing pruned on the clock; one envelope that cannot be sent never holds back the outbox."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import arriving, sign_in
from ncbnet.messaging.models import Attachment
from ncbnet.network import delivery, envelope, quarantine
from ncbnet.network.models import InboxEnvelope, NodeKey, OutboxEnvelope, Quarantine, RelayedEnvelope
from ncbnet.network.tests.test_entrance import between_bureaus, message_body

pytestmark = pytest.mark.django_db

PHOTO = b"\x89PNG" + bytes(range(256)) * 10


def message_with_attachment():
    body = message_body()
    body["attachments"] = [
        {
            "id": envelope.new_id(),
            "name": "photo.png",
            "content_type": "image/png",
            "size": len(PHOTO),
            "sha256": hashlib.sha256(PHOTO).hexdigest(),
            "chunks": 1,
        }
    ]
    return body


def chunk_of(body):
    meta = body["attachments"][0]
    return {
        "attachment_id": meta["id"],
        "index": 0,
        "data": base64.b64encode(PHOTO).decode(),
        "sha256": hashlib.sha256(PHOTO).hexdigest(),
    }


def test_an_envelope_whose_parent_arrived_later_goes_through_on_retry(peers):
    body = message_with_attachment()
    assert delivery.accept(arriving(peers, "message.chunk", chunk_of(body), sender="BR"), 1) == "quarantined"
    q = Quarantine.objects.get()
    assert q.held and q.claimed_type == "message.chunk" and "does not know" in q.reason
    assert delivery.accept(arriving(peers, "message", body, sender="BR"), 2) == "accepted"
    result = quarantine.retry(None, q.pk)
    assert result.released and result.reason == ""
    q.refresh_from_db()
    assert q.state == "released" and q.retries == 1 and q.resolved_by == "operator"
    assert Attachment.objects.get().complete
    assert InboxEnvelope.objects.filter(envelope_id=q.claimed_id).exists()
    entry = AuditEntry.objects.filter(action="network.quarantine.retry").get()
    assert entry.detail == {"envelope": q.claimed_id, "released": True, "reason": ""}
    with pytest.raises(Exception, match="already released"):
        quarantine.retry(None, q.pk)


def test_a_retry_refused_again_stays_held_with_the_new_reason(peers):
    raw = arriving(peers, "message", message_body() | {"priority": "whenever"}, sender="BR")
    delivery.accept(raw, 1)
    q = Quarantine.objects.get()
    result = quarantine.retry(None, q.pk)
    assert not result.released and "priority" in result.reason
    q.refresh_from_db()
    assert q.held and q.retries == 1
    assert (
        quarantine.drop(None, q.pk, "A malformed message from a buggy node; BR was told.").state == "dropped"
    )
    assert (
        AuditEntry.objects.filter(action="network.quarantine.drop")
        .get()
        .detail["reason"]
        .startswith("A malformed")
    )


def test_the_hub_relays_on_retry_once_the_recipient_is_on_the_network(peers, hub):
    newcomer = envelope.PeerKey.of(peers["KE"].public())
    e = between_bureaus(peers)
    NodeKey.objects.filter(node="KE").delete()  # Kenya has not joined yet
    raw = envelope.encode(e)
    assert delivery.relay(raw, 5, "BR") == []
    q = Quarantine.objects.get()
    assert q.source == "relay" and q.publisher == "BR" and "unknown recipients: KE" in q.reason
    NodeKey.objects.create(
        node="KE",
        key_id=newcomer.key_id,
        signing_public=newcomer.signing_public,
        encryption_public=newcomer.encryption_public,
        valid_from=clock.now(),
    )
    assert quarantine.retry(None, q.pk).released
    out = OutboxEnvelope.objects.get(envelope_id=e["id"])
    assert bytes(out.payload) == raw and out.recipients == ["KE"]
    assert delivery.publications(delivery.pending()[0]) == [("ncb.inbox.KE", f"{e['id']}:KE")]
    assert RelayedEnvelope.objects.get().envelope_id == e["id"]


def test_the_command_line_lists_shows_retries_and_drops(peers, capsys):
    raw = arriving(peers, "message", message_body() | {"priority": "whenever"}, sender="BR")
    delivery.accept(raw, 3)
    q = Quarantine.objects.get()
    assert main(["network", "quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert "message" in out and "priority" in out and f"{q.pk:>6}" in out
    assert main(["network", "quarantine", "show", str(q.pk)]) == 0
    out = capsys.readouterr().out
    assert q.claimed_id in out and '"sealed"' in out and "Localizar" not in out  # the body stays sealed
    assert main(["network", "quarantine", "retry", str(q.pk)]) == 1
    assert "still held" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["network", "quarantine", "drop", str(q.pk)])  # --reason is required
    assert usage.value.code == 2
    assert main(["network", "quarantine", "drop", str(q.pk), "--reason", "buggy node"]) == 0
    assert main(["network", "quarantine", "drop", str(q.pk), "--reason", "again"]) == 2
    assert "already dropped" in capsys.readouterr().err
    assert main(["network", "quarantine", "show", "999999"]) == 2
    assert main(["network", "quarantine", "list", "--state", "dropped"]) == 0
    assert "buggy" not in capsys.readouterr().out  # the list shows the refusal, not the note


def test_the_bureaus_administrator_retries_and_drops_on_the_page(client, peers, user_factory):
    body = message_with_attachment()
    delivery.accept(arriving(peers, "message.chunk", chunk_of(body), sender="BR"), 1)
    delivery.accept(arriving(peers, "message", message_body() | {"priority": "whenever"}, sender="BR"), 2)
    early, bad = Quarantine.objects.order_by("id")
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get("/network/quarantine/").status_code == 403
    assert client.post(f"/network/quarantine/{early.pk}/", {"action": "retry"}).status_code == 403
    client.logout()
    user_factory("ncb", "admin", username="fr-admin")
    sign_in(client, "fr-admin")
    page = client.get("/network/quarantine/").content.decode()
    assert "message.chunk" in page and "does not know" in page and "priority" in page
    delivery.accept(arriving(peers, "message", body, sender="BR"), 3)
    response = client.post(f"/network/quarantine/{early.pk}/", {"action": "retry"}, follow=True)
    assert "The envelope went through." in response.content.decode()
    refused = client.post(f"/network/quarantine/{bad.pk}/", {"action": "drop", "reason": ""})
    assert refused.status_code == 422
    client.post(f"/network/quarantine/{bad.pk}/", {"action": "drop", "reason": "Malformed; BR told."})
    assert [q.state for q in Quarantine.objects.order_by("id")] == ["released", "dropped"]
    assert "Nothing here." in client.get("/network/quarantine/").content.decode()
    assert AuditEntry.objects.filter(action="network.quarantine.read", actor="fr-admin").exists()


def test_a_hostile_envelope_shows_as_text_never_as_markup(client, peers, user_factory, hub):
    raw = json.dumps({"id": "<script>alert(1)</script>", "v": 1}).encode()
    delivery.relay(raw, 1, "BR")
    q = Quarantine.objects.get()
    user_factory("gs", "network_admin", username="gs-net")
    sign_in(client, "gs-net")
    page = client.get(f"/network/quarantine/{q.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_one_envelope_that_cannot_be_published_does_not_hold_back_the_others(peers, user_factory):
    from ncbnet.messaging import services
    from ncbnet.messaging.tests.test_messages import draft

    officer = user_factory("ncb", "officer")
    for subject in ("first", "second", "third"):
        services.send(officer, draft(subject=subject))
    first, second, third = delivery.pending()
    delivery.mark_failed([first.pk], "MaxPayloadError: maximum payload exceeded")
    assert [p.pk for p in delivery.pending()] == [second.pk, third.pk]
    delivery.mark_sent([second.pk, third.pk])
    assert delivery.pending() == []
    with clock.travel(timedelta(seconds=2)):
        assert [p.pk for p in delivery.pending()] == [first.pk]
        delivery.mark_failed([first.pk], "MaxPayloadError: maximum payload exceeded")
    with clock.travel(timedelta(seconds=3)):
        assert delivery.pending() == []  # its second failure waits longer
    with clock.travel(timedelta(seconds=5)):
        assert [p.pk for p in delivery.pending()] == [first.pk]


def test_an_envelope_over_the_limit_is_refused_before_it_is_queued(peers, user_factory):
    from django.db import transaction

    with pytest.raises(delivery.EnvelopeTooLarge, match="over the network's limit"), transaction.atomic():
        delivery.queue("message", ["BR"], {"blob": "x" * envelope.MAX_BYTES})
    assert not OutboxEnvelope.objects.exists()


def test_the_plumbing_is_pruned_on_the_clock(peers, settings, hub):
    settings.NCBNET_NETWORK_KEEP_DAYS = 40
    delivery.relay(b"junk", 1, "BR")
    good = between_bureaus(peers)
    assert delivery.relay(envelope.encode(good), 2, "BR")
    assert quarantine.prune() is None  # nothing old enough yet
    with clock.travel(timedelta(days=41)):
        assert quarantine.prune() == {"inbox_ids": 0, "relayed": 1, "outbox_sent": 0, "quarantine": 1}
    assert not Quarantine.objects.exists() and not RelayedEnvelope.objects.exists()
    assert AuditEntry.objects.filter(action="network.prune").get().detail["keep_days"] == 40


def test_the_demo_shows_what_the_quarantine_is_for(peers, settings):
    from ncbnet.demo import network as demo

    assert demo.seed() == 2 and demo.seed() == 0  # once
    reasons = sorted(Quarantine.objects.values_list("reason", flat=True))
    assert "NaN" in reasons[0] and "unknown signing key" in reasons[1]
    settings.NCBNET_MODE = "production"
    with pytest.raises(PermissionError):
        demo.seed()
