"""Second factors and machine tokens."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TOTPDevice(models.Model):
    """A user's time-based one-time password generator (RFC 6238, via pyotp)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp")
    secret = models.CharField(max_length=64)
    confirmed = models.BooleanField(default=False)
    # The last accepted 30-second time step: a code from that step or earlier is a replay.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"TOTP for {self.user_id}"


class Scope(models.TextChoices):
    """What a bearer token may do. A person's session is not limited by scopes."""

    READ_MESSAGES = "read_messages", _("Read messages")
    SEND_MESSAGES = "send_messages", _("Send and forward messages")
    SCREENING = "screening", _("Screen against the databases, read the hits and the replica")
    CONTRIBUTIONS = "contributions", _("Contribute records")
    RESTRICTED = "restricted", _("See the content of messages under handling codes H2 and H3")


class ApiToken(models.Model):
    """A bearer token for a system account. Only a SHA-256 digest of the secret is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list)  # values of Scope

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def state(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if at >= self.expires_at:
            return "expired"
        return "active"


class AccountNotice(models.Model):
    """What an administrator did to a person's account, shown to that person on every page from
    their next sign-in until they acknowledge it."""

    class Kind(models.TextChoices):
        UNLOCKED = "unlocked", _("Your administrator unlocked your account.")
        PASSWORD_RESET = "password_reset", _("Your administrator reset your password.")
        SECOND_FACTOR_RESET = (
            "second_factor_reset",
            _(
                "Your administrator reset your second factor and your password; you set up your "
                "authenticator again."
            ),
        )

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    by = models.CharField(max_length=150)  # the administrator's username
    at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["at"]
        indexes: ClassVar = [models.Index(fields=["user", "seen_at"], name="notice_unseen")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} by {self.by}"


class ClientThrottle(models.Model):
    """Failed anonymous attempts (passwords, bearer tokens) from one client address, counted
    outside the audit chain so that a flood costs a row update, not a hash and a chained entry
    each (security.throttle)."""

    address = models.CharField(max_length=45, primary_key=True)
    window_start = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)
    blocked_until = models.DateTimeField(null=True, blank=True)
    refused = models.PositiveIntegerField(default=0)  # refused while blocked, not yet in the audit trail

    def __str__(self) -> str:
        return f"{self.address}: {self.failures} failures"
