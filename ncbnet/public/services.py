"""What the public portal shows: where members of the public should go instead of a bureau."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycountry

from ncbnet.config import PACKAGE_DIR

CONTACTS_FILE = PACKAGE_DIR / "public" / "data" / "police_contacts.json"


@dataclass(frozen=True)
class Contact:
    code: str
    country: str
    police: str | None
    emergency: str | None
    website: str | None


@cache
def _data() -> dict[str, Any]:
    return dict(json.loads(CONTACTS_FILE.read_text("utf-8")))


def source() -> dict[str, str]:
    data = _data()
    return {"source": data["source"], "as_of": data["as_of"]}


def contacts(query: str = "") -> list[Contact]:
    out = []
    q = query.strip().casefold()
    for code, c in _data()["contacts"].items():
        entry = pycountry.countries.get(alpha_2=code)
        name = str(getattr(entry, "common_name", None) or entry.name) if entry else code
        if q and q not in name.casefold() and q != code.casefold():
            continue
        out.append(Contact(code, name, c.get("police"), c.get("emergency"), c.get("website")))
    return sorted(out, key=lambda c: c.country)


def contact(code: str) -> Contact | None:
    """The police numbers of one country (None when the file has none)."""
    return next((c for c in contacts() if c.code == code.upper()), None)


def country_name(code: str) -> str:
    entry = pycountry.countries.get(alpha_2=code) if code else None
    return str(getattr(entry, "common_name", None) or entry.name) if entry else code
