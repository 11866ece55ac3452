"""Sign-in with a second factor, lock-out, and machine tokens.

A failed attempt changes nothing but the audit trail: lock-out is counted from the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from ncbnet.audit import services as audit
from ncbnet.core import clock

from .models import ApiToken, TOTPDevice

TOTP_STEP = 30
TOTP_DRIFT_STEPS = 1
FAILURE_ACTIONS = ("auth.login_failed", "auth.second_factor_failed")
SUCCESS_ACTIONS = ("auth.login",)
BEARER_MARK = "ncb"


class SignInError(Exception):
    """A sign-in step failed; the message is safe to show the person signing in."""


@dataclass(frozen=True)
class Lockout:
    locked: bool
    until: datetime | None = None


def lockout_state(username: str) -> Lockout:
    """Locked when the recent failures since the last successful sign-in reach the limit."""
    window = timedelta(minutes=settings.NCBNET_LOCKOUT_MINUTES)
    since = clock.now() - window
    last_ok = audit.last_at(SUCCESS_ACTIONS, username)
    if last_ok is not None and last_ok > since:
        since = last_ok
    from ncbnet.audit.models import AuditEntry

    failures = list(
        AuditEntry.objects.filter(action__in=FAILURE_ACTIONS, subject=username, at__gt=since)
        .order_by("-seq")
        .values_list("at", flat=True)[: settings.NCBNET_LOCKOUT_ATTEMPTS]
    )
    if len(failures) >= settings.NCBNET_LOCKOUT_ATTEMPTS:
        return Lockout(True, failures[0] + window)
    return Lockout(False)


def _locked_message(state: Lockout) -> str:
    until = state.until.strftime("%H:%M UTC") if state.until else ""
    return _(
        "This account is locked after too many failed attempts. Try again after %(until)s "
        "or ask your administrator to unlock it."
    ) % {"until": until}


def check_password(username: str, password: str, ip: str | None = None) -> Any:
    """First step: the password. Returns the user; raises SignInError with a safe message."""
    User = get_user_model()
    username = username.strip()
    state = lockout_state(username)
    if state.locked:
        audit.record_now("auth.login_refused_locked", subject=username, ip=ip)
        raise SignInError(_locked_message(state))
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
        audit.record_now("auth.login_failed", subject=username, detail={"reason": reason}, ip=ip)
        raise SignInError(_("Wrong username or password."))
    return user


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
    """Second step: the TOTP code. Accepts each code once (replays are refused)."""
    state = lockout_state(user.username)
    if state.locked:
        audit.record_now("auth.login_refused_locked", subject=user.username, ip=ip)
        raise SignInError(_locked_message(state))
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
            audit.record("auth.login", actor=user, subject=user.username, ip=ip)
    if failed:
        audit.record_now("auth.second_factor_failed", subject=user.username, detail={"reason": reason}, ip=ip)
        if reason == "replayed code":
            raise SignInError(_("This code has already been used. Wait for the next code."))
        raise SignInError(_("Wrong code. Check the time on your device and try the current code."))


def start_enrolment(user: Any) -> TOTPDevice:
    """Give a user without a confirmed authenticator a fresh secret to enrol."""
    with transaction.atomic():
        device, _created = TOTPDevice.objects.select_for_update().get_or_create(
            user=user, defaults={"secret": pyotp.random_base32(), "created_at": clock.now()}
        )
        if device.confirmed:
            raise SignInError(_("An authenticator is already set up for this account."))
        return device


def confirm_enrolment(user: Any, code: str, ip: str | None = None) -> None:
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
        audit.record_now(
            "auth.second_factor_failed", subject=user.username, detail={"reason": "wrong code"}, ip=ip
        )
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


def create_token(actor: Any, account: Any, name: str, days: int = 365) -> tuple[ApiToken, str]:
    """Issue a bearer token for a system account; the full token is returned once, never stored."""
    if account.kind != "system":
        raise ValueError(_("Tokens are issued only to system accounts."))
    if not 1 <= days <= 3 * 365:
        raise ValueError(_("A token lives between 1 day and 3 years."))
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
            created_by=actor if getattr(actor, "pk", None) else None,
            expires_at=now + timedelta(days=days),
        )
        audit.record(
            "token.create",
            actor=actor,
            target=token,
            subject=account.username,
            detail={"name": name, "prefix": prefix, "expires_at": token.expires_at.isoformat()},
        )
    return token, f"{BEARER_MARK}_{prefix}_{secret}"


def revoke_token(actor: Any, prefix: str) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(prefix=prefix)
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            audit.record("token.revoke", actor=actor, target=token, subject=token.user.username)
    return token


def authenticate_token(raw: str, ip: str | None = None) -> Any:
    """Return the system account for a valid bearer token; audit and raise SignInError otherwise."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != BEARER_MARK:
        audit.record_now("auth.token_refused", detail={"reason": "malformed"}, ip=ip)
        raise SignInError(_("The bearer token is malformed."))
    _marker, prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        audit.record_now("auth.token_refused", subject=prefix, detail={"reason": "unknown"}, ip=ip)
        raise SignInError(_("The bearer token is not valid."))
    state = token.state(clock.now())
    if state != "active" or not token.user.is_active:
        reason = state if state != "active" else "account disabled"
        audit.record_now("auth.token_refused", subject=prefix, detail={"reason": reason}, ip=ip)
        raise SignInError(
            _("The bearer token was revoked.")
            if state == "revoked"
            else _("The bearer token has expired.")
            if state == "expired"
            else _("The account of this token is disabled.")
        )
    return token.user
