"""Counted once: whatever the order results arrive in, every node matches them the same way and
the totals are the same."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.cooperation.services.operations import dedup, normal_name, summarise


@dataclass(frozen=True)
class R:
    id: str
    reported_by: str
    kind: str
    person_name: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    notice_subject: bool = False
    commodity: str = ""
    unit: str = ""
    quantity: Decimal | None = None
    value_usd: Decimal | None = None
    count: int = 1
    place: str = ""
    date: date = date(2026, 5, 3)


NAMES = ["Marc Dupont", "DUPONT marc", "Маркъ Дюпон", "Ana Souza", "souza, ana"]


@st.composite
def a_result(draw, i):
    kind = draw(st.sampled_from(["arrest", "seizure", "investigation", "site_closed", "victim"]))
    common = {
        "id": f"0190{i:04d}-0000-7000-8000-000000000000",
        "reported_by": draw(st.sampled_from(["FR", "BR", "KE"])),
        "kind": kind,
        "count": draw(st.integers(1, 5)),
        "place": draw(st.sampled_from(["", "Lyon", "lyon", "Santos"])),
        "date": draw(st.sampled_from([date(2026, 5, 3), date(2026, 5, 4)])),
    }
    if kind == "arrest":
        return R(
            **common,
            person_name=draw(st.sampled_from(NAMES)),
            date_of_birth=draw(st.sampled_from(["1980-04-02", "1980", ""])),
            nationality=draw(st.sampled_from(["FR", "BR", ""])),
            notice_subject=draw(st.booleans()),
        )
    if kind == "seizure":
        return R(
            **common,
            commodity=draw(st.sampled_from(["Cocaine", "cocaine", "medicines"])),
            unit=draw(st.sampled_from(["kg", "KG", "boxes"])),
            quantity=draw(st.sampled_from([Decimal("12"), Decimal("12.000"), Decimal("3.5")])),
            value_usd=draw(st.sampled_from([None, Decimal("1000.50")])),
        )
    return R(**common)


@st.composite
def reports(draw):
    n = draw(st.integers(0, 14))
    found = [draw(a_result(i)) for i in range(n)]
    return found, draw(st.permutations(found))


@settings(max_examples=300, deadline=None)
@given(reports())
def test_whatever_the_order_the_matches_and_the_totals_are_the_same(pair):
    found, shuffled = pair
    assert dedup(found) == dedup(shuffled)
    assert summarise(found) == summarise(shuffled)


@settings(max_examples=200, deadline=None)
@given(reports())
def test_a_result_duplicates_a_counted_one_with_a_smaller_id_from_another_country(pair):
    found, _ = pair
    by_id = {r.id: r for r in found}
    matches = dedup(found)
    for rid, first in matches.items():
        if first is not None:
            assert matches[first] is None and first < rid
            assert by_id[first].reported_by != by_id[rid].reported_by
    counted = summarise(found).overall
    assert counted.duplicates == sum(1 for v in matches.values() if v is not None)


def test_the_same_arrest_from_two_countries_counts_once_and_a_third_one_of_the_same_country_twice():
    a = R("01", "FR", "arrest", person_name="Marc DUPONT", date_of_birth="1980-04-02", notice_subject=True)
    b = R("02", "BR", "arrest", person_name="dupont marc", date_of_birth="1980-04-02")
    c = R("03", "FR", "arrest", person_name="Marc Dupont", date_of_birth="1980-04-02")
    assert dedup([c, b, a]) == {"01": None, "02": "01", "03": None}
    assert summarise([a, b, c]).overall.arrests == 2
    assert summarise([a, b]).overall.notice_subjects == 1


def test_seizures_match_on_commodity_unit_quantity_and_date_and_on_place_when_both_give_it():
    a = R("01", "FR", "seizure", commodity="Cocaine", unit="kg", quantity=Decimal("12.0"), place="Santos")
    b = R("02", "BR", "seizure", commodity="cocaine", unit="KG", quantity=Decimal("12"))
    c = R("03", "KE", "seizure", commodity="cocaine", unit="kg", quantity=Decimal("12"), place="Mombasa")
    d = R(
        "04", "KE", "seizure", commodity="cocaine", unit="kg", quantity=Decimal("12"), date=date(2026, 5, 4)
    )
    assert dedup([a, b, c, d]) == {"01": None, "02": "01", "03": None, "04": None}
    cocaine = summarise([a, b, c, d]).by_commodity
    assert [(s.commodity, s.unit, s.quantity, s.seizures) for s in cocaine] == [
        ("cocaine", "kg", Decimal(36), 3)
    ]


def test_names_in_any_script_and_order_are_one():
    assert normal_name("DUPONT, Marc") == normal_name("marc dupont") == "dupont marc"
    assert normal_name("Дюпон Марк") == normal_name("MARK dyupon") == "dyupon mark"
