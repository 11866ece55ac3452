"""In a real browser, across real nodes: France asks Brazil urgently to locate a person; Brazil's
officer sees it on the home page with its time left, tasks the federal police, the police officer
answers the task in the browser, Brazil's officer answers France from the result, and France's
officer sees the answer."""

import re

import pytest

from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from ncbnet.testing.cluster import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

TITLE = "Locate Lucas PEREIRA before his flight to Lisbon"


def test_an_urgent_request_is_tasked_answered_by_the_police_and_answered_to_france(browser_cluster):
    cluster = browser_cluster
    from playwright.sync_api import expect, sync_playwright

    sent = cluster.api(
        "FR",
        "POST",
        "/cooperation/requests",
        {
            "to": ["BR"],
            "kind": "action",
            "action": "locate",
            "title": TITLE,
            "details": "European arrest warrant issued yesterday; he holds a Brazilian passport.",
            "subjects": [{"type": "person", "name": "Lucas Pereira", "date_of_birth": "1988-02-11"}],
            "legal_basis": "European arrest warrant 2026/4471",
            "purpose": "Arrest with a view to surrender",
            "urgent": True,
            "urgency_ground": "detention",
            "access": "direct",
            "handling": "H1",
        },
    )
    request_id = sent[0]["id"]
    wait_for(lambda: cluster.count("BR", "cooperation_request", "id = ?", (request_id.replace("-", ""),)), 60)
    fr, br = (f"http://127.0.0.1:{cluster.by_name[n].port}" for n in ("FR", "BR"))
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        officer = browser.new_context(locale="en-GB").new_page()
        sign_in(officer, br, "br-officer")
        row = officer.locator("tr.work-request", has_text=TITLE)
        expect(row).to_contain_text("Urgent")
        expect(row).to_contain_text(re.compile(r"[67] h \d+ min left"))  # 8 hours from receipt
        row.get_by_role("link", name=TITLE).click()
        officer.get_by_role("link", name="Task a national agency").click()
        officer.get_by_label("Agency").select_option(label="Polícia Federal")
        officer.get_by_label("Action requested").fill("Locate Lucas Pereira at his registered address")
        officer.get_by_label("Legal basis").fill("Lei 13.445/2017, art. 84")
        officer.get_by_label("Details").fill(
            "Rua das Flores 12, Campinas. Check with the airport police too."
        )
        officer.get_by_role("button", name="Give the task").click()
        expect(officer.get_by_role("main")).to_contain_text("Locate Lucas Pereira at his registered address")

        police = browser.new_context(locale="en-GB").new_page()
        sign_in(police, br, "br-police")
        police.get_by_role("link", name="Locate Lucas Pereira at his registered address").first.click()
        police.get_by_label("Text").fill(
            "Found at the address and detained at 04:10; passport BR998877 seized."
        )
        police.get_by_role("button", name="Answer with results").click()
        expect(police.get_by_role("main")).to_contain_text("Answered")

        officer.goto(f"{br}/cooperation/requests/{request_id}/")
        tasks = officer.locator("section", has=officer.get_by_role("heading", name="National tasks"))
        expect(tasks).to_contain_text("Answered")
        expect(tasks).to_contain_text("detained at 04:10")
        answer = officer.locator("section", has=officer.get_by_role("heading", name="Answer", exact=True))
        answer.get_by_label("Answer").fill(
            "Lucas Pereira was located and detained at 04:10 today; passport BR998877 seized."
        )
        answer.get_by_role("button", name="Confirm").click()
        expect(officer.get_by_role("main")).to_contain_text("Answered")

        wait_for(
            lambda: cluster.count("FR", "cooperation_request", "state = 'answered'") == 1,
            60,
            "the answer in FR",
        )
        requester = browser.new_context(locale="en-GB").new_page()
        sign_in(requester, fr, "fr-officer")
        requester.goto(f"{fr}/cooperation/requests/?box=out")
        requester.get_by_role("link", name=TITLE).click()
        expect(requester.get_by_role("main")).to_contain_text("Answered")
        expect(requester.get_by_role("main")).to_contain_text("located and detained at 04:10 today")
        browser.close()
