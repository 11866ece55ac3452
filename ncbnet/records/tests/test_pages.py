"""A bureau's officer contributes from the node's pages and follows the hub's answer."""

import pytest

from ncbnet.conftest import sign_in
from ncbnet.network import envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records.models import Contribution

pytestmark = pytest.mark.django_db


def test_an_officer_contributes_a_person_in_cyrillic_and_sees_it_waiting(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get("/records/contribute/persons/").status_code == 200
    response = client.post(
        "/records/contribute/persons/",
        {
            "name": "Алексей Смирнов",
            "script": "Cyrl",
            "latin": "Aleksei Smirnov",
            "birth_year": "1984",
            "birth_month": "3",
            "sex": "M",
            "nationalities": "RU",
            "access": "deny",
            "countries": "BR",
            "handling": "H1",
            "notify_on_view": "on",
        },
    )
    assert response.status_code == 302
    sent = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.get(kind="records.contribute").payload)),
        "hub",
        peers["hub"],
    )
    assert sent["data"]["names"][0] == {"value": "Алексей Смирнов", "script": "Cyrl", "kind": "primary"}
    assert sent["data"]["date_of_birth"] == {"year": 1984, "month": 3, "day": None}
    assert sent["restriction"] == {
        "access": "deny",
        "countries": ["BR"],
        "handling": "H1",
        "handling_note": "",
        "notify_on_view": True,
    }
    page = client.get("/records/contributions/").content.decode()
    assert "waiting for the hub" in page
    Contribution.objects.update(status="refused", errors={"nationalities": ["rule: required_fields.persons"]})
    assert "rule: required_fields.persons" in client.get("/records/contributions/").content.decode()


def test_agency_users_and_the_hub_have_no_contribution_pages(client, user_factory):
    user_factory("agency", "query", username="fr-police")
    sign_in(client, "fr-police")
    assert client.get("/records/contribute/persons/").status_code == 403


def test_a_photo_travels_with_the_contribution_and_shows_on_the_record(client, peers, user_factory):
    import uuid

    from django.core.files.uploadedfile import SimpleUploadedFile

    from ncbnet.base import clock
    from ncbnet.records.models import ReplicaRecord
    from ncbnet.records.tests.test_records import PNG

    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    client.post(
        "/records/contribute/persons/",
        {
            "name": "Marc Dupont",
            "script": "Latn",
            "birth_year": "1979",
            "sex": "M",
            "nationalities": "FR",
            "access": "all",
            "handling": "H0",
            "photo": SimpleUploadedFile("m.png", PNG, content_type="image/png"),
        },
    )
    sent = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.get(kind="records.contribute").payload)),
        "hub",
        peers["hub"],
    )
    assert sent["data"]["photos"][0]["content_type"] == "image/png"
    import base64

    record = ReplicaRecord.objects.create(
        id=uuid.uuid4(),
        database="persons",
        owner="FR",
        label="Marc Dupont",
        key="marc dupont",
        data={
            "names": [{"value": "Marc Dupont", "script": "Latn", "kind": "primary"}],
            "photos": [{"content_type": "image/png", "data": base64.b64encode(PNG).decode(), "sha256": ""}],
        },
        version=1,
        handling="H0",
        updated_at=clock.now(),
        retain_until=clock.now(),
        received_at=clock.now(),
    )
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert 'src="data:image/png;base64,' in page


@pytest.mark.parametrize(
    ("database", "form", "key"),
    [
        ("vehicles", {"vin": "WVWZZZ1JZXW000001", "make": "Volkswagen", "country": "FR"}, "vin"),
        ("firearms", {"make": "Glock", "serial_number": "ABC123", "type": "pistol"}, "serial_number"),
        ("artworks", {"title": "Portrait de femme", "type": "painting"}, "title"),
    ],
)
def test_every_database_has_its_contribution_page(client, peers, user_factory, database, form, key):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get(f"/records/contribute/{database}/").status_code == 200
    response = client.post(f"/records/contribute/{database}/", form | {"access": "all", "handling": "H0"})
    assert response.status_code == 302
    sent = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.get(kind="records.contribute").payload)),
        "hub",
        peers["hub"],
    )
    assert sent["database"] == database and sent["data"][key] == form[key]
