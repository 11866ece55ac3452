"""The screening page and the manifest pages, as an officer at a border post uses them."""

import pytest

from ncbnet.conftest import sign_in
from ncbnet.hits.models import HitReport
from ncbnet.screening import manifests
from ncbnet.screening.tests.test_documents import TD3, replica
from ncbnet.screening.tests.test_persons import person

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client, user_factory):
    user = user_factory("agency", "query", username="fr-border")
    sign_in(client, "fr-border")
    return user


def test_an_officer_screens_a_name_and_sees_a_possible_match_with_why(client, officer):
    person("KE", "Daniel Otieno", dob={"year": 1980, "month": 5, "day": 12})
    assert client.get("/screening/").status_code == 200
    page = client.post(
        "/screening/",
        {
            "name": "OTIENO Daniel",
            "date_of_birth": "1980-05-12",
            "reason": "entry",
            "place": "CDG",
            "urgent": "on",
        },
    ).content.decode()
    assert "Possible match — awaiting confirmation by the owner." in page
    assert "date of birth agrees" in page and "names in another order" in page
    report = HitReport.objects.get()
    assert report.urgent and report.context == {"reason": "entry", "place": "CDG"}
    assert f"/hits/{report.pk}/" in page


def test_the_screening_page_says_what_is_wrong_with_the_input(client, officer):
    empty = client.post("/screening/", {}).content.decode()
    assert "Give a name, a document number, a machine-readable zone, a vehicle, a firearm or a work" in empty
    page = client.post(
        "/screening/", {"name": "Daniel Otieno", "date_of_birth": "12/05/1980"}
    ).content.decode()
    assert "Write the date as 1980, 1980-05 or 1980-05-12." in page
    line1, line2 = TD3.split("\n")
    page = client.post("/screening/", {"mrz": line1 + "\n" + line2[:9] + "0" + line2[10:]}).content.decode()
    assert "check digit of document number" in page and "No possible match." in page


def test_a_manifest_is_uploaded_followed_and_its_result_downloaded(client, officer):
    replica(
        "documents", "KE", "AB1000234", {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"}
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "kq112.csv", b"name,document_number\nAnna Lindqvist,AB-1000234\nJean Martin,\n"
    )
    response = client.post("/screening/manifests/", {"file": upload, "reason": "arrivals"})
    job = manifests.visible(officer).get()
    assert response.status_code == 302 and response["Location"] == f"/screening/manifests/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "0 of 2 rows screened" in page and 'hx-trigger="every 2s"' in page
    assert client.get(f"/screening/manifests/{job.pk}/result.csv").status_code == 404
    manifests.run(manifests.claim())
    partial = client.get(f"/screening/manifests/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "2 of 2 rows screened" in partial and "every 2s" not in partial and "AB1000234</a>" in partial
    csv_text = b"".join(client.get(f"/screening/manifests/{job.pk}/result.csv").streaming_content).decode()
    assert csv_text.splitlines()[1].startswith(
        'Anna Lindqvist,AB-1000234,hit,"AB1000234 (documents, owner KE, 1.00)"'
    )
    bad = client.post("/screening/manifests/", {"file": SimpleUploadedFile("x.csv", b"seat\n1A\n")})
    assert "needs a name or a document_number column" in bad.content.decode()


def test_vehicles_firearms_and_works_of_art_from_the_same_page(client, officer):
    replica("vehicles", "BR", "WVWZZZ1JZXW000001", {"vin": "WVWZZZ1JZXW000001", "plate": "", "make": "VW"})
    replica("firearms", "KE", "G1OCK77", {"make": "Glock", "serial_number": "G1OCK77"})
    replica(
        "artworks", "FR", "abaporu", {"title": "Abaporu", "artist": "Tarsila do Amaral", "type": "painting"}
    )
    page = client.post(
        "/screening/",
        {
            "vin": "wvwzzz1jzxw000001",
            "serial_number": "GIOCK77",
            "make": "glock",
            "artwork": "Abaporu, Tarsila",
        },
    ).content.decode()
    assert page.count("Possible match — awaiting confirmation by the owner.") == 3
    assert HitReport.objects.count() == 3
