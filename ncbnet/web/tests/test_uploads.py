"""Every upload is bounded while it streams, before anything parses it: past its page's or API
operation's limit it is refused with a 413 (the form and its error on a page, problem details on
the API), audited, and nothing of it is kept. A body beyond the ceiling is not even read: the
tests claim a Content-Length larger than the bytes they send, and the test client's payload
fails loudly if anything reads past what was sent."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.messaging.models import Message
from ncbnet.messaging.services import MAX_ATTACHMENTS_BYTES
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records.models import Contribution
from ncbnet.records.schemas import MAX_PHOTO_BYTES
from ncbnet.records.tests.test_records import PNG
from ncbnet.screening.manifests import MAX_BYTES as MANIFEST_BYTES
from ncbnet.screening.models import Manifest
from ncbnet.security.models import Scope

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def refusals():
    return list(AuditEntry.objects.filter(action="upload.refused").order_by("seq"))


@pytest.fixture
def officer(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    return client


@pytest.fixture
def token(user_factory):
    from ncbnet.security import services as security

    _t, secret = security.create_token(
        None, user_factory("system", "system", username="fr-border"), "b", scopes=list(Scope.values)
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_attachments_over_50_mb_give_the_form_back_with_the_reason(officer):
    big = SimpleUploadedFile("scan.tif", b"\0" * (MAX_ATTACHMENTS_BYTES + 1))
    response = officer.post(
        "/messages/new/", {"to": "BR", "subject": "Scan", "body": "The scan.", "attachments": [big]}
    )
    assert response.status_code == 413
    form = response.context["form"]
    assert form.errors["attachments"] == [
        "Attachments are limited to 50 MB in all; larger files go through the large-file exchange."
    ]
    assert form.data["subject"] == "Scan"  # the rest of the form is kept for the officer
    assert not Message.objects.exists() and not OutboxEnvelope.objects.exists()
    [entry] = refusals()
    assert entry.actor == "fr-officer" and entry.detail["field"] == "attachments"
    assert entry.detail["path"] == "/messages/new/" and entry.detail["file"] == "scan.tif"


def test_several_attachments_count_together(officer):
    halves = [SimpleUploadedFile(f"part{i}.bin", b"\0" * (MAX_ATTACHMENTS_BYTES // 2 + 1)) for i in (1, 2)]
    response = officer.post(
        "/messages/new/", {"to": "BR", "subject": "Parts", "body": "Two parts.", "attachments": halves}
    )
    assert response.status_code == 413 and "attachments" in response.context["form"].errors
    assert not Message.objects.exists()


def test_a_body_past_the_ceiling_is_refused_unread(officer):
    response = officer.post(
        "/messages/new/",
        {"to": "BR", "subject": "x", "body": "x"},
        CONTENT_LENGTH=str(2 * MAX_ATTACHMENTS_BYTES + 2 * MB),
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Attachments are limited to 50 MB in all" in page and 'href="/messages/new/"' in page
    assert not Message.objects.exists()
    assert refusals()[0].detail["content_length"] == 2 * MAX_ATTACHMENTS_BYTES + 2 * MB


def test_a_photo_over_1_mb_is_refused_and_nothing_is_sent_to_the_hub(officer):
    photo = SimpleUploadedFile("face.png", PNG + b"\0" * MAX_PHOTO_BYTES, content_type="image/png")
    response = officer.post(
        "/records/contribute/persons/",
        {
            "name": "Marc Dupont",
            "script": "Latn",
            "sex": "M",
            "access": "all",
            "handling": "H0",
            "photo": photo,
        },
    )
    assert response.status_code == 413
    assert response.context["form"].errors["photo"] == ["A photo is at most 1 MB."]
    assert not Contribution.objects.exists() and not OutboxEnvelope.objects.exists()
    assert refusals()[0].detail["field"] == "photo"


def test_a_manifest_over_50_mb_is_refused_on_the_page(officer):
    big = SimpleUploadedFile("m.csv", b"name\n" + b"x\n" * (MANIFEST_BYTES // 2))
    response = officer.post("/screening/manifests/", {"file": big, "place": "CDG"})
    assert response.status_code == 413
    assert response.context["form"].errors["file"] == ["A manifest is at most 50 MB; split a larger one."]
    assert not Manifest.objects.exists()


def test_the_api_refuses_a_manifest_over_50_mb_with_problem_details(client, token):
    big = SimpleUploadedFile("m.csv", b"name\n" + b"x\n" * (MANIFEST_BYTES // 2))
    response = client.post("/api/v1/screening/manifests", {"file": big}, **token)
    assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Content too large"
    assert problem["errors"] == [
        {"field": "file", "message": "A manifest is at most 50 MB; split a larger one."}
    ]
    assert not Manifest.objects.exists()
    assert refusals()[0].actor == "fr-border"


def test_the_api_refuses_a_body_past_the_ceiling_unread(client, token):
    response = client.post(
        "/api/v1/screening/manifests",
        {"place": "CDG"},
        CONTENT_LENGTH=str(2 * MANIFEST_BYTES + 2 * MB),
        **token,
    )
    assert response.status_code == 413 and response.json()["errors"][0]["field"] is None


def test_a_json_body_is_held_to_its_operation(client, token):
    """1 MB for a document lookup; a message with attachments may be larger."""
    response = client.post(
        "/api/v1/screening/documents",
        json.dumps({"number": "X" * 10, "padding": "x" * MB}),
        content_type="application/json",
        **token,
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "This request takes no files, and at most 1.0\xa0MB."
    assert len(refusals()) == 1


def test_too_many_fields_is_a_clear_refusal(client, token):
    fields = {f"f{i}": "x" for i in range(300)}
    response = client.post(
        "/api/v1/screening/manifests", {**fields, "file": SimpleUploadedFile("m.csv", b"name\nx\n")}, **token
    )
    assert response.status_code == 400 and response.json()["detail"] == "Too many fields in one request."
    assert not Manifest.objects.exists()


def test_the_unauthenticated_get_the_smallest_limit_and_write_no_audit_entry(client, user_factory):
    response = client.post(
        "/screening/manifests/",
        {"file": SimpleUploadedFile("m.csv", b"name\nx\n")},
        CONTENT_LENGTH=str(50 * MB),
    )
    assert response.status_code == 413 and not refusals()
    api = client.post("/api/v1/screening/manifests", {"file": SimpleUploadedFile("m.csv", b"name\nx\n")})
    assert api.status_code == 401 and not refusals()
