"""The demo's requests to the Commission for the Control of Files, at the hub: one waiting for its
admissibility check, one admissible with its clock running. Both open at `/commission/follow/`
with their reference and `DEMO_CCF_SECRET`."""

from __future__ import annotations

from datetime import date, timedelta

from ncbnet.base import clock
from ncbnet.commission import services
from ncbnet.commission.models import Request
from ncbnet.core.models import User

from .credentials import DEMO_CCF_SECRET

# A one-page PDF standing in for a scanned identity document.
IDENTITY = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _filing(
    kind: str, family: str, given: str, born: date, nationality: str, language: str
) -> services.Filing:
    return services.Filing(
        kind=kind,
        filer="self",
        family_name=family,
        given_names=given,
        date_of_birth=born,
        nationality=nationality,
        email=f"{given.lower()}.{family.lower()}@example.org",
        representative="",
        language=language,
        asked="Whether the network's databases hold data about me, and what.",
        reasons="I was stopped at a border and told to ask.",
    )


def seed() -> list[str]:
    """The two requests, if the Commission has none yet (idempotent); the references, oldest first."""
    if not Request.objects.exists():
        _file()
    return list(Request.objects.order_by("filed_at").values_list("reference", flat=True))


def _file() -> None:
    identity = [services.Upload("identity", "passport.pdf", "application/pdf", IDENTITY)]
    services.file_request(
        _filing("access", "Moreau", "Claire", date(1988, 9, 2), "FR", "fr"),
        identity,
        "",
        secret=DEMO_CCF_SECRET,
    )
    with clock.travel(-timedelta(days=40)):
        examined, _ = services.file_request(
            _filing("deletion", "Haddad", "Karim", date(1979, 1, 23), "LB", "ar"),
            identity,
            "",
            secret=DEMO_CCF_SECRET,
        )
    with clock.travel(-timedelta(days=30)):
        services.decide_admissibility(
            User.objects.get(username="ccf-secretariat"),
            examined.pk,
            admissible=True,
            note="Your request is admissible; the Commission is examining it.",
        )
