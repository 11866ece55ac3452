"""Handling codes are enforced: H2 and H3 content is withheld from a token without the
`restricted` scope; an H2 message goes no further than its original sender and recipients
(refused and audited: "onward sharing refused"); forwarding H3 needs its restriction confirmed."""

import itertools
import uuid

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.messaging import services
from ncbnet.messaging.models import Attachment, Message
from ncbnet.messaging.tests.test_messages import incoming
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.security import services as security

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Informant lives at 12 rue des Lilas"
SEQ = itertools.count(1)


def arrive(peers, handling="H2", to=("FR",), note="", body=SECRET_TEXT) -> Message:
    message_id = str(uuid.uuid4())
    e = incoming(
        peers,
        to=to,
        body_over={
            "message_id": message_id,
            "thread_id": message_id,
            "handling": handling,
            "handling_note": note,
            "body": body,
        },
    )
    assert delivery.accept(envelope.encode(e), stream_seq=next(SEQ)) == "accepted"
    return Message.objects.get(pk=message_id)


@pytest.fixture
def system(user_factory):
    return user_factory("system", "system", username="fr-border-system")


def token(system, *scopes: str) -> dict[str, str]:
    _t, raw = security.create_token(None, system, "gates", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def outbox_kinds() -> list[str]:
    return list(OutboxEnvelope.objects.order_by("id").values_list("kind", flat=True))


# --- content withheld from tokens without `restricted` ------------------------------------------------


@pytest.mark.parametrize("handling", ["H2", "H3"])
def test_a_token_without_restricted_sees_subject_sender_and_code_but_not_the_content(
    client, peers, system, handling
):
    m = arrive(peers, handling=handling, note="not for court" if handling == "H3" else "")
    read = client.get(f"/api/v1/messages/{m.pk}", **token(system, "read_messages")).json()
    assert (
        read["subject"] == "Pedido urgente" and read["sender_node"] == "BR" and read["handling"] == handling
    )
    assert read["withheld"] is True
    assert SECRET_TEXT not in read["body"] and read["body"].startswith("Withheld")
    assert read["references"] == [] and read["attachments"] == []
    assert AuditEntry.objects.filter(action="messaging.read").last().detail == {"withheld": handling}
    listed = client.get("/api/v1/messages", **token(system, "read_messages")).json()["results"]
    assert [x["body"] for x in listed] == [read["body"]]

    full = client.get(f"/api/v1/messages/{m.pk}", **token(system, "read_messages", "restricted")).json()
    assert full["body"] == SECRET_TEXT and full["withheld"] is False
    assert full["references"] == [{"kind": "notice", "id": "2026/123"}]


def test_h0_content_and_a_persons_session_are_not_withheld(client, peers, system, user_factory):
    h0 = arrive(peers, handling="H0", body="Stolen car seen")
    assert client.get(f"/api/v1/messages/{h0.pk}", **token(system, "read_messages")).json()["body"] == (
        "Stolen car seen"
    )
    h2 = Message.objects.create(**{**_fields(h0), "id": uuid.uuid4(), "handling": "H2", "body": SECRET_TEXT})
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get(f"/api/v1/messages/{h2.pk}").json()["body"] == SECRET_TEXT
    assert SECRET_TEXT in client.get(f"/messages/{h2.pk}/").content.decode()


def _fields(m: Message) -> dict:
    return {f.attname: getattr(m, f.attname) for f in Message._meta.concrete_fields}


def test_a_search_does_not_tell_a_token_what_withheld_texts_contain(client, peers, system):
    arrive(peers, handling="H2")
    q = "?q=rue+des+Lilas"
    assert client.get("/api/v1/messages" + q, **token(system, "read_messages")).json()["results"] == []
    found = client.get("/api/v1/messages" + q, **token(system, "read_messages", "restricted")).json()
    assert len(found["results"]) == 1


def test_an_attachment_of_an_h2_message_is_refused_to_a_token_without_restricted(
    client, peers, system, user_factory
):
    m = services.send(
        user_factory("ncb", "officer"),
        services.Draft(
            to=["BR"],
            subject="Scan",
            body="Attached.",
            handling="H2",
            attachments=[services.Upload("scan.pdf", "application/pdf", b"%PDF secret")],
        ),
    )
    a = m.attachments.get()
    url = f"/api/v1/messages/{m.pk}/attachments/{a.pk}"
    refused = client.get(url, **token(system, "read_messages"))
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert "restricted" in refused.json()["detail"]
    assert AuditEntry.objects.filter(action="messaging.attachment.withheld").get().detail["handling"] == "H2"
    allowed = client.get(url, **token(system, "read_messages", "restricted"))
    assert allowed.status_code == 200 and b"".join(allowed.streaming_content) == b"%PDF secret"


# --- onward sharing ------------------------------------------------------------------------------------


def test_h0_is_forwarded_with_its_code_evaluation_and_attachments_and_audited(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    original = services.send(
        officer,
        services.Draft(
            to=["BR"],
            subject="Plate",
            body="Seen at Lille",
            handling="H1",
            source_reliability="B",
            information_accuracy="2",
            attachments=[services.Upload("photo.jpg", "image/jpeg", b"jpeg bytes")],
        ),
    )
    forwarded = services.forward(officer, str(original.pk), ["KE"], "For your border posts.")
    assert forwarded.recipients == ["KE"] and forwarded.subject == "Fwd: Plate"
    assert (forwarded.handling, forwarded.source_reliability, forwarded.information_accuracy) == (
        "H1",
        "B",
        "2",
    )
    assert forwarded.body.startswith("For your border posts.") and "Seen at Lille" in forwarded.body
    assert forwarded.attachments.get().sha256 == original.attachments.get().sha256
    entry = AuditEntry.objects.filter(action="messaging.forward").get()
    assert entry.detail["forwarded"] == str(original.pk) and entry.detail["to"] == ["KE"]
    body = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.filter(kind="message").last().payload)),
        "KE",
        peers["KE"],
    )
    assert "Seen at Lille" in body["body"] and body["handling"] == "H1"


def test_h2_is_not_forwarded_beyond_its_sender_and_recipients(client, peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    m = arrive(peers, handling="H2", to=("FR",))  # from BR to FR alone
    before = (Message.objects.count(), outbox_kinds())
    with pytest.raises(services.OnwardSharingRefused, match="Onward sharing refused"):
        services.forward(officer, str(m.pk), ["KE"])
    assert (Message.objects.count(), outbox_kinds()) == before  # nothing half-written
    refusal = AuditEntry.objects.filter(action="messaging.onward_sharing_refused").get()
    assert refusal.actor == "fr-officer" and refusal.target_id == str(m.pk)
    assert refusal.detail == {"handling": "H2", "as": "forward", "to": ["KE"], "outside": ["KE"]}
    # Back to its sender is within its parties.
    assert services.forward(officer, str(m.pk), ["BR"]).recipients == ["BR"]


def test_an_h2_message_to_several_bureaus_may_go_to_any_of_them(peers, user_factory):
    officer = user_factory("ncb", "officer")
    m = arrive(peers, handling="H2", to=("FR", "KE"))
    assert services.forward(officer, str(m.pk), ["KE"]).handling == "H2"
    with pytest.raises(services.OnwardSharingRefused):
        services.forward(officer, str(m.pk), ["KE"], gs_copy=True)  # the GS was not in copy


def test_a_reply_to_h2_goes_no_further_than_its_parties(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    m = arrive(peers, handling="H2", to=("FR",))
    reply = services.Draft(to=["BR", "KE"], subject="Re: Pedido", body="Noted.", in_reply_to=str(m.pk))
    with pytest.raises(services.OnwardSharingRefused):
        services.send(officer, reply)
    assert AuditEntry.objects.filter(action="messaging.onward_sharing_refused").get().detail["as"] == "reply"
    reply.to = ["BR"]
    assert services.send(officer, reply).recipients == ["BR"]


def test_h3_is_forwarded_only_with_its_restriction_confirmed(client, peers, user_factory):
    from django.core.exceptions import ValidationError

    officer = user_factory("ncb", "officer", username="fr-officer")
    m = arrive(peers, handling="H3", note="not to be shared with customs")
    with pytest.raises(ValidationError) as missing:
        services.forward(officer, str(m.pk), ["KE"])
    assert "not to be shared with customs" in missing.value.message_dict["confirm_restriction"][0]
    done = services.forward(officer, str(m.pk), ["KE"], confirm_restriction=True)
    assert done.handling == "H3" and done.handling_note == "not to be shared with customs"
    assert AuditEntry.objects.filter(action="messaging.forward").get().detail["restriction_confirmed"] is True


def test_the_api_forwards_and_refuses_with_problem_details(client, peers, system):
    m = arrive(peers, handling="H2", to=("FR",))
    url = f"/api/v1/messages/{m.pk}/forward"
    send = token(system, "send_messages", "restricted")
    refused = client.post(url, {"to": ["KE"]}, content_type="application/json", **send)
    assert refused.status_code == 403 and "Onward sharing refused" in refused.json()["detail"]
    ok = client.post(url, {"to": ["BR"], "note": "Back to you"}, content_type="application/json", **send)
    assert ok.status_code == 201, ok.content
    # A token that may not read the content may not forward it either.
    blind = client.post(
        url, {"to": ["BR"]}, content_type="application/json", **token(system, "send_messages")
    )
    assert blind.status_code == 403 and "restricted" in blind.json()["detail"]
    assert AuditEntry.objects.filter(action="messaging.onward_sharing_refused").count() == 2
    noscope = client.post(
        url, {"to": ["BR"]}, content_type="application/json", **token(system, "read_messages")
    )
    assert noscope.status_code == 403 and noscope.json()["scope"] == "send_messages"
    h3 = arrive(peers, handling="H3", note="court only", body="other")
    unconfirmed = client.post(
        f"/api/v1/messages/{h3.pk}/forward", {"to": ["KE"]}, content_type="application/json", **send
    )
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["errors"][0]["field"] == "confirm_restriction"


def test_the_forward_page_says_where_h2_may_go_and_refuses_beyond(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    m = arrive(peers, handling="H2", to=("FR",))
    thread = client.get(f"/messages/{m.pk}/").content.decode()
    assert f"/messages/{m.pk}/forward/" in thread
    page = client.get(f"/messages/{m.pk}/forward/")
    assert page.status_code == 200 and "may go only to its original sender and recipients (BR)" in (
        page.content.decode()
    )
    refused = client.post(f"/messages/{m.pk}/forward/", {"to": "KE", "priority": "routine"})
    assert refused.status_code == 403 and "Onward sharing refused" in refused.content.decode()
    done = client.post(f"/messages/{m.pk}/forward/", {"to": "BR", "priority": "routine", "note": "FYI"})
    assert done.status_code == 302
    assert Message.objects.filter(direction="out", subject="Fwd: Pedido urgente").exists()
    assert not Attachment.objects.exists()


def test_the_forward_page_asks_for_the_h3_confirmation(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    m = arrive(peers, handling="H3", note="not for court")
    page = client.get(f"/messages/{m.pk}/forward/").content.decode()
    assert "not for court" in page and 'name="confirm_restriction"' in page
    refused = client.post(f"/messages/{m.pk}/forward/", {"to": "KE", "priority": "routine"})
    assert refused.status_code == 400
    done = client.post(
        f"/messages/{m.pk}/forward/", {"to": "KE", "priority": "routine", "confirm_restriction": "on"}
    )
    assert done.status_code == 302
