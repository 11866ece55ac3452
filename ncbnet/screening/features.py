"""What the person matcher weighs, declared in one table: each feature's name, its weight and the
short text that explains it to the officer who reviews a hit.

`names` compares two names and `services.qualifiers` weighs what the date of birth, sex and
nationality say; both read their weights and explanations from here. A weight acts in one of the
ways its group below says. An explanation with {fields} is completed with what was found (the
names, the score); the others are shown as they are.

A feature whose weight is 1.0 changes no score: it says why a name matched (the same word, names
in another order, another reading of a name), and is applied all the same, so that a weight
changed here changes the scores.

The thresholds that decide a match (`names.THRESHOLD`) and a word's match (`names.TOKEN_MIN`) are
not features: they stay with the code that decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    weight: float
    explanation: str
    # (weight, explanation): how the qualifiers list what they say, made once.
    said: tuple[float, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "said", (self.weight, self.explanation))

    def say(self, **found: Any) -> str:
        """The explanation, completed with what was found."""
        return self.explanation.format(**found)


# --- two words, one from each name: the pair's score (given, or a factor on a similarity) --------

# Factors on the similarity of the two spelling skeletons (normalized OSA distance).
SAME = Feature("same", 1.0, "same")
SPELLING = Feature("spelling_variant", 1.0, "spelling variant")
DIFFERENT = Feature("different", 1.0, "different")
# Scores given to the pair.
INITIAL = Feature("initial", 0.9, "initial")
OTHER_INITIAL = Feature("other_initial", 0.0, "initial")
GENDER_FORM = Feature("gender_form", 0.6, "another gender's form of the name")
NICKNAME = Feature("nickname", 0.9, "a short form or nickname of the name")
VOWELS_OTHERWISE = Feature("vowels_otherwise", 0.9, "same consonants, vowels written otherwise")
SAME_NAME = Feature("same_name", 0.9, "one name in another spelling, language or script (Wikidata {items})")
# Factors on the similarity of the consonants, one side written in a script without vowels (also
# for the names written together).
CONSONANTS = Feature("consonants", 0.97, "same consonants (a script without written vowels)")
# A factor on the spelling's similarity, the consonants' similarity set aside.
CONSONANTS_OTHER_NAME = Feature(
    "consonants_other_name", 1.0, "same consonants, but different names (Wikidata)"
)
# Scores given to the pair: a word of five letters or more with one letter left out, added, or two
# neighbours swapped (Kowalsky, Dmitri/Dimitri, Micheal); a letter typed for another is not one
# (Khalid/Khalil, Fedorov/Fedotov are other names).
TYPO = Feature("typo", 0.92, "one letter left out, added, or two swapped (a typo)")
# A Chinese name's syllables in Wade-Giles on one side and pinyin on the other (Mao Tse-tung, Mao
# Zedong), the Wade-Giles readings from `pypinyin`'s own table.
WADE_GILES = Feature("wade_giles", 0.92, "Wade-Giles and pinyin spellings of one Chinese name ({reading})")
# A syllable of a Korean given name in McCune-Reischauer on one side and the Revised Romanization on
# the other (Chong-il and Jong-il, Tae-jung and Dae-jung, Sol-ju and Seol-ju): voiced and unvoiced
# initials, and eo/o, eu/u, read alike.
KOREAN_ROMANISATION = Feature(
    "korean_romanisation", 0.92, "a Korean syllable in another romanisation (McCune-Reischauer, Revised)"
)
# A title or office (rigour's person-name prefixes and titles) where the other side has a given name:
# Colonel Gaddafi and Muammar Gaddafi.
TITLE = Feature("title", 0.9, "a title or office in place of a given name: {title}")
# A factor on the pair's score read with digits as the letters they look like (J0hn, Ser9ei, Pau1).
DIGITS = Feature("digits_as_letters", 0.97, "digits read as the letters they look like: {reading}")

# --- the two names ------------------------------------------------------------------------------

# The weakest pair's share of the name's score (the rest: the pairs' average, weighed by length).
WEAKEST = Feature(
    "weakest_name", 0.5, "the weakest name counts as much as the average: one different name, another person"
)
# Taken off the name's score for each name not on the other side.
MISSING = Feature("missing_name", 0.03, "not on the other side: {names}")
# Factors on the name's score.
SINGLE = Feature("single_name", 0.85, "one side has a single name")
ORDER = Feature("order", 1.0, "names in another order")
WRITTEN_TOGETHER = Feature(
    "written_together", 0.98, "the names written together agree ({score:.2f}): particles or spacing differ"
)
# Factors on the score of a name read another way.
READ_AS_JAPANESE = Feature("read_as_japanese", 1.0, "read as Japanese: {readings}")
READ_AS_ONE = Feature("read_as_one", 1.0, "read as one name: {names}")
# Two words written apart that the other side writes as one (Anders son, Andersson): a stray space.
STRAY_SPACE = Feature("stray_space", 0.97, "a word split by a stray space: {words}")
SEVERAL_WORDS = Feature("several_words", 1.0, "one name of several words: {words}")
# A factor on the score of two names with a patronymic (bin, ibn, ben, bint) whose names cross it:
# Omar bin Khalid is Omar, Khalid's son; Khalid bin Omar is his father or another man.
PATRONYMIC_ORDER = Feature(
    "patronymic_order", 0.6, "a name on the other side of bin/ibn: a father's name, another person"
)
# The highest score of two names one of which has a name that does not match at all.
MISMATCH = Feature("name_mismatch", 0.75, "a name does not match at all, whatever the others")
# The score of a name with no name in it.
EMPTY = Feature("empty", 0.0, "a name is empty")

# --- qualifiers: factors on the name's score ----------------------------------------------------

DOB_AGREES = Feature("dob_agrees", 1.0, "date of birth agrees")
DOB_AGREES_AS_KNOWN = Feature("dob_agrees_as_known", 1.0, "date of birth agrees as far as both are known")
DOB_SWAPPED = Feature("dob_swapped", 0.96, "date of birth with day and month swapped")
DOB_YEAR_OFF = Feature("dob_year_off", 0.95, "year of birth one off")
DOB_DIFFERS = Feature("dob_differs", 0.7, "date of birth differs")
SEX_AGREES = Feature("sex_agrees", 1.0, "sex agrees")
SEX_DIFFERS = Feature("sex_differs", 0.85, "sex differs")
NATIONALITY_AGREES = Feature("nationality_agrees", 1.0, "nationality agrees")
NATIONALITY_OTHER = Feature("nationality_other", 0.97, "nationality not among the record's ({held})")

FEATURES: tuple[Feature, ...] = (
    SAME,
    SPELLING,
    DIFFERENT,
    INITIAL,
    OTHER_INITIAL,
    GENDER_FORM,
    NICKNAME,
    VOWELS_OTHERWISE,
    SAME_NAME,
    CONSONANTS,
    CONSONANTS_OTHER_NAME,
    TYPO,
    WADE_GILES,
    KOREAN_ROMANISATION,
    TITLE,
    DIGITS,
    WEAKEST,
    MISSING,
    SINGLE,
    ORDER,
    WRITTEN_TOGETHER,
    READ_AS_JAPANESE,
    READ_AS_ONE,
    STRAY_SPACE,
    SEVERAL_WORDS,
    PATRONYMIC_ORDER,
    MISMATCH,
    EMPTY,
    DOB_AGREES,
    DOB_AGREES_AS_KNOWN,
    DOB_SWAPPED,
    DOB_YEAR_OFF,
    DOB_DIFFERS,
    SEX_AGREES,
    SEX_DIFFERS,
    NATIONALITY_AGREES,
    NATIONALITY_OTHER,
)
