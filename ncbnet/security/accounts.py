"""A person's password and an administrator's care of accounts: change, reset, unlock.

A password an administrator sets (a new account, a reset) is temporary: the person replaces it at
their next sign-in before anything else is reachable. Changing the password ends the person's
other sessions (Django ties each session to the password's hash). Every administrator's action is
audited and told to the person in an `AccountNotice`, shown on every page from their next sign-in
until they acknowledge it.

The second-factor reset also hands the person a new temporary password, rather than letting them
enrol again with the password they had. Enrolment needs a proof that only the person and the
administrator share at that moment: a password known to a colleague who looked over a shoulder,
or phished, would otherwise let that colleague enrol their own authenticator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock, policies
from ncbnet.core.models import User

from . import services as signin
from .models import AccountNotice, TOTPDevice

# No 0/O, 1/l/I: read aloud or copied from a screen at 3 a.m. without doubt.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _validated(user: User, new: str, field: str) -> None:
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ValidationError({field: list(exc.messages)}) from exc
    if user.check_password(new):
        raise ValidationError({field: _("Choose a new password, not the one you have now.")})


def change_password(user: User, current: str, new: str, ip: str | None = None) -> User:
    """The signed-in person changes their own password (the current one first)."""
    state = signin.lockout_state(user.username)
    if state.locked:
        raise PermissionDenied(signin.locked_message(state))
    if not user.check_password(current):
        signin.record_failure(signin.CHANGE_FAILED, user.username, {"reason": "wrong password"}, ip)
        raise ValidationError({"old_password": _("Your current password is not correct.")})
    _validated(user, new, "new_password1")
    with transaction.atomic():
        user.set_password(new)
        user.password_must_change = False
        user.save(update_fields=["password", "password_must_change"])
        audit.record("auth.password_changed", actor=user, target=user, subject=user.username, ip=ip)
    return user


def replace_temporary_password(user: User, new: str, ip: str | None = None) -> str | None:
    """At sign-in, after the temporary password (and the code, where an authenticator is set up):
    the person's own password replaces it. With an authenticator, the sign-in is complete
    (`auth.login`, and None is returned); without one, the returned enrolment ticket lets this
    sign-in, and only it, set one up."""
    if not user.password_must_change:
        raise PermissionDenied(_("Your password is not a temporary one."))
    _validated(user, new, "new_password1")
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    with transaction.atomic():
        user.set_password(new)
        user.password_must_change = False
        user.save(update_fields=["password", "password_must_change"])
        audit.record(
            "auth.password_changed",
            actor=user,
            target=user,
            subject=user.username,
            detail={"temporary": True},
            ip=ip,
        )
        if enrolled:
            audit.record("auth.login", actor=user, subject=user.username, ip=ip)
    return None if enrolled else signin.enrolment_ticket(user)


# --- an administrator's care of the accounts of their bureau ---------------------------------------


@dataclass(frozen=True)
class AccountState:
    user: User
    lockout: signin.Lockout
    enrolled: bool


def _managed(actor: User | None, username: str, *, lock: bool = False) -> User:
    """The account, if the actor manages it; the same answer whether it exists elsewhere or not.
    `actor` None is the node's operator at the command line (`ncbnet user unlock|reset`), who
    also rescues the last administrator."""
    qs = User.objects.select_related("ncb", "agency")
    if lock:
        qs = qs.select_for_update(of=("self",))  # PostgreSQL locks no nullable side of a join
    target = qs.filter(username=username).first()
    if target is None or (actor is not None and not policies.can_manage_user(actor, target)):
        raise Http404(_("No such account among the people you manage."))
    return target


def account_state(actor: User | None, username: str, ip: str | None = None) -> AccountState:
    target = _managed(actor, username)
    with transaction.atomic():
        audit.record("people.user.read", actor=actor, target=target, subject=target.username, ip=ip)
    return AccountState(
        user=target,
        lockout=signin.lockout_state(target.username),
        enrolled=TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
    )


def _temporary_password(user: User) -> str:
    while True:
        groups = ["".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _g in range(4)]
        password = "-".join(groups)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


OPERATOR = "operator"  # who acted, in a notice, when it was the node's operator at the command line


def _notify(target: User, kind: str, actor: User | None) -> None:
    by = actor.username if actor is not None else OPERATOR
    AccountNotice.objects.create(user=target, kind=kind, by=by, at=clock.now())


def _human(target: User) -> None:
    if target.kind == User.Kind.SYSTEM:
        raise ValidationError(
            {"username": _("System accounts have no password or second factor: they use API tokens.")}
        )


def unlock(actor: User | None, username: str, ip: str | None = None) -> User:
    """Lift both locks; the failures counted so far no longer count."""
    with transaction.atomic():
        target = _managed(actor, username, lock=True)
        _human(target)
        state = signin.lockout_state(target.username)
        audit.record(
            "people.user.unlock",
            actor=actor,
            target=target,
            subject=target.username,
            detail={"was_locked": state.locked, "until_unlocked": state.lasting},
            ip=ip,
        )
        _notify(target, AccountNotice.Kind.UNLOCKED, actor)
    return target


def reset_password(actor: User | None, username: str, ip: str | None = None) -> tuple[User, str]:
    """A new temporary password, shown once to the administrator to hand over in person. It also
    unlocks the account and ends the person's sessions."""
    with transaction.atomic():
        target = _managed(actor, username, lock=True)
        _human(target)
        password = _temporary_password(target)
        target.set_password(password)
        target.password_must_change = True
        target.save(update_fields=["password", "password_must_change"])
        audit.record("people.user.password_reset", actor=actor, target=target, subject=target.username, ip=ip)
        _notify(target, AccountNotice.Kind.PASSWORD_RESET, actor)
    return target, password


def reset_second_factor(actor: User | None, username: str, ip: str | None = None) -> tuple[User, str]:
    """Remove the person's authenticator and give them a new temporary password: at their next
    sign-in they change it, then enrol a new authenticator. Also unlocks; ends their sessions."""
    with transaction.atomic():
        target = _managed(actor, username, lock=True)
        _human(target)
        removed = TOTPDevice.objects.filter(user=target).delete()[0]
        password = _temporary_password(target)
        target.set_password(password)
        target.password_must_change = True
        target.save(update_fields=["password", "password_must_change"])
        audit.record(
            "people.user.second_factor_reset",
            actor=actor,
            target=target,
            subject=target.username,
            detail={"authenticators_removed": removed},
            ip=ip,
        )
        _notify(target, AccountNotice.Kind.SECOND_FACTOR_RESET, actor)
    return target, password


# --- the person's notices --------------------------------------------------------------------------


def unseen_notices(user: Any) -> list[AccountNotice]:
    if not getattr(user, "is_authenticated", False) or not policies.is_human(user):
        return []
    return list(AccountNotice.objects.filter(user=user, seen_at__isnull=True).order_by("at"))


def acknowledge(user: User, notice_id: int, ip: str | None = None) -> None:
    with transaction.atomic():
        notice = (
            AccountNotice.objects.select_for_update()
            .filter(pk=notice_id, user=user, seen_at__isnull=True)
            .first()
        )
        if notice is None:
            raise Http404(_("No such notice."))
        notice.seen_at = clock.now()
        notice.save(update_fields=["seen_at"])
        audit.record(
            "auth.notice_seen", actor=user, subject=user.username, detail={"kind": notice.kind}, ip=ip
        )
