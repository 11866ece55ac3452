"""Anonymous attempts from one client address, throttled before they cost anything.

A failed sign-in costs an Argon2 hash and a chained audit entry; a bad bearer token an audit
entry. From one address, `NCBNET_THROTTLE_FAILURES` failures within `NCBNET_THROTTLE_MINUTES`
block that address for as long: its sign-ins and bearer tokens are then refused before the
password is hashed or the token looked up, and with no audit entry each. The block is one chained
entry (`auth.throttled`); what it refused is counted on its row and summarised in one entry
(`auth.throttle_refused`) once the block is over (by the next attempt from that address, or the
network worker's periodic job). The per-account lock-out (security.services) is unchanged: an
address with few failures against many accounts is not what this catches.

Unknown usernames still cost a hash when the address is not blocked, and a blocked address gets
the same refusal whatever username it sends, so neither tells who exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.network import handlers

from .models import ClientThrottle


class TooManyAttempts(Exception):
    """The client's address is blocked for a while; the message is safe to show."""

    def __init__(self, until: datetime):
        self.until = until
        self.retry_after = max(1, int((until - clock.now()).total_seconds()))
        super().__init__(
            _("Too many failed attempts from your network address. Try again after %(until)s.")
            % {"until": until.strftime("%H:%M UTC")}
        )


def _period() -> timedelta:
    return timedelta(minutes=settings.NCBNET_THROTTLE_MINUTES)


def check(address: str | None) -> None:
    """Before anything costly: refuse a blocked address (one read, one counter update, no audit
    entry). An address whose block is over has what it refused summarised first."""
    if not address:
        return
    row = ClientThrottle.objects.filter(address=address).first()
    if row is None:
        return
    now = clock.now()
    if row.blocked_until is not None and row.blocked_until > now:
        ClientThrottle.objects.filter(pk=address).update(refused=F("refused") + 1)
        raise TooManyAttempts(row.blocked_until)
    if row.refused:
        summarise(address)


def failed(address: str | None) -> None:
    """One failed anonymous attempt from this address; the one that reaches the limit blocks it."""
    if not address:
        return
    now = clock.now()
    with transaction.atomic():
        row = ClientThrottle.objects.select_for_update().filter(address=address).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = ClientThrottle.objects.create(address=address, window_start=now)
            except IntegrityError:  # another request from the address created it first
                row = ClientThrottle.objects.select_for_update().get(address=address)
        if row.window_start <= now - _period():
            row.window_start, row.failures = now, 0
        row.failures += 1
        if row.failures >= settings.NCBNET_THROTTLE_FAILURES:
            row.blocked_until = now + _period()
            audit.record(
                "auth.throttled",
                detail={
                    "address": address,
                    "failures": row.failures,
                    "minutes": settings.NCBNET_THROTTLE_MINUTES,
                    "until": row.blocked_until.isoformat(),
                },
                ip=address,
            )
            row.window_start, row.failures = now, 0
        row.save()


def summarise(address: str) -> int:
    """Write one audit entry for the requests refused during the address's last block."""
    with transaction.atomic():
        row = ClientThrottle.objects.select_for_update().filter(address=address).first()
        if row is None or not row.refused or (row.blocked_until and row.blocked_until > clock.now()):
            return 0
        refused = row.refused
        audit.record(
            "auth.throttle_refused",
            detail={"address": address, "refused": refused, "block_ended": row.blocked_until.isoformat()}
            if row.blocked_until
            else {"address": address, "refused": refused},
            ip=address,
        )
        row.refused = 0
        row.save(update_fields=["refused"])
    return refused


@handlers.every(60, "security.throttle")
def tidy() -> int:
    """Summarise the blocks that are over, and forget addresses with nothing left to count."""
    now = clock.now()
    done = 0
    for address in ClientThrottle.objects.filter(refused__gt=0, blocked_until__lte=now).values_list(
        "address", flat=True
    ):
        done += 1 if summarise(address) else 0
    ClientThrottle.objects.filter(refused=0, window_start__lte=now - _period()).exclude(
        blocked_until__gt=now
    ).delete()
    return done
