"""The pages of national tasks and help requests, through the real sign-in: the agency's inbox and
task page (acting on it, and another agency's user refused), the officer's form and the panel on
the parent, the help form and the NCB's review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string

from ncbnet.base import clock
from ncbnet.conftest import sign_in
from ncbnet.cooperation.models import HelpRequest, Request, Task
from ncbnet.cooperation.services import help, tasks
from ncbnet.cooperation.tests.test_tasks_services import draft, request_from_br

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def police(agency_factory):
    return agency_factory("Police nationale", "police")


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


@pytest.fixture
def agent(user_factory, police):
    return user_factory("agency", "query", username="fr-police-1", agency=police)


def test_the_agency_inbox_lists_its_tasks_with_time_left_and_filters(peers, officer, agent, police, client):
    r = request_from_br(peers)
    task = tasks.create(officer, draft(r, police))
    sign_in(client, agent.username)
    page = client.get("/cooperation/tasks/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Task inbox" in html and "Find Jean Dupont&#x27;s address" in html and "left" in html
    assert 'role="search"' in html and 'scope="col"' in html
    assert str(task.pk) in html
    assert "Find Jean" not in client.get("/cooperation/tasks/?state=answered").content.decode()
    assert client.get("/cooperation/tasks/new/").status_code == 403  # agencies do not task


def test_the_task_page_lets_the_agency_acknowledge_and_answer_with_evidence(
    peers, officer, agent, police, client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = request_from_br(peers)
    task = tasks.create(officer, draft(r, police))
    sign_in(client, agent.username)
    page = client.get(f"/cooperation/tasks/{task.pk}/")
    assert page.status_code == 200 and "Act on this task" in page.content.decode()
    assert client.post(f"/cooperation/tasks/{task.pk}/acknowledge/", {"text": ""}).status_code == 302
    refused = client.post(f"/cooperation/tasks/{task.pk}/answer/", {"text": " "})
    assert refused.status_code == 400
    done = client.post(
        f"/cooperation/tasks/{task.pk}/answer/",
        {
            "text": "Lives at 12 rue X",
            "attachments": [SimpleUploadedFile("pv.txt", b"proces-verbal", "text/plain")],
        },
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.state == Task.State.ANSWERED and task.files.get().name == "pv.txt"
    shown = client.get(f"/cooperation/tasks/{task.pk}/").content.decode()
    assert "Lives at 12 rue X" in shown and "pv.txt" in shown and "Act on this task" not in shown
    f = task.files.get()
    got = client.get(f"/cooperation/tasks/{task.pk}/files/{f.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"proces-verbal"


def test_another_agencys_user_gets_404_and_an_officer_403_on_a_task(
    peers, officer, police, user_factory, agency_factory, client
):
    r = request_from_br(peers)
    task = tasks.create(officer, draft(r, police))
    user_factory("agency", "query", username="fr-customs-1", agency=agency_factory("Douane", "customs"))
    sign_in(client, "fr-customs-1")
    assert client.get(f"/cooperation/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/cooperation/tasks/{task.pk}/acknowledge/", {"text": ""}).status_code == 404
    client.logout()
    sign_in(client, officer.username)
    assert client.get(f"/cooperation/tasks/{task.pk}/").status_code == 200
    assert client.post(f"/cooperation/tasks/{task.pk}/answer/", {"text": "x"}).status_code == 403
    assert Task.objects.get().state == Task.State.ASSIGNED


def test_the_officer_tasks_an_agency_from_the_form_and_sees_the_warning(peers, officer, police, client):
    with clock.frozen(T0):
        r = request_from_br(peers, urgent=True)
        sign_in(client, officer.username)
        form = client.get(f"/cooperation/tasks/new/?parent_kind=request&parent_id={r.pk}")
        assert form.status_code == 200 and str(r.pk) in form.content.decode()
        base = {
            "parent_kind": "request",
            "parent_id": str(r.pk),
            "agency": police.pk,
            "action": "Find him",
            "legal_basis": "CPP",
            "details": "Lyon",
        }
        past = client.post("/cooperation/tasks/new/", {**base, "due_at": "2026-03-01T09:00"})
        assert past.status_code == 400 and not Task.objects.exists()
        made = client.post("/cooperation/tasks/new/", {**base, "due_at": "2026-03-05T09:00"}, follow=True)
        assert made.status_code == 200
        assert "due after the deadline" in made.content.decode()
    task = Task.objects.get()
    assert task.late_for_parent
    panel = render_to_string(
        "cooperation/tasks/_on_parent.html",
        {"tasks": tasks.of_parent("request", r.pk), "parent_kind": "request", "parent_id": r.pk},
    )
    assert "Find him" in panel and "Police nationale" in panel and "is due after this deadline" in panel


def test_the_help_form_and_the_ncb_review(peers, officer, agent, client):
    sign_in(client, agent.username)
    assert client.get("/cooperation/help/new/").status_code == 200
    bad = client.post(
        "/cooperation/help/new/",
        {"kind": "help", "title": "x", "details": "y", "countries": "ZZ", "purpose": "p", "legal_basis": "l"},
    )
    assert bad.status_code == 400 and "Unknown countries" in bad.content.decode()
    made = client.post(
        "/cooperation/help/new/",
        {
            "kind": "help",
            "title": "Stolen lorry to Santos",
            "details": "Lorry AB-123-CD",
            "persons": "Jean Dupont, 1980-01-02, FR",
            "objects": "Lorry AB-123-CD",
            "countries": "BR",
            "purpose": "Recover it",
            "legal_basis": "CPP",
            "urgency_ground": "",
        },
    )
    assert made.status_code == 302
    h = HelpRequest.objects.get()
    assert h.subjects[0] == {
        "type": "person",
        "name": "Jean Dupont",
        "date_of_birth": "1980-01-02",
        "nationality": "FR",
    }
    assert "Stolen lorry to Santos" in client.get("/cooperation/help/").content.decode()
    assert client.post(f"/cooperation/help/{h.pk}/send/", {}).status_code == 403
    client.logout()

    sign_in(client, officer.username)
    review = client.get("/cooperation/help/?state=submitted").content.decode()
    assert "Stolen lorry to Santos" in review and "Police nationale" in review
    page = client.get(f"/cooperation/help/{h.pk}/").content.decode()
    assert "Review and send abroad" in page and "Return to the agency" in page
    sent = client.post(
        f"/cooperation/help/{h.pk}/send/",
        {
            "kind": "help",
            "title": "Stolen lorry AB-123-CD",
            "details": "Lorry AB-123-CD",
            "persons": "Jean Dupont, 1980-01-02, FR",
            "objects": "Lorry AB-123-CD",
            "countries": "BR",
            "purpose": "Recover it",
            "legal_basis": "CPP",
            "urgency_ground": "",
            "request_kind": "information",
            "action": "",
            "access": "direct",
            "handling": "H1",
        },
    )
    assert sent.status_code == 302, sent.content.decode()
    assert Request.objects.get().title == "Stolen lorry AB-123-CD"
    h.refresh_from_db()
    assert h.state == HelpRequest.State.SENT


def test_a_returned_help_request_shows_its_reason_to_the_agency(peers, officer, agent, client):
    h = help.submit(
        agent,
        help.Draft(
            title="Caller saw him",
            details="In Recife",
            purpose="Locate",
            legal_basis="CPP",
            countries=["BR"],
            kind="public_information",
        ),
    )
    sign_in(client, officer.username)
    assert client.post(f"/cooperation/help/{h.pk}/return/", {"reason": ""}).status_code == 400
    assert client.post(f"/cooperation/help/{h.pk}/return/", {"reason": "Which date?"}).status_code == 302
    client.logout()
    sign_in(client, agent.username)
    page = client.get(f"/cooperation/help/{h.pk}/").content.decode()
    assert "Which date?" in page and "Review and send abroad" not in page


def test_the_request_page_shows_its_tasks_with_their_state_and_the_late_warning(
    peers, officer, agent, police, client
):
    r = request_from_br(peers, urgent=True)
    late = tasks.create(officer, draft(r, police, due_at=clock.now() + timedelta(days=2)))
    tasks.answer(
        agent, tasks.create(officer, draft(r, police, action="Check the registers")).pk, "Found in Lyon"
    )
    sign_in(client, officer.username)
    page = client.get(f"/cooperation/requests/{r.pk}/").content.decode()
    assert "National tasks" in page and "Found in Lyon" in page and "Answered" in page
    assert "is due after this deadline" in page and str(late.pk) in page
    assert f"parent_id={r.pk}" in page  # the button to task another agency
