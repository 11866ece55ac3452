"""Demo data at the hub: records owned by the demo bureaus and notices in every state, made
through the same services an NCB's contribution and a GS review go through. Refused in
production. Synthetic: names from `data/demo_people.json`, numbers from a seeded generator."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

from django.conf import settings

from ncbnet.base.actor import Actor
from ncbnet.notices import extracts
from ncbnet.notices import services as notices
from ncbnet.records import services
from ncbnet.records.models import Record

PEOPLE_FILE = Path(__file__).resolve().parent / "data" / "demo_people.json"
OWNERS = ("FR", "BR", "KE")
GS = Actor("gs-reviewer", gs=True)
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # ISO 3779: no I, O or Q
MAKES = ["Toyota", "Peugeot", "Volkswagen", "Renault", "Fiat", "Nissan", "Hyundai", "Ford"]
COLOURS = ["white", "black", "silver", "red", "blue", "grey"]


def _people() -> list[dict[str, Any]]:
    return list(json.loads(PEOPLE_FILE.read_text("utf-8"))["people"])


def _person(p: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    names = [{"value": p["native"], "script": p["script"], "kind": "primary"}]
    if p["latin"]:
        names.append({"value": p["latin"], "script": "Latn", "kind": "latin"})
    dob: dict[str, int] = {"year": rnd.randint(1955, 2004)}
    if rnd.random() < 0.8:
        dob["month"] = rnd.randint(1, 12)
        if rnd.random() < 0.8:
            dob["day"] = rnd.randint(1, 28)
    return {"names": names, "date_of_birth": dob, "sex": p["sex"], "nationalities": [p["nationality"]]}


def _restriction(rnd: random.Random, owner: str) -> dict[str, Any] | None:
    others = [c for c in OWNERS if c != owner]
    roll = rnd.random()
    if roll < 0.15:
        return {"access": "deny", "countries": [rnd.choice(others)]}
    if roll < 0.25:
        return {"access": "allow", "countries": [rnd.choice(others)], "handling": "H2"}
    return None


def seed(
    persons: int = 60, documents: int = 150, vehicles: int = 40, firearms: int = 20, artworks: int = 10
) -> dict[str, int]:
    """Fill the hub once (idempotent: nothing is added if records exist)."""
    if settings.NCBNET_MODE == "production":
        raise PermissionError("demo data is refused in production mode")
    if Record.objects.exists():
        return {"records": Record.objects.count(), "notices": 0}
    rnd = random.Random(2026)
    people = _people()
    made: list[Record] = []
    for i in range(persons):
        owner = OWNERS[i % len(OWNERS)]
        made.append(
            services.contribute(
                Actor(f"{owner.lower()}-officer", owner),
                "persons",
                _person(people[i % len(people)], rnd),
                _restriction(rnd, owner),
            )
        )
    for i in range(documents):
        owner = OWNERS[i % len(OWNERS)]
        number = "".join(rnd.choices(string.ascii_uppercase, k=2)) + "".join(rnd.choices(string.digits, k=7))
        services.contribute(
            Actor(f"{owner.lower()}-officer", owner),
            "documents",
            {
                "number": number,
                "type": rnd.choice(["passport", "passport", "id_card", "visa"]),
                "issuing_country": rnd.choice([owner, owner, "DE", "ES", "NG", "IN"]),
                "status": rnd.choice(["stolen", "lost", "lost", "revoked", "invalidated"]),
                "date": f"202{rnd.randint(3, 6)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            },
            _restriction(rnd, owner),
        )
    for i in range(vehicles):
        owner = OWNERS[i % len(OWNERS)]
        services.contribute(
            Actor(f"{owner.lower()}-officer", owner),
            "vehicles",
            {
                "vin": "".join(rnd.choices(VIN_CHARS, k=17)),
                "plate": "".join(rnd.choices(VIN_CHARS, k=7)),
                "make": rnd.choice(MAKES),
                "colour": rnd.choice(COLOURS),
                "country": owner,
            },
        )
    for i in range(firearms):
        owner = OWNERS[i % len(OWNERS)]
        services.contribute(
            Actor(f"{owner.lower()}-officer", owner),
            "firearms",
            {
                "make": rnd.choice(["Glock", "Beretta", "Colt", "Kalashnikov", "CZ"]),
                "serial_number": "".join(rnd.choices(VIN_CHARS, k=9)),
                "type": rnd.choice(["pistol", "rifle"]),
            },
        )
    for i in range(artworks):
        owner = ("FR", "KE")[i % 2]  # Brazil's demo policy does not contribute works of art
        services.contribute(
            Actor(f"{owner.lower()}-officer", owner),
            "artworks",
            {
                "title": f"Untitled {i + 1}",
                "artist": rnd.choice(["Unknown", "School of Barbizon", "Makonde carver"]),
                "type": rnd.choice(["painting", "sculpture", "mask"]),
                "description": "Reported stolen from a private collection.",
            },
        )
    count = _notices(made, rnd)
    return {"records": Record.objects.count(), "notices": count, "public_extracts": _public_extracts()}


def _red(subject: Record, rnd: random.Random, summary: str | None = None) -> dict[str, Any]:
    return {
        "subject": {"record_id": str(subject.pk)},
        "purpose": "prosecution",
        "charges": [
            rnd.choice(["armed robbery", "drug trafficking", "fraud", "murder", "human trafficking"])
        ],
        "law": "Penal code of the requesting country",
        "max_penalty_years": rnd.choice([5, 10, 20, 30]),
        "warrant": {
            "reference": f"W-{rnd.randint(1000, 9999)}",
            "date": "2026-05-04",
            "authority": "Investigating judge",
        },
        "facts": {
            "summary": summary or "Took part in an organised series of offences across the region.",
            "date": "2026-03-15",
            "place": "Capital city",
        },
    }


def _notices(persons: list[Record], rnd: random.Random) -> int:
    count = 0
    for i, subject in enumerate(persons[:9]):
        owner = Actor(f"{subject.owner.lower()}-officer", subject.owner)
        n = notices.draft(owner, "red", _red(subject, rnd))
        notices.submit(owner, str(n.pk))
        if i < 6:
            notices.review(GS, str(n.pk), "approve", "Meets the Rules; judicial data complete.")
        count += 1
    owner = Actor("fr-officer", "FR")
    flagged = notices.draft(
        owner, "red", _red(persons[9], rnd, "Led an opposition protest that turned into a riot.")
    )
    notices.submit(owner, str(flagged.pk))
    yellow = notices.draft(
        Actor("ke-officer", "KE"),
        "yellow",
        {
            "subject": {"record_id": str(persons[11].pk)},
            "place": "Mombasa",
            "circumstances": "Left home for school and has not been seen since.",
        },
    )
    notices.submit(Actor("ke-officer", "KE"), str(yellow.pk))
    notices.review(GS, str(yellow.pk), "approve", "Missing minor; published.")
    return count + 2


def _public_extracts() -> int:
    """France's national law allows public extracts (records/data/national_law.json): some of its
    published Red notices get one, and a Yellow and a UN Security Council notice of its own, each
    asked for by FR and approved by the GS, so the hub's portal and public API have something to
    show. Subjects with a restricted record are left out, as the service itself would refuse."""
    from ncbnet.notices.models import Notice, State

    fr = Actor("fr-officer", "FR")
    made = 0
    for n in Notice.objects.filter(owner="FR", kind="red", state=State.PUBLISHED).order_by("created_at"):
        record_id = (n.data.get("subject") or {}).get("record_id")
        record = Record.objects.filter(pk=record_id).first() if record_id else None
        if record is None or record.access != "all":
            continue
        extracts.request(
            fr, str(n.pk), {"height": 1.78, "weight": 76, "languages": ["fr"], "eyes_colors_id": "BRO"}
        )
        extracts.decide(GS, str(n.pk), True, "Public extract justified: the person may be anywhere.")
        made += 1
    yellow = notices.draft(
        fr,
        "yellow",
        {
            "subject": {
                "names": [{"value": "Léa Martin"}],
                "date_of_birth": {"year": 2011, "month": 4, "day": 9},
                "nationalities": ["FR"],
            },
            "missing_since": "2026-10-12",
            "place": "Lille",
            "circumstances": "Did not come back from a football training session.",
        },
    )
    unsc = notices.draft(
        fr,
        "unsc",
        {
            "subject": {
                "names": [{"value": "Omar Said Khalil"}, {"value": "Abu Khalil", "kind": "alias"}],
                "date_of_birth": {"year": 1972},
                "nationalities": ["SY"],
            },
            "regime": "ISIL (Da'esh) and Al-Qaida sanctions",
            "measures": ["asset_freeze", "travel_ban", "arms_embargo"],
        },
    )
    details: dict[str, dict[str, Any]] = {
        str(yellow.pk): {
            "sex": "F",
            "height": 1.45,
            "hairs_id": "BRO",
            "mother_forename": "Claire",
            "mother_name": "MARTIN",
        },
        str(unsc.pk): {
            "sex": "M",
            "un_reference": "QDi.999",
            "un_resolution": "1267 (1999)",
            "un_reference_date": "2015-06-01",
        },
    }
    for notice_id, given in details.items():
        notices.submit(fr, notice_id)
        extracts.request(fr, notice_id, given)
        notices.review(
            GS, notice_id, "approve", "Meets the Rules; public extract justified.", extract="approve"
        )
        made += 1
    return made
