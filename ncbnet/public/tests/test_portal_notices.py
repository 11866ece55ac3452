"""The portal's published notices: search and browse wanted, missing and UN-listed persons with
the public API's filters, a detail page with photos and the one call to action the Rules allow,
in four languages, with no script, and nothing once the notice is cancelled."""

import pytest

from ncbnet.notices import services
from ncbnet.notices.tests.test_extracts import FR

pytestmark = pytest.mark.django_db


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_the_public_page_links_to_each_list(client, published):
    home = page(client, "/public/")
    for slug in ("wanted", "missing", "un-persons", "un-entities"):
        assert f'href="/public/notices/{slug}/"' in home


def test_browse_and_search_with_the_same_filters(client, published):
    wanted = page(client, "/public/notices/wanted/")
    assert (
        "DUPONT" in wanted
        and "SOUZA" in wanted
        and "HADDAD" not in wanted
        and "<script" not in wanted.split("</head>")[1]
    )
    assert "SOUZA" not in page(client, "/public/notices/wanted/", name="dupont", sexId="", nationality="")
    assert "DUPONT" not in page(client, "/public/notices/wanted/", nationality="PT")
    assert "HADDAD" in page(client, "/public/notices/missing/", ageMax="20")
    assert "PETROV" in page(client, "/public/notices/un-persons/", unReference="QDi")
    bad = page(client, "/public/notices/wanted/", sexId="X", ageMin="old")
    assert "sexId" in bad and "ageMin" in bad and "DUPONT" not in bad
    assert client.get("/public/notices/other/").status_code == 404


def test_a_notice_with_its_photos_and_the_police_of_its_country(client, published):
    marc = published["marc"][1].entity_id.replace("/", "-")
    detail = page(client, f"/public/notices/wanted/{marc}/")
    assert "If you have information, contact your local or national police" in detail
    assert "17" in detail  # France's police number, from the contacts file
    assert detail.count(f'src="/notices/v1/red/{marc}/images/') == 2
    assert "armed robbery" in detail and "gunpoint" not in detail and "1.82 m" in detail
    assert client.get(f"/public/notices/missing/{marc}/").status_code == 404  # a red one is not missing
    services.cancel(FR, str(published["marc"][0].pk), "Arrested.")
    assert client.get(f"/public/notices/wanted/{marc}/").status_code == 404
    assert "DUPONT" not in page(client, "/public/notices/wanted/")


@pytest.mark.parametrize(
    ("language", "text"), [("fr", 'lang="fr"'), ("es", 'lang="es"'), ("ar", 'dir="rtl"')]
)
def test_in_four_languages(client, published, language, text):
    client.cookies["ncbnet_language"] = language
    assert text in page(client, "/public/notices/missing/")


def test_on_an_ncb_node_there_is_no_portal(client, settings, published):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    assert client.get("/public/notices/wanted/").status_code == 302  # to the sign-in page
