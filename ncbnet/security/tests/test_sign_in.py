"""Sign-in with password and TOTP through the real pages; every refusal changes only the audit trail."""

from datetime import timedelta

import pyotp
import pytest
from django.conf import settings

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import PASSWORD, TOTP_SECRET, database_state, sign_in, totp_now

pytestmark = pytest.mark.django_db


def last_action(subject: str) -> AuditEntry:
    return AuditEntry.objects.filter(subject=subject).order_by("-seq").first()


def test_officer_signs_in_with_password_and_code_and_sees_home(client, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    first = client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
    assert first.status_code == 302 and first["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    assert client.get("/").status_code == 302
    second = client.post("/login/verify/", {"code": totp_now()})
    assert second.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "NCB France" in home.content.decode()
    assert last_action(officer.username).action == "auth.login"


def test_wrong_password_is_refused_and_changes_nothing_but_the_audit_trail(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    before = database_state()
    seq = AuditEntry.objects.count()
    response = client.post("/login/", {"username": "fr-officer", "password": "not-the-password"})
    assert response.status_code == 400
    assert "Wrong username or password." in response.content.decode()
    assert database_state() == before
    assert AuditEntry.objects.count() == seq + 1
    entry = last_action("fr-officer")
    assert entry.action == "auth.login_failed" and entry.detail == {"reason": "wrong password"}


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, db):
    response = client.post("/login/", {"username": "nobody", "password": "whatever-it-is"})
    assert "Wrong username or password." in response.content.decode()
    assert last_action("nobody").detail == {"reason": "unknown user"}


def test_wrong_code_is_refused_and_changes_nothing_but_the_audit_trail(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
    before = database_state()
    wrong = f"{(int(totp_now()) + 1) % 1_000_000:06d}"
    response = client.post("/login/verify/", {"code": wrong})
    assert response.status_code == 400
    assert "Wrong code" in response.content.decode()
    assert database_state() == before
    assert last_action("fr-officer").action == "auth.second_factor_failed"
    assert client.get("/").status_code == 302


def test_replayed_code_is_refused(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    code = totp_now()
    with clock.frozen(clock.now()):
        assert sign_in(client, "fr-officer", code=code).status_code == 302
        client.post("/logout/")
        other = client.__class__()
        other.post("/login/", {"username": "fr-officer", "password": PASSWORD})
        before = database_state()
        response = other.post("/login/verify/", {"code": code})
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert database_state() == before
    assert last_action("fr-officer").detail == {"reason": "replayed code"}


def test_code_from_the_next_step_is_accepted_for_clock_drift(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    now = clock.now()
    drifted = pyotp.TOTP(TOTP_SECRET).at(now + timedelta(seconds=30))
    with clock.frozen(now):
        assert sign_in(client, "fr-officer", code=drifted).status_code == 302


def test_account_locks_after_repeated_failures_and_unlocks_after_the_window(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    for _ in range(settings.NCBNET_LOCKOUT_ATTEMPTS):
        client.post("/login/", {"username": "fr-officer", "password": "wrong-password-x"})
    response = client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
    assert "locked" in response.content.decode()
    assert last_action("fr-officer").action == "auth.login_refused_locked"
    with clock.travel(timedelta(minutes=settings.NCBNET_LOCKOUT_MINUTES, seconds=1)):
        assert sign_in(client, "fr-officer").status_code == 302
        assert client.get("/").status_code == 200


def test_disabled_account_cannot_sign_in(client, user_factory):
    from ncbnet.core import services

    user_factory("ncb", "officer", username="fr-officer")
    services.set_active(None, "fr-officer", False)
    response = client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
    assert "Wrong username or password." in response.content.decode()
    assert last_action("fr-officer").detail == {"reason": "disabled"}


def test_first_sign_in_changes_the_temporary_password_then_enrols_an_authenticator(client, user_factory):
    user_factory("ncb", "officer", username="fr-new", totp=False, temporary=True)
    response = client.post("/login/", {"username": "fr-new", "password": PASSWORD})
    assert response["Location"] == "/login/password/"
    changed = client.post(
        "/login/password/",
        {"new_password1": "my own long passphrase", "new_password2": "my own long passphrase"},
    )
    assert changed["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/")
    assert page.status_code == 200
    secret = page.context["secret"]
    assert (
        client.post(
            "/login/enrol/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"}
        ).status_code
        == 400
    )
    assert client.post("/login/enrol/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.second_factor_enrolled", subject="fr-new").exists()


def test_session_expires_when_idle(client, user_factory):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    left = session.expire_date - timezone.now()
    # Use pushes the expiry to now + the idle limit (30 minutes by default).
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_use_moves_the_idle_expiry_with_one_write_a_minute_at_most(client, user_factory):
    """Requests within a minute of the session's last write (signing in wrote it) leave it as it
    is, with no second write transaction per request; the first request after it moves the
    expiry again."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ncbnet.security.middleware import IdleSessionMiddleware

    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    key = client.session.session_key
    assert client.get("/").status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    with CaptureQueriesContext(connection) as second:
        assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == expiry
    writes = [q["sql"] for q in second.captured_queries if q["sql"].startswith('UPDATE "django_session"')]
    assert writes == [], writes

    # The last write a minute ago (and the expiry with it): the next request writes a new expiry.
    session = client.session
    session[IdleSessionMiddleware.SEEN] -= IdleSessionMiddleware.REFRESH
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=expiry - timedelta(seconds=60))
    assert client.get("/").status_code == 200
    left = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)


def test_sign_out_ends_the_session(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert last_action("fr-officer").action == "auth.logout"


def test_next_parameter_cannot_redirect_off_site(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    client.post("/login/?next=https://evil.example/", {"username": "fr-officer", "password": PASSWORD})
    response = client.post("/login/verify/", {"code": totp_now()})
    assert response["Location"] == "/"
