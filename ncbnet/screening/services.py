"""Screening documents, vehicles and firearms against what this node holds: at the hub the
global databases, on an NCB node its replica, so screening works while the hub is unreachable.

A result is a possible match to be confirmed with the owner NCB, never an instruction to act.
Every screening is audited.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

import pycountry
from anyascii import anyascii
from django.db import transaction
from django.db.models import CharField, Q, Value
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from vininfo import Vin

from ncbnet.base import audit, clock, gates, holdings, tally
from ncbnet.base.actor import Person
from ncbnet.hits.schemas import Hit
from ncbnet.records import tables
from ncbnet.records.models import Folded, folded

from . import index, names, outstanding, tallies
from . import mrz as mrz_module
from .features import (
    DOB_AGREES,
    DOB_AGREES_AS_KNOWN,
    DOB_DIFFERS,
    DOB_SWAPPED,
    DOB_YEAR_OFF,
    NATIONALITY_AGREES,
    NATIONALITY_OTHER,
    SEX_AGREES,
    SEX_DIFFERS,
)
from .schemas import Result

ARTWORK_THRESHOLD = 0.8
ARTWORK_STOPWORDS = frozenset({"the", "and", "with", "of", "les", "des", "del", "della", "von", "und"})
# Why and where the screening happened ("reason", "place") and whether it is urgent ("urgent"). Every
# hit is reported to its owner; only benchmarks pass None (no report).
Context = Mapping[str, Any] | None
REPORT_HITS: Context = MappingProxyType({})


def normal(value: str) -> str:
    return re.sub(r"[\s\-./<]", "", value).upper()


def _holdings(database: str, actor: Person) -> Any:
    """What the actor may screen against in one database: at the hub what its country may see,
    on a node the replica."""
    return everything(actor).filter(database=database)


def _with_access(qs: Any) -> Any:
    """The records with their restriction (`access`): the hub's keep it, a replica's are all it
    may see, so "all" there."""
    if any(f.name == "access" for f in qs.model._meta.concrete_fields):
        return qs
    return qs.annotate(access=Value("all", output_field=CharField()))


def everything(actor: Person) -> Any:
    """Every record the actor may screen against, unordered (a list of ids is looked up by its
    primary key, not by the database's index)."""
    return holdings.here().candidates(actor)


def report_hits(
    actor: Person,
    groups: Sequence[tuple[list[Hit], Mapping[str, Any]]],
    context: Context,
    audit_also: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Every hit (of each query's hits) becomes a hit report to its owner and the GS, inside the
    caller's transaction, with one audit entry for them all (unless `context` is None: benchmarks
    of the search alone), then the caller's own entries (`audit_also`): all in one step of the
    chain."""
    if context is None:
        audit.record_all(audit_also)
        return
    from ncbnet.hits import services as hit_reports

    found = [(hit, query) for hits, query in groups for hit in hits]
    reports = hit_reports.report_all(actor, found, context, audit_also=audit_also)
    for (hit, _query), report in zip(found, reports, strict=True):
        hit.reported(report.pk, report.due_at)


@contextlib.contextmanager
def _screened(found: bool) -> Iterator[None]:
    """The transaction of a screening's audit entry and hit reports: it changes nothing else. A
    screening that found nothing commits without waiting for the disk where a commit would
    (`tables.audit_only_commit`: on PostgreSQL, about 4 ms a lookup; SQLite never waits); one
    that found a hit commits as every other transaction does, so that a hit the officer was
    shown, and its report to the owner, are on disk before the answer leaves."""
    with transaction.atomic():
        if not found:
            tables.here().audit_only_commit()
        yield


def _finish(actor: Person, kind: str, result: Result, context: Context, searched: Sequence[str]) -> Result:
    """Audit the screening, report its hits and count it (one count for each database `searched`),
    in one transaction (`_screened`), the figures of the search and of its reports in one upsert."""
    action = f"screening.{kind}"
    figures = tallies.figures(actor, action, [(searched, result.hits)])
    entry = {
        "action": action,
        "actor": actor,
        "detail": {
            "query": result.query,
            "hits": len(result.hits),
            "problems": result.problems,
            **({"possible": len(result.possible)} if result.possible else {}),
            "figures": figures,
        },
    }
    with _screened(bool(result.hits)), tally.gathered():
        report_hits(actor, [(result.hits, result.query)], context, audit_also=[entry])
        tally.count_all(tallies.counts(figures, clock.now()))
    return result


class HeldDocument(NamedTuple):
    """What a document hit shows of a record, and its key, read in the lookup's one query."""

    pk: Any
    database: str
    owner: str
    label: str
    key: str
    data: dict[str, Any]
    handling: str
    access: str  # at the hub, the record's; on a node "all" (a replica keeps no restriction)


def find_documents(actor: Person, number: str, issuing_country: str) -> list[Hit]:
    return find_documents_batch(actor, [(number, issuing_country)])[0]


def find_documents_batch(actor: Person, queries: list[tuple[str, str]]) -> list[list[Hit]]:
    """Many document numbers in one database query: the hits of each, in order. A number is
    looked up with O and 0, I and 1 read either way (how they are mistyped and misread), through
    the index of the keys so read (`Folded`)."""
    wanted = {q: folded(normal(q[0])) for q in queries}
    keys = sorted(set(wanted.values()))
    by_key: dict[str, list[HeldDocument]] = {}
    for start in range(0, len(keys), 2000):  # below every backend's limit on parameters
        page = (
            _with_access(_holdings("documents", actor))
            .alias(folded=Folded("key"))
            .filter(folded__any_of=keys[start : start + 2000])
            .values_list(*HeldDocument._fields)  # rows as tuples: no model object a row
        )
        for row in page:
            r = HeldDocument._make(row)
            by_key.setdefault(folded(r.key), []).append(r)
    out = []
    for number, issuing_country in queries:
        hits = []
        for r in by_key.get(wanted[(number, issuing_country)], []):
            if issuing_country and r.data.get("issuing_country") != issuing_country.upper():
                continue
            exact = r.key == normal(number)
            why = "document number" if exact else "document number, reading O/0 or I/1 the other way"
            hits.append(Hit.of(r, why))
        out.append(hits)
    return out


def documents(actor: Person, queries: list[tuple[str, str]], context: Context = REPORT_HITS) -> list[Result]:
    """A border system's batch of travel documents (up to 1,000): one database query, one audit
    entry naming every number, a hit report for every hit."""
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    results = [Result({"number": n, "issuing_country": c}) for n, c in queries]
    for result, hits in zip(results, find_documents_batch(actor, queries), strict=True):
        result.hits = hits
    figures = tallies.figures(actor, "screening.documents", [(("documents",), r.hits) for r in results])
    with _screened(any(r.hits for r in results)), tally.gathered():
        entry = {
            "action": "screening.documents",
            "actor": actor,
            "detail": {
                "queries": [r.query for r in results],
                "hits": sum(len(r.hits) for r in results),
                "figures": figures,
            },
        }
        report_hits(actor, [(r.hits, r.query) for r in results], context, audit_also=[entry])
        tally.count_all(tallies.counts(figures, clock.now()))
    return results


def document(actor: Person, number: str, issuing_country: str = "", context: Context = REPORT_HITS) -> Result:
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    result = Result({"number": number, "issuing_country": issuing_country})
    result.hits = find_documents(actor, number, issuing_country)
    return _finish(actor, "document", result, context, ("documents",))


def machine_readable_zone(actor: Person, text: str, context: Context = REPORT_HITS) -> Result:
    """Read the MRZ (every check digit verified, a visa by its own layout) and screen its document;
    a bad check digit is reported with the field it guards, a state or nationality that is not an
    ICAO code on its own, and the document is screened all the same."""
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    parsed = mrz_module.parse(text)
    state = pycountry.countries.get(alpha_3="DEU" if parsed.issuing_state == "D" else parsed.issuing_state)
    shown = {k: v for k, v in parsed.__dict__.items() if k not in ("problems", "code_problems")}
    result = Result({"mrz": shown}, problems=[*parsed.problems, *parsed.code_problems])
    result.hits = find_documents(actor, parsed.document_number, state.alpha_2 if state else "")
    outstanding.mark(result.hits)
    holder = f"{parsed.given_names} {parsed.surname}".strip()
    searched = ("documents", "notices") if holder else ("documents",)
    if holder:  # the holder may be the subject of a notice (notices carry no document numbers)
        try:
            dob = partial_date(parsed.birth_date)
        except ValueError:
            dob = None  # an impossible date of birth, reported among the problems
        query = PersonQuery(holder, dob, parsed.sex if parsed.sex in ("F", "M") else "")
        result.hits += find_notice_subjects([query], names.THRESHOLD)[0]
    return _finish(actor, "mrz", result, context, searched)


def vehicle(actor: Person, vin: str = "", plate: str = "", context: Context = REPORT_HITS) -> Result:
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    result = Result({"vin": vin, "plate": plate})
    if vin:
        key = normal(vin)
        if len(key) != 17:
            result.problems.append(f"a VIN has 17 characters, this one {len(key)}")
        elif re.search(r"[IOQ]", key):
            result.problems.append("a VIN never contains I, O or Q (ISO 3779)")
        elif key[0] in "12345" and not Vin(key).verify_checksum():
            result.problems.append("the VIN's check digit (9th character) is wrong")
        for r in _holdings("vehicles", actor).filter(key=key):
            result.hits.append(Hit.of(r, "VIN"))
    if plate:
        seen = {h.record for h in result.hits}
        held = _holdings("vehicles", actor)
        for r in held.filter(key=normal(plate)) | held.filter(data__plate__iexact=plate.strip()):
            if str(r.pk) not in seen:
                result.hits.append(Hit.of(r, "plate"))
    return _finish(actor, "vehicle", result, context, ("vehicles",))


def firearm(actor: Person, serial_number: str, make: str = "", context: Context = REPORT_HITS) -> Result:
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    result = Result({"serial_number": serial_number, "make": make})
    serial = _holdings("firearms", actor).alias(folded=Folded("key"))
    for r in serial.filter(folded=folded(normal(serial_number))):
        if make and r.data.get("make", "").casefold() != make.strip().casefold():
            continue
        result.hits.append(Hit.of(r, "serial number" + (" and make" if make else "")))
    return _finish(actor, "firearm", result, context, ("firearms",))


def artwork(actor: Person, text: str, context: Context = REPORT_HITS) -> Result:
    """Works of art by text: title, artist or description, in any order, with spelling slips.
    Candidates share at least one word with the text (in SQL); each is scored with rapidfuzz's
    token set ratio against its title and artist, both in Latin letters (`anyascii`: œ is oe)."""
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    result = Result({"text": text})
    words = [w for w in re.findall(r"\w{3,}", text.casefold()) if w not in ARTWORK_STOPWORDS]
    if words:
        held = _holdings("artworks", actor)
        match = Q()
        for w in words[:8]:
            match |= Q(label__icontains=w) | Q(data__artist__icontains=w) | Q(data__description__icontains=w)
        for r in held.filter(match)[:200]:
            described = f"{r.data.get('title', '')} {r.data.get('artist', '')}"
            score = fuzz.token_set_ratio(anyascii(text), anyascii(described), processor=default_process) / 100
            if score >= ARTWORK_THRESHOLD:
                why = f"title and artist ({score:.2f}): {described.strip()}"
                result.hits.append(Hit.of(r, "title and artist", round(score, 4), [why]))
    result.hits.sort(key=lambda h: -h.score)
    return _finish(actor, "artwork", result, context, ("artworks",))


# --- persons ---------------------------------------------------------------------------------------


def partial_date(text: str) -> dict[str, int] | None:
    """A date of birth as an officer types it: 1980, 1980-05 or 1980-05-12 (a partial date stays
    partial). Full dates are read by `date.fromisoformat`; a bad one raises ValueError."""
    import datetime as dt

    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text):
        return {"year": int(text)}
    if re.fullmatch(r"\d{4}-\d{2}", text):
        d = dt.date.fromisoformat(text + "-01")
        return {"year": d.year, "month": d.month}
    d = dt.date.fromisoformat(text)
    return {"year": d.year, "month": d.month, "day": d.day}


def _date_of_birth(query: dict[str, int], held: dict[str, Any]) -> tuple[float, str]:
    """How far the dates of birth agree, as a factor on the score and a sentence (`features`)."""
    common = [k for k in ("year", "month", "day") if query.get(k) is not None and held.get(k) is not None]
    same = [k for k in common if query[k] == held[k]]
    if same == common:
        return DOB_AGREES.said if len(common) == 3 else DOB_AGREES_AS_KNOWN.said
    swapped = len(common) == 3 and (query["day"], query["month"]) == (held["month"], held["day"])
    if swapped and query["year"] == held["year"]:
        return DOB_SWAPPED.said
    if abs(query["year"] - held["year"]) == 1 and all(query[k] == held[k] for k in common if k != "year"):
        return DOB_YEAR_OFF.said
    return DOB_DIFFERS.said


def qualifiers(
    data: dict[str, Any], dob: dict[str, int] | None, sex: str, nationality: str
) -> list[tuple[float, str]]:
    """What date of birth, sex and nationality say of the record, each as a factor on the name's
    score (1.0 when it agrees) and a sentence, as the features say (`features`)."""
    said = []
    if dob and data.get("date_of_birth"):
        said.append(_date_of_birth(dob, data["date_of_birth"]))
    held_sex = data.get("sex", "U")
    if sex in ("F", "M") and held_sex in ("F", "M"):
        said.append(SEX_AGREES.said if sex == held_sex else SEX_DIFFERS.said)
    held = data.get("nationalities") or []
    if nationality and held:
        if nationality.upper() in held:
            said.append(NATIONALITY_AGREES.said)
        else:
            theirs = ", ".join(held)  # what `say(held=theirs)` says, in a fifth of the time
            said.append((NATIONALITY_OTHER.weight, NATIONALITY_OTHER.explanation.replace("{held}", theirs)))
    return said


def qualified(score: float, said: list[tuple[float, str]]) -> float:
    """The name's score as the qualifiers weigh on it."""
    for factor, _ in said:
        score *= factor
    return round(score, 4)


class Held(NamedTuple):
    """What a hit shows of a record, read with its data in one query."""

    pk: Any
    database: str
    owner: str
    label: str
    data: dict[str, Any]
    handling: str
    access: str  # as `HeldDocument.access`


class PersonQuery(NamedTuple):
    """A person searched for: a name in any script, with the qualifiers that weigh on it."""

    name: str
    dob: dict[str, int] | None = None
    sex: str = ""
    nationality: str = ""


def find_persons(
    actor: Person,
    name: str,
    dob: dict[str, int] | None,
    sex: str,
    nationality: str,
    threshold: float,
) -> list[Hit]:
    """The persons held whose name, date of birth, sex and nationality make them a possible match,
    best first."""
    return find_persons_batch(actor, [PersonQuery(name, dob, sex, nationality)], threshold)[0]


def find_persons_batch(actor: Person, queries: Sequence[PersonQuery], threshold: float) -> list[list[Hit]]:
    """The hits of each query, in order: each query's candidates weighed from the index's cards,
    and what the actor may see of the hits read in a few database queries (a manifest's chunk
    reads its hits 2,000 at a time rather than a query per row)."""
    found = index.candidates_many([(q.name, q.dob) for q in queries])
    weighed = [_weigh(q, candidates, threshold) for q, candidates in zip(queries, found, strict=True)]
    ids = sorted({w.record_id for found in weighed for w in found}, key=str)
    within = _with_access(everything(actor))
    held: dict[Any, Held] = {}
    for start in range(0, len(ids), 2000):  # below every backend's limit on parameters
        page = within.filter(pk__in=ids[start : start + 2000]).values_list(*Held._fields)
        held.update((row[0], Held._make(row)) for row in page)  # persons only: the index's ids
    out = [
        [Hit.of(held[w.record_id], "name", w.score, w.explanation) for w in found if w.record_id in held]
        for found in weighed
    ]
    outstanding.mark([h for hits in out for h in hits])
    for hits, subjects in zip(out, find_notice_subjects(queries, threshold), strict=True):
        named = {n["id"] for h in hits for n in h.notices}  # already said by the record it names
        hits.extend(h for h in subjects if h.record not in named)
    return out


def find_notice_subjects(queries: Sequence[PersonQuery], threshold: float) -> list[list[Hit]]:
    """The subjects of the notices held here that each query may be, best first: weighed as the
    persons are, from the index's cards of the notices (`index.notice_candidates`)."""
    found: list[list[tuple[Weighed, dict[str, Any]]]] = []
    for q, subjects in zip(
        queries, index.notice_candidates_many([(q.name, q.dob) for q in queries]), strict=True
    ):
        cards = {c.record_id: c.card for c in subjects}
        candidates = [index.Candidate(pk, card) for pk, card in cards.items()]
        found.append([(w, cards[w.record_id]) for w in _weigh(q, candidates, threshold)])
    notices = outstanding.held(str(w.record_id) for weighed in found for w, _ in weighed)
    out = []
    for weighed in found:
        hits = []
        for w, card in weighed:
            notice = notices.get(str(w.record_id))
            if notice is None:
                continue  # withdrawn since it was indexed
            subject = {k: v for k, v in card.items() if k != "notice"}
            hit = Hit.of_notice(notice, subject, w.score, w.explanation)
            hit.notices = [outstanding.described(notice)]
            hits.append(hit)
        out.append(hits)
    return out


class Weighed(NamedTuple):
    record_id: Any
    score: float
    explanation: list[str]


def _weigh(query: PersonQuery, candidates: list[index.Candidate], threshold: float) -> list[Weighed]:
    """The candidates that are a possible match for the query, best first, each explained. Most
    are namesakes the qualifiers or the name rule out: they are scored without an explanation,
    and only a possible match is explained."""
    out = []
    for candidate in candidates:
        card = candidate.card
        said = qualifiers(card, query.dob, query.sex, query.nationality)
        if qualified(1.0, said) < threshold:
            continue  # not even the same name could make it a hit: no need to compare
        best_name: str | None = None
        best = -1.0
        for n in card["names"]:
            s = names.score(query.name, n)
            if s > best:
                best_name, best = n, s
        if best_name is None:
            continue
        score = qualified(best, said)
        if score < threshold:
            continue
        c = names.compare(query.name, best_name, threshold)  # c.score == best: now with the why
        explanation = [f"name: {best_name} ({c.score:.2f})", *c.explanation, *(why for _, why in said)]
        out.append(Weighed(candidate.record_id, score, explanation))
    return sorted(out, key=lambda w: -w.score)


def person(
    actor: Person,
    name: str,
    date_of_birth: str = "",
    sex: str = "",
    nationality: str = "",
    threshold: float = names.THRESHOLD,
    context: Context = REPORT_HITS,
) -> Result:
    """Screen a person by name (any script, any order), with date of birth, sex and nationality
    as qualifiers. Each hit carries its score and why, and is reported to its owner; the possible
    matches below the threshold (down to `names.POSSIBLE`) are shown with theirs, never reported."""
    gates.check(actor, gates.SCREENING)  # training and any other gate, before anything is searched
    dob = partial_date(date_of_birth)
    result = Result({"name": name, "date_of_birth": date_of_birth, "sex": sex, "nationality": nationality})
    found = find_persons(actor, name, dob, sex.upper(), nationality, min(threshold, names.POSSIBLE))
    result.hits = [h for h in found if h.score >= threshold]
    result.possible = [h.below_threshold() for h in found if h.score < threshold]
    return _finish(actor, "person", result, context, ("persons", "notices"))
