"""Filing without an account from the hub's portal, and following the request with its reference
and secret."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from ncbnet.base import clock
from ncbnet.commission import journal
from ncbnet.commission.models import Document, JournalEntry, Request
from ncbnet.commission.tests.conftest import (
    JPEG,
    PDF,
    PNG,
    csrf_client,
    csrf_token,
    file_through_page,
    follow,
    form_data,
    reference_and_secret,
)
from ncbnet.conftest import database_state

pytestmark = pytest.mark.django_db(databases=["default", "commission"])


def test_a_person_files_and_follows_a_request_without_an_account(hub):
    client = csrf_client()
    response = file_through_page(client)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    reference, secret = reference_and_secret(response.content.decode())
    assert reference.startswith("CCF-")

    request = Request.objects.get(reference=reference)
    assert request.kind == "deletion" and request.state == "filed" and request.language == "fr"
    assert request.secret_hash.startswith("argon2")  # only the hash is kept
    assert secret not in repr(list(Request.objects.values_list()))
    document = request.documents.get()
    assert (document.kind, document.media_type, bytes(document.content)) == (
        "identity",
        "application/pdf",
        PDF,
    )

    status = follow(csrf_client(), reference, secret)
    assert status.status_code == 200 and status["Cache-Control"] == "no-store"
    page = status.content.decode()
    assert reference in page and "Request received" in page
    assert "The statutory clock starts once the request is declared admissible" in page


def test_a_wrong_secret_or_reference_opens_nothing_and_says_the_same(hub):
    reference, _ = reference_and_secret(file_through_page(csrf_client()).content.decode())
    wrong_secret = follow(csrf_client(), reference, "not-the-secret")
    unknown = follow(csrf_client(), "CCF-2222222222", "not-the-secret")
    assert wrong_secret.status_code == unknown.status_code == 404
    assert reference not in wrong_secret.content.decode()
    assert "No request has this reference and secret." in unknown.content.decode()


def test_filing_writes_nothing_into_the_police_database(hub):
    before = database_state(exclude=("sessions.session",))  # the node's audit chain included
    response = file_through_page(csrf_client())
    reference, secret = reference_and_secret(response.content.decode())
    follow(csrf_client(), reference, secret)
    follow(csrf_client(), reference, "wrong")
    assert database_state(exclude=("sessions.session",)) == before
    assert Request.objects.count() == 1


def test_the_commission_tables_live_in_their_own_database(hub):
    file_through_page(csrf_client())
    own = connections["commission"].introspection.table_names()
    police = connections["default"].introspection.table_names()
    for table in ("commission_request", "commission_document", "commission_journalentry"):
        assert table in own and table not in police
    assert "records_record" in police and "records_record" not in own
    assert "audit_auditentry" not in own


def test_the_form_is_csrf_protected(hub):
    client = csrf_client()
    response = client.post("/commission/file/", form_data())
    assert response.status_code == 403
    assert Request.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("passport.pdf", b"<html><script>alert(1)</script></html>"),  # a PDF by name only
        ("passport.gif", b"GIF89a" + b"\x00" * 32),
        ("empty.pdf", b""),
    ],
)
def test_only_pdf_jpeg_or_png_by_their_signature(hub, name, content):
    response = file_through_page(csrf_client(), identity=SimpleUploadedFile(name, content, "application/pdf"))
    assert response.status_code == 400
    assert Request.objects.count() == 0 and Document.objects.count() == 0


@pytest.mark.parametrize("content", [PDF, PNG, JPEG])
def test_each_accepted_type_is_recognised(hub, content):
    response = file_through_page(csrf_client(), identity=SimpleUploadedFile("x.bin", content, "text/html"))
    assert response.status_code == 201
    assert Document.objects.get().media_type in ("application/pdf", "image/png", "image/jpeg")


def test_a_file_past_the_limit_is_refused_while_it_streams(hub):
    big = PDF + b"\x00" * (10 * 1024 * 1024)
    response = file_through_page(
        csrf_client(), identity=SimpleUploadedFile("big.pdf", big, "application/pdf")
    )
    assert response.status_code == 413
    assert "limited" in response.content.decode()
    assert Request.objects.count() == 0


def test_a_body_past_the_ceiling_is_refused_before_it_is_read(hub):
    client = csrf_client()
    token = csrf_token(client, "/commission/file/")
    response = client.post(
        "/commission/file/",
        {"csrfmiddlewaretoken": token},
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_a_lawyer_sends_the_power_of_attorney(hub):
    response = file_through_page(csrf_client(), filer="lawyer", representative="Me Martin, Brussels")
    assert response.status_code == 400 and "power of attorney" in response.content.decode()
    response = file_through_page(
        csrf_client(),
        filer="lawyer",
        representative="Me Martin, Brussels",
        authority=SimpleUploadedFile("mandate.png", PNG, "image/png"),
    )
    assert response.status_code == 201
    assert sorted(Document.objects.values_list("kind", flat=True)) == ["authority", "identity"]


def test_filing_is_rate_limited_per_client_address(hub):
    for _ in range(5):
        assert file_through_page(csrf_client()).status_code == 201
    refused = file_through_page(csrf_client())
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Request.objects.count() == 5
    with clock.travel(timedelta(hours=1, seconds=1)):
        assert file_through_page(csrf_client()).status_code == 201


def test_following_is_rate_limited_per_client_address(hub):
    reference, secret = reference_and_secret(file_through_page(csrf_client()).content.decode())
    for _ in range(20):
        assert follow(csrf_client(), reference, "guess").status_code == 404
    refused = follow(csrf_client(), reference, secret)  # even the right secret, until the window ends
    assert refused.status_code == 429 and "Retry-After" in refused
    with clock.travel(timedelta(minutes=10, seconds=1)):
        assert follow(csrf_client(), reference, secret).status_code == 200


def test_the_form_works_without_javascript(hub):
    page = csrf_client().get("/commission/file/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'method="post"' in page
    assert "<script>" not in page and "hx-" not in page.split("<main")[1]


def test_filing_is_journalled_in_the_commissions_own_chain(hub):
    file_through_page(csrf_client())
    entry = JournalEntry.objects.get(action="ccf.request.filed")
    assert entry.actor == "anonymous" and entry.ip == "127.0.0.1"
    assert journal.verify().ok


def test_old_attempts_are_forgotten(hub):
    from ncbnet.commission import services
    from ncbnet.commission.models import Throttle

    file_through_page(csrf_client())
    assert Throttle.objects.count() == 1
    assert services.forget_old_attempts() == 0
    with clock.travel(timedelta(days=1, hours=2)):
        assert services.forget_old_attempts() == 1
    assert not Throttle.objects.exists()
