"""A person files a request through the hub's portal in a real browser, without an account and
without script, then follows it with the reference and the secret the page showed once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from ncbnet.commission import services
from ncbnet.commission.models import Request
from ncbnet.commission.tests.conftest import file_in_browser, follow_in_browser
from ncbnet.core import registry
from ncbnet.core.models import NCB, Country, Region, RegionalBureau
from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "commission"]),
]


@pytest.fixture
def open_browser(hub: None, live_server: Any) -> Iterator[Callable[[], Any]]:
    """A fresh tab on the live hub, with script turned off (the form must work without it); as in
    web/tests/test_browser.py, Playwright starts after the database fixtures and stops before them."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    registry.load(Region, RegionalBureau, Country, NCB)
    expect.set_options(timeout=10_000)
    with ExitStack() as stack:

        def open_page() -> Any:
            stack.enter_context(pytest.MonkeyPatch.context()).setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            pw = stack.enter_context(sync_playwright())
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            stack.callback(chromium.close)
            context = chromium.new_context(
                base_url=live_server.url,
                locale="en-GB",
                viewport={"width": 390, "height": 844},  # a phone
                java_script_enabled=False,
            )
            stack.callback(context.close)
            context.set_default_timeout(10_000)
            return context.new_page()

        yield open_page


def test_a_person_files_and_follows_a_request_in_a_browser(open_browser, user_factory):
    from playwright.sync_api import expect

    secretariat = user_factory("commission", "secretariat", username="ccf-secretariat")
    page = open_browser()
    page.goto("/public/")
    page.get_by_role("link", name="Data about you: ask the Commission for the Control of Files").click()
    page.get_by_role("link", name="File a request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File a request with the Commission")

    file_in_browser(
        page,
        family="Dupont",
        given="Marie",
        born="1980-04-12",
        nationality="BE",
        asked="Delete the record about me.",
        why="The case was dismissed.",
    )

    expect(page.get_by_role("heading", level=1)).to_have_text("Request filed")
    reference = page.locator("#reference").inner_text()
    secret = page.locator("#secret").inner_text()
    assert Request.objects.get().reference == reference

    def follow() -> None:
        follow_in_browser(page, "", reference, secret)

    follow()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {reference}")
    expect(page.get_by_role("main")).to_contain_text("Request received")
    services.decide_admissibility(secretariat, Request.objects.get().pk, admissible=True, note="Admissible.")
    follow()
    expect(page.get_by_role("main")).to_contain_text("Declared admissible")
    expect(page.get_by_role("main")).to_contain_text("Decision due by")
