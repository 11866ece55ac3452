"""Sign-in with a second factor, lock-out, and machine tokens.

A failed attempt changes nothing but the audit trail: lock-out is counted from the audit log.

Two locks. The short one: `NCBNET_LOCKOUT_ATTEMPTS` failures within `NCBNET_LOCKOUT_MINUTES`
since the last sign-in lock the account for the rest of that window. The lasting one, which only
an administrator lifts (`security.accounts.unlock`, or a reset of the password or the second
factor): `NCBNET_LOCKOUT_HARD_ATTEMPTS` failures since the last sign-in, or
`NCBNET_LOCKOUT_CODE_ATTEMPTS` wrong second-factor codes (replays aside) since the password was
last set, whatever sign-ins came between. Guessing codes needs the password, so the second rule
bounds the guesses any one password allows, however slowly they are spread out; a sign-in by the
account's owner does not reopen them. Reaching either writes an `auth.account_locked` entry, and
the account stays locked until an entry of `UNLOCK_ACTIONS` follows it: waiting alone never
lifts it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.chain import AuditEntry

from . import throttle
from .models import ApiToken, Scope, TOTPDevice

TOTP_STEP = 30
TOTP_DRIFT_STEPS = 1
LOGIN_FAILED = "auth.login_failed"
CODE_FAILED = "auth.second_factor_failed"
CHANGE_FAILED = "auth.password_change_failed"  # a wrong current password on the change page
FAILURE_ACTIONS = (LOGIN_FAILED, CODE_FAILED, CHANGE_FAILED)
SUCCESS_ACTIONS = ("auth.login",)
LOCKED = "auth.account_locked"
# An administrator's unlock, and the resets that hand the person a new temporary password.
UNLOCK_ACTIONS = ("people.user.unlock", "people.user.password_reset", "people.user.second_factor_reset")
# Events after which a new password is in force: wrong codes are counted from the latest.
PASSWORD_SET_ACTIONS = ("people.user.create", "auth.password_changed", *UNLOCK_ACTIONS)
BEARER_MARK = "ncb"
ENROL_SALT = "ncbnet.security.enrol"


class SignInError(Exception):
    """A sign-in step failed; the message is safe to show the person signing in."""


@dataclass(frozen=True)
class Lockout:
    locked: bool
    until: datetime | None = None  # None while locked: until an administrator unlocks it

    @property
    def lasting(self) -> bool:
        return self.locked and self.until is None


def _latest_seq(username: str, actions: tuple[str, ...]) -> int:
    seq = (
        AuditEntry.objects.filter(action__in=actions, subject=username)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return int(seq or 0)


def lockout_state(username: str) -> Lockout:
    """Locked for good (until an administrator unlocks it) after an `auth.account_locked` entry
    that no unlock followed; else for a while when the recent failures since the last successful
    sign-in (or unlock) reach the short limit."""
    latest = (
        AuditEntry.objects.filter(action__in=(LOCKED, *UNLOCK_ACTIONS), subject=username)
        .order_by("-seq")
        .values_list("action", flat=True)
        .first()
    )
    if latest == LOCKED:
        return Lockout(True)
    window = timedelta(minutes=settings.NCBNET_LOCKOUT_MINUTES)
    since_seq = _latest_seq(username, (*SUCCESS_ACTIONS, *UNLOCK_ACTIONS))
    failures = list(
        AuditEntry.objects.filter(
            action__in=FAILURE_ACTIONS, subject=username, at__gt=clock.now() - window, seq__gt=since_seq
        )
        .order_by("-seq")
        .values_list("at", flat=True)[: settings.NCBNET_LOCKOUT_ATTEMPTS]
    )
    if len(failures) >= settings.NCBNET_LOCKOUT_ATTEMPTS:
        return Lockout(True, failures[0] + window)
    return Lockout(False)


def locked_among(usernames: list[str]) -> set[str]:
    """Of these accounts, those locked now: a few queries for a whole page of people."""
    latest: dict[str, tuple[int, str]] = {}
    for subject, action, seq in AuditEntry.objects.filter(
        action__in=(LOCKED, *UNLOCK_ACTIONS), subject__in=usernames
    ).values_list("subject", "action", "seq"):
        if seq > latest.get(subject, (0, ""))[0]:
            latest[subject] = (seq, action)
    locked = {name for name, (_seq, action) in latest.items() if action == LOCKED}
    window = timedelta(minutes=settings.NCBNET_LOCKOUT_MINUTES)
    recent = AuditEntry.objects.filter(
        action__in=FAILURE_ACTIONS, subject__in=usernames, at__gt=clock.now() - window
    ).values_list("subject", flat=True)
    counts: dict[str, int] = {}
    for subject in recent:
        counts[subject] = counts.get(subject, 0) + 1
    candidates = {n for n, c in counts.items() if c >= settings.NCBNET_LOCKOUT_ATTEMPTS} - locked
    return locked | {name for name in candidates if lockout_state(name).locked}


def _count(username: str, actions: tuple[str, ...], after_seq: int, limit: int, guesses: bool = False) -> int:
    qs = AuditEntry.objects.filter(action__in=actions, subject=username, seq__gt=after_seq)
    if guesses:  # a code sent twice (a double click) is no new guess
        qs = qs.exclude(detail__reason="replayed code")
    return len(qs.values_list("seq", flat=True)[:limit])


def record_failure(action: str, username: str, detail: dict[str, Any], ip: str | None) -> None:
    """Audit one failed attempt and, in the same transaction, lock the account for good when it
    reaches either lasting limit."""
    with transaction.atomic():
        audit.record(action, subject=username, detail=detail, ip=ip)
        hard = settings.NCBNET_LOCKOUT_HARD_ATTEMPTS
        codes = settings.NCBNET_LOCKOUT_CODE_ATTEMPTS
        since_sign_in = _latest_seq(username, (*SUCCESS_ACTIONS, *UNLOCK_ACTIONS))
        since_password = _latest_seq(username, PASSWORD_SET_ACTIONS)
        rule = None
        if _count(username, FAILURE_ACTIONS, since_sign_in, hard) >= hard:
            rule = f"{hard} failed attempts since the last sign-in"
        elif (
            action == CODE_FAILED
            and detail.get("reason") != "replayed code"
            and _count(username, (CODE_FAILED,), since_password, codes, guesses=True) >= codes
        ):
            rule = f"{codes} wrong second-factor codes since the password was set"
        if rule is not None:
            audit.record(LOCKED, subject=username, detail={"rule": rule}, ip=ip)


def locked_message(state: Lockout) -> str:
    if state.lasting:
        return _(
            "This account is locked after too many failed attempts. Ask your administrator to unlock it."
        )
    until = state.until.strftime("%H:%M UTC") if state.until else ""
    return _(
        "This account is locked after too many failed attempts. Try again after %(until)s "
        "or ask your administrator to unlock it."
    ) % {"until": until}


def check_password(username: str, password: str, ip: str | None = None) -> Any:
    """First step: the password. Returns the user; raises SignInError with a safe message."""
    User = get_user_model()
    username = username.strip()
    throttle.check(ip)  # a blocked address costs neither a hash nor an audit entry
    state = lockout_state(username)
    if state.locked:
        audit.record_now("auth.login_refused_locked", subject=username, ip=ip)
        throttle.failed(ip)
        raise SignInError(locked_message(state))
    user = User.objects.filter(username=username).first()
    # Hash the password even for an unknown user, so timing does not reveal who exists.
    if user is None:
        User().set_password(password)
        ok = False
    else:
        ok = user.check_password(password)
    if not ok or user is None or not user.is_active or user.kind == "system":
        reason = (
            "unknown user"
            if user is None
            else "system account"
            if user.kind == "system"
            else "disabled"
            if not user.is_active
            else "wrong password"
        )
        record_failure(LOGIN_FAILED, username, {"reason": reason}, ip)
        throttle.failed(ip)
        raise SignInError(_("Wrong username or password."))
    return user


def next_step(user: Any, ip: str | None = None) -> str:
    """After the password: `verify` (the code of the enrolled authenticator), or `password` (a
    temporary password is changed first, and enrolment follows). Someone with neither an
    authenticator nor a temporary password may not enrol: whoever knows a password alone must
    not be able to set up the second factor. They ask their administrator for a reset."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return "verify"
    if user.password_must_change:
        return "password"
    audit.record_now("auth.enrolment_refused", actor=user, subject=user.username, ip=ip)
    raise SignInError(
        _(
            "No authenticator is set up for this account. Ask your administrator to reset your "
            "second factor: you will get a temporary password and set up your authenticator again."
        )
    )


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // TOTP_STEP
    for step in range(now_step - TOTP_DRIFT_STEPS, now_step + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def check_second_factor(user: Any, code: str, ip: str | None = None) -> None:
    """Second step: the TOTP code. Accepts each code once (replays are refused). The sign-in is
    complete (`auth.login`) unless a temporary password is still to be changed."""
    state = lockout_state(user.username)
    if state.locked:
        audit.record_now("auth.login_refused_locked", subject=user.username, ip=ip)
        raise SignInError(locked_message(state))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise SignInError(_("No authenticator is set up for this account."))
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        step = _matching_step(device.secret, code, clock.now())
        if step is None or step <= device.last_step:
            reason = "replayed code" if step is not None else "wrong code"
            failed = True
        else:
            failed = False
            device.last_step = step
            device.save(update_fields=["last_step"])
            done = "auth.second_factor_passed" if user.password_must_change else "auth.login"
            audit.record(done, actor=user, subject=user.username, ip=ip)
    if failed:
        record_failure(CODE_FAILED, user.username, {"reason": reason}, ip)
        if reason == "replayed code":
            raise SignInError(_("This code has already been used. Wait for the next code."))
        raise SignInError(_("Wrong code. Check the time on your device and try the current code."))


def enrolment_ticket(user: Any) -> str:
    """Proof, kept in the session of the sign-in that just replaced a temporary password, that
    this sign-in may enrol an authenticator. It names the user and is bound to the password now in
    force, so it is worth nothing in another sign-in or after another password change."""
    return signing.dumps({"user": user.pk, "auth": user.get_session_auth_hash()}, salt=ENROL_SALT)


def _check_ticket(user: Any, ticket: str | None) -> None:
    try:
        data = signing.loads(ticket or "", salt=ENROL_SALT)
    except signing.BadSignature as exc:
        raise SignInError(
            _("Set up your authenticator right after changing your temporary password.")
        ) from exc
    if data.get("user") != user.pk or not hmac.compare_digest(
        str(data.get("auth", "")), user.get_session_auth_hash()
    ):
        raise SignInError(_("Set up your authenticator right after changing your temporary password."))


def start_enrolment(user: Any, ticket: str | None) -> TOTPDevice:
    """Give a user without a confirmed authenticator a fresh secret to enrol, only with the ticket
    of the sign-in that just replaced their temporary password."""
    _check_ticket(user, ticket)
    with transaction.atomic():
        device, _created = TOTPDevice.objects.select_for_update().get_or_create(
            user=user, defaults={"secret": pyotp.random_base32(), "created_at": clock.now()}
        )
        if device.confirmed:
            raise SignInError(_("An authenticator is already set up for this account."))
        return device


def confirm_enrolment(user: Any, code: str, ticket: str | None, ip: str | None = None) -> None:
    _check_ticket(user, ticket)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(user=user)
        step = _matching_step(device.secret, code, clock.now())
        if step is None:
            failed = True
        else:
            failed = False
            device.confirmed = True
            device.last_step = step
            device.save(update_fields=["confirmed", "last_step"])
            audit.record("auth.second_factor_enrolled", actor=user, subject=user.username, ip=ip)
            audit.record("auth.login", actor=user, subject=user.username, ip=ip)
    if failed:
        record_failure(CODE_FAILED, user.username, {"reason": "wrong code"}, ip)
        raise SignInError(_("Wrong code. Check the time on your device and try the current code."))


def provisioning_uri(device: TOTPDevice) -> str:
    issuer = f"ncbnet {settings.NCBNET_COUNTRY or 'GS'}"
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.username, issuer_name=issuer)


def record_logout(user: Any, ip: str | None = None) -> None:
    audit.record_now("auth.logout", actor=user, subject=user.username, ip=ip)


# --- machine tokens -----------------------------------------------------------------------------


def _digest(secret: str) -> str:
    # The secret is 256 random bits, so a plain SHA-256 digest is enough to store it safely.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_token(
    actor: Person | None, account: Any, name: str, days: int = 365, *, scopes: Sequence[str]
) -> tuple[ApiToken, str]:
    """Issue a bearer token for a system account, limited to `scopes` (at least one); the full
    token is returned once, never stored."""
    if account.kind != "system":
        raise ValueError(_("Tokens are issued only to system accounts."))
    if not 1 <= days <= 3 * 365:
        raise ValueError(_("A token lives between 1 day and 3 years."))
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in Scope.values]
    if unknown or not chosen:
        raise ValueError(
            _("Give a token one or more scopes of: %(scopes)s.") % {"scopes": ", ".join(Scope.values)}
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=account,
            name=name,
            prefix=prefix,
            digest=_digest(secret),
            created_at=now,
            created_by_id=actor.pk if actor is not None else None,
            expires_at=now + timedelta(days=days),
            scopes=chosen,
        )
        audit.record(
            "token.create",
            actor=actor,
            target=token,
            subject=account.username,
            detail={
                "name": name,
                "prefix": prefix,
                "expires_at": token.expires_at.isoformat(),
                "scopes": chosen,
            },
        )
    return token, f"{BEARER_MARK}_{prefix}_{secret}"


def refuse_scope(user: Any, scope: str, operation: str, ip: str | None = None) -> None:
    """Audit a request whose token lacks the scope an operation needs."""
    token = user.api_token
    audit.record_now(
        "auth.scope_refused",
        actor=user,
        subject=token.prefix,
        target=token,
        detail={"scope": scope, "operation": operation, "scopes": list(token.scopes or [])},
        ip=ip,
    )


def revoke_token(actor: Person | None, prefix: str) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(prefix=prefix)
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            audit.record("token.revoke", actor=actor, target=token, subject=token.user.username)
    return token


def authenticate_token(raw: str, ip: str | None = None) -> Any:
    """Return the system account for a valid bearer token; audit and raise SignInError otherwise.
    The account carries the token (`api_token`), whose scopes the API operations check."""
    throttle.check(ip)
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != BEARER_MARK:
        _token_refused(ip, "", "malformed")
        raise SignInError(_("The bearer token is malformed."))
    _marker, prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix[:16]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        _token_refused(ip, prefix, "unknown")
        raise SignInError(_("The bearer token is not valid."))
    state = token.state(clock.now())
    if state != "active" or not token.user.is_active:
        reason = state if state != "active" else "account disabled"
        _token_refused(ip, prefix, reason)
        raise SignInError(
            _("The bearer token was revoked.")
            if state == "revoked"
            else _("The bearer token has expired.")
            if state == "expired"
            else _("The account of this token is disabled.")
        )
    user = token.user
    user.api_token = token
    return user


def _token_refused(ip: str | None, prefix: str, reason: str) -> None:
    audit.record_now("auth.token_refused", subject=prefix[:150], detail={"reason": reason}, ip=ip)
    throttle.failed(ip)
