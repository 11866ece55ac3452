"""Load the member-country registry from the data file that cites its source."""

from __future__ import annotations

import json
from typing import Any

import pycountry

from ncbnet.config import PACKAGE_DIR

MEMBERS_FILE = PACKAGE_DIR / "core" / "data" / "members.json"


def members_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MEMBERS_FILE.read_text("utf-8"))
    return data


def load(region_model: Any, bureau_model: Any, country_model: Any, ncb_model: Any) -> int:
    """Create or update regions, regional bureaus, countries and their NCBs. Idempotent."""
    data = members_data()
    for r in data["regions"]:
        region_model.objects.update_or_create(code=r["code"], defaults={"name": r["name"]})
    for b in data["regional_bureaus"]:
        bureau_model.objects.update_or_create(
            code=b["code"],
            defaults={
                "name": b["name"],
                "city": b["city"],
                "country_code": b["country"],
                "region_id": b["region"],
            },
        )
    for m in data["members"]:
        country, _ = country_model.objects.update_or_create(
            code=m["code"],
            defaults={"region_id": m["region"], "regional_bureau_id": m.get("regional_bureau")},
        )
        entry = pycountry.countries.get(alpha_2=m["code"])
        if entry is None:
            raise ValueError(f"members.json: {m['code']} is not an ISO 3166-1 country")
        name = getattr(entry, "common_name", None) or entry.name
        ncb_model.objects.get_or_create(country=country, defaults={"name": f"NCB {name}"})
    return len(data["members"])
