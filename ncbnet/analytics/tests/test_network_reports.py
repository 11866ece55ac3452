"""The yearly network report published to every bureau: made from every figure the GS publishes for
the year (their tables whole, no count from 1 to 4 anywhere); published at the hub, it is queued
there and on every node that receives it, in the four languages, and built by the network worker's
job from the frozen figures (a job left half done carries on); its list, page and PDF per role, on
the pages and in the API."""

import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from pypdf import PdfReader

from ncbnet.analytics import figures, reported, reports, services
from ncbnet.analytics.figures import Filters
from ncbnet.analytics.models import Publication, Report, ReportSection
from ncbnet.base import clock, tally
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)
LATER = datetime(2026, 8, 1, 9, tzinfo=UTC)
SMALL_CELL = re.compile(r"<td>[1-4]</td>")


def counted() -> None:
    """A year of events with small counts among them (1 to 4), a restricted one, and searches a
    node reported of its own."""
    for found, owner, n in (("FR", "DE", 6), ("PL", "DE", 12), ("BR", "JP", 9), ("FR", "IT", 2)):
        tally.count("hit.reported", AT, country=found, owner=owner, database="vehicles", iccs="0502", n=n)
    tally.count("hit.reported", LATER, country="KE", owner="ZA", database="vehicles", iccs="0502", n=1)
    tally.count("hit.reported", LATER, country="PL", owner="DE", database="vehicles", n=40, restricted=True)
    tally.count("record.contributed", AT, country="FR", owner="FR", database="vehicles", iccs="0502", n=7)
    tally.count("record.contributed", AT, country="KE", owner="KE", database="persons", iccs="0101", n=3)
    tally.count("screening.searched", AT, country="GS", database="persons", kind="name", outcome="hit", n=4)
    day = date(2026, 3, 1)
    made = [("persons", "hit", 7), ("persons", "miss", 120), ("documents", "miss", 2)]
    figures_ = [
        reported.SearchFigure(day=day.isoformat(), database=d, kind="name", outcome=o, n=n)
        for d, o, n in made
    ]
    reported.keep("FR", [day], figures_, AT, "e")


def count_cells(fig: figures.Figure) -> list[Any]:
    at = [
        i
        for i, c in enumerate(fig.columns)
        if c not in figures.LABEL_COLUMNS | figures.MEAN_COLUMNS | figures.SHARE_COLUMNS
    ]
    return [row[i] for row in fig.rows for i in at]


def test_the_report_holds_every_published_figure_and_no_small_count(hub):
    counted()
    sections = reports.network_sections(2026, "en")
    made = figures.published(Filters.year(2026))
    assert [s.title for s in sections] == [f.title for f in made]  # every figure, once each
    for section, fig in zip(sections, made, strict=True):
        assert section.rows == fig.rows  # the published table, whole
        assert section.vega_lite == fig.chart and (section.svg is None) == (fig.chart is None)
        assert all(not (isinstance(c, int) and 0 < c < 5) for c in count_cells(fig)), fig.key
    screenings = next(s for s in sections if s.title == str(figures.TITLES["screenings"]))
    assert screenings.columns == ["Country", "Searches", "Hits", "No hit"]
    assert screenings.rows == [["FR", 130, 5, 120], ["GS", "< 5", "< 5", 0]]  # the node's and the GS's
    assert "countries covered: FR, GS" in screenings.note
    flows = next(s for s in sections if s.title == str(figures.TITLES["flows"]))
    assert flows.rows == [
        ["DE", "FR", 5],
        ["DE", "PL", 10],
        ["IT", "FR", "< 5"],
        ["JP", "BR", 10],
        ["ZA", "KE", "< 5"],
    ]
    report = reports.start(2026, "en")
    reports.build(report, reports.network_sections)
    assert report.state == Report.State.DONE, report.error
    assert not SMALL_CELL.search(report.html)  # no cell of the report holds 1 to 4
    assert "<td>&lt; 5</td>" in report.html
    assert "<td>40</td>" not in report.html and "<td>45</td>" not in report.html  # restricted: out
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(report.pdf))).pages)
    assert "Stolen-vehicle flows: the top routes" in text and "< 5" in text


def test_the_report_is_made_in_its_language(hub):
    counted()
    sections = reports.network_sections(2026, "fr")
    assert sections[0].title == "Fiches par base de données et propriétaire, par mois"
    assert "Pays" in next(s for s in sections if s.title.startswith("Consultations")).columns


def hub_publishes(user_factory: Any, year: int = 2026) -> Publication:
    return services.publish(user_factory("gs", "analyst"), "report", date(year, 1, 1), date(year, 12, 31))


def test_the_hub_queues_the_report_it_publishes_in_every_language(hub, user_factory):
    counted()
    p = hub_publishes(user_factory)
    queued = Report.objects.filter(publication=p)
    assert sorted(queued.values_list("language", "state")) == [
        ("ar", "queued"),
        ("en", "queued"),
        ("es", "queued"),
        ("fr", "queued"),
    ]
    assert AuditEntry.objects.filter(action="analytics.report_queued").count() == 4
    assert reports.run_queued() == 4
    assert reports.run_queued() == 0  # nothing left to build
    english = Report.objects.get(publication=p, language="en")
    assert english.state == Report.State.DONE and english.total == len(p.figures)
    assert "<td>DE</td><td>PL</td><td>10</td>" in english.html


def test_the_hub_publishes_a_year_once_and_not_a_year_to_come(hub, user_factory):
    counted()
    hub_publishes(user_factory)
    with pytest.raises(ValueError, match="already published"):
        hub_publishes(user_factory)
    with pytest.raises(ValueError, match="to this one"):
        hub_publishes(user_factory, clock.now().year + 1)
    with pytest.raises(ValueError, match="to this one"):
        hub_publishes(user_factory, 1900)
    assert Publication.objects.count() == 1 and Report.objects.count() == 4


def report_body(**over: Any) -> dict[str, Any]:
    return {
        "id": envelope.new_id(),
        "kind": "report",
        "start": "2025-01-01",
        "end": "2025-12-31",
        "published_by": "gs-analyst",
        "published_at": clock.now().isoformat(),
        "figures": [
            {
                "key": "flows",
                "columns": ["from", "to", "hits"],
                "rows": [["DE", "PL", 10], ["IT", "FR", "< 5"]],
                "query": "Hits on stolen vehicles\nSELECT …",
                "coverage": ["DE", "FR", "IT", "PL"],
            },
            {
                "key": "screenings",
                "columns": figures.COLUMNS["screenings"],
                "rows": [["FR", 130, 5, 125], ["KE", "< 5", 0, "< 5"]],
                "query": "Searches of the global databases",
                "coverage": ["FR", "KE"],
            },
        ],
        **over,
    }


_seq = iter(range(1, 100_000))


def receive(peers: dict[str, Any], body: dict[str, Any]) -> str:
    with transaction.atomic():  # as the network worker takes a batch
        return delivery.accept(
            arriving(peers, services.PUBLICATION, body, sender="hub"), stream_seq=next(_seq)
        )


def test_a_node_builds_the_report_it_received_in_every_language(peers):
    assert receive(peers, report_body()) == "accepted"
    p = Publication.objects.get()
    assert sorted(Report.objects.filter(publication=p).values_list("language", flat=True)) == [
        "ar",
        "en",
        "es",
        "fr",
    ]
    seen = []
    assert reports.run_queued() == 4
    for report in Report.objects.filter(publication=p):
        seen.append(report.language)
        assert report.state == Report.State.DONE and report.year == 2025, report.error
        assert (report.done, report.total) == (2, 2)
        assert report.html.count('class="report-section"') == 2 and not SMALL_CELL.search(report.html)
    english = Report.objects.get(publication=p, language="en")
    assert "Stolen-vehicle flows: from the owner country to the country where found" in english.html
    assert "<td>KE</td><td>&lt; 5</td><td>0</td><td>&lt; 5</td>" in english.html
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(english.pdf))).pages)
    assert "The network in figures, 2025" in text and "Screenings and their hits by country" in text
    assert "< 5" in text
    french = Report.objects.get(publication=p, language="fr")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(french.pdf))).pages)
    assert "Le réseau en chiffres, 2025" in text and "Consultations et leurs concordances par pays" in text
    assert 'dir="rtl"' in Report.objects.get(publication=p, language="ar").html


def test_a_report_job_left_half_done_by_a_restart_carries_on(peers):
    assert receive(peers, report_body()) == "accepted"
    report = Report.objects.get(language="es")
    assert report.publication is not None
    reports.gather(report, reports.publication_sections(report.publication))
    assert reports.draw_next(report)  # the worker stopped here
    again = Report.objects.get(pk=report.pk)
    assert (again.state, again.done, again.total) == (Report.State.RUNNING, 1, 2)
    assert reports.run_queued() == 4
    again.refresh_from_db()
    assert again.state == Report.State.DONE and (again.done, again.total) == (2, 2)
    assert ReportSection.objects.filter(report=again).count() == 2  # gathered once, not again
    assert 'lang="es"' in again.html and "<td>DE</td><td>PL</td><td>10</td>" in again.html


def test_a_second_report_of_the_same_year_never_replaces_what_the_node_keeps(peers):
    first = report_body()
    assert receive(peers, first) == "accepted"
    reports.run_queued()
    kept = {r.pk: r.html for r in Report.objects.all()}
    second = report_body(published_by="someone else")
    second["figures"][0]["rows"] = [["DE", "PL", 500]]
    assert receive(peers, second) == "quarantined"
    p = Publication.objects.get()
    assert str(p.pk) == first["id"] and p.published_by == "gs-analyst"
    assert {r.pk: r.html for r in Report.objects.all()} == kept
    assert reports.run_queued() == 0


def test_the_publication_sections_are_of_its_year_only(peers):
    assert receive(peers, report_body()) == "accepted"
    p = Publication.objects.get()
    with pytest.raises(ValueError, match="report of 2025, not 2026"):
        reports.publication_sections(p)(2026, "en")
    with pytest.raises(ValueError, match="only a yearly report"):
        reports.queue_publication(Publication(kind="figures", start=date(2025, 1, 1), end=date(2025, 6, 30)))


def test_only_those_who_read_published_figures_list_the_reports(user_factory):
    with pytest.raises(PermissionDenied):
        services.network_reports(user_factory("agency", "query"))


def built_at_the_node(peers: dict[str, Any]) -> None:
    assert receive(peers, report_body()) == "accepted"
    assert reports.run_queued() == 4


@pytest.mark.parametrize("role", ["head", "officer"])
def test_a_bureau_lists_opens_and_downloads_the_network_report(peers, client, user_factory, role):
    built_at_the_node(peers)
    client.force_login(user_factory("ncb", role))
    page = client.get("/analytics/bureau/?year=2026")
    text = page.content.decode()
    assert page.status_code == 200 and "Network reports" in text
    assert 'hx-get="/analytics/reports/"' not in text  # every language made: nothing to ask again
    assert 'href="/analytics/reports/2025/fr/"' in text and 'href="/analytics/reports/2025/ar.pdf"' in text
    html = client.get("/analytics/reports/2025/en/")
    assert html.status_code == 200 and "unsafe-inline" not in html["Content-Security-Policy"]
    body = html.content.decode()
    assert "Screenings and their hits by country" in body and "<style" not in body and " style=" not in body
    pdf = client.get("/analytics/reports/2025/es.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf["Content-Disposition"].startswith("attachment")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    listed = client.get("/api/v1/analytics/reports").json()
    assert [r["year"] for r in listed] == [2025]
    one = client.get("/api/v1/analytics/reports/2025").json()
    assert {d["language"]: d["pdf"] for d in one["documents"]}["ar"] == (
        "/api/v1/analytics/reports/2025/pdf?language=ar"
    )
    assert {d["language"]: d["html"] for d in one["documents"]}["fr"] == "/analytics/reports/2025/fr/"
    api_pdf = client.get("/api/v1/analytics/reports/2025/pdf?language=fr")
    assert api_pdf.status_code == 200 and api_pdf["Content-Type"] == "application/pdf"
    assert "attachment" in api_pdf["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(api_pdf.streaming_content))).pages)
    assert "Le réseau en chiffres, 2025" in text
    assert client.get("/api/v1/analytics/reports/2024").status_code == 404
    assert client.get("/api/v1/analytics/reports/2025/pdf?language=de").status_code == 404
    assert client.get("/analytics/reports/2024/en/").status_code == 404


def test_a_report_being_made_says_so_and_is_not_served_yet(peers, client, user_factory):
    assert receive(peers, report_body()) == "accepted"
    client.force_login(user_factory("ncb", "head"))
    text = client.get("/analytics/reports/").content.decode()
    assert "Being made" in text and 'hx-trigger="every 2s"' in text
    assert client.get("/analytics/reports/2025/en/").status_code == 404
    assert client.get("/api/v1/analytics/reports/2025").json()["documents"][0]["state"] == "queued"


def test_the_gs_analyst_sees_the_reports_progress_at_the_hub(hub, client, user_factory):
    counted()
    hub_publishes(user_factory)
    client.force_login(user_factory("gs", "analyst"))
    text = client.get("/analytics/gs/?year=2026").content.decode()
    assert "Network reports" in text and "Being made" in text
    reports.run_queued()
    text = client.get("/analytics/gs/?year=2026").content.decode()
    assert 'href="/analytics/reports/2026/en/"' in text and "Being made" not in text
    assert client.get("/analytics/reports/2026/ar/").status_code == 200


@pytest.mark.parametrize(("kind", "role"), [("agency", "query"), ("ncb", "admin")])
def test_others_are_refused_the_reports(peers, client, user_factory, kind, role):
    built_at_the_node(peers)
    client.force_login(user_factory(kind, role))
    for url in ("/analytics/reports/", "/analytics/reports/2025/en/", "/analytics/reports/2025/en.pdf"):
        assert client.get(url).status_code == 403, url
    for url in ("/api/v1/analytics/reports", "/api/v1/analytics/reports/2025"):
        assert client.get(url).status_code == 403, url
    assert client.get("/api/v1/analytics/reports/2025/pdf?language=en").status_code == 403
