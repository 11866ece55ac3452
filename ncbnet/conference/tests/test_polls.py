"""Polls at the hub, one country one vote among the credentialed delegations: quorum on the
ballots cast (abstentions included), the majority on Yes and No, simple or two-thirds; the result
published with the signed ballots, the resolution decided, an adopted one an action."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.conference import services, tally
from ncbnet.conference.models import Action, IllegalStep, Poll, Resolution
from ncbnet.conference.tests.conftest import accept, credentialed, sent, signed_ballot

pytestmark = pytest.mark.django_db


def vote(peers, poll, country, choice):
    assert accept(peers, services.BALLOT, signed_ballot(peers, poll, country, choice), country) == "accepted"


def finish_and_publish(gs, poll):
    services.move_poll(gs, poll.pk, "finish")
    return services.move_poll(gs, poll.pk, "publish")


def test_quorum_missed(peers, gs, conference, started):
    """Three delegations credentialed, one votes: one of three is not more than half."""
    credentialed(gs, conference, "KE", "BR", "FR")
    vote(peers, started, "KE", "yes")
    p = finish_and_publish(gs, started)
    assert p.result == tally.Result(3, 1, 1, 0, 0, False, "simple", "no_quorum").as_dict()
    assert p.resolution.state == Resolution.State.IN_PLENARY  # nothing decided: another poll may follow
    assert not Action.objects.exists()


def test_two_thirds_reached_with_an_abstention(peers, gs, conference, in_plenary):
    """Four credentialed, three cast (quorum); two Yes of the three Yes and No: two thirds."""
    Resolution.objects.filter(pk=in_plenary.pk).update(majority="two_thirds")
    credentialed(gs, conference, "KE", "BR", "FR", "DE")
    poll = services.move_poll(gs, services.create_poll(gs, in_plenary.pk).pk, "start")
    assert poll.majority == "two_thirds"
    for country, choice in (("KE", "yes"), ("BR", "yes"), ("FR", "no")):
        vote(peers, poll, country, choice)
    p = finish_and_publish(gs, poll)
    assert p.entitled == ["BR", "DE", "FR", "KE"]
    assert p.result == tally.Result(4, 3, 2, 1, 0, True, "two_thirds", "adopted").as_dict()
    assert p.resolution.state == Resolution.State.ADOPTED
    action = Action.objects.get()
    assert (action.assignee, action.resolution_id) == ("GS", in_plenary.pk)
    published = sent(services.RESULT, "KE", peers)[-1]
    assert [b["country"] for b in published["ballots"]] == ["BR", "FR", "KE"]
    assert published["result"]["outcome"] == "adopted" and published["resolution_state"] == "adopted"


def test_two_thirds_missed_is_rejected(peers, gs, conference, in_plenary):
    Resolution.objects.filter(pk=in_plenary.pk).update(majority="two_thirds")
    credentialed(gs, conference, "KE", "BR", "FR")
    poll = services.move_poll(gs, services.create_poll(gs, in_plenary.pk).pk, "start")
    for country, choice in (("KE", "yes"), ("BR", "no"), ("FR", "abstain")):
        vote(peers, poll, country, choice)
    p = finish_and_publish(gs, poll)
    assert p.result["outcome"] == "rejected" and p.resolution.state == "rejected"


def test_entitled_voters_are_frozen_when_voting_stops(peers, gs, conference, started):
    credentialed(gs, conference, "KE")
    vote(peers, started, "KE", "yes")
    p = services.move_poll(gs, started.pk, "finish")
    credentialed(gs, conference, "BR")  # too late for this poll
    assert Poll.objects.get(pk=p.pk).entitled == ["KE"]


@pytest.mark.parametrize("step", ["finish", "publish"])
def test_a_poll_moves_only_forward(gs, started, step):
    services.move_poll(gs, started.pk, "finish")
    services.move_poll(gs, started.pk, "publish")
    with pytest.raises(IllegalStep, match="the poll is published"):
        services.move_poll(gs, started.pk, step)


def test_a_poll_needs_a_resolution_in_plenary(gs, conference):
    r = services.submit_resolution(gs, conference, title="Draft", text="…")
    with pytest.raises(IllegalStep, match="in plenary"):
        services.create_poll(gs, r.pk)
    with pytest.raises(IllegalStep, match="is submitted: it cannot become in plenary"):
        services.move_resolution(gs, r.pk, "plenary")


# --- the rule itself ---------------------------------------------------------------------------------

COUNTRIES = [f"{a}{b}" for a in "ABCDEFGH" for b in "ABCDEFGH"]


@given(
    st.lists(st.sampled_from(COUNTRIES), unique=True, max_size=40),
    st.dictionaries(st.sampled_from(COUNTRIES), st.sampled_from(tally.CHOICES), max_size=40),
    st.sampled_from([tally.SIMPLE, tally.TWO_THIRDS]),
)
def test_the_tally_rule(entitled, ballots, majority):
    r = tally.count(entitled, ballots.items(), majority)
    counted = {c: v for c, v in ballots.items() if c in entitled}
    yes, no = list(counted.values()).count("yes"), list(counted.values()).count("no")
    assert r.cast == len(counted) == r.yes + r.no + r.abstain and (r.yes, r.no) == (yes, no)
    assert r.quorum == (r.cast > len(entitled) / 2)
    if not r.quorum:
        assert r.outcome == "no_quorum"
    elif majority == tally.SIMPLE:
        assert (r.outcome == "adopted") == (yes > no)
    else:
        assert (r.outcome == "adopted") == (yes > 0 and yes / (yes + no) >= 2 / 3)
    # Abstentions never change the majority: only the quorum.
    if r.quorum:
        more = {c: "abstain" for c in entitled if c not in ballots}
        assert tally.count(entitled, [*ballots.items(), *more.items()], majority).outcome == r.outcome


def test_a_country_twice_is_an_error():
    with pytest.raises(ValueError, match="KE voted twice"):
        tally.count(["KE"], [("KE", "yes"), ("KE", "no")], "simple")
