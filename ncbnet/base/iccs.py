"""UNODC's International Classification of Crime for Statistical Purposes (ICCS 1.0, 2015): the
crime categories records, notices and hit reports carry, so that figures count alike across
countries. Its level-1 sections and level-2 codes, with their source, are in `data/iccs.json`;
their labels are listed here too, for translation (a test holds both lists equal).

Here, in `base`, because records, notices and hits (lower layers than analytics) all carry a code.

A category is always a level-2 code (four digits, `0502` Theft): a section (`05`) is too broad to
count by, and a level-3 or deeper code (`05021`) is more than the network asks of a bureau; both
are refused with a message naming the level-2 code to use instead.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATA_FILE = Path(__file__).resolve().parent / "data" / "iccs.json"

SECTIONS: dict[str, StrOrPromise] = {
    "01": _("Acts leading to death or intending to cause death"),
    "02": _("Acts causing harm or intending to cause harm to the person"),
    "03": _("Injurious acts of a sexual nature"),
    "04": _("Acts against property involving violence or threat against a person"),
    "05": _("Acts against property only"),
    "06": _("Acts involving controlled drugs or other psychoactive substances"),
    "07": _("Acts involving fraud, deception or corruption"),
    "08": _("Acts against public order, authority and provisions of the State"),
    "09": _("Acts against public safety and state security"),
    "10": _("Acts against the natural environment"),
    "11": _("Other criminal acts not elsewhere classified"),
}

LABELS: dict[str, StrOrPromise] = {
    "0101": _("Intentional homicide"),
    "0102": _("Attempted intentional homicide"),
    "0103": _("Non-intentional homicide"),
    "0104": _("Assisting or instigating suicide"),
    "0105": _("Euthanasia"),
    "0106": _("Illegal feticide"),
    "0107": _("Unlawful killing associated with armed conflict"),
    "0109": _("Other acts leading to death or intending to cause death"),
    "0201": _("Assaults and threats"),
    "0202": _("Acts against liberty"),
    "0203": _("Slavery and exploitation"),
    "0204": _("Trafficking in persons"),
    "0205": _("Coercion"),
    "0206": _("Negligence"),
    "0207": _("Dangerous acts"),
    "0208": _("Acts intended to induce fear or emotional distress"),
    "0209": _("Defamation or insult"),
    "0210": _("Discrimination"),
    "0211": _("Acts that trespass against the person"),
    "0219": _("Other acts causing harm or intending to cause harm to the person"),
    "0301": _("Sexual violence"),
    "0302": _("Sexual exploitation"),
    "0309": _("Other injurious acts of a sexual nature"),
    "0401": _("Robbery"),
    "0409": _("Other acts against property involving violence or threat against a person"),
    "0501": _("Burglary"),
    "0502": _("Theft"),
    "0503": _("Intellectual property offences"),
    "0504": _("Property damage"),
    "0509": _("Other acts against property only"),
    "0601": _("Unlawful acts involving controlled drugs or precursors"),
    "0602": _("Unlawful acts involving alcohol, tobacco or other controlled substances"),
    "0609": _("Other acts involving controlled drugs or other psychoactive substances"),
    "0701": _("Fraud"),
    "0702": _("Forgery/counterfeiting"),
    "0703": _("Corruption"),
    "0704": _("Acts involving proceeds of crime"),
    "0709": _("Other acts involving fraud, deception or corruption"),
    "0801": _("Acts against public order behavioural standards"),
    "0802": _("Acts against public order sexual standards"),
    "0803": _("Acts related to freedom of expression or control of expression"),
    "0804": _("Acts contrary to public revenue or regulatory provisions"),
    "0805": _("Acts related to migration"),
    "0806": _("Acts against the justice system"),
    "0807": _("Acts related to democratic elections"),
    "0808": _("Acts contrary to labour law"),
    "0809": _("Other acts against public order, authority and provisions of the State"),
    "0901": _("Acts involving weapons, explosives and other destructive materials"),
    "0902": _("Acts against health and safety"),
    "0903": _("Acts against computer systems"),
    "0904": _("Acts against state security"),
    "0905": _("Acts related to an organized criminal group"),
    "0906": _("Terrorism"),
    "0907": _("Acts against safety of transport systems"),
    "0909": _("Other acts against public safety and state security"),
    "1001": _("Acts that cause environmental pollution or degradation"),
    "1002": _("Acts involving the movement or dumping of waste"),
    "1003": _("Trade or possession of protected or prohibited species of fauna and flora"),
    "1004": _("Acts that result in the depletion or degradation of natural resources"),
    "1009": _("Other acts against the natural environment"),
    "1101": _("Acts under universal jurisdiction"),
    "1102": _("Acts contrary to youth regulations and acts against minors"),
    "1109": _("Other criminal acts not elsewhere classified"),
}

LONGEST = 4  # a level-2 code's length, and the columns' that keep one


@cache
def data() -> dict[str, Any]:
    """The data file as it is: its source, sections, codes and the charges' keyword rules."""
    loaded: dict[str, Any] = json.loads(DATA_FILE.read_text("utf-8"))
    return loaded


def codes() -> list[str]:
    """Every level-2 code, in the classification's order."""
    return list(data()["codes"])


def valid(code: object) -> TypeGuard[str]:
    """Whether `code` is one of the classification's level-2 codes (text, exactly as listed)."""
    return isinstance(code, str) and code in data()["codes"]


def of(data: object) -> str:
    """The crime category a record's or a notice's data carries, or "" (none, or not a code)."""
    code = data.get("iccs") if isinstance(data, dict) else None
    return code if valid(code) else ""


def section(code: str) -> str:
    """The level-1 section of a level-2 code (`0502` → `05`); KeyError for a code not listed."""
    if not valid(code):
        raise KeyError(code)
    return code[:2]


def label(code: str) -> StrOrPromise:
    """The code's label in the active language (`0502` → Theft, Vol, Hurto, سرقة)."""
    return LABELS[code]


def check(value: str) -> str:
    """A level-2 code as given (stripped), or "" for none; ValueError saying what is wrong and
    what to give instead. For the schemas: the forms' select offers only valid codes."""
    code = value.strip()
    if not code or valid(code):
        return code
    shown = repr(code[:12] + ("…" if len(code) > 12 else ""))
    if code in data()["sections"]:
        raise ValueError(f"{shown} is an ICCS section (level 1): give one of its level-2 codes ({code}01 …)")
    if code.isdigit() and len(code) > LONGEST and valid(code[:LONGEST]):
        raise ValueError(
            f"{shown} is more detailed than the ICCS level 2 the network counts by: give {code[:LONGEST]}"
        )
    raise ValueError(f"{shown} is not an ICCS level-2 code (four digits, such as 0101 or 0502)")


def choices() -> list[tuple[Any, Any]]:
    """The level-2 codes for a form's select, grouped by section, after an empty choice; each
    labelled with its code, in the language active when the form is shown."""
    grouped: dict[str, list[tuple[str, StrOrPromise]]] = {}
    for code in codes():
        grouped.setdefault(code[:2], []).append((code, format_lazy("{} {}", code, LABELS[code])))
    return [
        ("", _("Not given")),
        *((format_lazy("{} {}", s, SECTIONS[s]), options) for s, options in grouped.items()),
    ]


# --- a notice's charges to a code ---------------------------------------------------------------


def _fold(text: str) -> str:
    """Case and accents set aside (and the Arabic short vowels), as the keyword rules are matched."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("\u2019", "'"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def _arabic(term: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in term)


@cache
def _rules() -> list[tuple[str, re.Pattern[str] | None, tuple[str, ...]]]:
    """Each rule's code, one pattern of its whole-word terms, and its Arabic terms (substrings)."""
    out: list[tuple[str, re.Pattern[str] | None, tuple[str, ...]]] = []
    for rule in data()["charges"]:
        words: list[str] = []
        arabic: list[str] = []
        for language in ("en", "fr", "es", "ar"):
            for term in rule.get(language, []):
                folded = _fold(term)
                (arabic if _arabic(term) else words).append(folded)
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None
        out.append((rule["code"], pattern, tuple(arabic)))
    return out


def from_charges(lines: list[str] | tuple[str, ...]) -> str:
    """The level-2 code the charges' text suggests, or "": the first charge line a keyword rule
    recognizes decides, with the first of the rules (in the data file's order) it matches. A
    default the officer may change, in English, French, Spanish or Arabic."""
    for line in lines:
        if not isinstance(line, str):
            continue
        text = _fold(line)
        for code, pattern, arabic in _rules():
            if (pattern is not None and pattern.search(text)) or any(term in text for term in arabic):
                return code
    return ""


def form_field() -> Any:
    """The crime category in a form: a level-2 code chosen from a list grouped by section, with the
    same label and help wherever it is asked (records, requests, operation results)."""
    from django import forms

    return forms.ChoiceField(
        label=_("Crime category (ICCS)"),
        choices=choices,
        required=False,
        help_text=_("UNODC's International Classification of Crime for Statistical Purposes"),
    )
