"""In a real browser, across real nodes: an officer in France sends an urgent message with an
attachment; an officer in Brazil sees the alert and opens it; France sees it marked read."""

import re
from pathlib import Path

import pytest

from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from ncbnet.testing.cluster import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.embedded]


def test_urgent_message_with_attachment_alerts_brazil_and_shows_read_in_france(browser_cluster, tmp_path):
    cluster = browser_cluster
    from playwright.sync_api import expect, sync_playwright

    fr = f"http://127.0.0.1:{cluster.by_name['FR'].port}"
    br = f"http://127.0.0.1:{cluster.by_name['BR'].port}"
    evidence = tmp_path / "photo.txt"
    evidence.write_text("Vehicle ABC-1234 photographed at the border post, 05:40 UTC.\n")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        expect.set_options(timeout=20_000)
        france = browser.new_context().new_page()
        brazil = browser.new_context().new_page()

        sign_in(france, fr, "fr-officer")
        france.get_by_role("link", name="Messages").click()
        france.get_by_role("link", name="New message").click()
        france.get_by_label("To").fill("BR")
        france.get_by_label("Priority").select_option("urgent")
        france.get_by_label("Subject").fill("Stolen vehicle heading to Santos")
        france.get_by_label("Message").fill("Please check the port of Santos. Photo attached.")
        france.get_by_label("Attachments").set_input_files(str(evidence))
        france.get_by_role("button", name="Send").click()
        expect(france.get_by_role("heading", name="Stolen vehicle heading to Santos")).to_be_visible()
        expect(france.locator('td[data-status="queued"], td[data-status="delivered"]')).to_have_count(1)

        sign_in(brazil, br, "br-officer")
        alert = brazil.get_by_role("alert").filter(has_text="Stolen vehicle heading to Santos")
        expect(alert).to_be_visible()  # the on-screen alert polls every 10 seconds
        alert.get_by_role("link", name=re.compile("Stolen vehicle")).click()
        expect(brazil.get_by_text("Please check the port of Santos.")).to_be_visible()
        with brazil.expect_download() as download:
            brazil.get_by_role("link", name="photo.txt").click()
        assert Path(download.value.path()).read_text() == evidence.read_text()

        def marked_read() -> bool:
            france.reload()
            return france.locator('td[data-status="read"]').count() == 1

        wait_for(marked_read, 30, "France to see the message read")
        expect(france.locator('td[data-status="read"]')).to_contain_text("Read")
        browser.close()
