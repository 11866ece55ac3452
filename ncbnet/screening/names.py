"""Comparing person names across scripts and spellings, with an explanation an officer can read.

Each name is transliterated to Latin letters (`anyascii`; Chinese and Korean syllable by
syllable), reduced to a spelling skeleton that absorbs the usual transliteration variants, and
compared token by token in any order (the optimal string alignment distance from `rapidfuzz`,
normalized: two letters swapped count as one edit). Features, each explained: tokens matched and
how well, initials, short forms and nicknames (the `nicknames` dataset), one name in another
spelling, language or script (the Wikidata person-name items of OpenSanctions' `rigour`: Zhang
and Chang, Khalid and Khaled, מיכל and Michal, 이 and Lee; also against consonants alike that
Wikidata knows as different names, حسن and Hussein), a name of several words known as one (Abd
al-Qadir, عبد الله), syllables of a given name written apart or together (Seo-yeon, Seoyeon),
names missing on one side, particles written apart or together, and gender forms of the same
name, which are different people.

Through typos and variants: one letter left out, added or two swapped in a word of five letters or
more (not one letter typed for another: Khalid and Khalil are two names), digits read as the
letters they look like (J0hn, Pau1), a word split by a stray space (Anders son), Wade-Giles read as
pinyin (Mao Tse-tung, Mao Zedong: `pypinyin`'s own table), a syllable of a Korean given name in
McCune-Reischauer or the Revised Romanization (Chong-il, Jong-il), a title or office standing for
the given name (Colonel Gaddafi: `rigour`'s person-name prefixes and title symbols), and a foreign
name in Chinese script read word by word (乔治·布什). Against false matches: names that cross a
patronym are a son and a father (Omar bin Khalid, Khalid bin Omar), and two names in Chinese
characters are compared by their characters, not by a Japanese reading they share (拓也, 拓哉).

A comparison below the threshold but at `POSSIBLE` or above is a possible match: shown to the
officer with its explanation, never reported as a hit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

import pykakasi
from anyascii import anyascii
from nicknames import NickNamer
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict
from pypinyin.style.wadegiles import to_wade_glides
from rapidfuzz.distance import OSA, Levenshtein
from rigour.names import NameTypeTag, SymbolCategory, analyze_names, remove_person_prefixes

from .features import (
    CONSONANTS,
    CONSONANTS_OTHER_NAME,
    DIFFERENT,
    DIGITS,
    EMPTY,
    GENDER_FORM,
    INITIAL,
    KOREAN_ROMANISATION,
    MISMATCH,
    MISSING,
    NICKNAME,
    ORDER,
    OTHER_INITIAL,
    PATRONYMIC_ORDER,
    READ_AS_JAPANESE,
    READ_AS_ONE,
    SAME,
    SAME_NAME,
    SEVERAL_WORDS,
    SINGLE,
    SPELLING,
    STRAY_SPACE,
    TITLE,
    TYPO,
    VOWELS_OTHERWISE,
    WADE_GILES,
    WEAKEST,
    WRITTEN_TOGETHER,
)

# The weights and explanations are the features' (`features`); these thresholds decide.
THRESHOLD = 0.88  # two names are a match: a hit, to be confirmed with the owner
POSSIBLE = 0.80  # below the threshold, at or above this: a possible match, shown, never a hit
TOKEN_MIN = 0.80  # two words are one name
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
# Particles that say whose son or daughter: the names before are the person's, those after a father's.
PATRONYMS = frozenset({"bin", "ibn", "ben", "bint"})
# Digits typed for the letters they look like (J0hn, Pau1, Ser9ei): a reading of look-alike
# characters, not a transliteration.
LOOKALIKE = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "8": "b", "9": "g"}
# Bounds on the readings of one word (each is compared with each of the other name's words): of a
# word with digits, two words' readings compared each with each; of Wade-Giles syllables together.
MAX_DIGIT_READINGS = 4
MAX_SPACED_WORDS = 6  # a name of more words is not read for a stray space
MAX_PINYIN_READINGS = 64
# Of `rigour`'s symbols, those of a title standing before a name (its others include ABU, ABDUL and
# SAINT, which begin names); its person-name prefixes (Colonel, President) are titles too.
TITLE_SYMBOLS = frozenset({"SHEIKH", "HAJI"})
# Chinese script writes a foreign name's words apart with a middle dot (乔治·布什, George Bush).
FOREIGN_NAME_DOTS = "·•‧"
ABJADS = ("ARABIC", "HEBREW", "DEVANAGARI", "SYRIAC", "THAANA")
VOWELLESS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA")  # short vowels not written at all
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


class Token(NamedTuple):
    text: str  # as transliterated, lower case
    key: str  # spelling skeleton
    consonants: str  # the skeleton without vowels, for scripts that do not write vowels
    abjad: bool
    vowelless: bool  # written in Arabic or Hebrew script: short vowels not written
    # The Wikidata name items (`rigour`) the word as written is a form of: empty for a syllable
    # of a given name (Seo-yeon, the later characters of 이서연), which shares its sound with
    # dozens of unrelated names.
    symbols: frozenset[str] = frozenset()
    # The word read with its digits as the letters they look like (J0hn: john), when it has digits.
    readings: tuple[str, ...] = ()
    syllable: bool = False  # one of the syllables of a word in Latin letters written with hyphens
    syllabic: bool = False  # a character of Chinese or Korean script: never a particle (本 is not ben)
    title: bool = False  # a title or office standing for the given name (Colonel Gaddafi)
    # Its pinyin readings, when every word of the name reads as Wade-Giles syllables (Tse-tung).
    pinyin: frozenset[str] = frozenset()


@dataclass
class Comparison:
    score: float
    match: bool
    explanation: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        """Below the threshold but close: shown to the officer as a possible match with its
        explanation, never sent as a hit report."""
        return not self.match and self.score >= POSSIBLE


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
    # German umlauts written out (Mueller, Juergen: anyascii reads Müller as Muller) and a vowel
    # lengthened with h before a consonant or at the end (Satoh, Ohno), as passports write them.
    text = re.sub(r"([aou])e|([aeiou])h(?=[^aeiouy]|$)", lambda m: m.group(1) or m.group(2), text)
    for old, new in VARIANTS:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)


@lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch)
    except ValueError:
        return ""


def _symbols(word: str) -> frozenset[str]:
    """The Wikidata person-name items a word is a form of, in any script (`rigour`'s name
    tagger: Zhang and Chang, Khalid and Khaled, מיכל and Michal, 김 and Kim)."""
    return _tagged(word)[0]


@lru_cache(maxsize=200_000)
def _tagged(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """What `rigour`'s name tagger reads in one word: the Wikidata person-name items it is a form
    of, and its other symbols (SHEIKH, ABU, SAINT)."""
    found = analyze_names(NameTypeTag.PER, [word], consolidate=False, phonetics=False, numerics=False)
    spans = [span for name in found for span in name.spans if len(span.parts) == 1]
    return (
        frozenset(span.symbol.id for span in spans if span.symbol.category == SymbolCategory.NAME),
        frozenset(span.symbol.id for span in spans if span.symbol.category == SymbolCategory.SYMBOL),
    )


@lru_cache(maxsize=200_000)
def _piece(native: str, word: str, abjad: bool, own: bool) -> Token:
    symbols = _symbols(native) if own else frozenset()
    vowelless = any(_script(ch).startswith(VOWELLESS) for ch in native)
    return Token(word, _skeleton(word), _consonants(word), abjad, vowelless, symbols)


@lru_cache(maxsize=100_000)
def _words(name: str) -> tuple[tuple[tuple[str, Token], ...], ...]:
    """The name's written words, each as its pieces (as written, as a token in Latin letters):
    a word splits at hyphens and the like, and syllabic scripts per character."""
    name = unicodedata.normalize("NFC", name)
    abjad = any(_script(ch).startswith(ABJADS) for ch in name)
    # A foreign name in Chinese script: its words (乔治, George) are read whole, not per syllable.
    foreign = any(dot in name for dot in FOREIGN_NAME_DOTS) and any(
        _script(ch).startswith(SYLLABIC) for ch in name
    )
    if foreign:
        name = re.sub(f"[{FOREIGN_NAME_DOTS}]", " ", name)
    titles = _title_words(name)
    out = []
    for n, written in enumerate(name.split()):
        syllabic = any(_script(ch).startswith(SYLLABIC) for ch in written)
        spaced = (
            written
            if foreign
            else "".join(f" {ch} " if _script(ch).startswith(SYLLABIC) else ch for ch in written)
        )
        pieces = []
        for native in re.split(r"[\s\-_.,/]+", spaced):
            bare = native[2:] if abjad and native.startswith("ال") and len(native) > 3 else native
            typed = re.sub(r"[^a-z0-9`']", "", anyascii(bare).lower())  # the article, joined to the name
            readings = _digit_readings(typed)
            word = readings[0] if readings else re.sub(r"[^a-z`']", "", typed)
            if word:
                pieces.append((native, word, readings))
        names = [p for p in pieces if syllabic or p[1] not in PARTICLES]
        word_tokens = []
        hyphenated = len(pieces) > 1 and not syllabic
        for native, word, readings in pieces:
            # A word's own names: a whole word, or the family name written first in Chinese or
            # Korean script; a syllable of a given name (Seo-yeon, 서연) has none of its own.
            own = (native, word, readings) == names[0] if syllabic else len(names) <= 1 and len(word) > 1
            token = _piece(native, word, abjad, own)
            if readings or hyphenated or n < titles or syllabic:
                token = token._replace(
                    readings=readings,
                    syllable=hyphenated,
                    title=n < titles,
                    syllabic=syllabic and not foreign,
                )
            word_tokens.append((native, token))
            if own and abjad and native.startswith("ال") and len(native) > 3:
                # the name's items with the article joined (العلي) and without it (علي)
                t = word_tokens[-1][1]
                word_tokens[-1] = (native, t._replace(symbols=t.symbols | _symbols(native[2:])))
        if word_tokens:
            out.append(tuple(word_tokens))
    return _read_as_wade_giles(tuple(out))


def _particle(t: Token) -> bool:
    """A particle (al, bin, van, de) in a name in letters; a character of Chinese or Korean script
    read like one (本 ben, 德 de) is a name's syllable all the same."""
    return t.text in PARTICLES and not t.syllabic


def _digit_readings(typed: str) -> tuple[str, ...]:
    """A word with digits among its letters read with each digit as a letter it looks like (J0hn:
    john; Pau1: paui, paul), at most `MAX_DIGIT_READINGS`; none for a word without digits or letters."""
    if not re.search(r"[0-9]", typed) or not re.search(r"[a-z]", typed):
        return ()
    readings = [""]
    for ch in typed:
        letters = LOOKALIKE.get(ch, ch) if ch.isdigit() else ch
        readings = [r + letter for r in readings for letter in letters][:MAX_DIGIT_READINGS]
    return tuple(readings)


@lru_cache(maxsize=100_000)
def _title_words(name: str) -> int:
    """How many words at the head of the name are a title or office standing for a given name:
    rigour's person-name prefixes (Colonel, President, Doctor) or its title symbols (`TITLE_SYMBOLS`),
    when one name is left after them (Colonel Gaddafi; not Dr John Smith, who has his own)."""
    words = name.split()
    if len(words) < 2:
        return 0
    titles = len(words) - len(remove_person_prefixes(name).split())
    if not titles:
        titles = int(_is_title(words[0]))
    return titles if len(words) - titles == 1 else 0


def _is_title(word: str) -> bool:
    """Whether rigour's name tagger reads the word as one of its title symbols (Sheikh, Haji)."""
    return bool(_tagged(word)[1] & TITLE_SYMBOLS)


@lru_cache(maxsize=1)
def _wade_giles() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """Each Wade-Giles syllable as passports write it (no apostrophes, no umlaut) and the pinyin
    syllables it reads as, from `pypinyin`'s own conversion of every syllable of its dictionary;
    and the pinyin syllables themselves."""
    syllables = {to_normal(p) for readings in pinyin_dict.values() for p in readings.split(",")}
    table: dict[str, set[str]] = {}
    for syllable in syllables:
        written = re.sub(r"[^a-z]", "", to_wade_glides(syllable).replace("v", "u"))
        table.setdefault(written, set()).add(syllable)
    return {k: frozenset(v) for k, v in table.items()}, frozenset(syllables)


@lru_cache(maxsize=100_000)
def _pinyin_of(word: str) -> frozenset[str]:
    """The pinyin syllables a Latin word may be, read as one Wade-Giles syllable (tse: ze, ce) or as
    pinyin already (mao); Teh for te written with a final h."""
    table, syllables = _wade_giles()
    found = table.get(word, frozenset()) | (frozenset({word}) if word in syllables else frozenset())
    if not found and len(word) > 2 and word.endswith("h"):
        found = table.get(word[:-1], frozenset())
    return found


def _read_as_wade_giles(
    words: tuple[tuple[tuple[str, Token], ...], ...],
) -> tuple[tuple[tuple[str, Token], ...], ...]:
    """A name in Latin letters every word of which is a Chinese syllable or syllables written with
    hyphens (Mao Tse-tung, Teng Hsiao-ping) gets its pinyin readings; another name gets none."""
    readings = [
        [_pinyin_of(t.text) if native.isascii() else frozenset() for native, t in word] for word in words
    ]
    if not words or not all(r for word in readings for r in word):
        return words
    return tuple(
        tuple((native, t._replace(pinyin=r)) for (native, t), r in zip(word, rs, strict=True))
        for word, rs in zip(words, readings, strict=True)
    )


@lru_cache(maxsize=100_000)
def _tokens(name: str) -> tuple[Token, ...]:
    """The name's tokens in Latin letters; syllabic scripts split per character."""
    return tuple(t for word in _words(name) for _, t in word)


def _joined(pieces: list[tuple[str, Token]], symbols: frozenset[str] | None = None) -> Token:
    text = "".join(t.text for _, t in pieces)
    if symbols is None:
        symbols = _symbols("".join(n for n, _ in pieces))
    first = pieces[0][1]
    pinyin: frozenset[str] = frozenset()
    if all(t.pinyin for _, t in pieces):  # Tse-tung written together: zedong, zetong, cedong …
        joined = [""]
        for _, t in pieces:
            joined = [j + p for j in joined for p in sorted(t.pinyin)][:MAX_PINYIN_READINGS]
        pinyin = frozenset(joined)
    return Token(
        text, _skeleton(text), _consonants(text), first.abjad, first.vowelless, symbols, pinyin=pinyin
    )


@lru_cache(maxsize=100_000)
def _forms(name: str) -> tuple[tuple[tuple[Token, ...], float, str], ...]:
    """Other ways to cut the name into names, for a name written with more or fewer spaces on the
    other side: a given name's syllables written together (Seo-yeon and Seoyeon, 이 서연), and a
    name of several words (Abd al-Qadir, عبد الله) as one when `rigour` knows it as one name. Each
    with its feature's weight and explanation."""
    words = _words(name)
    out = []
    together: list[Token] = []
    said = []
    for word in words:
        syllabic = any(_script(n[0]).startswith(SYLLABIC) for n, _ in word)
        named = [(n, t) for n, t in word if not _particle(t)]
        if syllabic and len(named) > 2:  # the family name first, then the given name
            rest = named[1:]
            together += [named[0][1], _joined(rest)]
            said.append("".join(n for n, _ in rest))
        elif not syllabic and len(named) > 1 and len(named) == len(word):
            together.append(_joined(named))
            said.append("-".join(n for n, _ in named))
        else:
            together += [t for _, t in word]
    if said:
        out.append((tuple(together), READ_AS_ONE.weight, READ_AS_ONE.say(names=", ".join(said))))
    pieces = [p for word in words for p in word]
    for size in (3, 2):
        for i in range(len(pieces) - size + 1):
            span = pieces[i : i + size]
            symbols = _compound(tuple(n for n, _ in span))
            if symbols:
                before, after = (t for _, t in pieces[:i]), (t for _, t in pieces[i + size :])
                merged = (*before, _joined(span, symbols), *after)
                said_words = " ".join(n for n, _ in span)
                out.append((merged, SEVERAL_WORDS.weight, SEVERAL_WORDS.say(words=said_words)))
    return tuple(out)


@lru_cache(maxsize=100_000)
def _spaced(name: str) -> tuple[tuple[tuple[Token, ...], float, str], ...]:
    """The name with two neighbouring words in Latin letters written as one, for a word split by a
    stray space (Anders son, Andersson); not particles, nor words the other cuts already join. Not
    among the keys a name is found by (`key_tokens`): the other words find it."""
    words = _words(name)
    pieces = [(w, native, t) for w, word in enumerate(words) for native, t in word]
    if len(pieces) > MAX_SPACED_WORDS:
        return ()  # each cut is compared with each of the other name's: bounded for any name
    out = []
    for i in range(len(pieces) - 1):
        (w1, n1, t1), (w2, n2, t2) = pieces[i], pieces[i + 1]
        if w1 == w2 or not (n1 + n2).isalpha() or not (n1 + n2).isascii():
            continue
        if _particle(t1) or _particle(t2) or t1.title or t2.title:
            continue
        merged = _joined([(n1, t1), (n2, t2)])
        tokens = (*(t for _, _, t in pieces[:i]), merged, *(t for _, _, t in pieces[i + 2 :]))
        out.append((tokens, STRAY_SPACE.weight, STRAY_SPACE.say(words=f"{n1} {n2}")))
    return tuple(out)


@lru_cache(maxsize=100_000)
def _compound(natives: tuple[str, ...]) -> frozenset[str]:
    """The Wikidata name items that these words, together, are a form of (Abd al-Qadir)."""
    found = analyze_names(
        NameTypeTag.PER, [" ".join(natives)], consolidate=False, phonetics=False, numerics=False
    )
    return frozenset(
        span.symbol.id
        for name in found
        if len(name.parts) == len(natives)
        for span in name.spans
        if span.symbol.category == SymbolCategory.NAME and len(span.parts) == len(natives)
    )


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


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=100_000)
def _nicknames_of(name: str) -> frozenset[str]:
    return frozenset(_nicknamer().nicknames_of(name))


def _nickname(a: str, b: str) -> bool:
    """Bob and Robert, Bill and William: one is a known short form of the other (the `nicknames`
    dataset, English given names)."""
    return b in _nicknames_of(a) or a in _nicknames_of(b)


def _typo(a: str, b: str) -> bool:
    """One letter left out, added, or two neighbours swapped, in words of five letters or more:
    not one letter typed for another, which makes another name as often (Khalid, Khalil)."""
    if min(len(a), len(b)) < 5 or OSA.distance(a, b) != 1:
        return False
    short, long = sorted((a, b), key=len)
    if long[:-1] == short and long[-1] in "aeo":  # Gabriel/Gabriele, Simon/Simone: a gender's form
        return False
    return len(a) != len(b) or Levenshtein.distance(a, b) == 2  # a swap: two edits without it


def _korean(syllable: str) -> str:
    """A syllable of a Korean given name with what McCune-Reischauer and the Revised Romanization
    write differently read alike: eo and o, eu and u (the breves left out), oo and u, aspirates
    marked with h or not, and an initial k, t, p, ch read as g, d, b, j."""
    for old, new in (
        ("eo", "o"),
        ("eu", "u"),
        ("oo", "u"),
        ("th", "t"),
        ("kh", "k"),
        ("ph", "p"),
        ("ch", "j"),
    ):
        syllable = syllable.replace(old, new)
    return re.sub(r"^[ktp]", lambda m: "gdb"["ktp".index(m.group())], syllable)


@lru_cache(maxsize=200_000)
def _similarity(a: Token, b: Token) -> tuple[float, str]:
    if a.readings or b.readings:  # digits typed for letters: the best reading, a little less sure
        readings = [(*_similarity(x, y), r1 or r2) for x, r1 in _as_read(a) for y, r2 in _as_read(b)]
        best, how, reading = max(readings, key=itemgetter(0))
        return best * DIGITS.weight, f"{how}; {DIGITS.say(reading=reading)}"
    if a.title != b.title:
        return TITLE.weight, TITLE.say(title=a.text if a.title else b.text)
    if a.symbols & b.symbols and (len(a.text) == 1 or len(b.text) == 1):
        return _same_name(a, b)  # a syllable in Korean script (이 and Lee), not an initial
    if len(a.text) == 1 or len(b.text) == 1:
        initial, word = (a, b) if len(a.text) == 1 else (b, a)
        return INITIAL.said if word.text.startswith(initial.text) else OTHER_INITIAL.said
    if _gender_forms(a.key, b.key):
        return GENDER_FORM.said
    similarity = OSA.normalized_similarity(a.key, b.key)
    spelling = SAME if a.text == b.text else (SPELLING if similarity >= TOKEN_MIN else DIFFERENT)
    score, how = similarity * spelling.weight, spelling.explanation
    if score < NICKNAME.weight and _nickname(a.text, b.text):
        return NICKNAME.said
    if score < TYPO.weight and (_typo(a.text, b.text) or _typo(a.key, b.key)):
        return TYPO.said
    if (
        not a.abjad
        and not b.abjad
        and score < VOWELS_OTHERWISE.weight
        and min(len(a.key), len(b.key)) >= 6
        and a.consonants == b.consonants
        and _vowels(a.key) == _vowels(b.key)
    ):  # Muhammad/Mohammed: the same letters around vowels written otherwise
        score, how = VOWELS_OTHERWISE.said
    if a.abjad != b.abjad:  # one side written without vowels: compare consonants
        consonant = OSA.normalized_similarity(a.consonants, b.consonants) * CONSONANTS.weight
        if consonant > score:
            if (a.vowelless or b.vowelless) and a.symbols and b.symbols and not a.symbols & b.symbols:
                # حسن is Hassan, not Hussein: Wikidata knows both and as different names
                score, how = score * CONSONANTS_OTHER_NAME.weight, CONSONANTS_OTHER_NAME.explanation
            else:
                score, how = consonant, CONSONANTS.explanation
    if score < SAME_NAME.weight and a.symbols & b.symbols:
        return _same_name(a, b)
    if score < WADE_GILES.weight and a.text != b.text and (a.pinyin or b.pinyin):
        read = (a.pinyin & {b.text}) or (b.pinyin & {a.text}) or (a.pinyin & b.pinyin)
        if read:
            return WADE_GILES.weight, WADE_GILES.say(reading=min(read))
    if (
        score < KOREAN_ROMANISATION.weight
        and a.syllable
        and b.syllable
        and max(len(a.text), len(b.text)) <= 5
        and _korean(a.text) == _korean(b.text)
    ):
        return KOREAN_ROMANISATION.said
    return score, how


def _as_read(t: Token) -> list[tuple[Token, str]]:
    """The token as each of its digit readings (and the reading said), or as it is."""
    if not t.readings:
        return [(t, "")]
    return [
        (t._replace(text=r, key=_skeleton(r), consonants=_consonants(r), readings=()), r) for r in t.readings
    ]


def _same_name(a: Token, b: Token) -> tuple[float, str]:
    shared = ", ".join(sorted(a.symbols & b.symbols)[:3])
    return SAME_NAME.weight, SAME_NAME.say(items=shared)


@lru_cache(maxsize=1)
def _kakasi() -> pykakasi.kakasi:
    return pykakasi.kakasi()


@lru_cache(maxsize=65536)
def readings(name: str) -> tuple[str, ...]:
    """The ways a name may be read in Latin letters: as written, and for a name in Japanese script
    its Hepburn reading (`pykakasi`, long vowels written short as passports do: Satō is Sato).
    Kanji alone may be a Chinese or a Japanese name, so both readings are kept."""
    scripts = [_script(ch) for ch in name]
    kana = any(s.startswith(("HIRAGANA", "KATAKANA")) for s in scripts)
    if not kana and not any(s.startswith("CJK UNIFIED IDEOGRAPH") for s in scripts):
        return (name,)
    parts = [p["hepburn"] for p in _kakasi().convert(name) if p["hepburn"].strip()]
    japanese = re.sub(r"([aeiou])\1", r"\1", " ".join(parts).replace("ou", "o")) if parts else ""
    if kana:
        return (japanese or name,)
    return (name, japanese) if japanese else (name,)


@lru_cache(maxsize=65536)
def _in_kanji(name: str) -> bool:
    """Written in Chinese characters alone (no kana). Two such names are compared character by
    character, not by their Japanese readings: 拓也 and 拓哉 are both read Takuya, but one
    character differs, and with it the person."""
    scripts = [_script(ch) for ch in name]
    return any(s.startswith("CJK UNIFIED IDEOGRAPH") for s in scripts) and not any(
        s.startswith(("HIRAGANA", "KATAKANA")) for s in scripts
    )


def warm() -> None:
    """Load the name data now rather than on the first comparison: `rigour`'s Wikidata name
    tagger (about 6 s and 380 MB), the Japanese dictionary and the nicknames."""
    _symbols("Warm")
    _kakasi()
    _nicknamer()
    _wade_giles()


def compare(name1: str, name2: str, threshold: float = THRESHOLD) -> Comparison:
    """Score two names (0 to 1), decide at `threshold`, and explain. The same either way round;
    a name in Japanese script is compared in its Japanese reading too."""
    score, explanation = _best(name1, name2, explain=True)
    return Comparison(score, score >= threshold, list(explanation))


def score(name1: str, name2: str) -> float:
    """`compare(name1, name2).score`, without writing the explanation: for the many namesakes a
    search weighs and drops, whose explanation no one reads."""
    return _best(name1, name2, explain=False)[0]


@lru_cache(maxsize=100_000)
def _best(name1: str, name2: str, explain: bool) -> tuple[float, tuple[str, ...]]:
    """The best score of the two names' readings, either way round, and its explanation (kept:
    the people of one name, namesakes, are compared with the same query one after another)."""
    best: Comparison | None = None
    both_in_kanji = _in_kanji(name1) and _in_kanji(name2)
    for r1 in readings(name1) if not both_in_kanji else (name1,):
        for r2 in readings(name2) if not both_in_kanji else (name2,):
            first, second = sorted((r1, r2))  # in one order: the same either way round
            c = _compare(first, second, explain)
            read = [r for r, n in ((r1, name1), (r2, name2)) if r != n] if (r1, r2) != (name1, name2) else []
            if read:
                c.score = round(c.score * READ_AS_JAPANESE.weight, 4)
                c.match = c.score >= THRESHOLD
            if best is None or c.score > best.score:
                best = c
                if read and explain:
                    c.explanation.insert(0, READ_AS_JAPANESE.say(readings=", ".join(read)))
    assert best is not None
    return best.score, tuple(best.explanation)


@lru_cache(maxsize=100_000)
def _named(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """The tokens without particles: a particle comes before a name (bin Saleh, van der Berg), so
    a last token is a name even when it is spelt like one (Su-bin)."""
    last = len(tokens) - 1
    return tuple(t for i, t in enumerate(tokens) if not _particle(t) or i == last) or tokens


@lru_cache(maxsize=100_000)
def _sides(tokens: tuple[Token, ...]) -> tuple[int, ...] | None:
    """For each of the names (`_named`), how many patronyms (bin, ibn) stand before it: 0 for the
    person's own names, 1 for the father's, 2 for the grandfather's. None for a name without one."""
    last = len(tokens) - 1
    if not any(t.text in PATRONYMS for t in tokens[:last]):
        return None
    out, side = [], 0
    for i, t in enumerate(tokens):
        if t.text in PATRONYMS and i != last:
            side += 1
        elif not _particle(t) or i == last:
            out.append(side)
    return tuple(out) if len(out) == len(_named(tokens)) else None


@lru_cache(maxsize=100_000)
def _written_together(tokens: tuple[Token, ...]) -> tuple[str, str]:
    """The tokens' skeletons and their consonants, each written as one word."""
    return "".join(t.key for t in tokens), "".join(t.consonants for t in tokens)


def named_tokens(name: str) -> list[Token]:
    return list(_named(_tokens(name)))


def key_tokens(name: str) -> list[Token]:
    """The tokens to find the name by: its names, and those of its other cuts (`_forms`)."""
    out = named_tokens(name)
    for tokens, _, _ in _forms(name):
        out += [t for t in _named(tokens) if t not in out]
    return out


def _compare(name1: str, name2: str, explain: bool) -> Comparison:
    all1, all2 = _tokens(name1), _tokens(name2)
    best = _score(all1, all2, explain)
    if len(_named(all1)) != len(_named(all2)):  # one side may write a name in more words
        forms1 = ((all1, 1.0, ""), *_forms(name1), *_spaced(name1))
        forms2 = ((all2, 1.0, ""), *_forms(name2), *_spaced(name2))
        for tokens1, weight1, how1 in forms1:
            for tokens2, weight2, how2 in forms2:
                if not how1 and not how2:
                    continue
                c = _score(tokens1, tokens2, explain)
                c.score = round(c.score * weight1 * weight2, 4)  # the weights of the names so read
                c.match = c.score >= THRESHOLD
                if c.score > best.score:
                    best = c
                    if explain:
                        c.explanation[:0] = [h for h in (how1, how2) if h]
    return best


def _score(all1: tuple[Token, ...], all2: tuple[Token, ...], explain: bool = True) -> Comparison:
    t1, t2 = _named(all1), _named(all2)
    if not t1 or not t2:
        return Comparison(EMPTY.weight, EMPTY.weight >= THRESHOLD, [EMPTY.explanation])
    short, long = (t1, t2) if len(t1) <= len(t2) else (t2, t1)
    pairs = sorted(  # best first; pairs as good as each other in the order made
        ((*_similarity(a, b), i, j) for i, a in enumerate(short) for j, b in enumerate(long)),
        key=itemgetter(0),
        reverse=True,
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    matched: dict[int, tuple[float, str, int]] = {}
    for score, how, i, j in pairs:
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        matched[i] = (score, how, j)
    explanation: list[str] = []
    total = weight = 0.0
    for i, a in enumerate(short):
        score, how, j = matched[i]
        w = max(len(a.text), 2)
        total += score * w
        weight += w
        if explain:
            mark = "≈" if score >= TOKEN_MIN else "≠"
            explanation.append(f"{a.text} {mark} {long[j].text} ({score:.2f}, {how})")
    # The weakest name weighs beside the average (`WEAKEST`): one different name, another person.
    weakest = min(matched[i][0] for i in range(len(short)))
    token_score = (1 - WEAKEST.weight) * (total / weight) + WEAKEST.weight * weakest
    extra = [b.text for j, b in enumerate(long) if j not in used_j]
    if extra:
        token_score *= 1 - MISSING.weight * len(extra)
        if explain:
            explanation.append(MISSING.say(names=", ".join(extra)))
    if len(short) == 1 and len(long) > 1:
        token_score *= SINGLE.weight
        if explain:
            explanation.append(SINGLE.explanation)
    sides1, sides2 = _sides(all1), _sides(all2)
    if sides1 is not None and sides2 is not None:
        sides_short, sides_long = (sides1, sides2) if short is t1 else (sides2, sides1)
        if any(
            sides_short[i] != sides_long[j] for i, (score, _, j) in matched.items() if score >= TOKEN_MIN
        ):  # Omar bin Khalid and Khalid bin Omar: a son and a father
            token_score *= PATRONYMIC_ORDER.weight
            if explain:
                explanation.append(PATRONYMIC_ORDER.explanation)
    if explain or ORDER.weight != 1.0:  # a weight of 1.0 changes no score: no sorting for a search
        order = [matched[i][2] for i in range(len(short))]
        if order != sorted(order):
            token_score *= ORDER.weight
            if explain:
                explanation.append(ORDER.explanation)
    (keys1, consonants1), (keys2, consonants2) = _written_together(all1), _written_together(all2)
    joined = OSA.normalized_similarity(keys1, keys2)
    if all1[0].abjad != all2[0].abjad:
        joined = max(joined, CONSONANTS.weight * OSA.normalized_similarity(consonants1, consonants2))
    score = token_score
    spacing_differs = len(all1) != len(all2)
    if (
        spacing_differs
        and joined * WRITTEN_TOGETHER.weight > score
        and not any(_gender_forms(a.key, b.key) for a in t1 for b in t2)
    ):
        score = joined * WRITTEN_TOGETHER.weight
        if explain:
            explanation.append(WRITTEN_TOGETHER.say(score=joined))
    if any(matched[i][0] < TOKEN_MIN for i in range(len(short))) and not (spacing_differs and joined >= 0.95):
        score = min(score, MISMATCH.weight)  # a name that does not match at all is not outweighed
    score = round(max(0.0, min(1.0, score)), 4)
    return Comparison(score, score >= THRESHOLD, explanation)
