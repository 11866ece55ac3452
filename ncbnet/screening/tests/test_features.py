"""The matcher's features: one table, every feature explained and used, and the scores of the
labelled pairs as they were before the weights moved into the table."""

import ast
import csv
import string
from pathlib import Path

import pytest

from ncbnet.bench.matching import PAIRS
from ncbnet.screening import features, names, services
from ncbnet.screening.features import FEATURES, Feature

# Labelled pairs (`screening/data/name_pairs.csv`) and their scores when the weights were inline,
# one or more for each feature the explanation shows.
LABELLED = [
    ("Алексей Смирнов", "Aleksei Smirnov", 1.0),  # spelling variant, same
    ("Віталій Гребенюк", "Vitalii Hrebeniuk", 0.9219),  # one name in another spelling (Wikidata)
    ("محمد حسن", "Mohammed Hassan", 0.97),  # same consonants
    ("أحمد عبد الله", "Ahmed Abdullah", 0.97),  # one name of several words
    ("陈晓明", "Chen Xiaoming", 1.0),  # read as one name
    ("佐藤健太", "Sato Kenta", 1.0),  # read as Japanese
    ("Ελένη Κωνσταντίνου", "Eleni Konstantinou", 0.9147),  # vowels written otherwise
    ("สมชาย ใจดี", "Somchai Chaidi", 0.6862),  # different (and a typo)
    ("محمد حسن", "Mohammed Hussein", 0.6253),  # same consonants, but different names
    ("Chen Jianhua", "Chen Chien-hua", 0.9333),  # read as one name, Wade-Giles and pinyin
    ("Tzipora Shapiro", "Zipora Schapira", 0.68),  # another gender's form, a typo
    ("Ivan Petrenko", "John Petrenko", 0.9333),  # nickname
    ("Wang Wei", "Wei Wang", 1.0),  # names in another order
    ("J. R. Smith", "John Robert Smith", 0.9278),  # initials
]


@pytest.mark.parametrize(("a", "b", "expected"), LABELLED, ids=[f"{a} / {b}" for a, b, _ in LABELLED])
def test_the_labelled_pairs_keep_their_scores(a, b, expected):
    with PAIRS.open(encoding="utf-8", newline="") as fh:
        labelled = {(row["name1"], row["name2"]) for row in csv.DictReader(fh)}
    assert (a, b) in labelled
    assert names.compare(a, b).score == expected
    assert names.compare(b, a).score == expected
    assert names.score(a, b) == expected


def test_every_feature_is_in_the_one_table_once_with_an_explanation():
    declared = [v for v in vars(features).values() if isinstance(v, Feature)]
    assert set(declared) == set(FEATURES)
    assert len({f.name for f in FEATURES}) == len(FEATURES)
    for feature in FEATURES:
        assert feature.explanation.strip(), feature
        fields = {f for _, f, _, _ in string.Formatter().parse(feature.explanation) if f}
        said = feature.say(**dict.fromkeys(fields, 0.5))
        assert said.strip() and "{" not in said, feature
        assert feature.said == (feature.weight, feature.explanation)


def test_every_feature_is_used_by_the_matcher():
    constants = {name for name, v in vars(features).items() if isinstance(v, Feature)}
    used: set[str] = set()
    for module in (names, services):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        used |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert constants <= used, sorted(constants - used)


# What the officer reads of each feature, from names compared or a record's qualifiers.
SHOWN = {
    features.SAME: ("Wang Wei", "Wei Wang", "wang ≈ wang (1.00, same)"),
    features.SPELLING: ("Алексей Смирнов", "Aleksei Smirnov", "(1.00, spelling variant)"),
    features.DIFFERENT: ("สมชาย ใจดี", "Somchai Chaidi", "(0.60, different)"),
    features.INITIAL: ("J. R. Smith", "John Robert Smith", "j ≈ john (0.90, initial)"),
    features.OTHER_INITIAL: ("K. Smith", "John Smith", "john ≠ k (0.00, initial)"),
    features.GENDER_FORM: ("Aleksandr Ivanov", "Aleksandra Ivanova", "(0.60, another gender's form"),
    features.NICKNAME: ("Ivan Petrenko", "John Petrenko", "(0.90, a short form or nickname"),
    features.VOWELS_OTHERWISE: ("Ελένη Κωνσταντίνου", "Eleni Konstantinou", "vowels written otherwise"),
    features.SAME_NAME: ("Chou Ming", "Zhou Ming", "(0.90, one name in another spelling"),
    features.CONSONANTS: ("محمد حسن", "Mohammed Hassan", "(0.97, same consonants (a script"),
    features.CONSONANTS_OTHER_NAME: ("محمد حسن", "Mohammed Hussein", "but different names (Wikidata)"),
    features.MISSING: ("Mohammed Ali Hassan", "Mohammed Hassan", "not on the other side: ali"),
    features.SINGLE: ("Smith", "John Smith", "one side has a single name"),
    features.ORDER: ("Wang Wei", "Wei Wang", "names in another order"),
    features.WRITTEN_TOGETHER: ("de la Cruz", "Delacruz", "the names written together agree (1.00)"),
    features.READ_AS_JAPANESE: ("佐藤健太", "Sato Kenta", "read as Japanese: sato kenta"),
    features.READ_AS_ONE: ("Bak Seojun", "Park Seo-jun", "read as one name: Seo-jun"),
    features.SEVERAL_WORDS: ("Abdelaziz Haddad", "Abd al-Aziz Haddad", "one name of several words: Abd al"),
    features.EMPTY: ("", "John Smith", "a name is empty"),
    features.TYPO: ("Dmitri Volkov", "Dimitri Volkov", "dimitri ≈ dmitri (0.92, one letter left out"),
    features.WADE_GILES: ("Mao Tse-tung", "Mao Zedong", "tsetung ≈ zedong (0.92, Wade-Giles and pinyin"),
    features.KOREAN_ROMANISATION: ("Kim Dae-jung", "Kim Tae-jung", "dae ≈ tae (0.92, a Korean syllable"),
    features.TITLE: ("Colonel Gaddafi", "Muammar Gaddafi", "in place of a given name: colonel"),
    features.DIGITS: (
        "J0hn Smith",
        "John Smith",
        "(0.97, same; digits read as the letters they look like: john",
    ),
    features.STRAY_SPACE: (
        "Christina Andersson",
        "Christina Anders son",
        "split by a stray space: Anders son",
    ),
    features.PATRONYMIC_ORDER: ("Omar bin Khalid", "Khalid bin Omar", "a name on the other side of bin/ibn"),
}
HELD = {"date_of_birth": {"year": 1980, "month": 5, "day": 12}, "sex": "M", "nationalities": ["KE"]}
QUALIFIED = {  # (date of birth, sex, nationality) asked of HELD
    features.DOB_AGREES: ({"year": 1980, "month": 5, "day": 12}, "", ""),
    features.DOB_AGREES_AS_KNOWN: ({"year": 1980}, "", ""),
    features.DOB_SWAPPED: ({"year": 1980, "month": 12, "day": 5}, "", ""),
    features.DOB_YEAR_OFF: ({"year": 1981, "month": 5, "day": 12}, "", ""),
    features.DOB_DIFFERS: ({"year": 1980, "month": 1}, "", ""),
    features.SEX_AGREES: (None, "M", ""),
    features.SEX_DIFFERS: (None, "F", ""),
    features.NATIONALITY_AGREES: (None, "", "ke"),
    features.NATIONALITY_OTHER: (None, "", "FR"),
}
# Features that weigh without a line of their own: the weakest name's share, the cap on a name
# that does not match at all (seen in the scores of the labelled pairs above).
UNSEEN = {features.WEAKEST, features.MISMATCH}


def test_each_feature_is_shown_to_the_officer_or_said_not_to_be():
    assert set(SHOWN) | set(QUALIFIED) | UNSEEN == set(FEATURES)


@pytest.mark.parametrize("feature", list(SHOWN), ids=[f.name for f in SHOWN])
def test_a_name_feature_explains_a_comparison(feature):
    a, b, line = SHOWN[feature]
    explanation = names.compare(a, b).explanation
    assert any(line in said for said in explanation), explanation
    assert any(feature.explanation.split("{")[0] in said for said in explanation), explanation


@pytest.mark.parametrize("feature", list(QUALIFIED), ids=[f.name for f in QUALIFIED])
def test_a_qualifier_weighs_and_explains_with_its_feature(feature):
    dob, sex, nationality = QUALIFIED[feature]
    [(factor, why)] = services.qualifiers(HELD, dob, sex, nationality)
    assert factor == feature.weight
    assert why == feature.say(held="KE")
