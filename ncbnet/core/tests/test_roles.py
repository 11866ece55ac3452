"""Each role sees only what it allows: pages, navigation and API."""

import pytest

from ncbnet.conftest import sign_in

pytestmark = pytest.mark.django_db

MANAGER_PAGES = ["/people/", "/people/new/", "/audit/", "/network/"]


@pytest.mark.parametrize("role", ["head", "admin"])
def test_head_and_administrator_manage_people_and_read_the_audit_log(client, user_factory, role):
    user_factory("ncb", role, username=f"fr-{role}")
    sign_in(client, f"fr-{role}")
    for page in MANAGER_PAGES:
        assert client.get(page).status_code == 200, page
    home = client.get("/").content.decode()
    assert 'href="/people/"' in home and 'href="/audit/"' in home


def test_officer_cannot_manage_people_or_read_the_audit_log(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    for page in MANAGER_PAGES:
        assert client.get(page).status_code == 403, page
    home = client.get("/").content.decode()
    assert 'href="/people/"' not in home and 'href="/audit/"' not in home
    assert 'href="/agencies/"' in home
    assert client.get("/api/v1/users").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403


def test_agency_user_sees_own_agency_but_not_bureau_administration(client, user_factory):
    user = user_factory("agency", "query", username="fr-police")
    sign_in(client, "fr-police")
    home = client.get("/").content.decode()
    assert f'href="/agencies/{user.agency_id}/"' in home
    assert 'href="/people/"' not in home
    for page in MANAGER_PAGES:
        assert client.get(page).status_code == 403, page


def test_system_account_cannot_sign_in_to_pages(client, user_factory):
    user_factory("system", "system", username="fr-border-system")
    response = client.post("/login/", {"username": "fr-border-system", "password": "anything-at-all"})
    assert "Wrong username or password." in response.content.decode()


def test_gs_network_administrator_on_the_hub(client, hub, user_factory):
    user_factory("gs", "network_admin", username="gs-netadmin")
    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-netadmin")
    assert client.get("/network/").status_code == 200
    assert client.get("/people/").status_code == 200
    assert client.get("/agencies/").status_code == 403  # national agencies are not the GS's business
    page = client.get("/people/").content.decode()
    assert "gs-reviewer" in page


def test_gs_reviewer_cannot_administer(client, hub, user_factory):
    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-reviewer")
    assert client.get("/").status_code == 200
    for page in ["/people/", "/audit/", "/network/"]:
        assert client.get(page).status_code == 403, page
