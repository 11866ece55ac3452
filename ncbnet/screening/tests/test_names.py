"""Person names across scripts and spellings: each kind of variation, the near misses that are
different people, and the explanation shown to the officer."""

import csv
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ncbnet.bench.matching import PAIRS
from ncbnet.screening import names as name_rules
from ncbnet.screening.names import compare, score

SAME = [
    ("cross-script Cyrillic", "Алексей Смирнов", "Aleksei Smirnov"),
    ("cross-script Greek", "Γιώργος Παπαδόπουλος", "Georgios Papadopoulos"),
    ("cross-script Chinese", "王伟", "Wang Wei"),
    ("cross-script Arabic", "محمد العلي", "Mohammed Al-Ali"),
    ("transliteration", "Aleksei Smirnov", "Alexey Smirnov"),
    ("transliteration", "Muhammad Hasan", "Mohammed Hassan"),
    ("reordered", "Wang Wei", "Wei Wang"),
    ("reordered", "SMITH John", "John Smith"),
    ("initials", "J. R. Smith", "John Robert Smith"),
    ("missing middle name", "Mohammed Ali Hassan", "Mohammed Hassan"),
    ("particles apart", "Abdullah bin Saleh", "Abdullah Saleh"),
    ("particles together", "de la Cruz", "Delacruz"),
    ("typo", "Katarzyna Kowalska", "Katarzina Kowalska"),
    ("hyphen and spacing", "Jean-Pierre Dubois", "Jean Pierre Dubois"),
    ("one name in another romanization", "Chou Ming", "Zhou Ming"),
    ("one name in another romanization", "Khaled Mahmoud", "Khalid Mahmoud"),
    ("one name in another language's spelling", "Andrei Khrushchev", "Andrej Chruschtschow"),
    ("known name in Hebrew script", "מיכל אברהם", "Michal Avraham"),
    ("Korean family name in Korean script", "이민호", "Lee Min-ho"),
    ("given name's syllables written together", "Bak Seojun", "Park Seo-jun"),
    ("name of several words", "Abdelaziz Haddad", "Abd al-Aziz Haddad"),
    ("name of several words in Arabic script", "عبد الرحمن صالح", "Abdulrahman Saleh"),
    ("a letter left out", "Vladimir Sokolov", "Vladimr Sokolov"),
    ("a letter added", "Heinrich Bauer", "Heinrich Bauers"),
    ("two letters swapped", "Andreas Schneider", "Andreas Schnieder"),
    ("digits typed for letters", "Ser9ei 0rlov", "Sergei Orlov"),
    ("1 typed for l", "Pau1 Dupont", "Paul Dupont"),
    ("a stray space", "Svetlana Ivanova", "Svet lana Ivanova"),
    ("Wade-Giles and pinyin", "Teng Hsiao-ping", "Deng Xiaoping"),
    ("Wade-Giles and pinyin", "Lin Piao", "Lin Biao"),
    ("Korean given name, McCune-Reischauer and Revised", "Kim Jong-il", "Kim Chong-il"),
    ("Korean given name, McCune-Reischauer and Revised", "Jang Song-thaek", "Jang Seong-taek"),
    ("a short form beyond English (Wikidata)", "Sasha Petrov", "Aleksandr Petrov"),
    ("a title in place of a given name", "President Assad", "Bashar al-Assad"),
    ("a Western name in Chinese script", "安格拉·默克尔", "Angela Merkel"),
    ("a Western name in Arabic script", "دونالد ترامب", "Donald Trump"),
]
DIFFERENT = [
    ("other given name", "Maria Garcia", "Mario Garcia"),
    ("other gender", "Aleksandr Ivanov", "Aleksandra Ivanova"),
    ("other family name", "Ivan Petrov", "Ivan Popov"),
    ("other family name", "Mohammed Hassan", "Mohammed Hussein"),
    ("family name only", "Smith", "John Smith"),
    ("other person", "Olga Ivanova", "Anna Petrova"),
    ("same consonants, other name", "حسين علي", "Hassan Ali"),
    ("other syllable of a given name", "Jeong Su-bin", "Jeong Su-min"),
    ("other syllable of a given name", "Lee Seo-yeon", "Lee Seo-yun"),
    ("patronymic order: the son and the father", "Omar bin Khalid", "Khalid bin Omar"),
    ("patronymic order, with a family name", "Khalid bin Omar Al-Shehri", "Omar bin Khalid Al-Shehri"),
    ("one kanji apart, read alike in Japanese", "木村拓也", "木村拓哉"),
    ("one kanji apart, the other read like a particle", "山本一郎", "山田一郎"),
    ("one letter typed for another is another name", "Khalid Hassan", "Khalil Hassan"),
    ("a final vowel added is another gender", "Simon Durand", "Simone Durand"),
    ("a title with a given name of its own", "Dr John Smith", "Jane Smith"),
    ("a digit alone is no name", "John Smith 2", "John Smythe"),
    ("Abu begins a name, it is no title", "Abu Hamza", "Mohammed Hamza"),
    ("Abdul begins a name, it is no title", "Abdul Rahman", "Ali Rahman"),
]


@pytest.mark.parametrize(("kind", "a", "b"), SAME, ids=[f"{k}: {a}" for k, a, _ in SAME])
def test_the_same_person_matches(kind, a, b):
    result = compare(a, b)
    assert result.match, (kind, result)
    assert result.explanation


@pytest.mark.parametrize(("kind", "a", "b"), DIFFERENT, ids=[f"{k}: {a}" for k, a, _ in DIFFERENT])
def test_different_people_do_not_match(kind, a, b):
    assert not compare(a, b).match, (kind, compare(a, b))


ARABIC_GIVEN = ["Omar", "Khalid", "Ahmed", "Salem", "Hamad", "Yusuf", "Rashid", "Faisal", "Turki", "Nasser"]


@settings(deadline=None)  # the first example may load the name data (seconds)
@given(st.sampled_from(ARABIC_GIVEN), st.sampled_from(ARABIC_GIVEN), st.sampled_from(["bin", "ibn", "ben"]))
def test_names_that_cross_a_patronym_are_a_son_and_a_father_never_one_person(a, b, patronym):
    if a != b:
        assert not compare(f"{a} {patronym} {b}", f"{b} {patronym} {a}").match
    assert compare(f"{a} {patronym} {b}", f"{a} bin {b}").match


word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=5, max_size=10)


@settings(deadline=None)
@given(word, word)
def test_digits_typed_for_the_letters_they_look_like_still_match(given_name, family):
    assume(any(ch not in "olg" for ch in given_name))  # a word of digits alone is no name
    typed = given_name.replace("o", "0").replace("g", "9").replace("l", "1", 1)
    assert compare(f"{typed} {family}", f"{given_name} {family}").match


def test_the_explanation_says_what_matched_and_what_did_not():
    result = compare("Aleksandr Ivanov", "Aleksandra Ivanova")
    assert any("another gender's form" in line for line in result.explanation)
    result = compare("Wang Wei", "Wei Wang")
    assert "names in another order" in result.explanation
    result = compare("Mohammed Ali Hassan", "Mohammed Hassan")
    assert "not on the other side: ali" in result.explanation


def test_the_explanation_names_the_wikidata_name_items_and_the_words_read_as_one():
    result = compare("Chou Ming", "Zhou Ming")
    said = "one name in another spelling, language or script (Wikidata Q"
    assert any(said in line for line in result.explanation)
    result = compare("Abdelaziz Haddad", "Abd al-Aziz Haddad")
    assert "one name of several words: Abd al Aziz" in result.explanation
    result = compare("Bak Seojun", "Park Seo-jun")
    assert "read as one name: Seo-jun" in result.explanation
    result = compare("حسين علي", "Hassan Ali")
    assert any("same consonants, but different names (Wikidata)" in x for x in result.explanation)


names = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéàü", min_size=2, max_size=10), min_size=1, max_size=4
)


@given(names, names)
def test_scores_are_symmetric_bounded_and_a_name_matches_itself(a, b):
    x, y = " ".join(a), " ".join(b)
    assert 0.0 <= compare(x, y).score <= 1.0
    assert compare(x, y).score == pytest.approx(compare(y, x).score, abs=1e-9)
    assert compare(x, x).match


def _labelled_pairs() -> list[tuple[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as fh:
        return [(row["name1"], row["name2"]) for row in csv.DictReader(fh)]


@settings(deadline=None)  # the first example may load the name data (seconds)
@given(
    st.one_of(
        st.sampled_from(_labelled_pairs()), st.tuples(names, names).map(lambda p: tuple(map(" ".join, p)))
    )
)
def test_a_score_without_its_explanation_is_the_compared_score(pair):
    """Searches weigh namesakes with `score` and explain only the hits with `compare`: the two
    must agree, on hard pairs in every script as on any words."""
    a, b = pair
    assert score(a, b) == compare(a, b).score


def test_screening_compare_adds_score_and_match_and_keeps_other_columns(tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "id,name1,name2\n7,Алексей Смирнов,Aleksei Smirnov\n8,Maria Garcia,Mario Garcia\n", encoding="utf-8"
    )
    out = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "screening", "compare", "--csv", str(pairs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "id,name1,name2,score,match"
    assert out[1].startswith("7,Алексей Смирнов,Aleksei Smirnov,") and out[1].endswith(",true")
    assert out[2].endswith(",false")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    refused = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "screening", "compare", "--csv", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "name1 and name2" in refused.stderr


def test_a_hostile_name_cannot_multiply_its_readings():
    """A peer's name is untrusted: the readings it makes are bounded whatever it holds."""
    # 1 reads as i or l: forty of them would make 2^40 readings
    assert len(name_rules._digit_readings("a" + "1" * 40)) == name_rules.MAX_DIGIT_READINGS
    assert name_rules._spaced(" ".join(["Anders", "son"] * 4)) == ()  # eight words: no stray-space cuts
    assert name_rules._spaced("Anders son") != ()
    tse_tung = name_rules._joined([(w, t) for w in ("Tse", "Tung") * 10 for t in name_rules._tokens(w)])
    assert 0 < len(tse_tung.pinyin) <= name_rules.MAX_PINYIN_READINGS
    assert name_rules.compare(" ".join(["P4u1"] * 30), " ".join(["Paul"] * 30)).score >= 0
