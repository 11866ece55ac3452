"""The idle expiry counts what the officer does, not what an open tab does by itself: the
10-second alert polls do not renew the session. Time moves on the node's clock."""

from datetime import timedelta

import pytest
from django.conf import settings

from ncbnet.base import clock
from ncbnet.conftest import sign_in

pytestmark = pytest.mark.django_db

POLLS = ("/messages/alerts/", "/hits/alerts/")  # what base.html asks for every 10 seconds
HTMX = {"HTTP_HX_REQUEST": "true"}


def poll_for(client, minutes: int, start: timedelta = timedelta(0)) -> list[int]:
    """What an open tab does alone: both alert polls every 10 seconds for `minutes` minutes."""
    statuses = []
    for tick in range(1, minutes * 6 + 1):
        with clock.travel(start + timedelta(seconds=10 * tick)):
            statuses += [client.get(url, **HTMX).status_code for url in POLLS]
    return statuses


def test_a_tab_left_open_with_only_its_polls_reaches_the_idle_expiry(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    idle = settings.SESSION_COOKIE_AGE // 60
    statuses = poll_for(client, idle - 1)
    assert set(statuses) == {200}  # the polls are served while the session lives
    with clock.travel(timedelta(minutes=idle, seconds=1)):
        ended = client.get(POLLS[0], **HTMX)
        assert ended.status_code == 401
        assert ended["HX-Redirect"] == "/login/"  # the whole tab goes to the sign-in page
        page = client.get("/")
        assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_a_real_page_view_keeps_the_session_alive(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    idle = settings.SESSION_COOKIE_AGE // 60
    assert set(poll_for(client, 20)) == {200}
    with clock.travel(timedelta(minutes=20, seconds=30)):
        assert client.get("/messages/").status_code == 200  # the officer opens the inbox
    assert set(poll_for(client, idle - 1, start=timedelta(minutes=21))) == {200}
    with clock.travel(timedelta(minutes=idle + 1)):
        # 31 minutes after signing in, but 10 after the page view: still signed in.
        assert client.get("/").status_code == 200
    with clock.travel(timedelta(minutes=2 * idle + 1, seconds=1)):
        assert client.get("/").status_code == 302  # idle since that last page, it ends


def test_an_anonymous_page_request_is_still_sent_to_the_sign_in_page(client, db):
    response = client.get("/messages/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
