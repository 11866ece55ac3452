"""Machine-readable visas (ICAO Doc 9303 Part 7): read with their own layout, not as a passport or
a TD2 card, so a genuine visa has no check-digit problem; issuing states and nationalities that
are not ICAO codes are reported on their own."""

import datetime as dt
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.screening import mrz

# The specimens of Doc 9303 Part 7 (Utopia issues the visa; the holder's nationality is XXX).
MRV_A = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<"
MRV_B = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<"


@pytest.mark.parametrize(("text", "fmt", "optional"), [(MRV_A, "MRV-A", "6ZE184226B"), (MRV_B, "MRV-B", "")])
def test_the_icao_visa_specimens_read_without_a_check_digit_problem(text, fmt, optional):
    m = mrz.parse(text)
    assert m.problems == []
    assert (m.format, m.document_code, m.document_number, m.surname, m.given_names) == (
        fmt,
        "V",
        "L8988901C",
        "ERIKSSON",
        "ANNA MARIA",
    )
    assert (m.nationality, m.birth_date, m.sex, m.optional) == ("XXX", "1940-09-07", "F", optional)
    assert m.expiry_date.endswith("-12-10")  # 96: the reader puts an expiry year in this century
    # XXX (unspecified nationality) is an ICAO code; Utopia is not.
    assert m.code_problems == ["issuing state 'UTO' is not an ICAO 9303 code"]


@pytest.mark.parametrize("text", [MRV_A, MRV_B])
@pytest.mark.parametrize(
    ("position", "field"), [(9, "document number"), (19, "date of birth"), (27, "date of expiry")]
)
def test_one_wrong_digit_in_a_visa_is_reported_by_its_field(text, position, field):
    line1, line2 = text.split("\n")
    wrong = str((int(line2[position]) + 1) % 10)
    m = mrz.parse(line1 + "\n" + line2[:position] + wrong + line2[position + 1 :])
    assert [p.split(" is ")[0] for p in m.problems] == [f"check digit of {field}"]


def test_a_visa_has_no_check_digit_on_its_optional_data_nor_a_composite():
    line1, line2 = MRV_A.split("\n")
    m = mrz.parse(line1 + "\n" + line2[:28] + "ANYTHING<1234567")
    assert m.problems == [] and m.optional == "ANYTHING 1234567"


def test_a_passport_is_still_read_as_a_passport():
    m = mrz.parse(
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<11"
    )
    assert m.format == "TD3"
    assert [p.split(" is ")[0] for p in m.problems] == ["check digit of the whole MRZ (composite)"]


@pytest.mark.parametrize(
    ("issuing", "nationality", "reported"),
    [
        ("D<<", "D<<", []),
        ("FRA", "XXB", []),
        ("XPO", "UNO", []),
        ("GBD", "RKS", []),
        ("ZZZ", "FRA", ["issuing state 'ZZZ' is not an ICAO 9303 code"]),
        ("FRA", "QQQ", ["nationality 'QQQ' is not an ICAO 9303 code"]),
        ("DE<", "FRA", ["issuing state 'DE' is not an ICAO 9303 code"]),
    ],
)
def test_an_issuing_state_or_nationality_that_is_not_an_icao_code_is_reported_on_its_own(
    issuing, nationality, reported
):
    line1, line2 = MRV_B.split("\n")
    m = mrz.parse(f"V<{issuing}{line1[5:]}\n{line2[:10]}{nationality}{line2[13:]}")
    assert m.problems == []
    assert m.code_problems == reported


FILLED = string.ascii_uppercase + string.digits


def _field(text: str, width: int) -> str:
    return (text + "<" * width)[:width]


@given(
    fmt=st.sampled_from(["MRV-A", "MRV-B"]),
    number=st.text(FILLED, min_size=1, max_size=9),
    surname=st.text(string.ascii_uppercase, min_size=1, max_size=12),
    given_name=st.text(string.ascii_uppercase, min_size=1, max_size=10),
    state=st.sampled_from(["FRA", "D", "ESP", "UNO", "XPO", "EUE"]),
    nationality=st.sampled_from(["FRA", "D", "MAR", "XXA", "XXB", "GBN"]),
    birth=st.dates(dt.date(1931, 1, 1), dt.date(2020, 12, 31)),
    expiry=st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31)),
    sex=st.sampled_from(["F", "M", "<"]),
    optional=st.text(FILLED + "<", max_size=16),
)
def test_a_generated_valid_visa_reads_back_its_fields(
    fmt, number, surname, given_name, state, nationality, birth, expiry, sex, optional
):
    width = 44 if fmt == "MRV-A" else 36
    line1 = _field(f"V<{_field(state, 3)}{surname}<<{given_name}", width)
    doc = _field(number, 9)
    born, ends = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    line2 = (
        f"{doc}{mrz.check_digit(doc)}{_field(nationality, 3)}{born}{mrz.check_digit(born)}{sex}"
        f"{ends}{mrz.check_digit(ends)}"
    )
    line2 = _field(line2 + optional, width)
    m = mrz.parse(f"{line1}\n{line2}")
    assert m.valid, (m.problems, m.code_problems)
    assert (m.format, m.issuing_state, m.nationality) == (fmt, state, nationality)
    assert (m.surname, m.given_names, m.document_number) == (surname, given_name, number.rstrip("<"))
    assert m.expiry_date == f"{2000 + expiry.year % 100:04d}-{expiry:%m-%d}"
    assert m.birth_date[5:] == f"{birth:%m-%d}" and m.birth_date[2:4] == f"{birth:%y}"
    assert m.sex == sex.replace("<", "X")
    assert m.optional == line2[28:].replace("<", " ").strip()
