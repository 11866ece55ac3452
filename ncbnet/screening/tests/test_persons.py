"""Persons screened through the candidate index: every kind of name variation finds the record,
dates of birth, sex and nationality weigh and say so, and restricted records never appear in
another country's results."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction
from hypothesis import example, given
from hypothesis import strategies as st

from ncbnet.base.actor import Actor
from ncbnet.hits.schemas import POSSIBLE_MATCH
from ncbnet.records import services as records
from ncbnet.records.models import ReplicaRecord
from ncbnet.screening import index, services
from ncbnet.screening.models import Card, NameKey
from ncbnet.screening.tests.test_documents import replica


def person(owner, *names, dob=None, sex="U", nationalities=(), pk=None):
    data = {
        "names": [
            {"value": n, "script": "Latn", "kind": "primary" if i == 0 else "alias"}
            for i, n in enumerate(names)
        ],
        "date_of_birth": dob,
        "sex": sex,
        "nationalities": list(nationalities),
    }
    return replica("persons", owner, names[0].casefold(), data, label=names[0], pk=pk)


VARIATIONS = [
    ("Arabic script", "محمد حسن العلي", "Mohammed Hassan Al-Ali"),
    ("Cyrillic script", "Алексей Смирнов", "Aleksei Smirnov"),
    ("Chinese script", "王伟", "Wang Wei"),
    ("Greek script", "Γιώργος Παπαδόπουλος", "Georgios Papadopoulos"),
    ("Devanagari script", "राहुल शर्मा", "Rahul Sharma"),
    ("Hebrew script", "אברהם לוי", "Avraham Levi"),
    ("Japanese script", "佐藤健太", "Sato Kenta"),
    ("Japanese long vowel", "Itoh Kenta", "Ito Kenta"),
    ("extra name", "Ahmed Hassan Ali", "Ahmed Ali"),
    ("Latin spelling", "Alexey Smirnov", "Aleksei Smirnov"),
    ("family name first", "SMIRNOV Aleksei", "Aleksei Smirnov"),
    ("missing middle name", "Mohammed Hassan", "Mohammed Ali Hassan"),
    ("initial", "J. Smith-Jones", "John Smith-Jones"),
    ("nickname", "Bob Kowalczyk", "Robert Kowalczyk"),
    ("particle", "Abdullah Saleh", "Abdullah bin Saleh"),
    ("particle written together", "Maria Delacruz", "Maria de la Cruz"),
    ("typo", "Katarzina Kowalska", "Katarzyna Kowalska"),
    ("hyphen and spacing", "Jean Pierre Dubois", "Jean-Pierre Dubois"),
    ("another romanization", "Zhou Ming", "Chou Ming"),
    ("Korean family name in Korean script", "이민호", "Lee Min-ho"),
    ("Hebrew script", "מיכל אברהם", "Michal Avraham"),
    ("syllables written together", "Bak Seojun", "Park Seo-jun"),
    ("name of several words", "Abdelaziz Haddad", "Abd al-Aziz Haddad"),
    ("name of several words in Arabic script", "عبد الرحمن صالح", "Abdulrahman Saleh"),
    ("a letter left out", "Vladimr Sokolov", "Vladimir Sokolov"),
    ("digits typed for letters", "Ser9ei 0rlov", "Sergei Orlov"),
    ("a stray space", "Svet lana Ivanova", "Svetlana Ivanova"),
    ("Wade-Giles and pinyin", "Teng Hsiao-ping", "Deng Xiaoping"),
    ("Korean given name in McCune-Reischauer", "Kim Chong-il", "Kim Jong-il"),
    ("a title for the given name", "Colonel Gaddafi", "Muammar Gaddafi"),
    ("a Western name in Chinese script", "安格拉·默克尔", "Angela Merkel"),
    ("a Western name in Arabic script", "دونالد ترامب", "Donald Trump"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "query", "held"), VARIATIONS, ids=[v[0] for v in VARIATIONS])
def test_each_kind_of_name_variation_finds_the_record(user_factory, kind, query, held):
    officer = user_factory("agency", "query")
    wanted = person("KE", held)
    person("BR", "Olga Petrova")
    person("BR", "Pedro Alvarez")
    result = services.person(officer, query)
    assert [h.record for h in result.hits] == [str(wanted.pk)], (kind, result.hits)
    hit = result.hits[0]
    assert 0 < hit.score <= 1 and hit.explanation[0].startswith("name: ")
    assert hit.status == POSSIBLE_MATCH


@pytest.mark.django_db
def test_a_different_person_with_a_similar_name_is_not_a_hit(user_factory):
    officer = user_factory("agency", "query")
    person("KE", "Aleksandra Ivanova")
    person("KE", "Mario Garcia")
    assert services.person(officer, "Aleksandr Ivanov").hits == []
    assert services.person(officer, "Maria Garcia").hits == []
    person("KE", "Khalid bin Omar Al-Shehri")
    person("KE", "木村拓哉")
    assert services.person(officer, "Omar bin Khalid Al-Shehri").hits == []  # his father, or his son
    assert services.person(officer, "木村拓也").hits == []  # one kanji apart, read alike


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("dob", "sex", "nationality", "says", "kept"),
    [
        ("1980-05-12", "", "", "date of birth agrees", True),
        ("1980", "", "", "date of birth agrees as far as both are known", True),
        ("1980-12-05", "", "", "day and month swapped", True),
        ("1981-05-12", "", "", "year of birth one off", True),
        ("1980-01", "", "", "date of birth differs", False),
        ("", "F", "", "sex differs", False),
        ("", "M", "KE", "nationality agrees", True),
        ("", "", "FR", "nationality not among the record's (KE)", True),
    ],
)
def test_date_of_birth_sex_and_nationality_qualify_and_explain(
    user_factory, dob, sex, nationality, says, kept
):
    officer = user_factory("ncb", "officer")
    person("KE", "Daniel Otieno", dob={"year": 1980, "month": 5, "day": 12}, sex="M", nationalities=["KE"])
    found = services.person(officer, "Daniel Otieno", dob, sex, nationality, threshold=0.0).hits[0]
    # Born years apart, or on another day: not even a candidate (the date of birth rules it out).
    assert services.person(officer, "Daniel Otieno", "1975-01-01", threshold=0.0).hits == []
    assert services.person(officer, "Daniel Otieno", "1980-01-01", threshold=0.0).hits == []
    assert any(says in line for line in found.explanation), found.explanation
    assert (found.score >= services.names.THRESHOLD) == kept


@pytest.mark.django_db
def test_the_index_follows_the_replica_and_a_rebuild_gives_the_same_keys():
    record = person("KE", "Daniel Otieno")
    keys = set(NameKey.objects.filter(card__record_id=record.pk).values_list("key", flat=True))
    assert keys == index.keys("Daniel Otieno", ["?"]) and {"ctn", "y?otieno"} <= keys
    record.data = {**record.data, "names": [{"value": "Daniel Kamau", "script": "Latn", "kind": "primary"}]}
    record.save()
    assert index.candidates("Otieno") == []
    assert index.rebuild() == len(index.keys("Daniel Kamau", ["?"]))
    [found] = index.candidates("Kamau Daniel")
    assert found.record_id == record.pk and found.card == index.card(record.data)
    assert index.card(record.data)["names"] == ["Daniel Kamau"]
    ReplicaRecord.objects.filter(pk=record.pk).delete()
    assert NameKey.objects.count() == 0 and Card.objects.count() == 0


@pytest.mark.django_db
def test_a_rebuilt_index_keeps_its_constraints_and_a_batch_of_names_finds_each_its_own():
    """On PostgreSQL a rebuild drops the index's constraints while it loads and makes them again:
    after two rebuilds a key is still kept once per card and a record has one card. A batch of
    names (a manifest's chunk, one statement) gives each name its own candidates, in order."""
    otieno = person("KE", "Daniel Otieno", dob={"year": 1980, "month": 5, "day": 12})
    kamau = person("KE", "Grace Wanjiru Kamau")
    written = index.rebuild()
    assert index.rebuild() == written == NameKey.objects.count()
    found = index.candidates_many(
        [("Kamau Grace", None), ("Xylophone Quartz", None), ("Daniel Otieno", {"year": 1980}), ("", None)]
    )
    assert [[c.record_id for c in cs] for cs in found] == [[kamau.pk], [], [otieno.pk], []]
    assert found[0] == index.candidates("Kamau Grace")
    card = Card.objects.get(record_id=otieno.pk)
    key = NameKey.objects.filter(card=card).values_list("key", flat=True).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        NameKey.objects.create(key=key, card=card)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.create(record_id=otieno.pk, data={})


@pytest.mark.django_db
def test_at_the_hub_the_gs_screens_every_live_person_and_the_index_follows_the_records(hub, user_factory):
    actor = Actor("ke-officer", "KE")
    record = records.contribute(
        actor, "persons", {"names": [{"value": "Samuel Mwangi"}]}, {"access": "deny", "countries": ["BR"]}
    )
    gs = user_factory("gs", "analyst")
    assert [h.label for h in services.person(gs, "Mwangi Samuel").hits] == ["Samuel Mwangi"]
    records.change(actor, str(record.pk), {"names": [{"value": "Samuel Kariuki"}]}, reason="corrected")
    assert services.person(gs, "Samuel Mwangi").hits == []
    assert [h.label for h in services.person(gs, "Samuel Kariuki").hits] == ["Samuel Kariuki"]


@pytest.mark.django_db
def test_among_many_people_of_one_name_the_year_of_birth_brings_the_right_one(user_factory):
    for _ in range(index.CANDIDATES + 20):
        person("BR", "Jose Silva", dob={"year": 1970})
    last = uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")  # the last of equals to be taken
    wanted = person("KE", "Jose Silva", dob={"year": 1985, "month": 3, "day": 9}, pk=last)
    found = services.person(user_factory("ncb", "officer"), "SILVA Jose", "1985-03-09").hits
    assert [h.record for h in found] == [str(wanted.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("dob", ["", "1975-02-03"])
def test_among_many_of_one_given_name_the_family_name_in_another_spelling_brings_the_right_one(
    user_factory, dob
):
    for _ in range(index.CANDIDATES + 20):
        person("BR", "Andrej Petrov", dob={"year": 1975})
    last = uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")  # the last of equals to be taken
    wanted = person("KE", "Andrej Chruschtschow", dob={"year": 1975, "month": 2, "day": 3}, pk=last)
    found = services.person(user_factory("ncb", "officer"), "Andrei Khrushchev", dob).hits
    assert [h.record for h in found] == [str(wanted.pk)]
    assert any("Wikidata" in line for line in found[0].explanation)


def _as_written(date: dt.date, parts: int) -> dict[str, int]:
    return dict(list({"year": date.year, "month": date.month, "day": date.day}.items())[:parts])


dates = st.builds(_as_written, st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31)), st.integers(1, 3))


@given(held=st.one_of(st.none(), dates), query=dates)
@example(held={"year": 1980, "month": 5, "day": 12}, query={"year": 1980, "month": 12, "day": 5})
@example(held={"year": 1980, "month": 5, "day": 12}, query={"year": 1981, "month": 5, "day": 12})
@example(held={"year": 1980, "month": 5}, query={"year": 1979, "month": 5, "day": 12})
def test_the_index_never_leaves_out_a_record_whose_date_of_birth_can_agree(held, query):
    """A query with a date of birth reads only keys stamped with the dates that can agree with it;
    every record the date of birth qualifier would keep is among them."""
    kept = (
        services.qualified(1.0, services.qualifiers({"date_of_birth": held}, query, "", ""))
        >= services.names.THRESHOLD
    )
    shared = set(index.record_stamps(held)) & set(index.query_stamps(query))
    assert shared or not kept


@given(held=st.one_of(st.none(), dates), query=st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31)))
@example(held={"year": 1980, "month": 12}, query=dt.date(1980, 5, 12))
@example(held={"year": 1979, "month": 5}, query=dt.date(1980, 5, 12))
@example(held={"year": 1982}, query=dt.date(1980, 5, 12))
def test_a_full_date_of_birth_reads_only_the_records_whose_date_can_agree(held, query):
    """With a full date, the keys read are exactly those of the records the date of birth
    qualifier keeps: namesakes born in another month are not read, then thrown away."""
    query = _as_written(query, 3)
    kept = (
        services.qualified(1.0, services.qualifiers({"date_of_birth": held}, query, "", ""))
        >= services.names.THRESHOLD
    )
    shared = set(index.record_stamps(held)) & set(index.query_stamps(query))
    assert bool(shared) == kept
