"""A person's password and their administrator's care of the account, through the real pages:
change, temporary passwords, enrolment only right after one is replaced, unlock and resets."""

from datetime import timedelta

import pyotp
import pytest
from django.conf import settings
from django.test import Client

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import PASSWORD, TOTP_SECRET, sign_in, totp_now
from ncbnet.core import services as core
from ncbnet.security.models import AccountNotice, TOTPDevice

pytestmark = pytest.mark.django_db

NEW = "a new and long passphrase"


def actions(username: str) -> list[str]:
    return list(AuditEntry.objects.filter(subject=username).order_by("seq").values_list("action", flat=True))


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


# --- the person's own password ---------------------------------------------------------------------


def test_an_officer_changes_their_password_and_their_other_sessions_end(user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    here, elsewhere = Client(), Client()
    sign_in(here, "fr-officer")
    with clock.travel(timedelta(minutes=1)):
        sign_in(elsewhere, "fr-officer")
    assert signed_in(here) and signed_in(elsewhere)
    page = here.get("/account/password/")
    assert page.status_code == 200
    response = here.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert signed_in(here)  # this session goes on
    assert not signed_in(elsewhere)  # the others end
    assert actions("fr-officer")[-1] == "auth.password_changed"
    fresh = Client()
    assert fresh.post("/login/", {"username": "fr-officer", "password": PASSWORD}).status_code == 400
    with clock.travel(timedelta(minutes=2)):
        assert sign_in(fresh, "fr-officer", password=NEW).status_code == 302


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"old_password": "not-my-password"}, "old_password", "Your current password is not correct."),
        ({"new_password1": "short", "new_password2": "short"}, "new_password1", "too short"),
        ({"new_password1": "password1234", "new_password2": "password1234"}, "new_password1", "too common"),
        ({"new_password2": NEW + "x"}, "new_password2", "The two passwords are not the same."),
        ({"new_password1": PASSWORD, "new_password2": PASSWORD}, "new_password1", "not the one you have now"),
    ],
)
def test_a_bad_password_change_is_refused_with_the_field_and_changes_nothing(
    client, user_factory, form, field, message
):
    officer = user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    before = officer.password
    response = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW, **form}
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    officer.refresh_from_db()
    assert officer.password == before
    assert "auth.password_changed" not in actions("fr-officer")


def test_wrong_current_passwords_count_towards_the_lock_out(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    for _ in range(settings.NCBNET_LOCKOUT_ATTEMPTS):
        client.post(
            "/account/password/",
            {"old_password": "guess-guess-guess", "new_password1": NEW, "new_password2": NEW},
        )
    assert actions("fr-officer").count("auth.password_change_failed") == settings.NCBNET_LOCKOUT_ATTEMPTS
    refused = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert refused.status_code == 400 and "locked" in refused.content.decode()


# --- temporary passwords and enrolment ----------------------------------------------------------------


def admin_creates(client: Client, username: str) -> None:
    response = client.post(
        "/people/new/",
        {"username": username, "role": "ncb:officer", "password": "handed-over-in-person"},
    )
    assert response.status_code == 302, response.content


def test_an_account_an_administrator_creates_changes_its_password_then_enrols(user_factory):
    user_factory("ncb", "admin", username="fr-admin")
    admin = Client()
    sign_in(admin, "fr-admin")
    admin_creates(admin, "fr-newcomer")

    person = Client()
    first = person.post("/login/", {"username": "fr-newcomer", "password": "handed-over-in-person"})
    assert first["Location"] == "/login/password/"
    # Nothing else is reachable: no page, no API, no enrolment before the password is changed.
    assert person.get("/")["Location"].startswith("/login/")
    assert person.get("/api/v1/me").status_code == 401
    skipped = person.get("/login/enrol/")
    assert skipped.status_code == 302 and skipped["Location"] == "/login/"
    assert not TOTPDevice.objects.filter(user__username="fr-newcomer").exists()
    assert "auth.enrolment_refused" not in actions("fr-newcomer")
    # The temporary password may not be kept.
    kept = person.post(
        "/login/password/",
        {"new_password1": "handed-over-in-person", "new_password2": "handed-over-in-person"},
    )
    assert kept.status_code == 400

    again = Client()  # back at the start: the password step sends them to the change again
    assert (
        again.post("/login/", {"username": "fr-newcomer", "password": "handed-over-in-person"})["Location"]
        == "/login/password/"
    )

    changed = person.post("/login/password/", {"new_password1": NEW, "new_password2": NEW})
    assert changed["Location"] == "/login/enrol/"
    secret = person.get("/login/enrol/").context["secret"]
    assert person.post("/login/enrol/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert signed_in(person)
    assert actions("fr-newcomer")[-3:] == [
        "auth.password_changed",
        "auth.second_factor_enrolled",
        "auth.login",
    ]
    # The other sign-in that stopped at the change page holds no ticket: it cannot enrol.
    assert again.get("/login/enrol/")["Location"] == "/login/"


def test_without_an_authenticator_or_a_temporary_password_nobody_enrols(client, user_factory):
    """Today's hole: whoever first signed in with the password enrolled the second factor."""
    user_factory("ncb", "officer", username="fr-officer", totp=False)
    response = client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
    assert response.status_code == 400
    assert "Ask your administrator to reset your second factor" in response.content.decode()
    assert client.get("/login/enrol/")["Location"] == "/login/"
    assert not TOTPDevice.objects.filter(user__username="fr-officer").exists()
    assert actions("fr-officer")[-1] == "auth.enrolment_refused"


def test_a_forged_or_stale_enrolment_ticket_is_refused(user_factory):
    from ncbnet.security import services

    person = user_factory("ncb", "officer", username="fr-new", totp=False, temporary=True)
    other = user_factory("ncb", "officer", username="fr-other", totp=False, temporary=True)
    with pytest.raises(services.SignInError):
        services.start_enrolment(person, None)
    with pytest.raises(services.SignInError):
        services.start_enrolment(person, services.enrolment_ticket(other))  # someone else's
    stale = services.enrolment_ticket(person)
    person.set_password(NEW)  # another password since: the ticket is worth nothing
    person.save()
    with pytest.raises(services.SignInError):
        services.start_enrolment(person, stale)
    assert services.start_enrolment(person, services.enrolment_ticket(person)).confirmed is False


def test_a_temporary_password_with_an_authenticator_asks_the_code_before_the_change(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer", temporary=True)
    first = client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
    assert first["Location"] == "/login/verify/"
    # The change page needs the code first: the temporary password alone changes nothing.
    assert client.get("/login/password/")["Location"] == "/login/verify/"
    assert client.post("/login/password/", {"new_password1": NEW, "new_password2": NEW}).status_code == 302
    verified = client.post("/login/verify/", {"code": totp_now()})
    assert verified["Location"] == "/login/password/"
    assert not signed_in(client)
    assert client.post("/login/password/", {"new_password1": NEW, "new_password2": NEW})["Location"] == "/"
    assert signed_in(client)


def test_a_session_whose_password_became_temporary_reaches_only_the_change_page(client, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    client.force_login(officer)
    officer.password_must_change = True
    officer.save(update_fields=["password_must_change"])
    for url in ("/", "/messages/", "/account/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/account/password/", url
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and "temporary password" in api.json()["detail"]
    assert client.get("/account/password/").status_code == 200
    client.post("/account/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert client.get("/").status_code == 200


def test_accounts_without_a_second_factor_are_marked_to_change_their_password_by_the_migration(user_factory):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ncbnet.core.migrations.0003_user_password_must_change")
    enrolled = user_factory("ncb", "officer", username="fr-enrolled")
    unfinished = user_factory("ncb", "officer", username="fr-unfinished", totp=False)
    system = user_factory("system", "system", username="fr-border-system")
    migration.mark_unfinished_accounts(apps, None)
    for user, expected in ((enrolled, False), (unfinished, True), (system, False)):
        user.refresh_from_db()
        assert user.password_must_change is expected, user.username


# --- lock-out that waiting does not lift -----------------------------------------------------------------


def wrong_code(client: Client, username: str) -> None:
    client.post("/login/", {"username": username, "password": PASSWORD})
    bad = f"{(int(totp_now()) + 1) % 1_000_000:06d}"
    client.post("/login/verify/", {"code": bad})


def test_wrong_codes_spread_over_days_lock_the_account_until_an_administrator_unlocks_it(
    client, user_factory
):
    """Guessing codes needs the password; the guesses one password allows are bounded, however
    slowly they come and whatever successful sign-ins come between."""
    user_factory("ncb", "officer", username="fr-officer")
    user_factory("ncb", "admin", username="fr-admin")
    limit = settings.NCBNET_LOCKOUT_CODE_ATTEMPTS
    for day in range(limit):
        with clock.travel(timedelta(days=day)):
            wrong_code(Client(), "fr-officer")
            if day < limit - 1:  # the owner signs in every day between the guesses
                assert sign_in(Client(), "fr-officer", code=totp_now()).status_code == 302
    with clock.travel(timedelta(days=limit + 30)):  # a month later: still locked
        response = Client().post("/login/", {"username": "fr-officer", "password": PASSWORD})
        assert "Ask your administrator to unlock it." in response.content.decode()
        assert "auth.account_locked" in actions("fr-officer")

        admin = Client()
        sign_in(admin, "fr-admin")
        page = admin.get("/people/fr-officer/")
        assert "until you unlock it" in page.content.decode()
        assert admin.post("/people/fr-officer/unlock/").status_code == 302
        entry = AuditEntry.objects.filter(action="people.user.unlock").get()
        assert entry.actor == "fr-admin" and entry.subject == "fr-officer"

        person = Client()
        assert sign_in(person, "fr-officer", code=totp_now()).status_code == 302
        home = person.get("/").content.decode()
        assert "Your administrator unlocked your account." in home  # told at the next sign-in
        notice = AccountNotice.objects.get(user__username="fr-officer")
        person.post(f"/account/notices/{notice.pk}/seen/", {"next": "/"})
        assert "Your administrator unlocked your account." not in person.get("/").content.decode()


def test_a_code_sent_twice_is_no_new_guess(user_factory):
    """A double click on "Sign in" replays the code just accepted: refused, counted for the short
    lock, but not a guess towards the lasting one."""
    user_factory("ncb", "officer", username="fr-officer")
    replays = 0
    for cycle in range(3):
        with clock.travel(timedelta(minutes=2 * cycle)):
            code = totp_now()
            assert sign_in(Client(), "fr-officer", code=code).status_code == 302
            for _ in range(settings.NCBNET_LOCKOUT_ATTEMPTS - 1):
                assert "already been used" in sign_in(Client(), "fr-officer", code=code).content.decode()
                replays += 1
    assert replays > settings.NCBNET_LOCKOUT_CODE_ATTEMPTS
    assert "auth.account_locked" not in actions("fr-officer")
    with clock.travel(timedelta(minutes=10)):
        assert sign_in(Client(), "fr-officer").status_code == 302


def test_many_failed_passwords_lock_the_account_until_it_is_unlocked(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    hard = settings.NCBNET_LOCKOUT_HARD_ATTEMPTS
    short = settings.NCBNET_LOCKOUT_ATTEMPTS
    for i in range(hard):
        # Slowly enough that the short lock never refuses an attempt.
        with clock.travel(timedelta(minutes=(i // (short - 1)) * (settings.NCBNET_LOCKOUT_MINUTES + 1))):
            client.post("/login/", {"username": "fr-officer", "password": f"guess-number-{i}"})
    assert actions("fr-officer").count("auth.login_failed") == hard
    assert actions("fr-officer")[-1] == "auth.account_locked"
    with clock.travel(timedelta(days=60)):
        response = client.post("/login/", {"username": "fr-officer", "password": PASSWORD})
        assert "Ask your administrator to unlock it." in response.content.decode()


def test_an_unknown_username_locks_the_same_way_so_the_answer_does_not_tell_who_exists(client, db):
    for i in range(settings.NCBNET_LOCKOUT_ATTEMPTS):
        client.post("/login/", {"username": "nobody-here", "password": f"guess-number-{i}"})
    response = client.post("/login/", {"username": "nobody-here", "password": "guess-again-and-again"})
    assert "locked" in response.content.decode()


# --- resets by an administrator --------------------------------------------------------------------------


def temporary_password(response) -> str:
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("max-age=0")
    return response.context["password"]


def test_an_administrator_resets_a_forgotten_password(user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    user_factory("ncb", "head", username="fr-head")
    person = Client()
    sign_in(person, "fr-officer")
    admin = Client()
    sign_in(admin, "fr-head")
    password = temporary_password(admin.post("/people/fr-officer/password/"))
    assert not signed_in(person)  # their sessions ended
    assert actions("fr-officer")[-1] == "people.user.password_reset"
    with clock.travel(timedelta(minutes=1)):
        assert person.post("/login/", {"username": "fr-officer", "password": password})["Location"] == (
            "/login/verify/"
        )
        assert person.post("/login/verify/", {"code": totp_now()})["Location"] == "/login/password/"
        assert (
            person.post("/login/password/", {"new_password1": NEW, "new_password2": NEW})["Location"] == "/"
        )
        assert "Your administrator reset your password." in person.get("/").content.decode()


def test_an_administrator_resets_the_second_factor_and_the_person_enrols_again(user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    user_factory("ncb", "admin", username="fr-admin")
    admin = Client()
    sign_in(admin, "fr-admin")
    password = temporary_password(admin.post("/people/fr-officer/second-factor/"))
    assert not TOTPDevice.objects.filter(user__username="fr-officer").exists()
    entry = AuditEntry.objects.filter(action="people.user.second_factor_reset").get()
    assert entry.actor == "fr-admin" and entry.detail == {"authenticators_removed": 1}
    # The old password no longer opens enrolment: only the temporary one does.
    assert Client().post("/login/", {"username": "fr-officer", "password": PASSWORD}).status_code == 400
    person = Client()
    assert person.post("/login/", {"username": "fr-officer", "password": password})["Location"] == (
        "/login/password/"
    )
    assert person.post("/login/password/", {"new_password1": NEW, "new_password2": NEW})["Location"] == (
        "/login/enrol/"
    )
    secret = person.get("/login/enrol/").context["secret"]
    assert secret != TOTP_SECRET
    assert person.post("/login/enrol/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert "Your administrator reset your second factor" in person.get("/").content.decode()


@pytest.mark.parametrize("action", ["unlock", "password", "second-factor"])
def test_only_the_bureaus_administrators_act_on_its_accounts(user_factory, action):
    user_factory("ncb", "officer", username="fr-officer")
    user_factory("ncb", "officer", username="fr-colleague")
    user_factory("ncb", "admin", username="fr-admin")
    user_factory("system", "system", username="fr-border-system")
    colleague = Client()
    sign_in(colleague, "fr-colleague")
    assert colleague.post(f"/people/fr-officer/{action}/").status_code == 403
    assert colleague.get("/people/fr-officer/").status_code == 403
    admin = Client()
    sign_in(admin, "fr-admin")
    assert admin.post(f"/people/fr-admin/{action}/").status_code == 404  # not on oneself
    assert admin.post(f"/people/nobody/{action}/").status_code == 404
    refused = admin.post(f"/people/fr-border-system/{action}/", follow=True)
    assert "System accounts have no password" in refused.content.decode()
    assert not AccountNotice.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="people.user.", actor="fr-colleague").exists()


def test_the_hubs_network_administrator_cares_for_the_hubs_accounts_only(hub, user_factory):
    user_factory("gs", "reviewer", username="gs-reviewer")
    user_factory("gs", "network_admin", username="gs-netadmin")
    admin = Client()
    sign_in(admin, "gs-netadmin")
    assert admin.post("/people/gs-reviewer/unlock/").status_code == 302
    assert AccountNotice.objects.get().user.username == "gs-reviewer"


def test_an_ncb_administrator_cannot_reach_an_account_of_another_kind_of_manager(user_factory):
    """can_manage_user: an NCB's manager acts on the NCB's accounts, the hub's on the GS's."""
    from ncbnet.security import accounts

    admin = user_factory("ncb", "admin", username="fr-admin")
    gs = core.User.objects.create(username="gs-visitor", kind="gs", role="reviewer")  # as if on the hub
    from django.http import Http404

    with pytest.raises(Http404, match="No such account"):
        accounts.reset_password(admin, gs.username)


def test_the_nodes_operator_unlocks_and_resets_from_the_command_line(capsys, user_factory):
    """The last administrator, locked out, is rescued by whoever runs the node."""
    from ncbnet.cli import main

    user_factory("ncb", "admin", username="fr-admin")
    for i in range(settings.NCBNET_LOCKOUT_ATTEMPTS):
        Client().post("/login/", {"username": "fr-admin", "password": f"guess-number-{i}"})
    assert main(["user", "unlock", "fr-admin"]) == 0
    assert AccountNotice.objects.get().by == "operator"
    assert sign_in(Client(), "fr-admin").status_code == 302
    capsys.readouterr()
    assert main(["user", "reset", "fr-admin", "--second-factor"]) == 0
    password = capsys.readouterr().out.strip()
    assert not TOTPDevice.objects.filter(user__username="fr-admin").exists()
    assert Client().post("/login/", {"username": "fr-admin", "password": password})["Location"] == (
        "/login/password/"
    )
    assert main(["user", "unlock", "nobody"]) == 2
    assert "No such account" in capsys.readouterr().err
