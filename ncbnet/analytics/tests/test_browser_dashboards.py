"""In a real browser: the GS analyst opens the dashboard from the home page, filters to a region and
a year, and downloads the CSV of the stolen-vehicle flows; a bureau's head sees its own figures and
the network figures the GS published (arrived over the network, through the real entrance), and
opens the yearly network report made on its node from them: its page and its PDF."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from pypdf import PdfReader

from ncbnet.analytics import reports
from ncbnet.base import tally
from ncbnet.conftest import PASSWORD, arriving, totp_now
from ncbnet.network import delivery, envelope
from ncbnet.web.tests.test_browser import open_browser, sign_in_as_a_person  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

IN_2026 = datetime(2026, 3, 10, 12, tzinfo=UTC)
IN_2025 = datetime(2025, 7, 1, 12, tzinfo=UTC)
FLOWS = "Stolen-vehicle flows: from the owner country to the country where found"


def vehicle_hits() -> None:
    for found, owner, n, at in (
        ("FR", "DE", 6, IN_2026),
        ("PL", "DE", 12, IN_2026),
        ("BR", "JP", 9, IN_2026),
        ("FR", "IT", 3, IN_2025),
    ):
        tally.count("hit.reported", at, country=found, owner=owner, database="vehicles", iccs="0502", n=n)


def sign_in_at_the_hub(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login/")  # a hub's "/" is its public page
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator").fill(totp_now())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_the_gs_analyst_filters_to_a_region_and_a_year_and_downloads_the_flows(
    open_browser: Any,  # noqa: F811
    hub: None,
    user_factory: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    vehicle_hits()
    user_factory("gs", "analyst", username="gs-analyst")
    page = open_browser()
    sign_in_at_the_hub(page, "gs-analyst")
    page.get_by_role("link", name="Open the dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network analytics")

    page.get_by_label("Year", exact=True).fill("2026")
    page.get_by_label("Region", exact=True).select_option(label="Europe")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"year=2026.*region=EU"))
    flows = page.get_by_role("region", name=FLOWS)
    expect(flows.get_by_role("img", name=FLOWS)).to_be_visible()

    table = flows.get_by_role("table")
    expect(table).to_contain_text("DE")
    expect(table.get_by_role("row")).to_have_count(3)  # the header, DE → FR, DE → PL: not JP → BR, not 2025

    with page.expect_download() as downloading:
        flows.get_by_role("link", name=f"CSV of “{FLOWS}”").click()
    saved = tmp_path / "flows.csv"
    downloading.value.save_as(saved)
    assert saved.read_text().splitlines() == ["from,to,hits", "DE,FR,6", "DE,PL,12"]


def test_a_head_of_bureau_sees_its_own_figures_and_those_the_gs_published(
    open_browser: Any,  # noqa: F811
    user_factory: Any,
    peers: dict[str, Any],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    tally.count("record.contributed", IN_2026, country="FR", owner="FR", database="vehicles", n=7)
    tally.count("hit.reported", IN_2026, country="FR", owner="DE", database="vehicles", n=2)
    published = {
        "id": envelope.new_id(),
        "kind": "report",
        "start": "2025-01-01",
        "end": "2025-12-31",
        "published_by": "gs-analyst",
        "published_at": datetime.now(UTC).isoformat(),
        "figures": [
            {
                "key": "flows",
                "columns": ["from", "to", "hits"],
                "rows": [["DE", "PL", 10], ["IT", "FR", "< 5"]],
                "query": "Hits on stolen vehicles",
                "coverage": ["DE", "FR", "IT", "PL"],
            }
        ],
    }
    with transaction.atomic():  # as the network worker takes a batch
        outcome = delivery.accept(
            arriving(peers, "analytics.publication", published, sender="hub"), stream_seq=1
        )
    assert outcome == "accepted"
    assert reports.run_queued() == 4  # the network worker's job: the report in every language
    user_factory("ncb", "head", username="fr-head")
    page = open_browser()
    sign_in_as_a_person(page, "fr-head")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Our figures").click()
    page.get_by_label("Year", exact=True).fill("2026")
    page.get_by_role("button", name="Show").click()
    ours = page.get_by_role("region", name="Our contributions by database, by month")
    expect(ours.get_by_role("table")).to_contain_text("vehicles")
    expect(ours.get_by_role("table")).to_contain_text("7")
    by_us = page.get_by_role("region", name="Hits by our officers, by the record's owner")
    expect(by_us.get_by_role("table")).to_contain_text("DE")
    network = page.get_by_role("region", name="Network figures published by the GS")
    expect(network).to_contain_text("Yearly network report, 2025-01-01 to 2025-12-31")
    flows = network.get_by_role("region", name=FLOWS)
    expect(flows.get_by_role("row", name=re.compile(r"IT\s+FR\s+< 5"))).to_be_visible()
    expect(flows.get_by_role("img", name=FLOWS)).to_be_visible()

    listed = page.get_by_role("region", name="Network reports")
    expect(listed.get_by_role("row").nth(1)).to_contain_text("2025")
    year = listed.get_by_role("row").nth(1)
    with page.expect_download() as downloading:
        year.get_by_role("link", name="PDF").first.click()
    saved = tmp_path / "report.pdf"
    downloading.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert "The network in figures, 2025" in "".join(p.extract_text() for p in PdfReader(saved).pages)
    year.get_by_role("link", name="Read").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The network in figures, 2025")
    section = page.get_by_role("region", name=FLOWS)
    expect(section.get_by_role("row", name=re.compile(r"IT\s+FR\s+< 5"))).to_be_visible()
    expect(section.get_by_role("img", name=FLOWS)).to_be_visible()
