"""Each NCB contributes under its own national law, declared in a reviewed file
(`records/data/national_law.json`): which databases it contributes to, a shorter retention, whether
public extracts are allowed, and fields it requires beyond the Rules. A refusal names the rule."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

POLICY_FILE = Path(__file__).resolve().parent / "data" / "national_law.json"
RULES_RETENTION_YEARS = 5  # the Rules: nominal data are kept 5 years unless extended


@dataclass(frozen=True)
class Policy:
    country: str
    databases: tuple[str, ...]
    retention_years: int
    public_extracts: bool
    required_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)


@cache
def _file() -> dict[str, Any]:
    return dict(json.loads(POLICY_FILE.read_text("utf-8")))


def policy(country: str) -> Policy:
    data = _file()
    p = {**data["default"], **data["policies"].get(country, {})}
    return Policy(
        country=country,
        databases=tuple(p["databases"]),
        retention_years=min(int(p["retention_years"]), RULES_RETENTION_YEARS),
        public_extracts=bool(p["public_extracts"]),
        required_fields={db: tuple(f) for db, f in p["required_fields"].items()},
    )


def check_contribution(country: str, database: str, data: dict[str, Any]) -> Policy:
    """Refuse, naming the rule, a contribution the owner's national policy does not allow."""
    p = policy(country)
    if database not in p.databases:
        raise ValidationError(
            {"database": f"{country}'s national policy (rule: databases) does not contribute to {database}"}
        )
    missing = [f for f in p.required_fields.get(database, ()) if data.get(f) in (None, "", [], {})]
    if missing:
        raise ValidationError(
            {
                f: f"{country}'s national policy (rule: required_fields.{database}) requires {f}"
                for f in missing
            }
        )
    return p
