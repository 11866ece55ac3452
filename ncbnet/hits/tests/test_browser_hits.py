"""In a real browser, across real nodes: a border officer in France screens a name written the
other way round and sees a possible match awaiting the owner; Kenya's officer is alerted on every
page and confirms it; France sees the owner's answer."""

import re

import pytest

from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from ncbnet.testing.cluster import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.embedded]


def test_a_hit_in_france_is_confirmed_by_kenya_in_the_browser(browser_cluster):
    cluster = browser_cluster
    from playwright.sync_api import expect, sync_playwright

    data = {"names": [{"value": "Makena Chepngetich"}], "sex": "F", "date_of_birth": {"year": 1990}}
    sent = cluster.api("KE", "POST", "/records/contributions", {"database": "persons", "data": data})
    wait_for(lambda: cluster.api("KE", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted")
    wait_for(lambda: cluster.count("FR", "records_replicarecord", "label = 'Makena Chepngetich'") == 1)
    fr, ke = (f"http://127.0.0.1:{cluster.by_name[n].port}" for n in ("FR", "KE"))
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        border = browser.new_context(locale="en-GB").new_page()
        sign_in(border, fr, "fr-police")
        border.get_by_role("navigation", name="Main").get_by_role("link", name="Screening").click()
        border.get_by_label("Name, in any script and any order").fill("CHEPNGETICH Makena")
        border.get_by_label("Date of birth").fill("1990")
        border.get_by_label("Where (sent with any hit)").fill("CDG terminal 2")
        border.get_by_role("checkbox", name=re.compile("Urgent")).check()
        border.get_by_role("button", name="Screen").click()
        hit = border.locator("article.hit")
        expect(hit).to_contain_text("Makena Chepngetich")
        expect(hit).to_contain_text("Possible match — awaiting confirmation by the owner.")
        expect(hit).to_contain_text("names in another order")
        hit.get_by_role("link", name="Follow the hit report").click()
        expect(border.get_by_role("main")).to_contain_text(
            "Possible match: awaiting confirmation by the owner"
        )

        owner = browser.new_context(locale="en-GB").new_page()
        sign_in(owner, ke, "ke-officer")
        alert = owner.locator("#hit-alerts")
        expect(alert).to_contain_text("1 hit on our records awaits our answer")
        alert.get_by_role("link", name=re.compile("Makena Chepngetich")).click()
        expect(owner.get_by_role("main")).to_contain_text("CDG terminal 2")
        owner.get_by_role("radio", name=re.compile("Confirmed")).check()
        owner.get_by_label("Note to the bureau that screened").fill("Warrant valid; arrest request follows")
        owner.get_by_role("button", name="Send our answer").click()
        expect(owner.get_by_role("main")).to_contain_text("Confirmed by the owner")

        wait_for(
            lambda: cluster.count("FR", "hits_hitreport", "state = 'confirmed'") == 1, 60, "the answer in FR"
        )
        border.reload()
        expect(border.get_by_role("main")).to_contain_text("Confirmed by the owner")
        expect(border.get_by_role("main")).to_contain_text("Warrant valid; arrest request follows")
        browser.close()
