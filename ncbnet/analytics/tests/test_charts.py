"""Charts as SVG: every figure's chart renders with no script, no style element and no style
attribute (the content security policy allows none), labelled for assistive technology; an SVG
carrying any of them is refused."""

from datetime import UTC, datetime

import pytest

from ncbnet.analytics import charts, figures
from ncbnet.base import tally

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def every_figure_has_rows():
    tally.count("screening.searched", AT, country="DE", database="persons", kind="name", outcome="miss")
    for country, owner in (("FR", "DE"), ("PL", "DE"), ("BR", "JP"), ("DE", "FR")):
        tally.count("hit.reported", AT, country=country, owner=owner, database="vehicles", iccs="0502", n=6)
        tally.count(
            "hit.answered", AT, country=country, owner=owner, kind="urgent", outcome="confirmed", seconds=500
        )
        tally.count(
            "screening.searched", AT, country=country, database="vehicles", kind="vehicle", outcome="hit"
        )
        tally.count(
            "record.contributed", AT, country=owner, owner=owner, database="vehicles", iccs="0502", n=7
        )
        tally.count(
            "notice.submitted", AT, country=owner, owner=owner, database="notices", kind="red", iccs="0101"
        )
        tally.count(
            "notice.decided",
            AT,
            country=owner,
            database="notices",
            kind="red",
            outcome="published",
            seconds=9,
        )


def test_every_chart_of_every_view_is_an_svg_without_script_or_style(every_figure_has_rows):
    year = figures.Filters.year(2026)
    views = [figures.gs(year), figures.published(year), figures.bureau("DE", year)]
    drawn = 0
    for view in views:
        for fig in view:
            assert fig.chart is not None, fig.key
            svg = charts.render(fig)
            assert svg.startswith("<svg") and 'role="img"' in svg
            assert f">{fig.title}</title>" in svg.replace("&#x27;", "'")
            lowered = svg.lower()
            assert "<script" not in lowered and "<style" not in lowered and "style=" not in lowered
            drawn += 1
    assert drawn == len(figures.GS_KEYS) + len(figures.PUBLISHED_KEYS) + len(figures.BUREAU_KEYS)


@pytest.mark.parametrize(
    "svg",
    [
        "<svg><script>alert(1)</script></svg>",
        '<svg><SCRIPT src="x"/></svg>',
        "<svg><style>rect{fill:red}</style></svg>",
        '<svg><rect style="fill:red"/></svg>',
        "<svg><rect STYLE = 'fill:red'/></svg>",
        '<svg><rect fill="red"/style="x"/></svg>',
    ],
)
def test_an_svg_with_a_script_or_inline_style_is_refused(svg):
    with pytest.raises(charts.UnsafeChart):
        charts.check(svg)


def test_an_svg_with_neither_passes_as_it_is():
    svg = '<svg><rect fill="red" class="mark-rect" aria-label="styled"/></svg>'
    assert charts.check(svg) == svg


def test_a_figure_without_rows_has_no_chart():
    empty = figures.one(figures.gs(figures.Filters.year(2026)), "flows")
    assert empty is not None and empty.chart is None
    with pytest.raises(ValueError):
        charts.render(empty)
