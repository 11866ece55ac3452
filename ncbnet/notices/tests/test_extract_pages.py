"""A bureau asks for the public extract of a notice it requested, from its node's pages."""

import pytest

from ncbnet.network import envelope
from ncbnet.notices import requests
from ncbnet.notices.tests.test_notices import red
from ncbnet.notices.tests.test_requests import latest

pytestmark = pytest.mark.django_db


def test_the_bureau_asks_for_a_public_extract_from_its_requests(client, peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    client.force_login(officer)
    r = requests.request(officer, "red", red())
    blue = requests.request(
        officer, "blue", {"subject": {"names": [{"value": "X Y"}]}, "information_sought": "Where he lives."}
    )
    listing = client.get("/notices/requests/").content.decode()
    assert (
        f"/notices/requests/{r.pk}/extract/" in listing
        and f"/notices/requests/{blue.pk}/extract/" not in listing
    )
    assert client.get(f"/notices/requests/{blue.pk}/extract/").status_code == 404
    page = client.get(f"/notices/requests/{r.pk}/extract/")
    assert page.status_code == 200 and "Height (metres)" in page.content.decode()
    bad = client.post(f"/notices/requests/{r.pk}/extract/", {"height": "182", "languages": "fr"})
    assert bad.status_code == 400
    wrong = client.post(f"/notices/requests/{r.pk}/extract/", {"height": "1.82", "languages": "zz"})
    assert wrong.status_code == 400 and "zz" in wrong.content.decode()
    sent = client.post(
        f"/notices/requests/{r.pk}/extract/", {"height": "1.82", "languages": "fr, ar", "sex": "M"}
    )
    assert sent.status_code == 302
    e = latest(requests.EXTRACT)
    body = envelope.open_body(e, "hub", peers["hub"])
    assert body["id"] == str(r.pk) and body["details"] == {
        "height": 1.82,
        "languages": ["fr", "ar"],
        "sex": "M",
    }


def test_a_bureau_whose_law_forbids_extracts_is_told_so(client, peers, settings, user_factory):
    settings.NCBNET_COUNTRY = "BR"
    officer = user_factory("ncb", "officer", username="br-officer")
    client.force_login(officer)
    r = requests.request(officer, "red", red())
    assert f"/notices/requests/{r.pk}/extract/" not in client.get("/notices/requests/").content.decode()
    page = client.get(f"/notices/requests/{r.pk}/extract/").content.decode()
    assert (
        "does not allow public extracts" in page
        and "<button>" not in page.split("<main")[1].split("</form>")[-1]
    )
