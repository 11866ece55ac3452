"""The conference API: registrations, credentials, polls and ballots, each behind its policy, errors
as problem details."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from ncbnet.base import clock
from ncbnet.conference import services
from ncbnet.conference.models import Ballot, Conference, Poll, Registration, Resolution
from ncbnet.conference.tests.conftest import accept, credentialed, signed_ballot
from ncbnet.conftest import sign_in

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    c = Client()
    sign_in(c, user.username)
    return c


def test_the_gs_credentials_and_reads_a_published_poll(peers, gs, conference, started):
    reg = Registration.objects.create(
        conference=conference, country="KE", head="Wanjiru Kamau", submitted_by="x"
    )
    web = client_of(gs)
    url = f"/api/v1/conference/registrations/{reg.pk}/credentials"
    r = web.post(url, {"accept": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["credentialed"] is True
    r = web.post(url, {"accept": True}, content_type="application/json")
    assert r.status_code == 422 and "cannot become credentialed" in r.json()["errors"][0]["message"]
    credentialed(gs, conference, "BR")
    for country, choice in (("KE", "yes"), ("BR", "yes")):
        assert (
            accept(peers, services.BALLOT, signed_ballot(peers, started, country, choice), country)
            == "accepted"
        )
    services.move_poll(gs, started.pk, "finish")
    services.move_poll(gs, started.pk, "publish")
    got = web.get(f"/api/v1/conference/polls/{started.pk}").json()
    assert got["state"] == "published" and got["result"]["outcome"] == "adopted" and got["verified"] is True
    ballots = web.get(f"/api/v1/conference/polls/{started.pk}/ballots").json()
    assert [b["country"] for b in ballots] == ["BR", "KE"] and all(b["signature"] for b in ballots)
    assert web.get("/api/v1/conference/registrations").status_code == 200


def test_the_head_registers_and_votes(peers, settings, user_factory):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    now = clock.now()
    c = Conference.objects.create(
        year=now.year,
        title="C",
        starts=now.date(),
        ends=now.date(),
        venue="Lyon",
        languages=["en"],
        submission_deadline=now + timedelta(days=1),
    )
    r = Resolution.objects.create(conference=c, title="T", text="…", submitted_by="GS", state="in_plenary")
    poll = Poll.objects.create(resolution=r, majority="simple", state="started", started_at=now)
    web = client_of(user_factory("ncb", "head", username="fr-head"))
    got = web.post(
        "/api/v1/conference/registrations",
        {"head": "Claire Martin", "delegates": ["Hugo Bernard"]},
        content_type="application/json",
    )
    assert got.status_code == 201 and got.json()["state"] == "pending"
    too_many = web.post(
        "/api/v1/conference/registrations",
        {"head": "C", "delegates": ["x"] * 11},
        content_type="application/json",
    )
    assert too_many.status_code == 422
    voted = web.post(
        f"/api/v1/conference/polls/{poll.pk}/ballots", {"choice": "yes"}, content_type="application/json"
    )
    assert voted.status_code == 202 and voted.json()["status"] == "sent"
    again = web.post(
        f"/api/v1/conference/polls/{poll.pk}/ballots", {"choice": "no"}, content_type="application/json"
    )
    assert again.status_code == 422 and "voted on this poll already" in again.json()["errors"][0]["message"]
    assert Ballot.objects.count() == 1
    officer = client_of(user_factory("ncb", "officer"))
    refused = officer.post(
        f"/api/v1/conference/polls/{poll.pk}/ballots", {"choice": "no"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert officer.get("/api/v1/conference/polls").status_code == 200
