"""Ballots arriving at the hub, hostile first: a node votes only for its own bureau, with its own
key, on the ballot it signed; a forged, tampered or misrouted ballot is quarantined with its audit
entry and counts nothing. A ballot that checks but may not count (a delegation not credentialed,
a second ballot, a poll not open) is refused and the node told why."""

from __future__ import annotations

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.conference import services
from ncbnet.conference.models import Ballot
from ncbnet.conference.tests.conftest import accept, credentialed, sent, signed_ballot
from ncbnet.network.models import Quarantine

pytestmark = pytest.mark.django_db
B = services.BALLOT


def quarantined(reason: str) -> None:
    q = Quarantine.objects.get()
    assert reason in q.reason, q.reason
    assert AuditEntry.objects.filter(action="network.quarantine", detail__reason=q.reason).exists()
    assert not Ballot.objects.exists()


def answer(peers, country):
    return sent(services.BALLOT_ANSWER, country, peers)[-1]


def test_a_credentialed_delegation_votes_once_and_is_told(peers, gs, conference, started):
    credentialed(gs, conference, "KE")
    assert accept(peers, B, signed_ballot(peers, started, "KE", "yes"), "KE") == "accepted"
    b = Ballot.objects.get()
    assert (b.country, b.choice, b.status) == ("KE", "yes", "counted")
    assert answer(peers, "KE") | {"nonce": None} == {
        "poll": str(started.pk),
        "nonce": None,
        "status": "counted",
        "reason": "",
    }


def test_a_country_voting_twice_is_refused(peers, gs, conference, started):
    credentialed(gs, conference, "KE")
    assert accept(peers, B, signed_ballot(peers, started, "KE", "yes"), "KE") == "accepted"
    assert accept(peers, B, signed_ballot(peers, started, "KE", "no"), "KE") == "accepted"
    assert list(Ballot.objects.values_list("country", "choice")) == [("KE", "yes")]
    assert answer(peers, "KE")["status"] == "refused"
    assert answer(peers, "KE")["reason"] == "the bureau has voted on this poll already"
    assert AuditEntry.objects.filter(action="conference.ballot_refused", subject="KE").count() == 1


def test_the_same_ballot_sent_again_is_refused(peers, gs, conference, started):
    credentialed(gs, conference, "KE")
    ballot = signed_ballot(peers, started, "KE", "yes")
    assert accept(peers, B, ballot, "KE") == "accepted"
    assert accept(peers, B, ballot, "KE") == "accepted"
    assert Ballot.objects.count() == 1 and answer(peers, "KE")["status"] == "refused"


def test_a_delegation_not_credentialed_is_refused(peers, gs, conference, started):
    credentialed(gs, conference, "KE")
    assert accept(peers, B, signed_ballot(peers, started, "BR", "yes"), "BR") == "accepted"
    assert not Ballot.objects.exists()
    assert answer(peers, "BR") | {"nonce": None} == {
        "poll": str(started.pk),
        "nonce": None,
        "status": "refused",
        "reason": "the delegation is not credentialed",
    }


@pytest.mark.parametrize("step", [None, "finish"])
def test_a_ballot_outside_a_started_poll_is_refused(peers, gs, conference, in_plenary, step):
    credentialed(gs, conference, "KE")
    poll = services.create_poll(gs, in_plenary.pk)
    if step:
        services.move_poll(gs, poll.pk, "start")
        services.move_poll(gs, poll.pk, step)
    assert accept(peers, B, signed_ballot(peers, poll, "KE", "yes"), "KE") == "accepted"
    assert not Ballot.objects.exists()
    assert answer(peers, "KE")["reason"] == (
        "voting on this poll is closed" if step else "voting is not open on this poll"
    )


def test_a_node_voting_for_another_bureau_is_quarantined(peers, gs, conference, started):
    """KE's node sends a ballot for BR, signed with KE's key: refused whoever signed it."""
    credentialed(gs, conference, "KE", "BR")
    assert accept(peers, B, signed_ballot(peers, started, "BR", "yes", signer="KE"), "KE") == "quarantined"
    quarantined("a node votes only for its own bureau")


def test_a_ballot_signed_by_another_key_is_quarantined(peers, gs, conference, started):
    """BR signs a ballot for KE and gets KE's node to send it: KE's key must have signed it."""
    credentialed(gs, conference, "KE", "BR")
    forged = signed_ballot(peers, started, "KE", "yes", signer="BR")
    assert accept(peers, B, forged, "KE") == "quarantined"
    quarantined("is not a valid key of KE")


def test_a_tampered_ballot_is_quarantined(peers, gs, conference, started):
    """The choice changed after signing: the signature fails."""
    credentialed(gs, conference, "KE")
    ballot = signed_ballot(peers, started, "KE", "yes")
    assert accept(peers, B, ballot | {"choice": "no"}, "KE") == "quarantined"
    quarantined("its signature does not verify")


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"extra": "x"}, "Extra inputs are not permitted"),
        ({"choice": "maybe"}, "choice"),
        ({"country": "ZZ"}, "country"),
        ({"poll": "not-a-uuid"}, "poll"),
        ({"signature": "A" * 500}, "signature"),
        ({"cast_at": "yesterday"}, "cast_at"),
    ],
)
def test_a_malformed_ballot_is_quarantined(peers, gs, conference, started, over, reason):
    credentialed(gs, conference, "KE")
    assert accept(peers, B, signed_ballot(peers, started, "KE", "yes") | over, "KE") == "quarantined"
    quarantined(reason)


def test_a_ballot_from_the_hub_is_quarantined(peers, gs, conference, started):
    assert accept(peers, B, signed_ballot(peers, started, "KE", "yes"), "hub") == "quarantined"
    quarantined("ballots come from a bureau's node")


def test_a_ballot_for_a_poll_that_does_not_exist_is_quarantined(peers, gs, conference, started):
    credentialed(gs, conference, "KE")
    ballot = signed_ballot(peers, started, "KE", "yes")
    started.delete()
    assert accept(peers, B, ballot, "KE") == "quarantined"
    quarantined("no such poll")


def test_a_node_refuses_ballots(peers, settings):
    """Only the hub counts ballots: a bureau's node refuses them at its entrance."""
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    some = "01a23acc-34d0-772a-a6bc-c488cad9e81f"
    body = {"conference": some, "poll": some, "country": "KE", "choice": "yes", "nonce": some}
    body |= {"cast_at": "2026-12-01T10:00:00+00:00", "key_id": "0" * 32, "signature": "AAAA"}
    assert accept(peers, B, body, "KE") == "quarantined"
    assert "go to the hub" in Quarantine.objects.get().reason
