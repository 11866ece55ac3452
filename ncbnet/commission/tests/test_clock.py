"""Admissibility first, then the decision within 4 months (access) or 9 (correction, deletion),
counted from admissibility on the node's clock, shown to the applicant and alerted to the
Commission."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connections, transaction
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.audit import guards
from ncbnet.base import clock
from ncbnet.base.dates import add_months
from ncbnet.commission import journal, services
from ncbnet.commission.models import IllegalStep, JournalEntry
from ncbnet.commission.tests.conftest import csrf_client, filed, follow

pytestmark = pytest.mark.django_db(databases=["default", "commission"])

ADMITTED = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        ("access", datetime(2026, 5, 31, 9, 0, tzinfo=UTC)),
        ("correction", datetime(2026, 10, 31, 9, 0, tzinfo=UTC)),
        ("deletion", datetime(2026, 10, 31, 9, 0, tzinfo=UTC)),
    ],
)
def test_the_decision_is_due_months_after_admissibility(commission, kind, due):
    request, _ = filed(kind)
    with clock.frozen(ADMITTED):
        services.decide_admissibility(commission["secretariat"], request.pk, admissible=True, note="")
    request.refresh_from_db()
    assert request.state == "admissible" and request.admissible_at == ADMITTED and request.due_at == due


def test_the_applicant_sees_the_clock_and_each_step(commission):
    with clock.frozen(ADMITTED - timedelta(days=10)):
        request, secret = filed("access")
    with clock.frozen(ADMITTED):
        services.decide_admissibility(
            commission["secretariat"], request.pk, admissible=True, note="Your request is admissible."
        )
    with clock.frozen(ADMITTED + timedelta(days=20)):
        page = follow(csrf_client(), request.reference, secret).content.decode()
    assert "Request received" in page and "Declared admissible" in page
    assert "Your request is admissible." in page
    assert "Decision due by 2026-05-31." in page and "100 days left." in page


def test_the_commission_is_alerted_to_deadlines(client, commission):
    soon, _ = filed("access")
    later, _ = filed("deletion")
    with clock.frozen(ADMITTED):
        for r in (soon, later):
            services.decide_admissibility(commission["secretariat"], r.pk, admissible=True, note="")
    with clock.frozen(datetime(2026, 5, 10, tzinfo=UTC)):
        client.force_login(commission["member"])
        assert services.due() == {"overdue": [], "soon": [soon]}
        page = client.get("/commission/requests/").content.decode()
        assert "Due within 30 days" in page and "Past their deadline" not in page
    with clock.frozen(datetime(2026, 6, 1, tzinfo=UTC)):
        client.force_login(commission["member"])  # the session of three weeks ago has expired
        assert services.due() == {"overdue": [soon], "soon": []}
        page = client.get("/commission/requests/").content.decode()
        assert "Past their deadline" in page and soon.reference in page
    with clock.frozen(datetime(2026, 10, 31, 10, tzinfo=UTC)):
        assert services.due()["overdue"] == [soon, later]


def test_admissibility_is_decided_once_and_inadmissibility_says_why(commission):
    request, secret = filed()
    with pytest.raises(IllegalStep):
        services.decide_admissibility(commission["secretariat"], request.pk, admissible=False, note=" ")
    services.decide_admissibility(
        commission["secretariat"], request.pk, admissible=False, note="No identity document readable."
    )
    with pytest.raises(IllegalStep):
        services.decide_admissibility(commission["secretariat"], request.pk, admissible=True, note="")
    request.refresh_from_db()
    assert request.state == "inadmissible" and request.due_at is None
    page = follow(csrf_client(), request.reference, secret).content.decode()
    assert "Declared inadmissible" in page and "No identity document readable." in page


def test_the_secretariat_decides_through_the_page(client, commission):
    request, _ = filed()
    client.force_login(commission["secretariat"])
    page = client.get(f"/commission/requests/{request.pk}/").content.decode()
    assert "Admissibility" in page and "passport.pdf" in page
    path = f"/commission/requests/{request.pk}/admissibility/"
    refused = client.post(path, {"decision": "inadmissible", "note": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    assert client.post(path, {"decision": "admissible"}).status_code == 302
    assert [e.action for e in JournalEntry.objects.all()][-1] == "ccf.request.admissible"
    assert journal.verify().ok


def test_the_applicants_files_go_only_to_the_commission_as_downloads(client, commission, user_factory):
    request, _ = filed(filer="lawyer")
    authority = request.documents.get(kind="authority")
    path = f"/commission/requests/{request.pk}/documents/{authority.pk}/"
    assert client.get(path).status_code == 302  # anonymous: the sign-in page
    client.force_login(user_factory("gs", "network_admin"))
    assert client.get(path).status_code == 403
    client.force_login(commission["member"])
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == bytes(authority.content)
    assert JournalEntry.objects.filter(action="ccf.document.downloaded").count() == 1
    other, _ = filed()
    assert client.get(f"/commission/requests/{other.pk}/documents/{authority.pk}/").status_code == 404


def test_the_journal_finds_an_altered_entry(commission):
    filed()
    assert journal.verify().ok
    with pytest.raises(DatabaseError), transaction.atomic(using="commission"):  # the database refuses
        JournalEntry.objects.filter(seq=1).update(ip="203.0.113.9")
    with pytest.raises(DatabaseError), transaction.atomic(using="commission"):
        JournalEntry.objects.filter(seq=1).delete()
    connection = connections["commission"]  # an intruder with the database's keys drops the guards
    guards.remove(connection, "commission_journalentry")
    JournalEntry.objects.filter(seq=1).update(ip="203.0.113.9")
    guards.install(connection, "commission_journalentry")
    assert not journal.verify().ok


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=0, max_value=24),
)
def test_add_months_keeps_the_day_or_takes_the_months_last(at, months):
    later = add_months(at, months)
    assert (later.year * 12 + later.month) - (at.year * 12 + at.month) == months
    assert later.day == at.day or (later.day < at.day and (later + timedelta(days=1)).month != later.month)
    assert later.time() == at.time()
