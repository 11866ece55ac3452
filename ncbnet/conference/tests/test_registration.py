"""A bureau's delegation: its head registers it on the bureau's node, the hub keeps it for the
sender's country only, the GS checks the credentials and the bureau is told. Hostile first: a node
cannot register another bureau, nor send what only the hub sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from ncbnet.base import clock
from ncbnet.conference import services
from ncbnet.conference.models import Conference, IllegalStep, Registration
from ncbnet.conference.tests.conftest import accept, sent
from ncbnet.network.models import Quarantine

pytestmark = pytest.mark.django_db
R = services.REGISTRATION


def delegation(c, **over):
    return {
        "conference": str(c.pk),
        "head": "Wanjiru Kamau",
        "delegates": ["Otieno Odhiambo"],
        "submitted_by": "ke-head",
    } | over


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"country": "BR"}, "Extra inputs are not permitted"),
        ({"delegates": ["x"] * 11}, "delegates"),
        ({"head": ""}, "head"),
        ({"head": "x" * 151}, "head"),
        ({"conference": "01a23acc-34d0-772a-a6bc-c488cad9e81f"}, "no such conference"),
    ],
)
def test_a_hostile_registration_is_quarantined(peers, gs, conference, over, reason):
    assert accept(peers, R, delegation(conference, **over), "KE") == "quarantined"
    assert reason in Quarantine.objects.get().reason
    assert not Registration.objects.exists()


def test_a_registration_from_the_hub_is_quarantined(peers, gs, conference):
    assert accept(peers, R, delegation(conference), "hub") == "quarantined"
    assert "registrations come from a bureau's node" in Quarantine.objects.get().reason


def test_a_node_registers_only_its_own_bureau(peers, gs, conference):
    """KE's key on an envelope that says it is BR's: refused at the entrance."""
    assert accept(peers, R, delegation(conference), "BR", signer="KE") == "quarantined"
    assert not Registration.objects.exists()


def test_the_gs_credentials_a_delegation_and_the_bureau_is_told(peers, gs, conference):
    assert accept(peers, R, delegation(conference), "KE") == "accepted"
    reg = Registration.objects.get()
    assert (reg.country, reg.state, reg.credentialed) == ("KE", "pending", False)
    services.check_credentials(gs, reg.pk, accept=True)
    reg.refresh_from_db()
    assert reg.credentialed and reg.checked_by == "gs-conference"
    told = sent(services.CREDENTIALS, "KE", peers)[-1]
    assert told["state"] == "complete" and told["credentialed_at"]
    assert sent(services.CREDENTIALS, "BR", peers) == []
    with pytest.raises(IllegalStep, match="the delegation is complete: it cannot become credentialed"):
        services.check_credentials(gs, reg.pk, accept=True)
    # A change sends it back for a new check; a withdrawal ends it.
    assert accept(peers, R, delegation(conference, delegates=["Amina Hassan"]), "KE") == "accepted"
    reg.refresh_from_db()
    assert (reg.state, reg.delegates) == ("pending", ["Amina Hassan"])
    assert accept(peers, R, delegation(conference, withdraw=True), "KE") == "accepted"
    reg.refresh_from_db()
    assert reg.state == "withdrawn"


def test_the_gs_rejects_a_delegation_saying_why(peers, gs, conference):
    assert accept(peers, R, delegation(conference), "KE") == "accepted"
    reg = services.check_credentials(
        gs, Registration.objects.get().pk, accept=False, reason="No letter of appointment"
    )
    assert (reg.state, reg.reason) == ("rejected", "No letter of appointment")
    assert sent(services.CREDENTIALS, "KE", peers)[-1]["reason"] == "No letter of appointment"


def test_the_head_registers_on_the_bureaus_node(peers, settings, user_factory):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    c = Conference.objects.create(
        year=2026,
        title="C",
        starts=clock.now().date(),
        ends=clock.now().date(),
        venue="Lyon",
        languages=["en"],
        submission_deadline=clock.now() + timedelta(days=1),
    )
    head = user_factory("ncb", "head", username="fr-head")
    reg = services.register(head, c, "Claire Martin", ["Hugo Bernard", " "])
    assert (reg.country, reg.state, reg.delegates) == ("FR", "pending", ["Hugo Bernard"])
    assert sent(R, "hub", peers) == [
        {
            "conference": str(c.pk),
            "head": "Claire Martin",
            "delegates": ["Hugo Bernard"],
            "submitted_by": "fr-head",
        }
    ]
    with pytest.raises(PermissionDenied, match="only the head"):
        services.register(user_factory("ncb", "officer"), c, "X", [])
    # The hub's answer arrives: only from the hub.
    answer = {
        "conference": str(c.pk),
        "id": str(reg.pk),
        "state": "complete",
        "credentialed_at": clock.now().isoformat(),
        "reason": "",
    }
    assert accept(peers, services.CREDENTIALS, answer, "KE") == "quarantined"
    assert accept(peers, services.CREDENTIALS, answer, "hub") == "accepted"
    reg.refresh_from_db()
    assert reg.credentialed
