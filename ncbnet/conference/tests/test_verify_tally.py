"""The published tally recomputed on a bureau's node: the conference, its resolution and the poll's
result arrive from the hub (through the network's real entrance); the node checks every signed
ballot against its own copy of the key directory and recomputes the tally
(`ncbnet conference verify-tally`); a ballot tampered with, or a tally that is not what the
ballots say, is detected, naming the ballot, with exit code 2."""

from __future__ import annotations

import pytest
from django.db import transaction

from ncbnet import cli
from ncbnet.base.chain import AuditEntry
from ncbnet.conference import services
from ncbnet.conference.models import Ballot, Conference, Poll
from ncbnet.conference.tests.conftest import accept, credentialed, sent, signed_ballot

pytestmark = pytest.mark.django_db
AS_SENT = (
    services.PUBLISHED,
    services.AGENDA,
    services.RESOLUTION_STATE,
    services.POLL,
    services.RESULT,
    services.ACTION,
)


@pytest.fixture
def on_a_node(peers, gs, conference, started, settings):
    """The hub holds a poll KE and BR voted on and publishes it; then this test's database is FR's
    node, which receives what the hub sent it."""
    credentialed(gs, conference, "KE", "BR")
    for country, choice in (("KE", "yes"), ("BR", "no")):
        ballot = signed_ballot(peers, started, country, choice)
        assert accept(peers, services.BALLOT, ballot, country) == "accepted"
    services.move_poll(gs, started.pk, "finish")
    services.move_poll(gs, started.pk, "publish")
    bodies = [(kind, body) for kind in AS_SENT for body in sent(kind, "FR", peers)]
    with transaction.atomic():
        Ballot.objects.all().delete()
        Conference.objects.all().delete()
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    order = {k: i for i, k in enumerate(AS_SENT)}
    for kind, body in sorted(bodies, key=lambda kb: order[kb[0]]):
        if kind == services.POLL:
            continue  # the result carries the poll as published
        assert accept(peers, kind, body, "hub") == "accepted", kind
    return Poll.objects.get()


def test_the_node_recomputes_the_published_tally(on_a_node, capsys):
    assert on_a_node.state == "published" and on_a_node.resolution.state == "rejected"  # 1 yes, 1 no
    verified = services.verify_tally(on_a_node.pk)
    assert verified.ok and verified.recomputed and verified.recomputed.outcome == "rejected"
    assert cli.main(["conference", "verify-tally", str(on_a_node.pk)]) == 0
    arrived = AuditEntry.objects.get(action="conference.result_received")
    assert arrived.detail["verified"] is True and arrived.detail["problems"] == []
    assert "2 ballots verified of 2 entitled; yes 1, no 1" in capsys.readouterr().out


def test_a_tampered_ballot_is_detected(on_a_node, capsys):
    ballots = on_a_node.published_ballots
    ke = next(i for i, b in enumerate(ballots) if b["country"] == "KE")
    ballots[ke]["choice"] = "no"  # KE voted yes
    on_a_node.save()
    assert cli.main(["conference", "verify-tally", str(on_a_node.pk)]) == 2
    err = capsys.readouterr().err
    assert f"ballot {ke + 1} (KE, nonce {ballots[ke]['nonce']}): its signature does not verify" in err


def test_a_tally_that_the_ballots_do_not_give_is_detected(on_a_node, capsys):
    on_a_node.result = on_a_node.result | {"yes": 2, "no": 0, "outcome": "adopted"}
    on_a_node.save()
    assert cli.main(["conference", "verify-tally", str(on_a_node.pk)]) == 2
    assert "differs from the recomputed one" in capsys.readouterr().err


def test_a_ballot_under_a_key_the_directory_does_not_hold_is_detected(on_a_node, capsys):
    ballots = on_a_node.published_ballots
    ballots[0]["key_id"] = "0" * 32
    on_a_node.save()
    assert cli.main(["conference", "verify-tally", str(on_a_node.pk)]) == 2
    assert "is not a valid key of" in capsys.readouterr().err


def test_verify_tally_of_an_unknown_poll_is_a_usage_error(db, capsys):
    assert cli.main(["conference", "verify-tally", "nonsense"]) == 2
    assert "is not a poll's id" in capsys.readouterr().err


def test_the_polls_kept_on_the_node_are_listed(on_a_node, capsys):
    assert cli.main(["conference", "polls"]) == 0
    out = capsys.readouterr().out
    assert str(on_a_node.pk) in out and "published" in out and "rejected" in out
