"""The officer's home page: what needs action now, with the time left on the node's clock (received
requests due soonest, alerts, hits awaiting confirmation, overdue tasks, cases with new entries);
a head of NCB sees the alerts for heads, an officer does not; an agency user sees its own queue."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, sign_in
from ncbnet.cooperation.models import Alert
from ncbnet.cooperation.tests.test_statistics_figures import incoming
from ncbnet.hits import services as hits
from ncbnet.hits.tests.test_confirmation import report_body
from ncbnet.network import delivery

pytestmark = pytest.mark.django_db


def rows(html: str, title: str) -> str:
    """The table row of the request titled `title` on the page."""
    found = re.search(
        r'<tr class="work-request">((?:(?!</tr>).)*' + re.escape(title) + r".*?)</tr>", html, re.S
    )
    assert found, f"{title} is not on the page"
    return found.group(1)


@pytest.fixture
def t0() -> Any:
    return clock.now().replace(microsecond=0)


def test_an_officer_sees_urgent_requests_with_their_time_left_and_the_overdue_one_marked(
    client, peers, user_factory, t0
):
    user_factory("ncb", "officer", username="fr-duty")
    with clock.frozen(t0):
        incoming(peers, "BR", "Locate Ana Lima now", urgent=True)  # due t0 + 8 h
    with clock.frozen(t0 + timedelta(hours=2, minutes=55)):
        incoming(peers, "KE", "Vehicle ABC1D23 at the border", urgent=True)  # due t0 + 10 h 55 min
    with clock.frozen(t0 + timedelta(hours=8, minutes=40)):
        sign_in(client, "fr-duty")
        html = client.get("/").content.decode()
    assert "What needs action now" in html
    late = rows(html, "Locate Ana Lima now")
    assert '<strong class="error overdue">overdue by 40 min</strong>' in late
    soon = rows(html, "Vehicle ABC1D23 at the border")
    assert "2 h 15 min left" in soon and "error" not in soon
    assert "Urgent" in soon and "KE" in soon
    assert html.index("Locate Ana Lima now") < html.index("Vehicle ABC1D23 at the border")  # soonest first
    assert "No overdue tasks." in html and "No case has new entries." in html
    entry = AuditEntry.objects.filter(action="cooperation.worklist.read").latest("seq")
    assert entry.actor == "fr-duty" and len(entry.detail["requests"]) == 2


def test_a_request_answered_leaves_the_queue(client, peers, user_factory):
    from ncbnet.cooperation.services import requests

    officer = user_factory("ncb", "officer", username="fr-duty")
    request_id = incoming(peers, "BR", "Who holds passport 12AB34567")
    sign_in(client, "fr-duty")
    assert "Who holds passport 12AB34567" in client.get("/").content.decode()
    requests.answer(officer, request_id, "Ana Lima.")
    html = client.get("/").content.decode()
    assert "Who holds passport 12AB34567" not in html
    assert "No received request waits for your answer." in html


def alert(audience: str, text: str) -> Alert:
    return Alert.objects.create(
        at=clock.now(), audience=audience, what="request", ref=uuid.uuid4(), text=text
    )


def test_a_head_sees_head_alerts_and_an_officer_does_not(client, user_factory):
    user_factory("ncb", "officer", username="fr-duty")
    user_factory("ncb", "head", username="fr-head")
    alert("bureau", "Request from BR overdue: Locate Ana Lima")
    alert("head", "Still unanswered, for the head: Locate Ana Lima")
    done = alert("bureau", "Answered since: Vehicle ABC1D23")
    done.done_at = clock.now()
    done.save()

    sign_in(client, "fr-duty")
    officer_page = client.get("/").content.decode()
    assert "Request from BR overdue: Locate Ana Lima" in officer_page
    assert "Still unanswered, for the head" not in officer_page
    assert "Answered since" not in officer_page

    client.logout()
    sign_in(client, "fr-head")
    head_page = client.get("/").content.decode()
    assert "Still unanswered, for the head: Locate Ana Lima" in head_page
    assert "For the head of NCB" in head_page
    assert "Request from BR overdue: Locate Ana Lima" in head_page
    assert "Answered since" not in head_page


def test_the_owners_officer_sees_the_hit_awaiting_confirmation_with_its_time_left(
    client, settings, peers, user_factory
):
    settings.NCBNET_COUNTRY = "KE"
    delivery.accept(arriving(peers, hits.REPORT, report_body(), sender="FR"), 1)
    user_factory("ncb", "officer", username="ke-duty")
    sign_in(client, "ke-duty")
    html = client.get("/").content.decode()
    section = html[html.index("Hits awaiting your confirmation") :]
    assert "Daniel Otieno" in section and " min left" in section.split("</table>")[0]


def test_an_agency_user_sees_its_agencys_queue_and_not_the_bureaus(client, peers, user_factory):
    user_factory("agency", "query", username="fr-police")
    incoming(peers, "BR", "Locate Ana Lima now", urgent=True)
    alert("bureau", "Request from BR overdue")
    sign_in(client, "fr-police")
    html = client.get("/").content.decode()
    assert "Your agency&#x27;s open tasks" in html or "Your agency's open tasks" in html
    assert "Your requests for international help" in html
    assert "Locate Ana Lima now" not in html and "Request from BR overdue" not in html
    assert "Received requests, due soonest" not in html


def test_time_left_reads_in_days_hours_and_minutes(t0):
    from ncbnet.web.templatetags.worktime import duration, time_left

    with clock.frozen(t0):
        assert (
            time_left(t0 + timedelta(days=3, hours=4, minutes=5))
            == '<span class="time-left">3 d 4 h left</span>'
        )
        assert "2 h 15 min left" in time_left(t0 + timedelta(hours=2, minutes=15, seconds=30))
        assert "overdue by 40 min" in time_left(t0 - timedelta(minutes=40))
        assert time_left(None) == "—"
    assert duration(timedelta(hours=48)) == "2 d 0 h"


def test_overdue_tasks_and_help_requests_to_review_are_in_the_queue_and_the_agencys_tasks_in_its_own(
    client, peers, user_factory, agency_factory, t0
):
    from ncbnet.cooperation.models import Request
    from ncbnet.cooperation.services import help as helping
    from ncbnet.cooperation.services import tasks

    officer = user_factory("ncb", "officer", username="fr-duty")
    police = agency_factory("Police nationale", "police")
    agent = user_factory("agency", "query", username="fr-police", agency=police)
    customs = user_factory(
        "agency", "query", username="fr-customs", agency=agency_factory("Douane", "customs")
    )
    with clock.frozen(t0):
        request_id = incoming(peers, "BR", "Locate Ana Lima now")  # 7 days
        task = tasks.create(
            officer,
            tasks.Draft(
                "request", str(request_id), police.pk, "Check the address in Lyon", "CPP art. 694", "-"
            ),
        )
        helping.submit(
            agent,
            helping.Draft(
                title="Who owns the boat Estrela?",
                details="Seen in Marseille.",
                purpose="Drug trafficking investigation",
                legal_basis="CPP",
                countries=["BR"],
            ),
        )
    assert Request.objects.filter(pk=request_id).exists()
    with clock.frozen(task.due_at + timedelta(minutes=5)):
        sign_in(client, "fr-duty")
        html = client.get("/").content.decode()
        assert "Check the address in Lyon" in html and "overdue by 5 min" in html
        assert "Who owns the boat Estrela?" in html and "Police nationale" in html
        client.logout()
        sign_in(client, "fr-police")
        mine = client.get("/").content.decode()
        assert "Check the address in Lyon" in mine and "Who owns the boat Estrela?" in mine
        client.logout()
        sign_in(client, customs.username)
        theirs = client.get("/").content.decode()
        assert "Check the address in Lyon" not in theirs and "Who owns the boat Estrela?" not in theirs
