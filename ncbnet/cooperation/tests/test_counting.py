"""Cooperation counts where it is seen (`cooperation.services.tallies`), always restricted: a
request sent by the requesting node; its first answer or its refusal by both parties, with its time
from sending, late past its deadline; an operation's result by every node that keeps it."""

import dataclasses
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ncbnet.analytics.tests.figures import rows
from ncbnet.base import clock
from ncbnet.cooperation.models import Request
from ncbnet.cooperation.services import operations as ops
from ncbnet.cooperation.services import requests as services
from ncbnet.cooperation.tests.test_operations_hostile import accept, kept_operation, result
from ncbnet.cooperation.tests.test_operations_services import arrest

from .conftest import request_body, step_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


def draft(urgent=False):
    return services.Draft(
        to=["BR"],
        kind="information",
        title="Who owns ABC1D23?",
        details="A car seen at Lyon.",
        legal_basis="Art. 3",
        purpose="Theft",
        urgent=urgent,
        urgency_ground="life" if urgent else "",
    )


def test_a_request_sent_and_answered_late_counts_at_the_requester(deliver, officer):
    [r] = services.send(officer, draft())
    assert deliver(services.STEP, step_body(r.pk, "received")) == "accepted"
    r.refresh_from_db()
    late = r.due_at - r.created_at + timedelta(hours=1)
    with clock.travel(late):
        assert deliver(services.STEP, step_body(r.pk, "answered")) == "accepted"
        assert deliver(services.STEP, step_body(r.pk, "answered")) == "accepted"  # a further answer
    [sent] = rows("request.sent")
    assert (sent["country"], sent["owner"], sent["database"], sent["kind"], sent["restricted"]) == (
        "FR",
        "BR",
        "requests",
        "information",
        True,
    )
    [closed] = rows("request.closed")
    assert (closed["outcome"], closed["n"], closed["late"]) == ("answered", 1, 1)
    assert closed["seconds"] == pytest.approx(late.total_seconds(), abs=5)


def test_a_request_refused_on_time_counts_at_the_requested_bureau(deliver, officer):
    body = request_body()
    assert deliver(services.KIND, body) == "accepted"
    services.refuse(officer, body["request_id"], "security", "an ongoing investigation")
    assert rows("request.sent") == []  # sent by BR: BR counts it
    [closed] = rows("request.closed")
    assert (closed["country"], closed["owner"], closed["outcome"], closed["late"]) == (
        "BR",
        "FR",
        "refused",
        0,
    )


def test_a_result_counts_where_it_is_reported_and_where_it_arrives(peers, officer):
    body = kept_operation(peers, participants=["BR", "FR"])
    ops.report(officer, body["operation_id"], arrest())
    assert (
        accept(peers, "cooperation.operation.result", result(body["operation_id"], "BR"), "BR") == "accepted"
    )
    counted = rows("operation.result")
    assert [(r["country"], r["database"], r["kind"], r["n"], r["restricted"]) for r in counted] == [
        ("BR", "operations", "arrest", 1, True),
        ("FR", "operations", "arrest", 1, True),
    ]


def test_a_request_counts_in_its_crime_category_at_both_parties(deliver, officer):
    [r] = services.send(officer, dataclasses.replace(draft(), iccs="0502"))
    assert r.iccs == "0502"
    assert deliver(services.STEP, step_body(r.pk, "received")) == "accepted"
    assert deliver(services.STEP, step_body(r.pk, "answered")) == "accepted"
    assert [c["iccs"] for c in rows("request.sent")] == ["0502"]
    assert [c["iccs"] for c in rows("request.closed")] == ["0502"]
    body = request_body(iccs="0601")  # received with its category: the refusal counts in it
    assert deliver(services.KIND, body) == "accepted"
    services.refuse(officer, body["request_id"], "security", "an ongoing investigation")
    assert sorted(c["iccs"] for c in rows("request.closed")) == ["0502", "0601"]


@pytest.mark.parametrize("code", ["9999", "05", "05021"])
def test_a_request_with_a_crime_category_that_is_not_a_level_2_code_is_refused(officer, code):
    with pytest.raises(ValidationError) as refused:
        services.send(officer, dataclasses.replace(draft(), iccs=code))
    assert "iccs" in refused.value.message_dict
    assert not Request.objects.exists()


def test_a_result_counts_in_its_crime_category_where_reported_and_where_it_arrives(peers, officer):
    body = kept_operation(peers, participants=["BR", "FR"])
    mine = ops.report(officer, body["operation_id"], dataclasses.replace(arrest(), iccs="0901"))
    assert mine.iccs == "0901"
    theirs = result(body["operation_id"], "BR", iccs="0601")
    assert accept(peers, "cooperation.operation.result", theirs, "BR") == "accepted"
    assert sorted((c["country"], c["iccs"]) for c in rows("operation.result")) == [
        ("BR", "0601"),
        ("FR", "0901"),
    ]
    with pytest.raises(ValidationError) as refused:
        ops.report(officer, body["operation_id"], dataclasses.replace(arrest(), iccs="09"))
    assert "iccs" in refused.value.message_dict
