"""Screening documents, vehicles and firearms against what this node holds: at the hub the
global databases, on an NCB node its replica, so screening works while the hub is unreachable.

A result is a possible match to be confirmed with the owner NCB, never an instruction to act.
Every screening is audited.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pycountry
from django.conf import settings
from django.db import transaction
from vininfo import Vin

from ncbnet.audit import services as audit
from ncbnet.records.models import Record, ReplicaRecord

from . import mrz as mrz_module

CONFUSABLE = {"0": "O", "O": "0", "1": "I", "I": "1"}
MAX_VARIANTS = 256
POSSIBLE_MATCH = "possible match: confirm with the owner NCB before acting"


def normal(value: str) -> str:
    return re.sub(r"[\s\-./<]", "", value).upper()


def variants(number: str) -> list[str]:
    """The number as written, with O/0 and I/1 read either way (how they are mistyped and misread)."""
    key = normal(number)
    spots = [i for i, ch in enumerate(key) if ch in CONFUSABLE]
    out = set()
    for flips in itertools.product((False, True), repeat=min(len(spots), 8)):
        chars = list(key)
        for flip, i in zip(flips, spots, strict=False):
            if flip:
                chars[i] = CONFUSABLE[chars[i]]
        out.add("".join(chars))
        if len(out) >= MAX_VARIANTS:
            break
    return sorted(out)


@dataclass
class Result:
    query: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    hits: list[dict[str, Any]] = field(default_factory=list)


def _holdings(database: str, actor: Any) -> Any:
    if settings.NCBNET_ROLE == "hub":
        country = getattr(actor, "country_code", None)
        return (
            Record.objects.live()
            .visible_to(country, gs=getattr(actor, "kind", "") == "gs")
            .filter(database=database)
        )
    return ReplicaRecord.objects.filter(database=database)


def _hit(record: Any, why: str) -> dict[str, Any]:
    return {
        "record": str(record.pk),
        "database": record.database,
        "owner": record.owner,
        "label": record.label,
        "data": {k: v for k, v in record.data.items() if k != "photos"},
        "handling": record.handling,
        "matched": why,
        "status": POSSIBLE_MATCH,
    }


def _audit(actor: Any, kind: str, result: Result) -> None:
    with transaction.atomic():
        audit.record(
            f"screening.{kind}",
            actor=actor,
            detail={"query": result.query, "hits": len(result.hits), "problems": result.problems},
        )


def _documents(actor: Any, number: str, issuing_country: str) -> list[dict[str, Any]]:
    hits = []
    for r in _holdings("documents", actor).filter(key__in=variants(number)):
        if issuing_country and r.data.get("issuing_country") != issuing_country.upper():
            continue
        exact = r.key == normal(number)
        hits.append(
            _hit(r, "document number" if exact else "document number, reading O/0 or I/1 the other way")
        )
    return hits


def document(actor: Any, number: str, issuing_country: str = "") -> Result:
    result = Result({"number": number, "issuing_country": issuing_country})
    result.hits = _documents(actor, number, issuing_country)
    _audit(actor, "document", result)
    return result


def machine_readable_zone(actor: Any, text: str) -> Result:
    """Read the MRZ (every check digit verified) and screen its document; a bad check digit is
    reported with the field it guards, and the document is screened all the same."""
    parsed = mrz_module.parse(text)
    state = pycountry.countries.get(alpha_3=parsed.issuing_state)
    result = Result(
        {"mrz": {k: v for k, v in parsed.__dict__.items() if k != "problems"}}, problems=list(parsed.problems)
    )
    result.hits = _documents(actor, parsed.document_number, state.alpha_2 if state else "")
    _audit(actor, "mrz", result)
    return result


def vehicle(actor: Any, vin: str = "", plate: str = "") -> Result:
    result = Result({"vin": vin, "plate": plate})
    if vin:
        key = normal(vin)
        if len(key) != 17:
            result.problems.append(f"a VIN has 17 characters, this one {len(key)}")
        elif re.search(r"[IOQ]", key):
            result.problems.append("a VIN never contains I, O or Q (ISO 3779)")
        elif key[0] in "12345" and not Vin(key).verify_checksum():
            result.problems.append("the VIN's check digit (9th character) is wrong")
        for r in _holdings("vehicles", actor).filter(key=key):
            result.hits.append(_hit(r, "VIN"))
    if plate:
        seen = {h["record"] for h in result.hits}
        holdings = _holdings("vehicles", actor)
        for r in holdings.filter(key=normal(plate)) | holdings.filter(data__plate__iexact=plate.strip()):
            if str(r.pk) not in seen:
                result.hits.append(_hit(r, "plate"))
    _audit(actor, "vehicle", result)
    return result


def firearm(actor: Any, serial_number: str, make: str = "") -> Result:
    result = Result({"serial_number": serial_number, "make": make})
    for r in _holdings("firearms", actor).filter(key__in=variants(serial_number)):
        if make and r.data.get("make", "").casefold() != make.strip().casefold():
            continue
        result.hits.append(_hit(r, "serial number" + (" and make" if make else "")))
    _audit(actor, "firearm", result)
    return result
