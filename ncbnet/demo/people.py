"""Demo data for the embedded network: agencies and people on each node, with a known second factor.

Refused in production mode: the demo password and TOTP key are printed for anyone to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from ncbnet.base import audit, clock, holdings
from ncbnet.base.node import node_id
from ncbnet.core import services
from ncbnet.core.models import NCB, Agency, SubBureau, User
from ncbnet.security.models import TOTPDevice

from .credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET

AGENCIES = {
    "FR": [
        ("Police nationale", "police"),
        ("Gendarmerie nationale", "police"),
        ("Police aux frontières", "border"),
        ("Douane (DGDDI)", "customs"),
    ],
    "BR": [
        ("Polícia Federal", "police"),
        ("Polícia Rodoviária Federal", "police"),
        ("Receita Federal — Aduana", "customs"),
    ],
    "KE": [
        ("National Police Service", "police"),
        ("Directorate of Criminal Investigations", "police"),
        ("Department of Immigration Services", "border"),
        ("KRA Customs and Border Control", "customs"),
    ],
}
SUB_BUREAUS = {
    "BR": [
        ("Escritório Regional São Paulo", "São Paulo"),
        ("Escritório Regional Rio de Janeiro", "Rio de Janeiro"),
    ]
}
NAMES = {
    "FR": [
        ("Claire", "Martin"),
        ("Hugo", "Bernard"),
        ("Nadia", "Haddad"),
        ("Luc", "Moreau"),
        ("Aminata", "Diallo"),
    ],
    "BR": [
        ("Ana", "Souza"),
        ("Paulo", "Oliveira"),
        ("Mariana", "Costa"),
        ("Rafael", "Lima"),
        ("Beatriz", "Santos"),
    ],
    "KE": [
        ("Wanjiru", "Kamau"),
        ("Otieno", "Odhiambo"),
        ("Amina", "Hassan"),
        ("Kipchoge", "Rotich"),
        ("Njeri", "Mwangi"),
    ],
    "hub": [("Sophie", "Lambert"), ("Kenji", "Sato"), ("Layla", "Mansour")],
}
TIME_ZONES = {"FR": "Europe/Paris", "BR": "America/Sao_Paulo", "KE": "Africa/Nairobi", "hub": "Europe/Paris"}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str


class DemoRefused(Exception):
    pass


def _accounts(bureau: str | None) -> list[tuple[str, str, str, str | None]]:
    """(username, kind, role, agency name) for each demo account on this node: its bureau's, or
    the GS's at the hub."""
    if bureau is None:
        return [
            ("gs-reviewer", "gs", "reviewer", None),
            ("gs-analyst", "gs", "analyst", None),
            ("gs-netadmin", "gs", "network_admin", None),
            ("ccf-member", "commission", "member", None),
            ("ccf-secretariat", "commission", "secretariat", None),
            ("gs-conference", "gs", "conference", None),
            ("gs-trainer", "gs", "trainer", None),
        ]
    p = bureau.lower()
    police, customs = AGENCIES[bureau][0][0], next(a for a, k in AGENCIES[bureau] if k == "customs")
    return [
        (f"{p}-officer", "ncb", "officer", None),
        (f"{p}-head", "ncb", "head", None),
        (f"{p}-admin", "ncb", "admin", None),
        (f"{p}-police", "agency", "query", police),
        (f"{p}-customs", "agency", "contribute", customs),
        (f"{p}-border-system", "system", "system", None),
    ]


def seed() -> list[DemoLogin]:
    """Create the demo agencies and accounts of this node if they are missing. Idempotent."""
    if settings.NCBNET_MODE == "production":
        raise DemoRefused("demo data is refused in production mode")
    node, held = node_id(), holdings.here()
    ncb = NCB.objects.filter(country_id=node).first()
    logins = []
    with transaction.atomic():
        if ncb is not None:
            for name, kind in AGENCIES.get(node, []):
                Agency.objects.get_or_create(ncb=ncb, name=name, defaults={"kind": kind})
            for name, city in SUB_BUREAUS.get(node, []):
                SubBureau.objects.get_or_create(ncb=ncb, name=name, defaults={"city": city})
        names = NAMES.get(node, [("Demo", "User")] * 6)
        for i, (username, kind, role, agency_name) in enumerate(_accounts(held.bureau)):
            if kind != "system":
                logins.append(DemoLogin(username, role))
            if User.objects.filter(username=username).exists():
                continue
            agency = Agency.objects.get(ncb=ncb, name=agency_name) if agency_name else None
            first, last = names[i % len(names)] if kind != "system" else ("", "")
            user = services.create_user(
                None,
                username=username,
                password=DEMO_PASSWORD,
                kind=kind,
                role=role,
                first_name=first,
                last_name=last,
                agency_id=agency.pk if agency else None,
                time_zone=TIME_ZONES.get(node, "UTC"),
                temporary=False,  # the demo logins' password and authenticator are printed
            )
            if kind != "system":
                TOTPDevice.objects.create(
                    user=user, secret=DEMO_TOTP_SECRET, confirmed=True, created_at=clock.now()
                )
        audit.record("demo.seed", detail={"node": node})
    return logins
