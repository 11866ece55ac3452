"""The conference's pages through the real sign-in: the GS publishes and runs the conference at the
hub; a bureau's head registers and votes on the bureau's node; staff read; others are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from ncbnet.base import clock
from ncbnet.conference import services
from ncbnet.conference.models import Ballot, Conference, Item, Poll, Registration, Resolution, Session
from ncbnet.conference.tests.conftest import sent
from ncbnet.conftest import sign_in

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    c = Client()
    sign_in(c, user.username)
    return c


def test_the_gs_publishes_the_conference_and_its_agenda(peers, gs):
    web = client_of(gs)
    assert "No conference is published yet" in web.get("/conference/").content.decode()
    r = web.post(
        "/conference/",
        {
            "step": "create",
            "year": "2026",
            "title": "94th Heads of NCB Conference",
            "starts": "2026-12-08",
            "ends": "2026-12-10",
            "venue": "Lyon",
            "time_zone": "Europe/Paris",
            "deadline": "2026-12-07T18:00",
            "languages": ["en", "fr"],
        },
        follow=True,
    )
    assert "published to every bureau" in r.content.decode()
    c = Conference.objects.get()
    assert c.languages == ["en", "fr"] and c.submission_deadline.isoformat() == "2026-12-07T17:00:00+00:00"
    web.post(
        "/conference/",
        {
            "step": "session",
            "title": "Opening",
            "starts": "2026-12-08T09:00",
            "ends": "2026-12-08T10:30",
            "room": "Hall A",
        },
    )
    s = Session.objects.get()
    web.post(
        "/conference/",
        {
            "step": "item",
            "session": str(s.pk),
            "title": "Budget",
            "speakers": "SG\nCFO",
            "majority": "two_thirds",
        },
    )
    item = Item.objects.get()
    assert item.speakers == ["SG", "CFO"] and item.majority == "two_thirds"
    from django.core.files.uploadedfile import SimpleUploadedFile

    web.post(
        "/conference/",
        {
            "step": "document",
            "title": "Budget report",
            "language": "fr",
            "item": str(item.pk),
            "file": SimpleUploadedFile("budget.pdf", b"%PDF-1.7 ..."),
        },
    )
    page = web.get("/conference/").content.decode()
    assert "Budget report" in page and "SG, CFO" in page
    assert sent(services.DOCUMENT, "KE", peers)[-1]["filename"] == "budget.pdf"
    ics = web.get(f"/conference/{c.year}/timetable.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert "BEGIN:VEVENT" in body and "SUMMARY:Opening" in body and "1. Budget (SG\\, CFO)" in body
    # Minutes, revisioned.
    web.post(f"/conference/items/{item.pk}/", {"text": "First draft"})
    web.post(f"/conference/items/{item.pk}/", {"text": "Approved text"})
    page = web.get(f"/conference/items/{item.pk}/").content.decode()
    assert "Revision 2" in page and "Approved text" in page and "Earlier revisions" in page


def test_the_gs_checks_credentials_and_runs_a_poll(peers, gs, conference, in_plenary):
    Registration.objects.create(
        conference=conference, country="KE", head="Wanjiru Kamau", submitted_by="ke-head"
    )
    web = client_of(gs)
    page = web.get("/conference/credentials/").content.decode()
    assert "Credential KE" in page
    reg = Registration.objects.get()
    web.post("/conference/credentials/", {"step": "credential", "registration": str(reg.pk)})
    reg.refresh_from_db()
    assert reg.credentialed
    r = web.post("/conference/resolutions/", {"step": "poll", "resolution": str(in_plenary.pk)}, follow=True)
    poll = Poll.objects.get()
    assert r.redirect_chain[-1][0] == f"/conference/polls/{poll.pk}/"
    web.post(f"/conference/polls/{poll.pk}/", {"step": "start"})
    web.post(f"/conference/polls/{poll.pk}/", {"step": "start"})  # twice: refused, said
    r = web.get(f"/conference/polls/{poll.pk}/")
    assert "Not done: the poll is started: it cannot become started" in r.content.decode()
    web.post(f"/conference/polls/{poll.pk}/", {"step": "finish"})
    web.post(f"/conference/polls/{poll.pk}/", {"step": "publish"})
    page = web.get(f"/conference/polls/{poll.pk}/").content.decode()
    assert "Result" in page and "No quorum" in page and "the tally recomputed: it matches" in page


def test_a_bad_id_in_a_form_is_said_not_raised(gs, conference):
    web = client_of(gs)
    r = web.post("/conference/credentials/", {"step": "credential", "registration": "nonsense"}, follow=True)
    assert r.status_code == 200 and "Not done" in r.content.decode()


def test_the_head_registers_and_votes_on_the_bureaus_node(peers, settings, user_factory):
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
    r = Resolution.objects.create(
        conference=c, title="On training", text="…", submitted_by="GS", state="in_plenary"
    )
    poll = Poll.objects.create(resolution=r, majority="simple", state="started", started_at=now)
    head = user_factory("ncb", "head", username="fr-head")
    web = client_of(head)
    web.post(
        "/conference/registration/", {"head": "Claire Martin", "delegates": "Hugo Bernard\nNadia Haddad"}
    )
    assert Registration.objects.get().delegates == ["Hugo Bernard", "Nadia Haddad"]
    assert "Pending: credentials to check" in web.get("/conference/registration/").content.decode()
    web.post(f"/conference/polls/{poll.pk}/", {"step": "vote", "choice": "yes"})
    b = Ballot.objects.get()
    assert (b.country, b.choice, b.status) == ("FR", "yes", "sent")
    assert sent(services.BALLOT, "hub", peers)[-1]["choice"] == "yes"
    page = web.get(f"/conference/polls/{poll.pk}/").content.decode()
    assert "Sent, waiting for the hub" in page and 'value="vote"' not in page
    # An officer reads, but neither registers nor votes.
    officer = client_of(user_factory("ncb", "officer"))
    assert officer.get("/conference/").status_code == 200
    assert officer.get("/conference/registration/").status_code == 403
    officer.post(f"/conference/polls/{poll.pk}/", {"step": "vote", "choice": "no"})
    assert Ballot.objects.count() == 1


def test_the_gs_reads_but_only_its_secretariat_checks_credentials(user_factory, gs, conference):
    analyst = client_of(user_factory("gs", "analyst"))
    assert analyst.get("/conference/").status_code == 200
    assert analyst.get("/conference/credentials/").status_code == 403


def test_a_national_agency_is_refused(user_factory):
    agency = client_of(user_factory("agency", "query"))
    assert agency.get("/conference/").status_code == 403


def test_the_next_conference_hears_the_actions_of_the_last(peers, gs, conference, in_plenary):
    Resolution.objects.filter(pk=in_plenary.pk).update(state="adopted")
    action = services.add_action(gs, in_plenary.pk, "Write the course catalogue", "KE")
    services.move_action(gs, action.pk, "in_progress", "Two courses of four written.")
    now = clock.now()
    services.create_conference(
        gs,
        year=now.year + 1,
        title="The next conference",
        starts=now.date() + timedelta(days=365),
        ends=now.date() + timedelta(days=367),
        venue="Nairobi",
        languages=["en"],
        submission_deadline=now + timedelta(days=300),
    )
    page = client_of(gs).get("/conference/").content.decode()
    assert "The next conference" in page and "Actions reported at this conference" in page
    assert "Two courses of four written." in page
