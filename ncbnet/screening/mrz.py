"""ICAO Doc 9303 machine-readable zones: TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44), and the
machine-readable visas of Part 7, MRV-A (2 x 44) and MRV-B (2 x 36), told apart from TD3 and TD2
by their document code, which starts with V.

Every check digit is verified; a wrong one is reported by field, never silently accepted. A visa
has no composite check digit and its optional data none either (Part 7: the lower line is the
number and its check, the nationality, the date of birth and its check, the sex, the expiry and its
check, then optional data to the end). An issuing state or nationality that is not an ICAO 9303
code (`ICAO_CODES`) is reported apart from the check digits (`MRZ.code_problems`). Dates stay as
the MRZ gives them when a part is unknown ("<<").
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from ncbnet.base import clock

WEIGHTS = (7, 3, 1)
CHARSET = re.compile(r"^[A-Z0-9<]+$")


VISA_FORMATS = {44: "MRV-A", 36: "MRV-B"}


@functools.cache
def icao_codes() -> frozenset[str]:
    """The three-letter codes of ICAO Doc 9303 Part 3: ISO 3166-1 alpha-3, with D for Germany and
    the codes of organizations, refugees, stateless persons and other nationals (the data file says
    where they come from)."""
    listed = json.loads((Path(__file__).parent / "data" / "icao_codes.json").read_text())["codes"]
    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(listed)


class MRZInvalid(ValueError):
    """The text is not a machine-readable zone of a known format."""


def check_digit(text: str) -> int:
    """ICAO 9303 check digit: digits as themselves, A-Z as 10-35, '<' as 0, weights 7-3-1, modulo 10."""
    total = 0
    for i, ch in enumerate(text):
        value = int(ch) if ch.isdigit() else (ord(ch) - 55 if "A" <= ch <= "Z" else 0)
        total += value * WEIGHTS[i % 3]
    return total % 10


@dataclass
class MRZ:
    format: str
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str  # YYYY-MM-DD, or partial: YYYY-MM / YYYY, or "" when unknown
    sex: str
    expiry_date: str
    optional: str
    problems: list[str] = field(default_factory=list)  # check digits and dates
    code_problems: list[str] = field(default_factory=list)  # an issuing state or nationality not ICAO's

    @property
    def valid(self) -> bool:
        return not self.problems and not self.code_problems


def _name(text: str) -> tuple[str, str]:
    surname, _, given = text.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _date(yymmdd: str, *, birth: bool) -> str:
    yy, mm, dd = yymmdd[:2], yymmdd[2:4], yymmdd[4:6]
    if not yy.isdigit():
        return ""
    now = clock.now().year % 100
    century = 1900 if birth and int(yy) > now else 2000
    year = century + int(yy)
    if not mm.isdigit():
        return f"{year:04d}"
    if not dd.isdigit():
        return f"{year:04d}-{mm}"
    try:
        return dt.datetime.strptime(f"{year:04d}{mm}{dd}", "%Y%m%d").date().isoformat()
    except ValueError:
        return f"{year:04d}-{mm}-{dd}"  # reported by the caller as an impossible date


def _verify(problems: list[str], name: str, data: str, digit: str) -> None:
    if digit == "<" and set(data) == {"<"}:
        return  # an empty optional field may carry a filler instead of a check digit
    if not digit.isdigit() or check_digit(data) != int(digit):
        problems.append(f"check digit of {name} is {check_digit(data)}, the MRZ says {digit!r}")


def parse(text: str) -> MRZ:
    lines = [line.strip().upper().replace(" ", "") for line in text.strip().splitlines() if line.strip()]
    if len(lines) not in (2, 3):
        raise MRZInvalid(f"an MRZ has 2 or 3 lines, not {len(lines)}")
    lengths = [len(line) for line in lines]
    if any(not CHARSET.match(line) for line in lines):
        raise MRZInvalid("an MRZ holds only A-Z, 0-9 and '<'")
    if lengths == [30, 30, 30]:
        return _td1(lines[0], lines[1], lines[2])
    if lengths in ([36, 36], [44, 44]) and lines[0].startswith("V"):
        return _visa(lines[0], lines[1], VISA_FORMATS[lengths[0]])
    if lengths == [36, 36]:
        return _two_lines(lines[0], lines[1], "TD2")
    if lengths == [44, 44]:
        return _two_lines(lines[0], lines[1], "TD3")
    raise MRZInvalid(f"lines of {lengths} characters: TD1 is 3 x 30, TD2 2 x 36, TD3 2 x 44")


def _two_lines(l1: str, l2: str, fmt: str) -> MRZ:
    problems: list[str] = []
    surname, given = _name(l1[5:])
    number = l2[0:9]
    _verify(problems, "document number", number, l2[9])
    _verify(problems, "date of birth", l2[13:19], l2[19])
    _verify(problems, "date of expiry", l2[21:27], l2[27])
    if fmt == "TD3":  # optional data has its own check digit; the composite covers it
        optional = l2[28:42]
        _verify(problems, "optional data", optional, l2[42])
        _verify(problems, "the whole MRZ (composite)", l2[0:10] + l2[13:20] + l2[21:43], l2[43])
    else:
        optional = l2[28:35]
        _verify(problems, "the whole MRZ (composite)", l2[0:10] + l2[13:20] + l2[21:35], l2[35])
    mrz = MRZ(
        format=fmt,
        document_code=l1[0:2].replace("<", ""),
        issuing_state=l1[2:5].replace("<", ""),
        surname=surname,
        given_names=given,
        document_number=number.replace("<", ""),
        nationality=l2[10:13].replace("<", ""),
        birth_date=_date(l2[13:19], birth=True),
        sex=l2[20].replace("<", "X"),
        expiry_date=_date(l2[21:27], birth=False),
        optional=optional.replace("<", " ").strip(),
        problems=problems,
    )
    _check(mrz)
    return mrz


def _visa(l1: str, l2: str, fmt: str) -> MRZ:
    """A machine-readable visa (Part 7): check digits on the number, the date of birth and the
    expiry only; the optional data runs from position 29 to the end of the lower line."""
    problems: list[str] = []
    number = l2[0:9]
    _verify(problems, "document number", number, l2[9])
    _verify(problems, "date of birth", l2[13:19], l2[19])
    _verify(problems, "date of expiry", l2[21:27], l2[27])
    surname, given = _name(l1[5:])
    mrz = MRZ(
        format=fmt,
        document_code=l1[0:2].replace("<", ""),
        issuing_state=l1[2:5].replace("<", ""),
        surname=surname,
        given_names=given,
        document_number=number.replace("<", ""),
        nationality=l2[10:13].replace("<", ""),
        birth_date=_date(l2[13:19], birth=True),
        sex=l2[20].replace("<", "X"),
        expiry_date=_date(l2[21:27], birth=False),
        optional=l2[28:].replace("<", " ").strip(),
        problems=problems,
    )
    _check(mrz)
    return mrz


def _td1(l1: str, l2: str, l3: str) -> MRZ:
    problems: list[str] = []
    number, number_check, optional1 = l1[5:14], l1[14], l1[15:30]
    if number_check == "<":  # a number longer than 9 characters continues in the optional data
        rest, _, _tail = optional1.partition("<")
        number, number_check = number + rest[:-1], rest[-1:] or "<"
        optional1 = optional1[len(rest) :]
    _verify(problems, "document number", number, number_check)
    _verify(problems, "date of birth", l2[0:6], l2[6])
    _verify(problems, "date of expiry", l2[8:14], l2[14])
    _verify(problems, "the whole MRZ (composite)", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
    surname, given = _name(l3)
    mrz = MRZ(
        format="TD1",
        document_code=l1[0:2].replace("<", ""),
        issuing_state=l1[2:5].replace("<", ""),
        surname=surname,
        given_names=given,
        document_number=number.replace("<", ""),
        nationality=l2[15:18].replace("<", ""),
        birth_date=_date(l2[0:6], birth=True),
        sex=l2[7].replace("<", "X"),
        expiry_date=_date(l2[8:14], birth=False),
        optional=(optional1 + l2[18:29]).replace("<", " ").strip(),
        problems=problems,
    )
    _check(mrz)
    return mrz


def _codes(mrz: MRZ) -> None:
    for name, code in (("issuing state", mrz.issuing_state), ("nationality", mrz.nationality)):
        if code not in icao_codes():
            mrz.code_problems.append(f"{name} {code!r} is not an ICAO 9303 code")


def _check(mrz: MRZ) -> None:
    """What the check digits cannot say: impossible dates, and codes that are not ICAO's."""
    _dates(mrz)
    _codes(mrz)


def _dates(mrz: MRZ) -> None:
    for name, value in (("date of birth", mrz.birth_date), ("date of expiry", mrz.expiry_date)):
        if len(value) == 10:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                mrz.problems.append(f"{name} {value} is not a calendar date")
