"""The hit pages: the owner's officers are alerted on every page, answer from the report, and the
bureau that screened follows the answer."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving, sign_in
from ncbnet.hits import services
from ncbnet.hits.models import HitReport
from ncbnet.hits.tests.test_confirmation import report_body
from ncbnet.network import delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_officer(client, settings, peers, user_factory):
    settings.NCBNET_COUNTRY = "KE"
    delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1)
    user_factory("ncb", "officer", username="ke-duty")
    sign_in(client, "ke-duty")
    return HitReport.objects.get()


def test_the_owners_officer_is_alerted_and_answers_from_the_report(client, owner_officer):
    alert = client.get("/hits/alerts/").content.decode()
    assert "1 hit on our records awaits our answer" in alert and "Daniel Otieno" in alert
    assert "Hits on our records: answer now" in client.get("/hits/").content.decode()
    page = client.get(f"/hits/{owner_officer.pk}/").content.decode()
    assert "CDG terminal 2" in page and "Answer as the owner" in page
    refused = client.post(f"/hits/{owner_officer.pk}/", {"outcome": "more_time"}).content.decode()
    assert "Say how many minutes you need." in refused
    client.post(f"/hits/{owner_officer.pk}/", {"outcome": "confirmed", "note": "warrant valid"})
    owner_officer.refresh_from_db()
    assert owner_officer.state == "confirmed"
    assert client.get("/hits/alerts/").content.decode().strip() == ""
    assert "Answer as the owner" not in client.get(f"/hits/{owner_officer.pk}/").content.decode()


def test_an_overdue_hit_says_so(client, owner_officer):
    with clock.travel(timedelta(minutes=11)):
        assert "overdue" in client.get("/hits/alerts/").content.decode()


def test_an_agency_user_sees_only_the_hits_of_its_own_screenings(client, settings, peers, user_factory):
    settings.NCBNET_COUNTRY = "KE"
    delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1)
    user_factory("agency", "query", username="ke-customs")
    sign_in(client, "ke-customs")
    assert "No hit reports." in client.get("/hits/").content.decode()
    assert client.get(f"/hits/{HitReport.objects.get().pk}/").status_code == 404


def test_at_the_hub_the_gs_is_alerted_to_hits_escalated_to_it(client, hub, peers, user_factory):
    delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1)
    user_factory("gs", "analyst", username="gs-duty")
    sign_in(client, "gs-duty")
    assert client.get("/hits/alerts/").content.decode().strip() == ""
    for minutes in (11, 22, 33):
        with clock.travel(timedelta(minutes=minutes)):
            services.escalate()
    alert = client.get("/hits/alerts/").content.decode()
    assert "1 hit escalated to the General Secretariat" in alert and "owner KE" in alert
    assert 'id="hit-alerts"' in client.get("/").content.decode()
    assert "Escalated to the General Secretariat" in client.get("/hits/").content.decode()
