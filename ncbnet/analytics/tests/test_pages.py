"""The dashboards' pages and API, per role: the GS analyst (at the hub) reads every figure, filters
them, downloads each as CSV and SVG and publishes network figures; a bureau's head and officers read
their own bureau's figures and the published ones; an administrator, an agency user, another GS
role are refused. Pages and SVGs pass the content security policy: no inline script or style."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from ncbnet.analytics.models import Publication
from ncbnet.base import tally

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def counted():
    for found, owner, n in (("FR", "DE", 6), ("PL", "DE", 12), ("BR", "JP", 9), ("FR", "IT", 2)):
        tally.count("hit.reported", AT, country=found, owner=owner, database="vehicles", iccs="0502", n=n)
    tally.count("record.contributed", AT, country="FR", owner="FR", database="vehicles", iccs="0502", n=7)
    tally.count(
        "screening.searched", AT, country="FR", database="vehicles", kind="vehicle", outcome="hit", n=6
    )


@pytest.fixture
def analyst(hub, client, user_factory):
    counted()
    client.force_login(user_factory("gs", "analyst"))
    return client


@pytest.fixture
def head(client, user_factory):
    counted()
    client.force_login(user_factory("ncb", "head"))
    return client


def passes_the_csp(response) -> str:
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    text = response.content.decode()
    assert not INLINE_SCRIPT.search(text) and "<style" not in text.lower() and " style=" not in text.lower()
    return text


def test_the_gs_analyst_reads_every_figure_with_chart_table_and_query(analyst):
    response = analyst.get("/analytics/gs/?year=2026")
    assert response.status_code == 200
    text = passes_the_csp(response)
    assert "Stolen-vehicle flows: from the owner country to the country where found" in text
    assert text.count('role="img"') == 7  # every figure but notices and answers, which have no rows
    assert "<td>DE</td><td>PL</td><td>12</td>" in text
    assert "SELECT" in text and "Countries counted:" in text
    assert 'href="/analytics/gs/flows.csv?from=2026-01-01&amp;to=2026-12-31"' in text


def test_filters_to_a_region_and_the_flows_csv(analyst):
    page = analyst.get("/analytics/gs/?year=2026&region=AM").content.decode()
    assert "<td>JP</td><td>BR</td><td>9</td>" in page and "<td>DE</td><td>PL</td>" not in page
    response = analyst.get("/analytics/gs/flows.csv?year=2026&region=EU")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [["from", "to", "hits"], ["DE", "FR", "6"], ["DE", "PL", "12"], ["IT", "FR", "2"]]


def test_the_svg_download_is_an_svg_under_the_sandbox_policy(analyst):
    response = analyst.get("/analytics/gs/routes.svg?year=2026")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    svg = b"".join(response.streaming_content).decode().lower()
    assert svg.startswith("<svg") and "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert analyst.get("/analytics/gs/nothing.svg?year=2026").status_code == 404


def test_a_bad_filter_is_named_on_the_page_and_in_the_api(analyst):
    page = analyst.get("/analytics/gs/?year=1492")
    assert page.status_code == 200 and "year: A year from 2000 to 2100." in page.content.decode()
    problem = analyst.get("/api/v1/analytics/gs?region=ATLANTIS")
    assert problem.status_code == 422 and problem["Content-Type"] == "application/problem+json"
    assert problem.json()["errors"] == [{"field": "region", "message": "Not a region."}]


def test_the_gs_api_gives_the_same_figures_as_json(analyst):
    body = analyst.get("/api/v1/analytics/gs?year=2026").json()
    assert body["start"] == "2026-01-01" and body["end"] == "2026-12-31"
    flows = next(f for f in body["figures"] if f["key"] == "flows")
    assert flows["rows"] == [["DE", "FR", 6], ["DE", "PL", 12], ["IT", "FR", 2], ["JP", "BR", 9]]
    assert flows["chart"]["mark"] == "rect" and "SELECT" in flows["query"]
    one = analyst.get("/api/v1/analytics/gs/routes?year=2026&region=EU").json()
    assert one["rows"][0] == ["DE → PL", "DE", "PL", 12]
    assert analyst.get("/api/v1/analytics/gs/nothing").status_code == 404


def test_the_gs_publishes_from_its_page_and_through_the_api(analyst):
    response = analyst.post(
        "/analytics/gs/publish/", {"kind": "figures", "from": "2026-01-01", "to": "2026-06-30"}
    )
    assert response.status_code == 302
    p = Publication.objects.get()
    flows = next(f for f in p.figures if f["key"] == "flows")
    assert flows["rows"] == [["DE", "FR", 5], ["DE", "PL", 10], ["IT", "FR", "< 5"], ["JP", "BR", 10]]
    made = analyst.post(
        "/api/v1/analytics/publications",
        {"kind": "report", "start": "2026-01-01", "end": "2026-12-31"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["kind"] == "report"
    refused = analyst.post(
        "/api/v1/analytics/publications",
        {"kind": "report", "start": "2026-01-01", "end": "2026-06-30"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert Publication.objects.count() == 2
    page = analyst.post("/analytics/gs/publish/", {"kind": "report", "year": "20x6"}, follow=True)
    assert "Not published" in page.content.decode() and Publication.objects.count() == 2


def test_the_gs_analyst_has_the_menu_entry_and_the_home_link(analyst):
    home = analyst.get("/").content.decode()
    assert home.count('href="/analytics/gs/"') == 2


def test_a_head_of_bureau_reads_its_own_figures_and_the_published_ones(head, peers):
    Publication.objects.create(
        id="0191d4c0-0000-7000-8000-000000000001",
        kind="figures",
        start="2026-01-01",
        end="2026-06-30",
        figures=[
            {
                "key": "flows",
                "columns": ["from", "to", "hits"],
                "rows": [["DE", "FR", "< 5"], ["DE", "PL", 10]],
                "query": "Hits on stolen vehicles",
                "coverage": ["DE", "FR", "PL"],
            }
        ],
        published_by="gs-analyst",
        published_at=AT,
        received_at=AT,
    )
    response = head.get("/analytics/bureau/?year=2026")
    assert response.status_code == 200
    text = passes_the_csp(response)
    assert "Our bureau&#x27;s figures (FR)" in text or "Our bureau's figures (FR)" in text
    assert "<td>2026-03</td><td>vehicles</td><td>7</td><td>0</td>" in text  # our contributions
    assert "<td>DE</td><td>vehicles</td><td>6</td>" in text  # hits by our officers on Germany's records
    assert "Network figures published by the GS" in text and "<td>DE</td><td>FR</td><td>&lt; 5</td>" in text
    csv_ = head.get("/analytics/network/0191d4c0-0000-7000-8000-000000000001/flows.csv")
    assert b"".join(csv_.streaming_content).decode().splitlines()[2] == "DE,PL,10"
    assert head.get("/analytics/bureau/hits_by_us.csv?year=2026").status_code == 200
    api = head.get("/api/v1/analytics/bureau?year=2026").json()
    assert [f["key"] for f in api["figures"]] == [
        "contributions",
        "notices",
        "searches",
        "hits_on_ours",
        "hits_by_us",
        "answers",
    ]
    network = head.get("/api/v1/analytics/network").json()
    assert network[0]["figures"][0]["rows"] == [["DE", "FR", "< 5"], ["DE", "PL", 10]]
    assert 'href="/analytics/bureau/"' in head.get("/").content.decode()


def test_an_officer_reads_the_bureau_figures_but_not_the_gs(client, user_factory):
    client.force_login(user_factory("ncb", "officer"))
    assert client.get("/analytics/bureau/").status_code == 200
    assert client.get("/analytics/gs/").status_code == 403
    assert client.get("/api/v1/analytics/gs").status_code == 403
    assert client.get("/analytics/gs/flows.csv").status_code == 403
    published = client.post(
        "/api/v1/analytics/publications",
        {"start": "2026-01-01", "end": "2026-06-30"},
        content_type="application/json",
    )
    assert published.status_code == 403 and not Publication.objects.exists()


@pytest.mark.parametrize(("kind", "role"), [("agency", "query"), ("agency", "contribute"), ("ncb", "admin")])
def test_others_at_a_bureau_are_refused(client, user_factory, kind, role):
    client.force_login(user_factory(kind, role))
    for url in ("/analytics/bureau/", "/analytics/gs/", "/analytics/bureau/searches.csv"):
        assert client.get(url).status_code == 403, url
    for url in ("/api/v1/analytics/bureau", "/api/v1/analytics/network", "/api/v1/analytics/gs/flows"):
        assert client.get(url).status_code == 403, url
    assert "/analytics/" not in client.get("/").content.decode()


def test_another_gs_role_is_refused(hub, client, user_factory):
    client.force_login(user_factory("gs", "reviewer"))
    assert client.get("/analytics/gs/").status_code == 403
    assert client.post("/analytics/gs/publish/", {"kind": "figures"}).status_code == 403
    assert client.get("/api/v1/analytics/gs").status_code == 403


def test_nobody_signed_out_reads_them(client, db):
    assert client.get("/analytics/gs/").status_code == 302
    assert client.get("/api/v1/analytics/network").status_code == 401


@pytest.mark.parametrize(
    ("lang", "direction", "heading"),
    [("fr", "ltr", "Nos chiffres"), ("es", "ltr", "Nuestras cifras"), ("ar", "rtl", "أرقامنا")],
)
def test_the_bureau_page_in_the_four_languages(head, settings, lang, direction, heading):
    head.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    text = head.get("/analytics/bureau/?year=2026").content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in text
    assert f"<h2>{heading}</h2>" in text
    assert 'dir="ltr">' in text  # the charts and queries keep their own direction
