"""Documents, MRZ, vehicles and firearms: screened against this node's replica (or the hub's
databases), every check digit verified, restricted records never in another country's results."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.hits.models import HitReport
from ncbnet.hits.schemas import POSSIBLE_MATCH
from ncbnet.records.models import ReplicaRecord
from ncbnet.screening import mrz, services

TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"


@pytest.mark.parametrize(
    ("text", "fmt", "number"),
    [(TD3, "TD3", "L898902C3"), (TD2, "TD2", "D23145890"), (TD1, "TD1", "D23145890")],
)
def test_icao_specimens_parse_with_every_check_digit_right(text, fmt, number):
    m = mrz.parse(text)
    assert not m.problems
    # Utopia is the specimens' fictional state: not an ICAO code, said apart from the check digits.
    assert m.code_problems == [
        "issuing state 'UTO' is not an ICAO 9303 code",
        "nationality 'UTO' is not an ICAO 9303 code",
    ]
    assert (m.format, m.document_number, m.surname, m.given_names) == (fmt, number, "ERIKSSON", "ANNA MARIA")
    assert (m.birth_date, m.expiry_date, m.sex, m.issuing_state) == ("1974-08-12", "2012-04-15", "F", "UTO")


@pytest.mark.parametrize(
    ("position", "field"),
    [
        (9, "document number"),
        (19, "date of birth"),
        (27, "date of expiry"),
        (42, "optional data"),
        (43, "the whole MRZ (composite)"),
    ],
)
def test_a_wrong_check_digit_is_reported_by_field(position, field):
    line1, line2 = TD3.split("\n")
    wrong = str((int(line2[position]) + 1) % 10)
    m = mrz.parse(line1 + "\n" + line2[:position] + wrong + line2[position + 1 :])
    assert not m.valid
    assert any(p.startswith(f"check digit of {field}") for p in m.problems), m.problems


def test_an_altered_number_fails_its_check_digit_and_the_composite():
    line1, line2 = TD3.split("\n")
    m = mrz.parse(line1 + "\n" + "L898902C4" + line2[9:])
    assert [p.split(" is ")[0] for p in m.problems] == [
        "check digit of document number",
        "check digit of the whole MRZ (composite)",
    ]


def test_a_td1_number_longer_than_nine_characters_continues_in_the_optional_data():
    # Number D23145890734 (12 characters): '<' where its check digit would be, the rest and the check after.
    line1 = "I<UTOD23145890<7349<<<<<<<<<<<"
    line1 = line1[:15] + "734" + str(mrz.check_digit("D23145890734")) + line1[19:]
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    line2 += str(mrz.check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]))
    m = mrz.parse("\n".join([line1, line2, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]))
    assert not m.problems
    assert m.document_number == "D23145890734"


@pytest.mark.parametrize(
    "text",
    [
        "P<UTO",
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nl898902c36UTO7408122F1204159ZE184226B<<<<<1",
        "a\nb\nc\nd",
    ],
)
def test_text_that_is_not_an_mrz_is_refused(text):
    with pytest.raises(mrz.MRZInvalid):
        mrz.parse(text)


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=1, max_size=40),
    st.integers(0, 39),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"),
)
def test_changing_any_one_digit_changes_the_check_digit_or_swaps_an_equal_value(data, i, ch):
    """The 7-3-1 check catches every single-character substitution except between characters of
    equal value modulo 10 at the same weight (as ICAO 9303 accepts)."""
    i %= len(data)
    changed = data[:i] + ch + data[i + 1 :]

    def value(c):
        return int(c) if c.isdigit() else (ord(c) - 55 if c != "<" else 0)

    weight = (7, 3, 1)[i % 3]
    same = (value(data[i]) * weight - value(ch) * weight) % 10 == 0
    assert (mrz.check_digit(changed) == mrz.check_digit(data)) == same


def replica(database, owner, key, data, *, label=None, pk=None):
    """A record in this node's replica, as the hub's feed would have written it."""
    now = clock.now()
    return ReplicaRecord.objects.create(
        id=pk or uuid.uuid4(),
        database=database,
        owner=owner,
        label=label or key,
        key=key,
        data=data,
        version=1,
        handling="H0",
        updated_at=now,
        retain_until=now,
        received_at=now,
    )


@pytest.mark.django_db
def test_documents_are_found_on_the_replica_despite_confusions(user_factory):
    officer = user_factory("agency", "query")
    replica(
        "documents", "KE", "AB1000234", {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"}
    )
    result = services.document(officer, "ab-1oo0234")
    assert [h.owner for h in result.hits] == ["KE"]
    assert result.hits[0].status == POSSIBLE_MATCH
    assert "O/0" in result.hits[0].matched
    assert services.document(officer, "AB1000234", "FR").hits == []
    assert AuditEntry.objects.filter(action="screening.document").count() == 2


@pytest.mark.django_db
def test_a_number_of_many_letters_o_and_i_is_found_however_each_is_read(user_factory):
    """Ten places that may be O or 0, I or 1 (1,024 readings): each reading finds the document,
    and only the number as held is an exact match."""
    officer = user_factory("agency", "query")
    held = {"number": "IO10IO10IO", "issuing_country": "BR", "status": "lost"}
    replica("documents", "BR", "IO10IO10IO", held)
    for asked in ("io10io10io", "1010 1010 10", "I0I0-IOIO-IO", "10101O1O1O"):
        assert [h.owner for h in services.document(officer, asked).hits] == ["BR"], asked
    assert services.document(officer, "IO-10-IO-10-IO").hits[0].matched == "document number"
    assert "O/0" in services.document(officer, "1010101010").hits[0].matched
    assert services.document(officer, "1010101011").hits == []
    assert services.documents(officer, [("1O1O1O1O1O", ""), ("IO10IO10IO", "FR")])[1].hits == []


@pytest.mark.django_db
def test_mrz_screening_reports_bad_check_digits_and_still_screens(client, user_factory):
    replica(
        "documents", "BR", "L898902C3", {"number": "L898902C3", "issuing_country": "BR", "status": "lost"}
    )
    client.force_login(user_factory("ncb", "officer"))
    ok = client.post("/api/v1/screening/mrz", {"mrz": TD3}, content_type="application/json").json()
    # Utopia is ICAO's specimen state, in no country list: said so, and the number alone decides.
    assert ok["problems"] == [
        "issuing state 'UTO' is not an ICAO 9303 code",
        "nationality 'UTO' is not an ICAO 9303 code",
    ]
    assert [h["owner"] for h in ok["hits"]] == ["BR"]
    line1, line2 = TD3.split("\n")
    bad = client.post(
        "/api/v1/screening/mrz",
        {"mrz": line1 + "\n" + line2[:19] + "0" + line2[20:]},
        content_type="application/json",
    ).json()
    assert any("date of birth" in p for p in bad["problems"])
    refused = client.post("/api/v1/screening/mrz", {"mrz": "x" * 61}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "mrz"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("vin", "problem"),
    [
        ("1M8GDM9AXKP042788", None),
        ("1M8GDM9A1KP042788", "check digit"),
        ("WVWZZZ1JZXW000001", None),  # outside North America the 9th character need not be a check digit
        ("1M8GDM9AXKP04278", "17 characters"),
        ("1M8GDM9AXKPO42788", "I, O or Q"),
    ],
)
def test_vin_validation(user_factory, vin, problem):
    result = services.vehicle(user_factory("ncb", "officer"), vin=vin)
    if problem is None:
        assert result.problems == []
    else:
        assert any(problem in p for p in result.problems), result.problems


@pytest.mark.django_db
def test_vehicles_by_vin_or_plate_and_firearms_by_serial_and_make(user_factory):
    officer = user_factory("ncb", "officer")
    replica(
        "vehicles",
        "FR",
        "WVWZZZ1JZXW000001",
        {"vin": "WVWZZZ1JZXW000001", "plate": "AB-123-CD", "make": "VW"},
    )
    replica("firearms", "KE", "G1OCK77", {"make": "Glock", "serial_number": "G1OCK77"})
    assert len(services.vehicle(officer, vin="wvwzzz1jzxw000001").hits) == 1
    assert len(services.vehicle(officer, plate="AB-123-CD").hits) == 1
    assert [h.matched for h in services.firearm(officer, "GIOCK77", "glock").hits] == [
        "serial number and make"
    ]
    assert services.firearm(officer, "G1OCK77", "Beretta").hits == []


@pytest.mark.django_db
def test_at_the_hub_a_denied_country_never_gets_a_restricted_record(hub, user_factory):
    from ncbnet.base.actor import Actor
    from ncbnet.records import services as records

    records.contribute(
        Actor("ke-officer", "KE"),
        "documents",
        {
            "number": "KE7654321",
            "type": "passport",
            "issuing_country": "KE",
            "status": "stolen",
            "date": "2026-01-01",
        },
        {"access": "deny", "countries": ["BR"]},
    )
    gs = user_factory("gs", "analyst")
    assert len(services.document(gs, "KE7654321").hits) == 1


@pytest.mark.django_db
def test_a_batch_of_documents_is_screened_in_one_request_and_one_audit_entry(client, user_factory):
    replica(
        "documents", "KE", "AB1000234", {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"}
    )
    replica(
        "documents", "BR", "CD5550001", {"number": "CD5550001", "issuing_country": "BR", "status": "lost"}
    )
    client.force_login(user_factory("system", "system"))
    batch = [
        {"number": "AB1OOO234"},
        {"number": "ZZ0000000"},
        {"number": "CD5550001", "issuing_country": "FR"},
    ]
    batch.append({"number": "cd-555-0001", "issuing_country": "BR"})
    found = client.post(
        "/api/v1/screening/documents/batch",
        {"documents": batch, "place": "GRU"},
        content_type="application/json",
    ).json()
    assert [[h["owner"] for h in r["hits"]] for r in found] == [["KE"], [], [], ["BR"]]
    assert AuditEntry.objects.filter(action="screening.documents").count() == 1
    assert HitReport.objects.filter(context={"place": "GRU"}).count() == 2
    reported = AuditEntry.objects.get(action="hits.report").detail["reports"]  # one entry for the batch
    assert [r["id"] for r in reported] == [found[0]["hits"][0]["report"], found[3]["hits"][0]["report"]]
    too_many = {"documents": [{"number": "X1"}] * 1001}
    refused = client.post("/api/v1/screening/documents/batch", too_many, content_type="application/json")
    assert refused.status_code == 422


@pytest.mark.django_db
def test_works_of_art_by_text_in_any_order_and_with_slips(client, user_factory):
    replica(
        "artworks",
        "FR",
        "la madone",
        {"title": "La Madone aux œillets", "artist": "Raphaël", "type": "painting", "description": "huile"},
    )
    replica(
        "artworks", "BR", "abaporu", {"title": "Abaporu", "artist": "Tarsila do Amaral", "type": "painting"}
    )
    client.force_login(user_factory("agency", "query"))

    def screen(text):
        return client.post(
            "/api/v1/screening/artworks", {"text": text}, content_type="application/json"
        ).json()

    assert [h["owner"] for h in screen("Raphaël, La Madone aux oeillets")["hits"]] == ["FR"]
    found = screen("Tarsila do Amaral Abaporu")["hits"]
    assert [h["owner"] for h in found] == ["BR"] and found[0]["explanation"][0].startswith("title and artist")
    assert screen("abaporo, tarsila do amaral")["hits"][0]["owner"] == "BR"
    assert screen("Amaral portrait")["hits"] == []
    assert screen("Guernica Picasso")["hits"] == []


@pytest.mark.django_db(transaction=True)  # the screening's transaction is its own
def test_only_a_screening_that_found_nothing_commits_without_waiting_for_the_disk(user_factory):
    """On PostgreSQL a screening that found nothing may commit without waiting for the disk (its
    audit entry alone at stake); one with a hit commits as usual: the hit the officer was shown
    and its report to the owner are on disk before the answer leaves."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite never waits for the disk at a commit here (synchronous=NORMAL)")
    officer = user_factory("ncb", "officer")
    replica(
        "documents", "KE", "AB1000234", {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"}
    )
    statements = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def asynchronous(number):
        statements.clear()
        with connection.execute_wrapper(seen):
            services.document(officer, number)
        return any("synchronous_commit" in sql for sql in statements)

    assert asynchronous("ZZ9999999")
    assert not asynchronous("AB1000234")
