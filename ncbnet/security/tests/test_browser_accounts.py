"""In a real browser: an administrator resets an officer's second factor (a lost phone); at the
next sign-in the officer replaces the temporary password, enrols a new authenticator and is told
what their administrator did. Playwright drives Debian's Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pyotp
import pytest
from django.db import connections

from ncbnet.core import registry
from ncbnet.core.models import NCB, Country, Region, RegionalBureau
from ncbnet.security.models import TOTPDevice
from ncbnet.testing.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from ncbnet.web.tests.test_browser import sign_in_as_a_person

pytestmark = pytest.mark.browser

NEW_PASSWORD = "blue harbour lantern 42"


@pytest.fixture
def browser(transactional_db: None, live_server: Any) -> Iterator[Callable[[], Any]]:
    """A Chromium whose every call opens a new tab in a browser context of its own (its own
    cookies: another person at another desk). See test_browser.open_browser for why Playwright
    starts here, after the database fixtures."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    registry.load(Region, RegionalBureau, Country, NCB)
    expect.set_options(timeout=10_000)
    with ExitStack() as stack:
        state: dict[str, Any] = {}

        def new_desk() -> Any:
            if "chromium" not in state:
                stack.enter_context(pytest.MonkeyPatch.context()).setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
                pw = stack.enter_context(sync_playwright())
                # While Playwright runs, this thread's database queries go through a connection of
                # their own (Django sees an async context): closed before Playwright stops, or
                # PostgreSQL's test database could not be dropped at the end of the run.
                stack.callback(connections.close_all)
                state["chromium"] = pw.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                stack.callback(state["chromium"].close)
            context = state["chromium"].new_context(
                base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 800}
            )
            stack.callback(context.close)
            context.set_default_timeout(10_000)
            return context.new_page()

        yield new_desk


def test_an_administrator_resets_a_second_factor_and_the_officer_enrols_again(
    browser: Any, user_factory: Any
) -> None:
    from playwright.sync_api import expect

    user_factory("ncb", "admin", username="fr-admin")
    user_factory("ncb", "officer", username="fr-officer")

    # The administrator, at their desk: People, the officer, "Reset the second factor".
    admin = browser()
    sign_in_as_a_person(admin, "fr-admin")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("People")
    admin.get_by_role("link", name="fr-officer").click()
    expect(admin.get_by_test_id("lock-state")).to_have_text("Not locked.")
    admin.get_by_role("button", name="Reset the second factor").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Temporary password")
    temporary = admin.get_by_test_id("temporary-password").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary), temporary
    assert not TOTPDevice.objects.filter(user__username="fr-officer").exists()

    # The officer, at theirs, with the temporary password handed over in person.
    officer = browser()
    officer.goto("/")
    officer.get_by_label("Username").fill("fr-officer")
    officer.get_by_label("Password").fill(temporary)
    officer.get_by_role("button", name="Continue").click()

    expect(officer).to_have_url(re.compile(r"/login/password/$"))
    expect(officer.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(officer.get_by_label("New password:", exact=True)).to_be_focused()
    officer.get_by_label("New password:", exact=True).fill(NEW_PASSWORD)
    officer.get_by_label("New password again").fill(NEW_PASSWORD + " typo")
    officer.get_by_role("button", name="Save my password").click()
    expect(officer.get_by_text("The two passwords are not the same.")).to_be_visible()
    officer.get_by_label("New password:", exact=True).fill(NEW_PASSWORD)
    officer.get_by_label("New password again").fill(NEW_PASSWORD)
    officer.get_by_role("button", name="Save my password").click()

    expect(officer).to_have_url(re.compile(r"/login/enrol/$"))
    expect(officer.get_by_role("heading", level=1)).to_have_text("Set up your authenticator")
    secret = officer.get_by_test_id("totp-secret").inner_text().strip()
    code = officer.get_by_label("Code from your authenticator")
    expect(code).to_be_focused()
    code.fill(pyotp.TOTP(secret).now())
    officer.get_by_role("button", name="Confirm and sign in").click()

    expect(officer.get_by_role("heading", level=1)).to_contain_text("Welcome")
    notice = officer.get_by_role("status").filter(has_text="Your administrator reset your second factor")
    expect(notice).to_contain_text("By fr-admin")
    notice.get_by_role("button", name="I have read this").click()
    expect(officer.get_by_text("Your administrator reset your second factor")).to_have_count(0)
    assert TOTPDevice.objects.get(user__username="fr-officer").confirmed

    # The administrator sees the new authenticator and a password of the officer's own.
    admin.get_by_role("link", name="Done").click()
    expect(admin.get_by_role("main")).to_contain_text("Authenticator set up.")
    expect(admin.get_by_role("main")).to_contain_text("Chosen by its owner.")
