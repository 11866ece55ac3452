"""Notices and diffusions count their steps (`notices.tallies`): a submission; a review's decision
with its time against the 24-hour target; a cancellation, an expiry; a diffusion sent and withdrawn.
Each counts the category the notice had at that step."""

from datetime import UTC, datetime, timedelta

import pytest

from ncbnet.analytics.tests.figures import rows
from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.notices import services
from ncbnet.notices.models import Notice
from ncbnet.notices.tests.test_notices import red

pytestmark = pytest.mark.django_db
FR = Actor("fr-officer", "FR")
GS = Actor("gs-reviewer", gs=True)
AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def at_the_hub(hub):
    """Notices are reviewed at the hub."""


def figure(event, outcome="", *, n=1, seconds=0.0, late=0, iccs="0502", database="notices", restricted=False):
    return {
        "event": event,
        "country": "FR",
        "owner": "FR",
        "database": database,
        "kind": "red",
        "iccs": iccs,
        "outcome": outcome,
        "restricted": restricted,
        "n": n,
        "late": late,
        "seconds": seconds,
    }


def submitted(**data):
    n = services.draft(FR, "red", red(**data))
    return services.submit(FR, str(n.pk))


def test_a_decision_counts_its_review_time_late_past_24_hours():
    with clock.frozen(AT):
        on_time, late = submitted(iccs="0502"), submitted(iccs="0502")
    with clock.frozen(AT + timedelta(hours=3)):
        services.review(GS, str(on_time.pk), "approve", "compliant")
    with clock.frozen(AT + timedelta(hours=25)):
        services.review(GS, str(late.pk), "reject", "no warrant")
    assert rows("notice.submitted") == [figure("notice.submitted", n=2)]
    assert rows("notice.decided") == [
        figure("notice.decided", "published", seconds=3 * 3600),
        figure("notice.decided", "refused", seconds=25 * 3600, late=1),
    ]


def test_a_decision_recorded_before_its_submission_counts_no_time_and_is_not_refused():
    """A hub whose clock was set back (the demo's story reviews a notice years in the past): the
    review goes through, its figure counts no time and is not late."""
    with clock.frozen(AT):
        notice = submitted(iccs="0502")
    with clock.frozen(AT - timedelta(days=30)):
        services.review(GS, str(notice.pk), "approve", "compliant")
    assert Notice.objects.get(pk=notice.pk).state == "published"
    assert rows("notice.decided") == [figure("notice.decided", "published")]


def test_a_resubmission_counts_again_with_its_new_category_and_the_time_from_it():
    with clock.frozen(AT):
        n = submitted(iccs="0502")
    with clock.frozen(AT + timedelta(hours=1)):
        services.review(GS, str(n.pk), "changes", "say which warrant")
    with clock.frozen(AT + timedelta(hours=30)):
        services.resubmit(FR, str(n.pk), red(iccs="0401"))
    with clock.frozen(AT + timedelta(hours=32)):
        services.review(GS, str(n.pk), "approve", "compliant")
    assert rows("notice.submitted") == [figure("notice.submitted", iccs="0401"), figure("notice.submitted")]
    assert rows("notice.decided") == [figure("notice.decided", "published", seconds=2 * 3600, iccs="0401")]


def test_a_cancellation_and_an_expiry_count_and_a_cancelled_draft_does_not():
    draft = services.draft(FR, "red", red())
    services.cancel(FR, str(draft.pk), "typed in error")
    cancelled, expired = submitted(), submitted()
    services.review(GS, str(cancelled.pk), "approve", "compliant")
    services.cancel(FR, str(cancelled.pk), "arrested")
    services.review(GS, str(expired.pk), "approve", "compliant")
    Notice.objects.filter(pk=expired.pk).update(periodic_review_at=clock.now())
    services.tick()
    outcomes = [(f["outcome"], f["n"]) for f in rows("notice.decided")]
    assert outcomes == [("cancelled", 1), ("expired", 1), ("published", 2)]


def test_a_diffusion_counts_restricted_and_its_withdrawal_once():
    d = services.diffuse(FR, "red", ["BR"], red(iccs="0502"))
    services.check_diffusion(GS, str(d.pk), "withdrawn", "political")
    services.check_diffusion(GS, str(d.pk), "withdrawn", "political, again")
    assert rows() == [
        figure("notice.decided", "withdrawn", database="diffusions", restricted=True),
        figure("notice.submitted", database="diffusions", restricted=True),
    ]
