"""The dashboards' figures, from the daily rollups: the stolen-vehicle flows on a known set of hits,
the filters, the GS's, a bureau's and the published views, and the small-count rule on every
published figure (a property over random figure sets)."""

from datetime import UTC, date, datetime

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.analytics import figures
from ncbnet.analytics.figures import SUPPRESSED, FilterError, Filters
from ncbnet.base import tally

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)
YEAR = Filters.year(2026)


def hit(found, owner, n=1, *, database="vehicles", restricted=False, at=AT):
    tally.count("hit.reported", at, country=found, owner=owner, database=database, n=n, restricted=restricted)


def figure(view, key):
    found = figures.one(view, key)
    assert found is not None, key
    return found


def table(fig):
    return [dict(zip(fig.columns, row, strict=True)) for row in fig.rows]


@pytest.fixture
def vehicle_hits():
    hit("FR", "DE", 3)
    hit("FR", "DE", 2, restricted=True)  # a record some countries only may see
    hit("PL", "DE", 7)
    hit("FR", "IT", 1)
    hit("BR", "JP", 6)
    hit("FR", "DE", 9, database="documents")  # not a vehicle
    hit("FR", "DE", 4, at=datetime(2025, 12, 31, 23, tzinfo=UTC))  # another year


def test_the_flow_matrix_counts_vehicle_hits_from_owner_to_where_found(vehicle_hits):
    view = figures.gs(YEAR)
    flows = figure(view, "flows")
    assert flows.columns == ["from", "to", "hits"]
    assert flows.rows == [["DE", "FR", 5], ["DE", "PL", 7], ["IT", "FR", 1], ["JP", "BR", 6]]
    assert flows.coverage == ["BR", "DE", "FR", "IT", "JP", "PL"]
    assert "vehicles" in flows.query and "SELECT" in flows.query
    assert flows.chart is not None and flows.chart["mark"] == "rect"
    routes = figure(view, "routes")
    assert [r[0] for r in routes.rows] == ["DE → PL", "JP → BR", "DE → FR", "IT → FR"]
    assert routes.rows[0] == ["DE → PL", "DE", "PL", 7]


def test_a_region_filter_keeps_routes_with_either_end_in_it(vehicle_hits):
    europe = figure(figures.gs(Filters.parse({"year": "2026", "region": "EU"})), "flows")
    assert europe.rows == [["DE", "FR", 5], ["DE", "PL", 7], ["IT", "FR", 1]]
    americas = figure(figures.gs(Filters.parse({"year": "2026", "region": "AM"})), "flows")
    assert americas.rows == [["JP", "BR", 6]]
    last_year = figure(figures.gs(Filters.parse({"year": "2025"})), "flows")
    assert last_year.rows == [["DE", "FR", 4]]


def test_published_flows_leave_restricted_hits_out_and_small_counts_hidden(vehicle_hits):
    flows = figure(figures.published(YEAR), "flows")
    assert flows.rows == [
        ["DE", "FR", SUPPRESSED],
        ["DE", "PL", 5],
        ["IT", "FR", SUPPRESSED],
        ["JP", "BR", 5],
    ]
    assert "restricted rows left out" in flows.query
    assert all(v is None or v >= 5 for v in (d["hits"] for d in flows.chart["data"]["values"]))


def test_notices_review_times_against_24_hours():
    for hours, late in ((2, 0), (30, 1), (5, 0), (10, 0), (20, 0), (48, 1)):
        tally.count("notice.submitted", AT, country="FR", owner="FR", database="notices", kind="red")
        tally.count(
            "notice.decided",
            AT,
            country="FR",
            owner="FR",
            database="notices",
            kind="red",
            outcome="published" if hours != 48 else "refused",
            seconds=hours * 3600.0,
            late=late,
        )
    tally.count("notice.decided", AT, country="BR", database="notices", kind="yellow", outcome="expired")
    rows = {r["kind"]: r for r in table(figure(figures.gs(YEAR), "notices"))}
    red = rows["red"]
    assert (red["submitted"], red["published"], red["refused"], red["reviewed"]) == (6, 5, 1, 6)
    assert (
        red["mean_review_hours"] == 19.2 and red["late_reviews"] == 2 and red["reviewed_within_24h_pct"] == 67
    )
    assert rows["yellow"]["expired"] == 1 and rows["yellow"]["mean_review_hours"] == ""
    published = {r["kind"]: r for r in table(figure(figures.published(YEAR), "notices"))}
    assert published["red"]["mean_review_hours"] == 19.2  # over 6 reviews: shown
    assert published["red"]["late_reviews"] == SUPPRESSED
    assert published["red"]["reviewed_within_24h_pct"] == ""  # 2 late of 6 would give the 2 back


def test_hit_answers_against_their_deadlines():
    tally.count("hit.answered", AT, country="FR", owner="DE", kind="urgent", outcome="confirmed", seconds=300)
    tally.count(
        "hit.answered", AT, country="FR", owner="DE", kind="urgent", outcome="denied", seconds=900, late=1
    )
    tally.count("hit.answered", AT, country="FR", owner="KE", outcome="more-time", seconds=1800)
    rows = {r["deadline"]: r for r in table(figure(figures.gs(YEAR), "answers"))}
    assert rows["urgent"] == {
        "deadline": "urgent",
        "answered": 2,
        "confirmed": 1,
        "denied": 1,
        "more_time": 0,
        "mean_answer_minutes": 10.0,
        "late": 1,
        "answered_on_time_pct": 50,
    }
    assert rows["standard"]["more_time"] == 1 and rows["standard"]["answered_on_time_pct"] == 100


def test_screenings_categories_and_trend():
    tally.count(
        "screening.searched", AT, country="FR", database="vehicles", kind="vehicle", outcome="miss", n=40
    )
    tally.count(
        "screening.searched", AT, country="FR", database="vehicles", kind="vehicle", outcome="hit", n=2
    )
    tally.count("screening.searched", AT, country="GS", database="persons", kind="name", outcome="miss")
    tally.count("record.contributed", AT, country="FR", owner="FR", database="vehicles", iccs="0502", n=3)
    tally.count("record.contributed", AT, country="KE", owner="KE", database="persons", iccs="0101")
    tally.count("hit.reported", AT, country="FR", owner="KE", database="persons", iccs="0101")
    view = figures.gs(YEAR)
    assert figure(view, "screenings").rows == [["FR", 42, 2, 40], ["GS", 1, 0, 1]]
    assert figure(view, "categories").rows == [
        ["01", "0101", "AF", 1, 0, 0],
        ["01", "0101", "EU", 0, 0, 1],
        ["05", "0502", "EU", 3, 0, 0],
    ]
    assert figure(view, "trend").rows == [["2026-03", "01", 1, 0, 1], ["2026-03", "05", 3, 0, 0]]
    assert figure(view, "trend").coverage == ["FR", "KE"]
    theft = figures.gs(Filters.parse({"year": "2026", "category": "0502"}))
    assert figure(theft, "categories").rows == [["05", "0502", "EU", 3, 0, 0]]
    assert figure(theft, "screenings").rows == [["FR", 42, 2, 40], ["GS", 1, 0, 1]]  # searches carry none
    africa = figures.gs(Filters.parse({"year": "2026", "region": "AF"}))
    assert figure(africa, "records").rows == [["2026-03", "persons", "KE", 1, 0]]


def test_a_bureau_sees_its_own_figures_with_its_restricted_rows():
    tally.count("record.contributed", AT, country="FR", owner="FR", database="vehicles", n=2)
    tally.count("record.contributed", AT, country="FR", owner="FR", database="vehicles", restricted=True)
    tally.count("record.contributed", AT, country="DE", owner="DE", database="vehicles", n=50)
    tally.count("screening.searched", AT, country="FR", database="documents", kind="document", outcome="hit")
    tally.count("screening.searched", AT, country="DE", database="documents", kind="document", outcome="hit")
    hit("FR", "DE", 2, restricted=True)
    hit("PL", "FR", 1)
    tally.count("hit.answered", AT, country="PL", owner="FR", outcome="confirmed", seconds=600)
    view = {f.key: f for f in figures.bureau("FR", YEAR)}
    assert list(view) == list(figures.BUREAU_KEYS)
    assert view["contributions"].rows == [["2026-03", "vehicles", 3, 0]]
    assert view["searches"].rows == [["documents", 1, 1, 0]]
    assert view["hits_by_us"].rows == [["DE", "vehicles", 2]]
    assert view["hits_on_ours"].rows == [["PL", "vehicles", 1]]
    assert table(view["answers"]) == [
        {
            "deadline": "standard",
            "answered": 1,
            "confirmed": 1,
            "denied": 0,
            "more_time": 0,
            "mean_answer_minutes": 10.0,
            "late": 0,
            "answered_on_time_pct": 100,
        }
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "1999"}, "year"),
        ({"year": "20x6"}, "year"),
        ({"year": "2026", "from": "2026-01-01"}, "year"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, "from"),
        ({"region": "ATLANTIS"}, "region"),
        ({"country": "XX"}, "country"),
        ({"section": "12"}, "section"),
        ({"category": "05021"}, "category"),
        ({"section": "01", "category": "0502"}, "category"),
        ({"country": "F" * 500}, "country"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(params, field):
    with pytest.raises(FilterError) as refused:
        Filters.parse(params)
    assert refused.value.field == field


EVENTS = st.sampled_from(sorted(tally.EVENTS))
COUNTRIES = st.sampled_from(["FR", "DE", "BR", "KE", "GS"])
ANY_RESTRICTION = st.booleans()


@st.composite
def counts(draw, restricted=ANY_RESTRICTION):
    event = draw(EVENTS)
    n = draw(st.integers(1, 12))
    late = draw(st.integers(0, n))
    return tally.Count(
        event,
        draw(st.sampled_from([date(2026, 1, 5), date(2026, 3, 10), date(2026, 11, 30)])),
        country=draw(COUNTRIES),
        owner=draw(COUNTRIES),
        database=draw(st.sampled_from(["vehicles", "persons", "documents", "notices"])),
        kind=draw(st.sampled_from(["", "urgent", "red", "name"])),
        iccs=draw(st.sampled_from(["", "0502", "0101", "0601"])),
        outcome=draw(st.sampled_from(["", "hit", "miss", "published", "refused", "confirmed", "denied"])),
        restricted=draw(restricted),
        n=n,
        seconds=float(draw(st.integers(0, 100_000))),
        late=late,
    )


def published_values():
    return [(f.key, f.columns, f.rows, f.coverage) for f in figures.published(YEAR)]


@settings(max_examples=15, deadline=None)
@given(
    shared=st.lists(counts(), max_size=40),
    restricted=st.lists(counts(st.just(True)), min_size=1, max_size=15),
)
def test_no_published_figure_shows_a_small_count_nor_counts_a_restricted_row(shared, restricted):
    with transaction.atomic():
        tally.count_all(shared)
        before = published_values()
        for key, columns, rows, _coverage in before:
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    if column in figures.LABEL_COLUMNS:
                        continue
                    assert not (isinstance(value, int) and 1 <= value < 5), (key, column, row)
                    if column in figures.SHARE_COLUMNS or column in figures.MEAN_COLUMNS:
                        assert value == "" or isinstance(value, int | float)
                    else:
                        assert value == SUPPRESSED or (isinstance(value, int) and value % 5 == 0), (key, row)
        tally.count_all(restricted)
        assert published_values() == before
        transaction.set_rollback(True)


@settings(max_examples=15, deadline=None)
@given(st.lists(counts(st.just(False)), min_size=1, max_size=30))
def test_a_published_count_is_the_gs_count_suppressed(shared):
    with transaction.atomic():
        tally.count_all(shared)
        gs = {f.key: f for f in figures.gs(YEAR)}
        for pub in figures.published(YEAR):
            mine = gs[pub.key]
            if pub.key == "routes":  # the top routes as published are ordered by what is shown
                continue
            for p_row, g_row in zip(pub.rows, mine.rows, strict=True):
                for column, p, g in zip(pub.columns, p_row, g_row, strict=True):
                    if column in figures.LABEL_COLUMNS:
                        assert p == g
                    elif column not in figures.MEAN_COLUMNS | figures.SHARE_COLUMNS:
                        assert p == figures.suppress(g)
        transaction.set_rollback(True)
