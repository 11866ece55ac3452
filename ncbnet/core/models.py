"""The registry (member countries, regions, bureaus, national agencies) and the people who use a node."""

from __future__ import annotations

from typing import Any, ClassVar

import pycountry
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    code = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class RegionalBureau(models.Model):
    """A GS regional bureau or liaison office serving the countries of a region."""

    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    country_code = models.CharField(max_length=2)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="bureaus")

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class Country(models.Model):
    """A member country, keyed by ISO 3166-1 alpha-2; names come from pycountry."""

    code = models.CharField(max_length=2, primary_key=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="countries")
    regional_bureau = models.ForeignKey(
        RegionalBureau, null=True, blank=True, on_delete=models.SET_NULL, related_name="countries"
    )

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        entry = pycountry.countries.get(alpha_2=self.code)
        if entry is None:  # pragma: no cover - members.json is checked against pycountry in tests
            return self.code
        return str(getattr(entry, "common_name", None) or entry.name)


class NCB(models.Model):
    """A country's National Central Bureau."""

    country = models.OneToOneField(Country, on_delete=models.PROTECT, related_name="ncb")
    name = models.CharField(max_length=200)

    class Meta:
        ordering: ClassVar = ["country_id"]
        verbose_name = "NCB"

    def __str__(self) -> str:
        return self.name


class SubBureau(models.Model):
    """A branch of an NCB elsewhere in the country (a state or regional office)."""

    ncb = models.ForeignKey(NCB, on_delete=models.PROTECT, related_name="sub_bureaus")
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    # Closed by the bureau's administrator: the row stays for the audit, its staff are disabled
    # and it takes no new staff.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ncb", "name"], name="sub_bureau_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class Agency(models.Model):
    """A national law-enforcement body whose users reach the network through their NCB."""

    class Kind(models.TextChoices):
        POLICE = "police", _("Police")
        BORDER = "border", _("Border")
        CUSTOMS = "customs", _("Customs")
        OTHER = "other", _("Other law enforcement")

    ncb = models.ForeignKey(NCB, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Closed by the bureau's administrator: the row stays for the audit, its users are disabled
    # and it takes no new users.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name_plural = "agencies"
        constraints: ClassVar = [models.UniqueConstraint(fields=["ncb", "name"], name="agency_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class User(AbstractUser):
    """Anyone who uses a node: NCB staff, national agency users, GS staff, machines."""

    class Kind(models.TextChoices):
        NCB = "ncb", _("NCB staff")
        AGENCY = "agency", _("National agency user")
        GS = "gs", _("General Secretariat staff")
        SYSTEM = "system", _("System account")
        # The Commission for the Control of Files: independent of the GS and of every bureau.
        COMMISSION = "commission", _("Commission for the Control of Files")

    class Role(models.TextChoices):
        OFFICER = "officer", _("Officer")
        HEAD = "head", _("Head of NCB")
        ADMIN = "admin", _("Administrator")
        QUERY = "query", _("Query access")
        CONTRIBUTE = "contribute", _("Query and contribute access")
        REVIEWER = "reviewer", _("Compliance reviewer")
        ANALYST = "analyst", _("Analyst")
        NETWORK_ADMIN = "network_admin", _("Network administrator")
        SYSTEM = "system", _("Machine access")
        MEMBER = "member", _("Commission member")
        SECRETARIAT = "secretariat", _("Commission secretariat")
        TRAINER = "trainer", _("Training staff")
        CONFERENCE = "conference", _("Conference secretariat")

    ROLES_BY_KIND: ClassVar[dict[str, tuple[str, ...]]] = {
        Kind.NCB: (Role.OFFICER, Role.HEAD, Role.ADMIN),
        Kind.AGENCY: (Role.QUERY, Role.CONTRIBUTE),
        Kind.GS: (Role.REVIEWER, Role.ANALYST, Role.NETWORK_ADMIN, Role.TRAINER, Role.CONFERENCE),
        Kind.SYSTEM: (Role.SYSTEM,),
        Kind.COMMISSION: (Role.MEMBER, Role.SECRETARIAT),
    }

    kind = models.CharField(max_length=16, choices=Kind.choices)
    role = models.CharField(max_length=16, choices=Role.choices)
    ncb = models.ForeignKey(NCB, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    sub_bureau = models.ForeignKey(
        SubBureau, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    created_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=8, blank=True)
    # The password was set by an administrator (a new account, a reset): it is a temporary one,
    # changed at the next sign-in before anything else is reachable.
    password_must_change = models.BooleanField(default=False)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    # Not a column: the bearer token (security.models.ApiToken) through which this request acts,
    # set by security.services.authenticate_token; None for a person's session. Its scopes limit
    # what the request may do (base.policies.has_scope).
    api_token: Any = None

    class Meta:
        ordering: ClassVar = ["username"]

    def clean(self) -> None:
        allowed = self.ROLES_BY_KIND.get(self.kind, ())
        if self.role not in allowed:
            raise ValidationError({"role": _("This role does not belong to this kind of account.")})
        if self.kind == self.Kind.AGENCY and self.agency_id is None:
            raise ValidationError({"agency": _("A national agency user belongs to an agency.")})
        if self.kind != self.Kind.AGENCY and self.agency_id is not None:
            raise ValidationError({"agency": _("Only national agency users belong to an agency.")})
        if self.kind in (self.Kind.NCB, self.Kind.AGENCY, self.Kind.SYSTEM) and self.ncb_id is None:
            raise ValidationError({"ncb": _("This account belongs to an NCB.")})
        if self.kind == self.Kind.GS and self.ncb_id is not None:
            raise ValidationError({"ncb": _("General Secretariat staff do not belong to an NCB.")})
        if self.kind == self.Kind.COMMISSION and self.ncb_id is not None:
            raise ValidationError({"ncb": _("The Commission's members and secretariat belong to no NCB.")})

    @property
    def is_human(self) -> bool:
        return self.kind != self.Kind.SYSTEM

    @property
    def country_code(self) -> str | None:
        return self.ncb.country_id if self.ncb_id and self.ncb else None
