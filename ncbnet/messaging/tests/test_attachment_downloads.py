"""An attachment is always a download: whatever content type and name another bureau gives it, it
never becomes a page of this site (with the officer's session) on the pages or on the API."""

import base64
import unicodedata

import pytest
from django.http import HttpResponse
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.base.downloads import MAX_NAME, SANDBOX, safe_filename
from ncbnet.conftest import sign_in
from ncbnet.messaging import services
from ncbnet.messaging.models import Attachment
from ncbnet.network import delivery, envelope

pytestmark = pytest.mark.django_db

SCRIPT = b"<html><script>fetch('/api/v1/messages').then(r=>r.text()).then(alert)</script></html>"


def check_is_a_download(response, content, filename):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == content


def test_an_html_attachment_from_another_bureau_is_a_sandboxed_download_on_the_page(
    client, peers, user_factory
):
    """As it arrives from BR, with BR's content type and name."""
    import hashlib

    from ncbnet.base import clock

    attachment_id, message_id = envelope.new_id(), envelope.new_id()
    meta = {
        "id": attachment_id,
        "name": "..\\..\\inbox\r\nSet-Cookie: x=1\u202egpj.html",
        "content_type": "text/html",
        "size": len(SCRIPT),
        "sha256": hashlib.sha256(SCRIPT).hexdigest(),
        "chunks": 1,
    }
    body = {
        "message_id": message_id,
        "thread_id": message_id,
        "in_reply_to": None,
        "sender": {"node": "BR", "name": "Ana Souza", "role": "officer"},
        "recipients": ["FR"],
        "gs_copy": False,
        "subject": "Relatório",
        "body": "Segue em anexo.",
        "priority": "routine",
        "handling": "H0",
        "handling_note": "",
        "evaluation": {"source": "B", "information": "2"},
        "references": [],
        "created_at": clock.now().isoformat(),
        "attachments": [meta],
    }
    chunk = {
        "attachment_id": attachment_id,
        "index": 0,
        "sha256": meta["sha256"],
        "data": base64.b64encode(SCRIPT).decode(),
    }
    for seq, (kind, b) in enumerate((("message", body), ("message.chunk", chunk)), 1):
        built = envelope.build(
            kind=kind,
            sender="BR",
            recipients={"FR": envelope.PeerKey.of(peers["FR"].public())},
            body=b,
            signer=peers["BR"],
            now=clock.now(),
        )
        assert delivery.accept(envelope.encode(built), seq) == "accepted"
    stored = Attachment.objects.get()
    assert stored.complete and stored.content_type == "text/html"

    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    response = client.get(f"/messages/{message_id}/attachments/{attachment_id}/")
    check_is_a_download(response, SCRIPT, "inbox__Set-Cookie: x=1_gpj.html")


def test_an_html_attachment_is_a_sandboxed_download_on_the_api(client, peers, user_factory):
    from ncbnet.security import services as security

    system = user_factory("system", "system", username="fr-border-system")
    _t, token = security.create_token(
        None, system, "border", scopes=["send_messages", "read_messages", "restricted"]
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    sent = client.post(
        "/api/v1/messages",
        {
            "to": ["BR"],
            "subject": "Page",
            "body": "See the file.",
            "attachments": [
                {
                    "name": "report.html",
                    "content_type": "text/html",
                    "data": base64.b64encode(SCRIPT).decode(),
                }
            ],
        },
        content_type="application/json",
        **auth,
    )
    assert sent.status_code == 201, sent.content
    message = sent.json()
    listed = message["attachments"][0]
    assert listed["content_type"] == "text/html"  # what the sender said, shown as information only
    response = client.get(f"/api/v1/messages/{message['id']}/attachments/{listed['id']}", **auth)
    check_is_a_download(response, SCRIPT, "report.html")


def test_a_javascript_attachment_sent_from_the_page_downloads_under_a_unicode_name(
    client, peers, user_factory
):
    officer = user_factory("ncb", "officer", username="fr-officer")
    m = services.send(
        officer,
        services.Draft(
            to=["BR"],
            subject="Script",
            body="Found on the seized laptop.",
            attachments=[services.Upload("تقرير.js", "text/javascript", b"alert(1)")],
        ),
    )
    a = m.attachments.get()
    sign_in(client, "fr-officer")
    response = client.get(f"/messages/{m.pk}/attachments/{a.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1.js"
    assert response["Content-Security-Policy"] == SANDBOX


@given(st.text(max_size=400))
def test_any_name_becomes_one_plain_file_name_that_fits_in_the_header(name):
    safe = safe_filename(name)
    assert safe and len(safe) <= MAX_NAME
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in safe)
    from django.utils.http import content_disposition_header

    HttpResponse()["Content-Disposition"] = content_disposition_header(True, safe)  # no BadHeaderError


def test_a_long_name_keeps_its_extension():
    assert safe_filename("a" * 500 + ".pdf") == "a" * (MAX_NAME - 4) + ".pdf"
    assert safe_filename("../..") == "attachment"
