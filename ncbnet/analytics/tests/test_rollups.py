"""The daily rollups through `base.tally`: counts are summed into one row per day and values, in
the caller's transaction (a rolled-back event leaves no figure), and refused when impossible."""

from datetime import UTC, date, datetime

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.analytics.models import DailyFigure
from ncbnet.base import tally

pytestmark = pytest.mark.django_db


def _figures() -> dict[tuple, tuple]:
    return {
        (f.day, f.event, f.country, f.database, f.outcome): (f.n, round(f.seconds, 6), f.late)
        for f in DailyFigure.objects.filter(rolled="")
    }


def test_counts_add_up_by_day_and_values():
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    tally.count("screening.searched", at, country="FR", database="SLTD", outcome="miss")
    tally.count("screening.searched", at, country="FR", database="SLTD", outcome="miss", n=2)
    tally.count("screening.searched", at, country="FR", database="SLTD", outcome="hit")
    tally.count("hit.answered", at, country="DE", outcome="confirmed", seconds=120.5, late=0)
    tally.count("hit.answered", at, country="DE", outcome="confirmed", seconds=7200, late=1)
    assert _figures() == {
        (date(2026, 3, 1), "screening.searched", "FR", "SLTD", "miss"): (3, 0.0, 0),
        (date(2026, 3, 1), "screening.searched", "FR", "SLTD", "hit"): (1, 0.0, 0),
        (date(2026, 3, 1), "hit.answered", "DE", "", "confirmed"): (2, 7320.5, 1),
    }


def test_the_day_is_the_utc_day():
    tally.count("record.contributed", datetime.fromisoformat("2026-03-02T01:00:00+03:00"), country="RU")
    assert DailyFigure.objects.get(rolled="").day == date(2026, 3, 1)


def test_a_rolled_back_event_leaves_no_figure():
    with pytest.raises(RuntimeError), transaction.atomic():
        tally.count("record.contributed", datetime(2026, 3, 1, tzinfo=UTC), country="FR")
        raise RuntimeError("the event's transaction fails")
    assert not DailyFigure.objects.exists()


@pytest.mark.parametrize(
    "values",
    [{"event": "record.invented"}, {"n": -1}, {"late": 2, "n": 1}, {"seconds": -0.5}],
)
def test_impossible_counts_are_refused(values):
    event = values.pop("event", "record.contributed")
    with pytest.raises(ValueError):
        tally.count(event, datetime(2026, 3, 1, tzinfo=UTC), **values)
    assert not DailyFigure.objects.exists()


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        tally.count("record.contributed", datetime(2026, 3, 1))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["FR", "DE", "GS"]), st.sampled_from(["hit", "miss"]), st.integers(1, 5)),
        max_size=60,
    )
)
def test_a_bulk_count_equals_counting_one_by_one(events):
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with transaction.atomic():
        tally.count_all(
            tally.Count("screening.searched", at.date(), country=c, outcome=o, n=k) for c, o, k in events
        )
        bulk = _figures()
        transaction.set_rollback(True)
    with transaction.atomic():
        for c, o, k in events:
            tally.count("screening.searched", at, country=c, outcome=o, n=k)
        assert _figures() == bulk
        transaction.set_rollback(True)


def test_counts_gathered_are_sent_once_on_leaving_the_outer_block():
    from ncbnet.analytics.tests.figures import sends

    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with sends() as sent, tally.gathered():
        tally.count("screening.searched", at, country="FR", outcome="hit")
        with tally.gathered():
            tally.count("hit.reported", at, country="FR", owner="KE")
            tally.count("screening.searched", at, country="FR", outcome="hit")
        assert sent == [] and not DailyFigure.objects.exists()
    assert [sorted((c.event, c.n) for c in counts) for counts in sent] == [
        [("hit.reported", 1), ("screening.searched", 2)]
    ]
    assert DailyFigure.objects.filter(rolled="").count() == 2


def test_a_gathered_block_left_by_an_error_counts_nothing():
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(RuntimeError), tally.gathered():
        tally.count("screening.searched", at, country="FR", outcome="miss")
        raise RuntimeError("the search failed")
    tally.count("screening.searched", at, country="FR", outcome="hit")  # gathering ended with the block
    assert _figures() == {(date(2026, 3, 1), "screening.searched", "FR", "", "hit"): (1, 0.0, 0)}
