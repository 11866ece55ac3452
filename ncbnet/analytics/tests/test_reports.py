"""The yearly report as a job: its progress, a restart that carries on where it stopped, a failure
that publishes nothing; and
`ncbnet analytics report YEAR`."""

from datetime import date

import pytest

from ncbnet import cli
from ncbnet.analytics import figures, reported, reports
from ncbnet.analytics.models import Report, ReportSection
from ncbnet.analytics.tests.test_documents import sections
from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry

pytestmark = pytest.mark.django_db


def actions():
    return list(
        AuditEntry.objects.filter(action__startswith="analytics.report").values_list("action", flat=True)
    )


def test_a_report_is_built_section_by_section_and_published(db):
    report = reports.start(2026, "fr")
    assert report.state == Report.State.QUEUED and report.total == 0
    seen = []
    reports.build(report, lambda year, language: sections(language), lambda r: seen.append((r.done, r.total)))
    report.refresh_from_db()
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert report.state == Report.State.DONE and (report.done, report.total) == (2, 2)
    assert report.finished is not None and report.error == ""
    assert "<table>" in report.html and 'lang="fr"' in report.html
    assert "Le réseau en chiffres, 2026" in report.html and "Publié par le Secrétariat général" in report.html
    assert bytes(report.pdf).startswith(b"%PDF-")
    drawn = list(ReportSection.objects.filter(report=report).values_list("drawn", "png"))
    assert drawn[0][0] and bytes(drawn[0][1]).startswith(b"\x89PNG")  # the chart, drawn for print
    assert drawn[1] == (True, None)  # a section without a chart
    assert actions() == ["analytics.report_queued", "analytics.report_published"]


def test_a_restarted_job_carries_on_from_the_last_section_drawn(db):
    """Stopped after its sections were gathered and one drawn: built again (the process started
    anew, the report read back from the database), it draws the rest and publishes, and never
    gathers again."""
    report = reports.start(2026, "es")
    reports.gather(report, lambda year, language: sections(language))
    assert reports.draw_next(report)
    assert reports.start(2026, "es").pk == report.pk  # the unfinished one, to carry on with
    again = Report.objects.get(pk=report.pk)
    assert (again.state, again.done, again.total) == (Report.State.RUNNING, 1, 2)

    def gathered_again(year, language):
        raise AssertionError("the sections were kept: they are not made again")

    seen = []
    reports.build(again, gathered_again, lambda r: seen.append(r.done))
    again.refresh_from_db()
    assert again.state == Report.State.DONE, again.error
    assert seen == [1, 2]
    assert "Búsquedas por país" in again.html
    assert reports.start(2026, "es").pk != report.pk  # once done, a new report is a new job


def test_a_section_builder_that_raises_fails_the_report_and_publishes_nothing(db):
    report = reports.start(2026, "en")

    def broken(year, language):
        raise RuntimeError("the figures are not there")

    reports.build(report, broken)
    report.refresh_from_db()
    assert report.state == Report.State.FAILED
    assert report.error == "RuntimeError: the figures are not there"
    assert report.html == "" and bytes(report.pdf) == b"" and report.finished is not None
    assert not ReportSection.objects.filter(report=report).exists()
    assert actions() == ["analytics.report_queued", "analytics.report_failed"]


def test_a_chart_that_cannot_be_drawn_fails_the_report_and_publishes_nothing(db):
    report = reports.start(2026, "ar")
    good, _other = sections("ar")
    bad = reports.Section(
        "رسم", "", None, {"mark": "no-such-mark", "data": {"values": []}}, ["البلد"], [["فرنسا"]], "n"
    )
    reports.build(report, lambda year, language: [good, bad])
    report.refresh_from_db()
    assert report.state == Report.State.FAILED and "Vega-Lite to PNG conversion failed" in report.error
    assert (report.done, report.total) == (1, 2)
    assert report.html == "" and bytes(report.pdf) == b""
    assert "analytics.report_published" not in actions()


def test_a_report_needs_a_section_a_year_and_a_language(db):
    report = reports.start(2026, "en")
    reports.build(report, lambda year, language: [])
    assert report.state == Report.State.FAILED and "at least one section" in report.error
    with pytest.raises(ValueError, match="not a year"):
        reports.start(26, "en")
    with pytest.raises(ValueError, match="not one of the report's languages"):
        reports.start(2026, "de")


def reported_figures(node, day, *figures):
    made = [
        reported.SearchFigure(day=day.isoformat(), database=database, kind="name", outcome=outcome, n=n)
        for database, outcome, n in figures
    ]
    reported.keep(node, [day], made, clock.now(), "x")


def test_the_command_prints_its_progress_and_the_files_it_wrote(db, hub, tmp_path, capsys):
    reported_figures("FR", date(2026, 3, 1), ("persons", "hit", 7))
    assert cli.main(["analytics", "report", "2026", "--language", "ar", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    html, pdf = tmp_path / "network-report-2026-ar.html", tmp_path / "network-report-2026-ar.pdf"
    n = len(figures.PUBLISHED_KEYS)  # every published figure, a section each
    assert out == [f"report 2026 (ar): {i}/{n} sections drawn" for i in range(n + 1)] + [str(html), str(pdf)]
    assert 'dir="rtl"' in html.read_text() and pdf.read_bytes().startswith(b"%PDF-")
    assert Report.objects.get().state == Report.State.DONE


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["analytics", "report", "2026", "--language", "de"], "--language: one of en, fr, es, ar"),
        (["analytics", "report", "26"], "26 is not a year"),
    ],
)
def test_the_command_refuses_a_bad_language_or_year(db, capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not Report.objects.exists()
