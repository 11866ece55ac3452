"""The Commission's own kind of account: not GS staff, and GS staff reach none of its pages."""

import pytest
from django.core.exceptions import ValidationError

from ncbnet.commission.tests.conftest import filed
from ncbnet.core import services as core

pytestmark = pytest.mark.django_db(databases=["default", "commission"])

GS_ROLES = ("reviewer", "analyst", "network_admin")


def commission_pages(request_id, document_id):
    return [
        ("get", "/commission/requests/"),
        ("get", f"/commission/requests/{request_id}/"),
        ("get", f"/commission/requests/{request_id}/documents/{document_id}/"),
        ("post", f"/commission/requests/{request_id}/admissibility/"),
    ]


@pytest.mark.parametrize("gs_role", GS_ROLES)
def test_every_gs_role_is_refused_every_commission_page(client, hub, user_factory, gs_role):
    request, _ = filed()
    client.force_login(user_factory("gs", gs_role))
    for method, path in commission_pages(request.pk, request.documents.get().pk):
        response = getattr(client, method)(path, {"decision": "admissible"} if method == "post" else None)
        assert response.status_code == 403, f"{gs_role} {method} {path}"
    request.refresh_from_db()
    assert request.state == "filed"


def test_commission_pages_do_not_exist_for_anyone_on_an_ncb_node(client, user_factory):
    response = client.get("/commission/file/")  # the public portal is the hub's only
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(user_factory("ncb", "head"))
    assert client.get("/commission/requests/").status_code == 403
    assert client.get("/commission/file/").status_code == 403


def test_members_read_and_only_the_secretariat_decides_admissibility(client, commission):
    request, _ = filed()
    client.force_login(commission["member"])
    assert client.get("/commission/requests/").status_code == 200
    assert client.get(f"/commission/requests/{request.pk}/").status_code == 200
    path = f"/commission/requests/{request.pk}/admissibility/"
    assert client.post(path, {"decision": "admissible"}).status_code == 403
    client.force_login(commission["secretariat"])
    assert client.post(path, {"decision": "admissible"}).status_code == 302
    request.refresh_from_db()
    assert request.state == "admissible"


def test_commission_accounts_exist_only_on_the_hub_and_belong_to_no_bureau(db):
    with pytest.raises(ValidationError) as raised:
        core.create_user(
            None, username="ccf", password="a-long-test-passphrase", kind="commission", role="member"
        )
    assert "kind" in raised.value.message_dict
    with pytest.raises(ValidationError):
        core.create_user(
            None, username="ccf2", password="a-long-test-passphrase", kind="commission", role="reviewer"
        )


def test_gs_administrator_cannot_manage_commission_accounts(client, commission, user_factory):
    admin = user_factory("gs", "network_admin")
    client.force_login(admin)
    member = commission["member"]
    page = client.get(f"/people/{member.pk}/")
    assert page.status_code in (403, 404)
    with pytest.raises(Exception) as raised:
        core.set_active(admin, member.username, False)
    assert raised.type.__name__ == "PermissionDenied"
    member.refresh_from_db()
    assert member.is_active


def test_commission_staff_reach_no_police_page(client, commission):
    client.force_login(commission["member"])
    for path in ("/records/", "/notices/", "/messages/", "/screening/", "/hits/", "/audit/", "/people/"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
    nav = client.get("/").content.decode()
    assert "/commission/requests/" in nav
