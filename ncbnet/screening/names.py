"""Comparing person names across scripts and spellings, with an explanation an officer can read.

Each name is transliterated to Latin letters (`anyascii`; Chinese and Korean syllable by
syllable), reduced to a spelling skeleton that absorbs the usual transliteration variants, and
compared token by token in any order (normalized Levenshtein from `rapidfuzz`). Features, each explained:
tokens matched and how well, initials, names missing on one side, particles written apart or
together, and gender forms of the same name, which are different people.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from anyascii import anyascii
from rapidfuzz.distance import Levenshtein

THRESHOLD = 0.88
TOKEN_MIN = 0.80
MISMATCH_CAP = 0.75
PARTICLES = frozenset(
    {
        "al",
        "el",
        "bin",
        "ben",
        "ibn",
        "bint",
        "abu",
        "van",
        "der",
        "den",
        "de",
        "la",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "von",
        "di",
        "le",
        "du",
        "mac",
        "mc",
    }
)
ABJADS = ("ARABIC", "HEBREW", "DEVANAGARI", "SYRIAC", "THAANA")
SYLLABIC = ("CJK UNIFIED IDEOGRAPH", "HANGUL SYLLABLE")
# Spelling variants of transliteration, applied in order to a lower-case Latin token.
VARIANTS = [
    ("tch", "c"),
    ("sch", "s"),
    ("kh", "h"),
    ("sh", "s"),
    ("ch", "c"),
    ("zh", "j"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("gh", "g"),
    ("ck", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("x", "ks"),
    ("q", "k"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("c", "k"),
    ("z", "s"),
    ("'", ""),
    ("`", ""),
]


@dataclass(frozen=True)
class Token:
    text: str  # as transliterated, lower case
    key: str  # spelling skeleton
    consonants: str  # the skeleton without vowels, for scripts that do not write vowels
    abjad: bool


@dataclass
class Comparison:
    score: float
    match: bool
    explanation: list[str] = field(default_factory=list)


def _consonants(word: str) -> str:
    """The letters a script without written vowels keeps: for Arabic and Hebrew names, compared on
    both sides (Khalid ~ خالد: h-l-d). Vowel letters (w, y), the glottal marks and a final h
    (ta marbuta) go; common digraphs fold."""
    for old, new in (
        ("kh", "h"),
        ("sh", "s"),
        ("th", "t"),
        ("dh", "d"),
        ("gh", "g"),
        ("ph", "f"),
        ("q", "k"),
        ("c", "k"),
        ("x", "ks"),
        ("z", "s"),
        ("j", "g"),
    ):
        word = word.replace(old, new)
    word = re.sub(r"[aeiouwyv'`]", "", word)
    word = re.sub(r"(.)\1+", r"\1", word)
    return word[:-1] if len(word) > 2 and word.endswith("h") else word


def _vowels(key: str) -> int:
    return len(re.findall(r"[aeiou]+", key))


def _skeleton(text: str) -> str:
    for old, new in VARIANTS:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch)
    except ValueError:
        return ""


def tokens(name: str) -> list[Token]:
    """The name's tokens in Latin letters; syllabic scripts split per character."""
    spaced = []
    for ch in unicodedata.normalize("NFC", name):
        spaced.append(f" {ch} " if _script(ch).startswith(SYLLABIC) else ch)
    text = "".join(spaced)
    abjad = any(_script(ch).startswith(ABJADS) for ch in text)
    out = []
    for native in re.split(r"[\s\-_.,/]+", text):
        if abjad and native.startswith("ال") and len(native) > 3:
            native = native[2:]  # the Arabic article, written joined to the name
        word = re.sub(r"[^a-z`']", "", anyascii(native).lower())
        if not word:
            continue
        out.append(Token(word, _skeleton(word), _consonants(word), abjad))
    return out


def _gender_forms(a: str, b: str) -> bool:
    """Aleksandr/Aleksandra, Ivanov/Ivanova, Kowalski/Kowalska: one name, two people."""
    short, long = sorted((a, b), key=len)
    if len(short) < 4:
        return False
    if a == b:
        return False
    if len(a) == len(b) and a[:-1] == b[:-1] and {a[-1], b[-1]} <= set("aeio") and "a" in {a[-1], b[-1]}:
        return True  # Maria/Mario, Giulia/Giulio, Francesca/Francesco
    return (
        (long == short + "a")
        or (short.endswith("ski") and long == short[:-1] + "a")
        or (short.endswith("i") and long == short[:-1] + "a" and len(short) > 5)
    )


def _similarity(a: Token, b: Token) -> tuple[float, str]:
    if len(a.text) == 1 or len(b.text) == 1:
        initial, word = (a, b) if len(a.text) == 1 else (b, a)
        return (0.9, "initial") if word.text.startswith(initial.text) else (0.0, "initial")
    if _gender_forms(a.key, b.key):
        return 0.6, "another gender's form of the name"
    score = Levenshtein.normalized_similarity(a.key, b.key)
    how = "same" if a.text == b.text else ("spelling variant" if score >= TOKEN_MIN else "different")
    if (
        not a.abjad
        and not b.abjad
        and score < 0.9
        and min(len(a.key), len(b.key)) >= 6
        and a.consonants == b.consonants
        and _vowels(a.key) == _vowels(b.key)
    ):  # Muhammad/Mohammed: the same letters around vowels written otherwise
        score, how = 0.9, "same consonants, vowels written otherwise"
    if a.abjad != b.abjad:  # one side written without vowels: compare consonants
        consonant = Levenshtein.normalized_similarity(a.consonants, b.consonants) * 0.97
        if consonant > score:
            score, how = consonant, "same consonants (a script without written vowels)"
    return score, how


def compare(name1: str, name2: str, threshold: float = THRESHOLD) -> Comparison:
    """Score two names (0 to 1), decide at `threshold`, and explain. The same either way round."""
    one, two = _compare(name1, name2, threshold), _compare(name2, name1, threshold)
    return one if one.score >= two.score else two


def _compare(name1: str, name2: str, threshold: float) -> Comparison:
    t1 = [t for t in tokens(name1) if t.text not in PARTICLES] or tokens(name1)
    t2 = [t for t in tokens(name2) if t.text not in PARTICLES] or tokens(name2)
    if not t1 or not t2:
        return Comparison(0.0, False, ["a name is empty"])
    short, long = (t1, t2) if len(t1) <= len(t2) else (t2, t1)
    pairs = sorted(
        ((_similarity(a, b), i, j) for i, a in enumerate(short) for j, b in enumerate(long)),
        key=lambda p: -p[0][0],
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    matched: dict[int, tuple[float, str, int]] = {}
    for (score, how), i, j in pairs:
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        matched[i] = (score, how, j)
    explanation = []
    total = weight = 0.0
    for i, a in enumerate(short):
        score, how, j = matched[i]
        w = max(len(a.text), 2)
        total += score * w
        weight += w
        mark = "≈" if score >= TOKEN_MIN else "≠"
        explanation.append(f"{a.text} {mark} {long[j].text} ({score:.2f}, {how})")
    # The weakest name counts as much as the average: one different name makes a different person.
    token_score = 0.5 * (total / weight) + 0.5 * min(matched[i][0] for i in range(len(short)))
    extra = [b.text for j, b in enumerate(long) if j not in used_j]
    if extra:
        token_score *= 1 - 0.03 * len(extra)
        explanation.append("not on the other side: " + ", ".join(extra))
    if len(short) == 1 and len(long) > 1:
        token_score *= 0.85
        explanation.append("one side has a single name")
    order = [matched[i][2] for i in range(len(short))]
    if order != sorted(order):
        explanation.append("names in another order")
    all1, all2 = tokens(name1), tokens(name2)
    joined = Levenshtein.normalized_similarity("".join(t.key for t in all1), "".join(t.key for t in all2))
    if all1[0].abjad != all2[0].abjad:
        joined = max(
            joined,
            0.97
            * Levenshtein.normalized_similarity(
                "".join(t.consonants for t in all1), "".join(t.consonants for t in all2)
            ),
        )
    score = token_score
    spacing_differs = len(all1) != len(all2)
    if (
        spacing_differs
        and joined * 0.98 > score
        and not any(_gender_forms(a.key, b.key) for a in t1 for b in t2)
    ):
        score = joined * 0.98
        explanation.append(f"the names written together agree ({joined:.2f}): particles or spacing differ")
    if any(matched[i][0] < TOKEN_MIN for i in range(len(short))) and not (spacing_differs and joined >= 0.95):
        score = min(score, MISMATCH_CAP)  # a name that does not match at all is not outweighed
    score = round(max(0.0, min(1.0, score)), 4)
    return Comparison(score, score >= threshold, explanation)
