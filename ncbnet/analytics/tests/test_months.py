"""The months' figures: kept with the days' in the same statements, summing them exactly, and read
for the whole months of a period with the days' figures for its edges, so that a figure over any
period equals the sum of its days' counts."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.analytics import figures
from ncbnet.analytics.figures import Filters, spans
from ncbnet.analytics.models import DailyFigure, MonthlyFigure
from ncbnet.analytics.tests.figures import months, months_of_days
from ncbnet.base import clock, tally

pytestmark = pytest.mark.django_db

FIRST = date(2025, 11, 20)
TODAY = date(2026, 5, 14)  # the figures' last day: the periods end before, on or after it
DAYS = st.integers(0, (TODAY - FIRST).days).map(lambda d: FIRST + timedelta(days=d))


@settings(max_examples=300, deadline=None)
@given(start=DAYS, length=st.integers(0, 200), today=DAYS)
def test_a_period_is_its_whole_months_and_its_edge_days_each_day_once(start, length, today):
    end = start + timedelta(days=length)
    whole, edges = spans(start, end, today)
    covered = [first + timedelta(days=d) for first, last in edges for d in range((last - first).days + 1)]
    if whole is not None:
        month = whole[0]
        while month <= whole[1]:
            assert month.day == 1
            nxt = (month + timedelta(days=32)).replace(day=1)
            covered += [month + timedelta(days=d) for d in range((nxt - month).days)]
            month = nxt
    assert len(covered) == len(set(covered)), "a day read twice"
    assert {start + timedelta(days=d) for d in range(length + 1)} <= set(covered)
    # a month read whole reaches past the period's end only into days after today (no figures yet)
    assert all(start <= day <= end or day > max(end, today) for day in covered)
    assert all(first <= last for first, last in edges)


COUNTRIES = ("FR", "DE", "KE")


@st.composite
def counts(draw):
    event = draw(st.sampled_from(["hit.reported", "record.contributed", "record.withdrawn", "hit.answered"]))
    n = draw(st.integers(1, 9))
    return tally.Count(
        event,
        draw(DAYS),
        country=draw(st.sampled_from(COUNTRIES)),
        owner=draw(st.sampled_from(COUNTRIES)),
        database=draw(st.sampled_from(["vehicles", "documents"])),
        outcome="confirmed" if event == "hit.answered" else "",
        n=n,
        seconds=float(draw(st.integers(0, 7200))),
        late=draw(st.integers(0, n)),
    )


def expected(made: list[tally.Count], start: date, end: date, place: str) -> tuple[dict, ...]:
    """The hits, records, answers and flows figures as the counts themselves give them, for one
    country (`place`) or all ("")."""
    hits: dict[tuple, int] = defaultdict(int)
    records: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    answers = [0, 0]
    flows: dict[tuple, int] = defaultdict(int)
    for c in made:
        if not start <= c.day <= end:
            continue
        if c.event == "hit.reported":
            if place in ("", c.country):
                hits[(c.country, c.database)] += c.n
            if c.database == "vehicles" and place in ("", c.country, c.owner):
                flows[(c.owner, c.country)] += c.n
        elif c.event.startswith("record.") and place in ("", c.country):
            records[(c.day.isoformat()[:7], c.database, c.country)][c.event == "record.withdrawn"] += c.n
        elif c.event == "hit.answered" and place in ("", c.owner):
            answers[0] += c.n
            answers[1] += c.late
    return (
        dict(hits),
        {k: tuple(v) for k, v in records.items()},
        {"n": answers[0], "late": answers[1]},
        dict(flows),
    )


@settings(max_examples=25, deadline=None)
@given(
    made=st.lists(counts(), max_size=40),
    start=DAYS,
    length=st.integers(0, 200),
    place=st.sampled_from(["", *COUNTRIES]),
)
def test_a_figure_over_any_period_is_the_sum_of_its_days(made, start, length, place):
    """Whatever rows a figure reads (months or days, the counts' own or rolled), it counts what
    happened in the period and place."""
    end = start + timedelta(days=length)
    with transaction.atomic(), clock.frozen(datetime(TODAY.year, TODAY.month, TODAY.day, 18, tzinfo=UTC)):
        for c in made:  # one count at a time, as events come
            tally.count_all([c])
        assert months() == months_of_days()
        view = figures.gs(Filters(start, end, country=place))
        want_hits, want_records, want_answers, want_flows = expected(made, start, end, place)
        hits = figures.one(view, "hits")
        assert hits is not None
        assert {(r[0], r[1]): r[2] for r in hits.rows} == want_hits
        records = figures.one(view, "records")
        assert records is not None
        assert {tuple(r[:3]): (r[3], r[4]) for r in records.rows} == want_records
        answers = figures.one(view, "answers")
        assert answers is not None
        got = {"n": sum(r[1] for r in answers.rows), "late": sum(r[6] for r in answers.rows)}
        assert got == want_answers
        flows = figures.one(view, "flows")
        assert flows is not None
        assert {(r[0], r[1]): r[2] for r in flows.rows} == want_flows
        transaction.set_rollback(True)


def test_a_count_of_nothing_writes_no_row():
    tally.count_all([tally.Count("record.contributed", date(2026, 3, 1), country="FR", n=0)])
    assert not DailyFigure.objects.exists()
    assert not MonthlyFigure.objects.exists()


def test_the_migration_makes_the_months_of_the_days_already_kept(transactional_db):
    """A hub that kept daily figures before the months' table was added gets its months from them."""
    tally.count("hit.reported", datetime(2026, 1, 31, tzinfo=UTC), country="FR", owner="DE", n=2, seconds=3.0)
    tally.count("hit.reported", datetime(2026, 1, 2, tzinfo=UTC), country="FR", owner="DE", n=1, seconds=1.5)
    tally.count("hit.reported", datetime(2026, 2, 1, tzinfo=UTC), country="FR", owner="DE", late=0)
    kept = months()
    assert kept == months_of_days()
    call_command("migrate", "analytics", "0005", verbosity=0)
    assert "analytics_monthlyfigure" not in connection.introspection.table_names()
    call_command("migrate", "analytics", verbosity=0)
    assert months() == kept  # the rolled rows too, made again by the migration that adds them
    assert kept[(date(2026, 1, 1), "hit.reported", "FR", "DE", "", "", "", "", False, "")] == (3, 4.5, 0)
    assert kept[(date(2026, 1, 1), "hit.reported", "FR", "", "", "", "", "", False, "place")] == (3, 4.5, 0)
