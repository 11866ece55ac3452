"""In a real browser, across real nodes: France's officer requests a Yellow Notice from its page;
the General Secretariat asks for changes; the officer edits and resubmits it; the GS publishes it;
Kenya's officer finds it through the notices list's filter."""

import re

import pytest

from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from ncbnet.testing.cluster import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

NAME = "Océane Lambert-Vidal"


def test_a_yellow_notice_from_request_to_another_bureaus_list(browser_cluster):
    cluster = browser_cluster
    from playwright.sync_api import expect, sync_playwright

    fr, hub, ke = (f"http://127.0.0.1:{cluster.by_name[n].port}" for n in ("FR", "hub", "KE"))
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        officer = browser.new_context(locale="en-GB").new_page()
        sign_in(officer, fr, "fr-officer")
        officer.goto(fr + "/notices/requests/")
        officer.get_by_role("link", name="Request YELLOW").click()
        expect(officer.get_by_role("heading", level=1)).to_contain_text("Yellow")
        officer.get_by_label("Or the name as written").fill(NAME)
        officer.get_by_label("Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)").fill("2011-05")
        officer.get_by_label("Nationalities (codes, separated by commas)").fill("FR")
        officer.get_by_label("Place").fill("Lyon")
        officer.get_by_label("Circumstances").fill("Did not come back from the swimming pool.")
        officer.get_by_role("button", name="Send to the General Secretariat").click()
        expect(officer.get_by_role("main")).to_contain_text("Sent to the General Secretariat")

        wait_for(
            lambda: cluster.count("hub", "notices_notice", "state = 'in_review' AND title = ?", (NAME,)) == 1,
            60,
            "the request at the hub",
        )
        gs = browser.new_context(locale="en-GB").new_page()
        sign_in(gs, hub, "gs-reviewer")
        gs.goto(hub + "/review/")
        card = gs.locator("article", has_text=NAME)
        card.get_by_label("Reason").fill("Say when she was last seen, and by whom.")
        card.get_by_role("button", name="Ask for changes").click()
        expect(gs.get_by_role("main")).to_contain_text("Decision recorded.")

        wait_for(
            lambda: (
                cluster.count("FR", "notices_noticerequest", "state = 'changes' AND title = ?", (NAME,)) == 1
            ),
            60,
            "the GS's request for changes in FR",
        )
        officer.goto(fr + "/notices/requests/")
        row = officer.get_by_role("row", name=re.compile(NAME))
        expect(row).to_contain_text("Say when she was last seen, and by whom.")
        row.get_by_role("link", name="Edit and resubmit").click()
        asked = officer.get_by_role("status", name="What the General Secretariat asks")
        expect(asked).to_contain_text("Say when she was last seen, and by whom.")
        expect(officer.get_by_label("Or the name as written")).to_have_value(NAME)
        officer.get_by_label("Missing since").fill("2026-11-20")
        officer.get_by_label("Circumstances").fill(
            "Did not come back from the swimming pool; last seen by the lifeguard at 18:00."
        )
        officer.get_by_role("button", name="Resubmit to the General Secretariat").click()
        expect(officer.get_by_role("main")).to_contain_text("Resubmitted to the General Secretariat.")

        wait_for(
            lambda: cluster.count("hub", "notices_notice", "state = 'in_review' AND title = ?", (NAME,)) == 1,
            60,
            "the resubmission at the hub",
        )
        gs.goto(hub + "/review/")
        card = gs.locator("article", has_text=NAME)
        expect(card).to_contain_text("Did not come back")
        card.get_by_label("Reason").fill("Missing minor; meets the Rules.")
        card.get_by_role("button", name="Publish").click()
        expect(gs.get_by_role("main")).to_contain_text("Decision recorded.")

        wait_for(
            lambda: (
                cluster.count("KE", "notices_replicanotice", "kind = 'yellow' AND title = ?", (NAME,)) == 1
            ),
            60,
            "the published notice in KE",
        )
        other = browser.new_context(locale="en-GB").new_page()
        sign_in(other, ke, "ke-officer")
        other.get_by_role("navigation", name="Main").get_by_role("link", name="Notices").click()
        other.get_by_label("Kind").select_option("yellow")
        other.get_by_label("Name, in any script").fill("lambert")
        other.get_by_role("button", name="Show").click()
        found = other.get_by_role("link", name=NAME)
        expect(found).to_be_visible()
        found.click()
        expect(other.get_by_role("main")).to_contain_text("last seen by the lifeguard")
        browser.close()
