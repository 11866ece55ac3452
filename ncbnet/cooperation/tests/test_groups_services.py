"""Groups: the registry's regions and regional bureaus, and groups a member defines; a message and
a request to a group reach each member on the network."""

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base.chain import AuditEntry
from ncbnet.cooperation.models import Group, Request
from ncbnet.cooperation.services import groups
from ncbnet.cooperation.services import requests as coop_requests
from ncbnet.messaging.models import Message
from ncbnet.network.models import OutboxEnvelope

pytestmark = pytest.mark.django_db


def test_the_registry_groups_are_listed_with_their_countries(peers, user_factory):
    found = {g.code: g for g in groups.search(user_factory("ncb", "officer"))}
    africa = found["region:AF"]
    assert africa.kind == "region" and "KE" in africa.members and not africa.editable
    assert any(code.startswith("bureau:") for code in found)
    assert groups.members("region:AF") == africa.members
    assert AuditEntry.objects.filter(action="cooperation.group.search").exists()


def test_a_defined_group_is_created_edited_and_expanded(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    g = groups.create(officer, "sarpcco-lite", "Chiefs of police", ["br", "KE", "KE"])
    assert g.code == "group:sarpcco-lite" and g.members == ["BR", "KE"] and g.defined_by == "FR"
    groups.edit(officer, "sarpcco-lite", "Chiefs of police", ["BR", "KE", "FR"])
    assert groups.members("group:sarpcco-lite") == groups.members("sarpcco-lite") == ["BR", "FR", "KE"]
    assert groups.on_network("sarpcco-lite") == ["BR", "KE"]  # never this node
    assert AuditEntry.objects.filter(action="cooperation.group.edit", actor="fr-officer").exists()


@pytest.mark.parametrize(
    ("code", "name", "members", "field"),
    [
        ("chiefs", "Chiefs", ["BR", "XX"], "members"),
        ("chiefs", "Chiefs", [], "members"),
        ("Not A Slug!", "Chiefs", ["BR"], "code"),
        ("chiefs", " ", ["BR"], "name"),
    ],
)
def test_bad_groups_are_refused_with_the_field(peers, user_factory, code, name, members, field):
    with pytest.raises(ValidationError) as refused:
        groups.create(user_factory("ncb", "officer"), code, name, members)
    assert field in refused.value.message_dict
    assert not Group.objects.exists()


def test_an_unknown_country_in_an_edit_changes_nothing(peers, user_factory):
    officer = user_factory("ncb", "officer")
    groups.create(officer, "chiefs", "Chiefs", ["BR"])
    with pytest.raises(ValidationError) as refused:
        groups.edit(officer, "chiefs", "Chiefs", ["BR", "ZZ"])
    assert "ZZ" in refused.value.message_dict["members"][0]
    assert Group.objects.get().members == ["BR"]


def test_an_unknown_group_is_a_clear_error(peers):
    with pytest.raises(ValidationError) as refused:
        groups.members("group:nobody")
    assert "group" in refused.value.message_dict


def test_a_message_to_a_group_goes_to_each_member(peers, user_factory):
    officer = user_factory("ncb", "officer")
    groups.create(officer, "chiefs", "Chiefs", ["BR", "KE"])
    m = groups.message(officer, "group:chiefs", "Meeting", "Next meeting in Nairobi.")
    assert m.recipients == ["BR", "KE"] and Message.objects.count() == 1


def test_a_request_to_a_group_goes_to_each_member(peers, user_factory):
    officer = user_factory("ncb", "officer")
    groups.create(officer, "chiefs", "Chiefs", ["BR", "KE"])
    made = coop_requests.send(
        officer,
        coop_requests.Draft(
            to=["group:chiefs"],
            kind="information",
            title="Known associates",
            details="Who are the known associates of Marc Dupont?",
            legal_basis="Art. 3",
            purpose="Investigation 2026/17",
        ),
    )
    assert sorted(r.requested for r in made) == ["BR", "KE"]
    assert {r.group for r in Request.objects.all()} == {"chiefs"}
    assert OutboxEnvelope.objects.count() == 2
