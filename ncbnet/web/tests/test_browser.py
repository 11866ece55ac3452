"""A real browser, used as a person would: sign in, read the home page, walk the menu, switch language.

Playwright drives Debian's Chromium (/usr/bin/chromium); Playwright's own browser download is not used.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from ncbnet.conftest import PASSWORD, totp_now
from ncbnet.core import registry
from ncbnet.core.models import NCB, Country, Region, RegionalBureau
from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

ARABIC_MO = Path(settings.BASE_DIR) / "locale" / "ar" / "LC_MESSAGES" / "django.mo"
# Left for a person to look at: /tmp/ncbnet-home-en.png and /tmp/ncbnet-home-ar.png.
SCREENSHOT_EN = Path(tempfile.gettempdir()) / "ncbnet-home-en.png"
SCREENSHOT_AR = Path(tempfile.gettempdir()) / "ncbnet-home-ar.png"


@pytest.fixture
def open_browser(transactional_db: None, live_server: Any) -> Iterator[Callable[[], Any]]:
    """Start Chromium on demand and return a fresh tab on the live site.

    The site runs in its own thread, so these tests use real transactions and the database is emptied
    after each test (and after every other transactional test). The member-country registry, which a
    data migration loads, is therefore loaded again here; it is idempotent.

    Create the test's data *before* opening the browser. Playwright's sync API runs an asyncio event
    loop in this thread, and while it runs Django hands this thread a different database connection
    (an async context gets its own): the database fixtures must set up and tear down outside it, which
    is why Playwright starts here, after them, and stops before them rather than once per module.
    """
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    registry.load(Region, RegionalBureau, Country, NCB)

    expect.set_options(timeout=10_000)
    with ExitStack() as stack:

        def open_page() -> Any:
            # Django refuses database access from a thread with a running event loop unless told to.
            stack.enter_context(pytest.MonkeyPatch.context()).setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            pw = stack.enter_context(sync_playwright())
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            stack.callback(chromium.close)
            context = chromium.new_context(
                base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 800}
            )
            stack.callback(context.close)
            context.set_default_timeout(10_000)
            return context.new_page()

        yield open_page


def sign_in_as_a_person(page: Any, username: str) -> None:
    """Open the home page, get sent to the sign-in page, and go through both steps with the keyboard."""
    from playwright.sync_api import expect

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/login/verify/$"))
    code = page.get_by_label("Code from your authenticator")
    expect(code).to_be_focused()  # autofocus: the officer can type the code straight away
    code.fill(totp_now())
    code.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_officer_signs_in_and_walks_the_menu_with_the_keyboard(open_browser: Any, user_factory: Any) -> None:
    from playwright.sync_api import expect

    user_factory("ncb", "officer", username="fr-officer")
    page = open_browser()
    sign_in_as_a_person(page, "fr-officer")

    main = page.get_by_role("main")
    expect(main).to_contain_text("NCB France")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")

    # Walk the page with Tab from the top, as a keyboard user does, until "Member countries" has focus.
    # Every link of the menu passed on the way must show where the focus is.
    page.locator("body").focus()
    focused_links: list[str] = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    tag: el.tagName,
                    text: (el.textContent || '').trim(),
                    inNav: !!el.closest('nav'),
                    focusVisible: el.matches(':focus-visible'),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                };
            }"""
        )
        if focus["inNav"]:
            assert focus["tag"] == "A", focus
            assert focus["focusVisible"] and focus["outline"], f"no visible focus on menu link {focus}"
            focused_links.append(focus["text"])
        if focus["text"] == "Member countries" and focus["inNav"]:
            break
    else:
        pytest.fail(f"Tab never reached the 'Member countries' menu link; reached: {focused_links}")
    assert focused_links[0] == "Home", focused_links

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/countries/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Member countries")
    expect(nav.get_by_role("link", name="Member countries")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("table")).to_contain_text("France")

    nav.get_by_role("link", name="Home").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(main).to_contain_text("NCB France")


def test_head_switches_to_arabic_and_the_page_turns_rtl(open_browser: Any, user_factory: Any) -> None:
    from playwright.sync_api import expect

    user_factory("ncb", "head", username="fr-head")
    page = open_browser()
    sign_in_as_a_person(page, "fr-head")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    page.screenshot(path=str(SCREENSHOT_EN), full_page=True)

    header = page.get_by_role("banner")
    header.get_by_label("Language").select_option("ar")
    header.get_by_role("button", name="Change").click()

    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("body")).to_have_css("direction", "rtl")
    expect(header.get_by_role("combobox")).to_have_value("ar")
    expect(page).to_have_url(re.compile(r"/$"))  # the switch brings the officer back to the same page

    if ARABIC_MO.exists():
        with translation.override("ar"):
            home, countries = translation.gettext("Home"), translation.gettext("Member countries")
        assert home != "Home", f"{ARABIC_MO} exists but does not translate 'Home'"
        nav = page.get_by_role("navigation")
        expect(nav.get_by_role("link", name=home, exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name=countries, exact=True)).to_be_visible()
        expect(nav).not_to_contain_text("Member countries")

    page.screenshot(path=str(SCREENSHOT_AR), full_page=True)
