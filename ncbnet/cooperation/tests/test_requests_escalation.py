"""Overdue requests escalate on the controlled clock: the bureau's officers are alerted at the
deadline, the head of NCB an eighth of the window later; the requester sees the request overdue
only once it reaches the requester's level. The alerts are done when the request is answered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cooperation import deadlines
from ncbnet.cooperation.models import Alert, Request
from ncbnet.cooperation.services import escalation
from ncbnet.cooperation.services import requests as services

from .conftest import request_body, step_body

pytestmark = pytest.mark.django_db
WINDOW = timedelta(hours=8)  # urgent, direct access


def incoming(deliver) -> Request:
    body = request_body(urgent=True, urgency_ground="life")
    assert deliver(services.KIND, body) == "accepted"
    return Request.objects.get(pk=body["request_id"])


def test_levels_one_two_three_alert_the_bureau_then_the_head(deliver, user_factory):
    officer, head = user_factory("ncb", "officer"), user_factory("ncb", "head")
    r = incoming(deliver)
    with clock.travel(WINDOW - timedelta(minutes=1)):
        escalation.escalate()
    assert Request.objects.get(pk=r.pk).escalation == 0 and not Alert.objects.exists()
    with clock.travel(WINDOW + timedelta(minutes=1)):
        escalation.escalate()
        escalation.escalate()  # a second run raises nothing more
    assert Request.objects.get(pk=r.pk).escalation == deadlines.BUREAU
    assert list(Alert.objects.values_list("audience", flat=True)) == ["bureau"]
    assert [a.audience for a in escalation.alerts(officer)] == ["bureau"]
    with clock.travel(WINDOW + WINDOW / 8 + timedelta(minutes=1)):
        escalation.escalate()
    assert Request.objects.get(pk=r.pk).escalation == deadlines.HEAD
    assert sorted(a.audience for a in escalation.alerts(head)) == ["bureau", "head"]
    assert [a.audience for a in escalation.alerts(officer)] == ["bureau"]
    with clock.travel(WINDOW + WINDOW / 4 + timedelta(minutes=1)):
        escalation.escalate()
    assert Request.objects.get(pk=r.pk).escalation == deadlines.REQUESTER
    assert Alert.objects.count() == 2
    assert list(
        AuditEntry.objects.filter(action="cooperation.request.escalate", target_id=str(r.pk)).values_list(
            "detail__to", flat=True
        )
    ) == [1, 2, 3]
    assert r.events.filter(kind="overdue").count() == 1
    services.answer(officer, r.pk, "Late, but here.")
    assert not escalation.alerts(head).exists()
    assert Alert.objects.filter(done_at__isnull=False).count() == 2


def test_all_levels_at_once_after_a_long_silence(deliver, user_factory):
    r = incoming(deliver)
    with clock.travel(WINDOW * 3):
        escalation.escalate()
    assert Request.objects.get(pk=r.pk).escalation == deadlines.REQUESTER
    assert sorted(Alert.objects.values_list("audience", flat=True)) == ["bureau", "head"]


def test_a_pause_settles_the_alerts_and_moves_the_deadline(deliver, user_factory):
    officer = user_factory("ncb", "officer")
    r = incoming(deliver)
    with clock.travel(WINDOW + timedelta(minutes=1)):
        escalation.escalate()
        services.pause(officer, r.pk, "The judge decides tomorrow.", 24)
        assert not escalation.alerts(officer).exists()
        escalation.escalate()
    assert Request.objects.get(pk=r.pk).escalation == 0


def test_the_requester_sees_it_overdue_only_from_level_three(deliver, user_factory):
    officer = user_factory("ncb", "officer")
    draft = services.Draft(
        to=["BR"],
        kind="information",
        title="Urgent",
        details="d",
        legal_basis="l",
        purpose="p",
        urgent=True,
        urgency_ground="life",
    )
    r = services.send(officer, draft)[0]
    assert deliver(services.STEP, step_body(r.pk, "received")) == "accepted"
    for at, level, overdue in (
        (WINDOW + timedelta(minutes=1), 0, False),
        (WINDOW + WINDOW / 8 + timedelta(minutes=1), 0, False),
        (WINDOW + WINDOW / 4 + timedelta(minutes=1), deadlines.REQUESTER, True),
    ):
        with clock.travel(at):
            escalation.escalate()
            kept = Request.objects.get(pk=r.pk)
            assert kept.escalation == level and services.seen_overdue(kept, clock.now()) is overdue
    assert not Alert.objects.exists()  # alerts are the requested bureau's
    assert kept.events.filter(kind="overdue").count() == 1


def test_a_request_escalated_to_the_head_is_on_the_heads_own_list(client, deliver, user_factory):
    from ncbnet.conftest import sign_in

    user_factory("ncb", "head", username="fr-head")
    r = incoming(deliver)
    with clock.travel(WINDOW + WINDOW / 8 + timedelta(minutes=1)):
        escalation.escalate()
    sign_in(client, "fr-head")
    page = client.get("/cooperation/escalated/").content.decode()
    assert f"/cooperation/requests/{r.pk}/" in page and "escalated to the head of NCB" in page
