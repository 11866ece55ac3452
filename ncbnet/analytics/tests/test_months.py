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

from ncbnet.analytics import figures, rollups
from ncbnet.analytics.figures import MONTH_COST_DAYS, Filters, Span, spans
from ncbnet.analytics.models import DailyFigure, MonthlyFigure, ReportedFigure, YearlyFigure
from ncbnet.analytics.tests.figures import consistent, kept, months, months_of_days
from ncbnet.base import clock, tally

pytestmark = pytest.mark.django_db

FIRST = date(2025, 11, 20)
TODAY = date(2026, 5, 14)  # the figures' last day: the periods end before, on or after it
DAYS = st.integers(0, (TODAY - FIRST).days).map(lambda d: FIRST + timedelta(days=d))


def _last_day(span) -> date:
    if span.tier == "year":
        return date(span.last.year, 12, 31)
    if span.tier == "month":
        return (span.last + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return span.last


@settings(max_examples=400, deadline=None)
@given(start=DAYS, length=st.integers(0, 800), today=DAYS, years=st.booleans())
def test_a_period_is_read_as_years_months_and_days_each_day_with_figures_once(start, length, today, years):
    end = start + timedelta(days=length)
    read: dict[date, int] = defaultdict(int)
    read_days: dict[date, int] = defaultdict(int)
    for span in spans(start, end, today, years=years):
        assert years or span.tier != "year"
        first, last = span.first, _last_day(span)
        assert first <= last
        assert span.tier == "day" or first.day == 1
        assert span.tier != "year" or first.month == 1
        for d in range((last - first).days + 1):
            read[first + timedelta(days=d)] += span.sign
        if span.tier == "day":
            assert first.replace(day=1) == last.replace(day=1)
            read_days[first.replace(day=1)] += (last - first).days + 1
    # every day that may have figures (today and before) counted once if in the period, else not
    # at all; days after today have none, whatever is read of them
    for day in {*read, *(start + timedelta(days=d) for d in range(length + 1))}:
        if day <= today:
            assert read.get(day, 0) == (1 if start <= day <= end else 0), day
    # and no more than about half a month of days is read for any month: a month read in part
    # reads the days it covers or the days it leaves out, whichever are fewer
    assert all(days <= (31 + MONTH_COST_DAYS) // 2 for days in read_days.values()), read_days


def test_a_year_to_yesterday_reads_the_year_less_today():
    today = date(2026, 12, 2)
    assert spans(date(2025, 12, 2), date(2026, 12, 1), today) == [
        Span("month", date(2025, 12, 1), date(2025, 12, 1)),
        Span("day", date(2025, 12, 1), date(2025, 12, 1), -1),
        Span("year", date(2026, 1, 1), date(2026, 1, 1)),
        Span("day", date(2026, 12, 2), date(2026, 12, 2), -1),
    ]


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
        assert consistent()
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
    assert not YearlyFigure.objects.exists()


def test_the_migration_makes_the_months_of_the_days_already_kept(transactional_db):
    """A hub that kept daily figures before the months' table was added gets its months from them."""
    tally.count("hit.reported", datetime(2026, 1, 31, tzinfo=UTC), country="FR", owner="DE", n=2, seconds=3.0)
    tally.count("hit.reported", datetime(2026, 1, 2, tzinfo=UTC), country="FR", owner="DE", n=1, seconds=1.5)
    tally.count("hit.reported", datetime(2026, 2, 1, tzinfo=UTC), country="FR", owner="DE", late=0)
    held, years = months(), kept(YearlyFigure)
    assert held == months_of_days() and consistent()
    call_command("migrate", "analytics", "0005", verbosity=0)
    assert "analytics_monthlyfigure" not in connection.introspection.table_names()
    call_command("migrate", "analytics", verbosity=0)
    assert months() == held  # the rolled rows too, made again by the migration that adds them
    assert kept(YearlyFigure) == years
    assert held[(date(2026, 1, 1), "hit.reported", "FR", "DE", "", "", "", "", False, "")] == (3, 4.5, 0)
    assert held[(date(2026, 1, 1), "hit.reported", "FR", "", "", "", "", "", False, "place")] == (3, 4.5, 0)
    assert years[(date(2026, 1, 1), "hit.reported", "FR", "DE", "", "", "", "", False, "")] == (4, 4.5, 0)


@pytest.mark.parametrize(
    ("events", "values", "rolled"),
    [
        (("hit.reported",), {"country", "database"}, "place"),  # hits by country
        (("hit.reported",), {"owner", "country", "database"}, "routes"),  # the flows
        (("hit.reported",), {"owner", "country", "database", "iccs"}, "pairs"),  # flows of a section
        (("hit.answered",), {"kind", "outcome"}, "kinds"),
        (("hit.answered",), {"owner"}, "whose"),
        (("hit.answered",), {"kind", "outcome", "country"}, ""),  # a bureau's answers: its own rows
        (("record.contributed", "notice.submitted", "hit.reported"), {"iccs"}, "crime"),
        (("record.contributed", "notice.submitted", "hit.reported"), {"iccs", "country"}, "who"),
        (("notice.submitted", "notice.decided"), {"kind", "outcome", "country"}, "notices"),
        (("request.sent",), set(), ""),  # not rolled
    ],
)
def test_a_figure_reads_the_fewest_rows_that_keep_its_values(events, values, rolled):
    assert rollups.rolled_for(events, values) == rolled


def test_the_migration_counts_the_reports_kept_before_they_were_counted(transactional_db):
    """A hub that kept the nodes' reports before they were counted in the figures gets them counted."""
    call_command("migrate", "analytics", "0008", verbosity=0)
    ReportedFigure.objects.create(
        node="KE", day=date(2026, 1, 31), database="persons", kind="name", outcome="miss", n=4
    )
    ReportedFigure.objects.create(
        node="KE", day=date(2026, 2, 1), database="persons", kind="mrz", outcome="miss", n=1
    )
    call_command("migrate", "analytics", verbosity=0)
    assert kept(YearlyFigure)[
        (date(2026, 1, 1), "screening.reported", "KE", "", "persons", "", "", "miss", False, "place")
    ] == (5, 0.0, 0)
    assert consistent()
    d = Filters(date(2026, 1, 1), date(2026, 2, 28))
    with clock.frozen(datetime(2026, 3, 1, tzinfo=UTC)):
        screened = figures.one(figures.gs(d), "screenings")
    assert screened is not None and screened.rows == [["KE", 5, 0, 5]]
