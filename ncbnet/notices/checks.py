"""The automatic checks a submitted notice goes through before a GS reviewer sees it.

Hard refusals (missing fields, thresholds) keep the notice a draft; findings (likely duplicates,
neutrality terms) become flags the reviewer weighs.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ncbnet.base import iccs
from ncbnet.records.schemas import checked

from .schemas import SCHEMAS

TERMS_FILE = Path(__file__).resolve().parent / "data" / "neutrality_terms.json"
CHARACTERS = {
    "political": _("political"),
    "military": _("military"),
    "religious": _("religious"),
    "racial": _("racial"),
}
PROSECUTION_MIN_YEARS = 2
SENTENCE_MIN_MONTHS = 6


def validate(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The kind's data as its schema normalizes it; with a crime category the officer left empty
    taken from the charges, where their text names one (`iccs.from_charges`)."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ValidationError({"kind": f"unknown kind of notice {kind!r}"})
    clean = checked(schema, data)
    if not clean.get("iccs") and (code := iccs.from_charges(clean.get("charges") or [])):
        clean["iccs"] = code
    return clean


def thresholds(kind: str, data: dict[str, Any]) -> None:
    """Red Notices: prosecution for offences punishable by at least 2 years; to serve a sentence,
    at least 6 months remaining."""
    if kind != "red":
        return
    if data["purpose"] == "prosecution" and data["max_penalty_years"] < PROSECUTION_MIN_YEARS:
        raise ValidationError(
            {
                "max_penalty_years": (
                    "for prosecution the offence must be punishable by at least "
                    f"{PROSECUTION_MIN_YEARS} years (given: {data['max_penalty_years']:g})"
                )
            }
        )
    if data["purpose"] == "sentence":
        remaining = data.get("sentence_remaining_months")
        if remaining is None or remaining < SENTENCE_MIN_MONTHS:
            raise ValidationError(
                {
                    "sentence_remaining_months": (
                        f"to serve a sentence at least {SENTENCE_MIN_MONTHS} months must remain "
                        f"(given: {remaining})"
                    )
                }
            )


@cache
def _terms() -> dict[str, dict[str, list[str]]]:
    data = json.loads(TERMS_FILE.read_text("utf-8"))
    return {k: v for k, v in data.items() if k != "note"}


def _texts(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [t for i, v in enumerate(value) for t in _texts(v, f"{path}.{i}")]
    return []


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def neutrality(data: dict[str, Any]) -> list[dict[str, str]]:
    """Terms of a political, military, religious or racial character, in EN, FR, ES and AR."""
    flags = []
    for field, text in _texts(data):
        folded = _fold(text)
        for character, languages in _terms().items():
            for language, words in languages.items():
                for word in words:
                    w = _fold(word)
                    found = (
                        w in folded
                        if language == "ar"
                        else re.search(rf"(?<!\w){re.escape(w)}(?!\w)", folded)
                    )
                    if found:
                        flags.append(
                            {
                                "check": "neutrality",
                                "character": character,
                                "language": language,
                                "term": word,
                                "field": field,
                            }
                        )
    return flags
