"""The head of NCB gets an alert of their own when the hub escalates an unanswered hit on the
bureau's records to them: on the home page's work queue and on their "escalated to me" list, the
same alerts as overdue requests escalated to the head. The bureau's answer closes it.

The escalation steps come from the hub's clock (test_confirmation.py moves it and sees the levels
1, 2, 3 go out); here the owner's node receives those steps as the hub sends them, on a clock the
test moves."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, sign_in
from ncbnet.cooperation.models.requests import Alert
from ncbnet.hits import services
from ncbnet.hits.models import HitReport
from ncbnet.hits.tests.test_confirmation import REPORT_ID, report_body
from ncbnet.network import delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def kenya(settings):
    settings.NCBNET_COUNTRY = "KE"


@pytest.fixture
def ke_people(kenya, user_factory):
    return {
        "head": user_factory("ncb", "head", username="ke-head"),
        "officer": user_factory("ncb", "officer", username="ke-officer"),
    }


def escalation(level, seq, peers):
    body = {"id": REPORT_ID, "level": level, "at": clock.now().isoformat()}
    return delivery.accept(arriving(peers, services.ESCALATE, body, sender="hub"), seq)


def test_the_head_is_alerted_when_a_hit_reaches_them_and_the_answer_closes_it(client, peers, ke_people):
    start = clock.now()
    assert delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1) == "accepted"
    with clock.frozen(start + timedelta(minutes=10, seconds=1)):
        assert escalation(1, 2, peers) == "accepted"
    assert not Alert.objects.filter(what="hit").exists()  # a reminder is the bureau's, not the head's
    reached = start + timedelta(minutes=20, seconds=2)
    with clock.frozen(reached):
        assert escalation(2, 3, peers) == "accepted"
    alert = Alert.objects.get(what="hit")
    assert (alert.audience, str(alert.ref), alert.at) == ("head", REPORT_ID, reached)
    assert "Daniel Otieno" in alert.text and "head of NCB" in alert.text
    assert AuditEntry.objects.filter(action="cooperation.alert.raise").count() == 1
    with clock.frozen(start + timedelta(minutes=30, seconds=3)):
        assert escalation(3, 4, peers) == "accepted"
    assert Alert.objects.filter(what="hit").count() == 1  # one alert, however far it goes

    sign_in(client, "ke-head")
    home = client.get("/").content.decode()
    assert "For the head of NCB" in home
    assert f'<a href="/hits/{REPORT_ID}/">Hit on Daniel Otieno found by FR unanswered' in home
    mine = client.get("/cooperation/escalated/").content.decode()
    assert "Daniel Otieno" in mine and "open" in mine
    assert client.get(f"/hits/{REPORT_ID}/").status_code == 200

    services.answer(ke_people["officer"], HitReport.objects.get().pk, "confirmed", "the warrant is valid")
    assert Alert.objects.get(what="hit").done_at is not None
    assert "For the head of NCB" not in client.get("/").content.decode()
    assert "answered" in client.get("/cooperation/escalated/").content.decode()


def test_only_the_head_has_an_escalated_list(client, peers, ke_people):
    sign_in(client, "ke-officer")
    assert client.get("/cooperation/escalated/").status_code == 403


def test_the_screening_bureau_raises_no_head_alert_for_another_bureaus_hit(peers, user_factory):
    """FR screened KE's record: the escalation reaches FR too, but FR's head has nothing to answer."""
    from ncbnet.screening import services as screening
    from ncbnet.screening.tests.test_persons import person

    person("KE", "Daniel Otieno")
    screening.person(user_factory("ncb", "officer"), "Daniel Otieno", context={"urgent": True})
    report = HitReport.objects.get()
    body = {"id": str(report.pk), "level": 2, "at": clock.now().isoformat()}
    assert delivery.accept(arriving(peers, services.ESCALATE, body, sender="hub"), 1) == "accepted"
    assert not Alert.objects.exists()
