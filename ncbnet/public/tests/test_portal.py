import pytest

pytestmark = pytest.mark.django_db


def test_hub_front_page_sends_the_public_to_their_police(client, hub):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/public/"
    page = client.get("/public/").content.decode()
    assert "do not take requests, reports or enquiries from the public" in page
    assert "France" in page and "Kenya" in page and "Brazil" in page
    assert "<form" in page  # only the country filter and the language switch: no inbox, no message form
    assert "textarea" not in page and 'type="email"' not in page


def test_country_filter(client, hub):
    page = client.get("/public/", {"country": "keny"}).content.decode()
    assert "Kenya" in page and "France" not in page


def test_public_page_has_no_session_or_login_requirement_on_the_hub(client, hub):
    response = client.get("/public/")
    assert response.status_code == 200
