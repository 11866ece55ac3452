"""Public extracts of notices, at the hub: the owner bureau asks for one (when it requests its Red,
Yellow or UN Security Council notice, or later), its national-law policy must allow it
(`public_extracts`), and a GS reviewer approves or refuses it with a reason, with the notice's
review or on its own. The extract holds only the public fields, built here (`build`) from the
notice as every node sees it and the details the owner gave; cancelling, expiring or withdrawing
the notice removes it in the same transaction. Every step is audited."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import unicodedata
import uuid
from typing import Any

from anyascii import anyascii
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import Http404

from ncbnet.base import audit, clock
from ncbnet.base.actor import Actor
from ncbnet.records import national_law
from ncbnet.records.models import Access, Record
from ncbnet.records.schemas import checked
from ncbnet.records.services import purged

from . import replication
from .models import PUBLIC_KINDS, ExtractPhoto, ExtractState, Notice, PublicExtract, PublicVersion, State
from .schemas import EXTRACT_SCHEMAS

ONLY_KINDS = "only Red, Yellow and UN Security Council notices have public extracts"
# The notice states in which an extract may be asked for, and approved.
_ASKABLE = (State.IN_REVIEW, State.PUBLISHED)
_CLEARED: dict[str, Any] = {
    "data": {},
    "details": {},
    "forename": "",
    "name": "",
    "name_key": "",
    "free_key": "",
    "sex_id": "",
    "nationalities": "",
    "warrant_countries": "",
    "born_earliest": None,
    "born_latest": None,
    "un_reference": "",
    "un_resolution": "",
    "thumb": None,
}


def _notice(notice_id: str) -> Notice:
    try:
        pk = uuid.UUID(str(notice_id))
    except ValueError as exc:
        raise Http404("No such notice.") from exc
    found = Notice.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise Http404("No such notice.")
    return found


def _allowed(notice: Notice) -> Record | None:
    """Refuse, naming the rule, an extract this notice may not have; return its subject's record
    (None when the subject is given by name)."""
    if notice.kind not in PUBLIC_KINDS:
        raise ValidationError(
            {"kind": "only Red, Yellow and UN Security Council notices have public extracts"}
        )
    if not national_law.policy(notice.owner).public_extracts:
        raise ValidationError(
            {"public_extract": f"{notice.owner}'s national policy (rule: public_extracts) forbids them"}
        )
    record_id = (notice.data.get("subject") or {}).get("record_id")
    if not record_id:
        return None
    record = Record.objects.filter(pk=record_id).first()
    if record is None or record.deleted_at is not None:
        raise ValidationError({"subject.record_id": "the subject's record is withdrawn"})
    if record.access != Access.ALL:
        raise ValidationError(
            {"subject.record_id": "the subject's record is restricted: its data cannot be made public"}
        )
    return record


def _entity_id(year: int) -> str:
    """The next "YYYY/NNNNN" of the year, inside the caller's transaction. Two extracts numbered
    at once would read the same last number: the public version's row is locked first, so they
    number one after the other (SQLite's write transactions already do; PostgreSQL needs the
    lock), and the unique constraint stays as the last guard."""
    PublicVersion.objects.select_for_update().get_or_create(pk=1)
    prefix = f"{year:04d}/"
    last = (
        PublicExtract.objects.filter(entity_id__startswith=prefix)
        .order_by("-entity_id")
        .values_list("entity_id", flat=True)
        .first()
    )
    return f"{prefix}{(int(last[5:]) + 1 if last else 1):05d}"


def request(actor: Actor, notice_id: str, details: dict[str, Any]) -> PublicExtract:
    """The owner bureau asks for a public extract of its notice (in review or published)."""
    with transaction.atomic():
        notice = _notice(notice_id)
        if actor.gs or actor.country != notice.owner:
            raise PermissionDenied("Only the NCB that requested the notice may ask for its public extract.")
        if notice.state not in _ASKABLE:
            raise ValidationError({"state": "a public extract is asked for a notice in review or published"})
        record = _allowed(notice)
        clean = checked(EXTRACT_SCHEMAS[notice.kind], details)
        now = clock.now()
        extract = PublicExtract.objects.filter(notice=notice).first()
        if extract is not None and extract.state in (ExtractState.REQUESTED, ExtractState.PUBLISHED):
            raise ValidationError({"public_extract": "already asked for"})
        if extract is None:
            extract = PublicExtract(notice=notice, kind=notice.kind, entity_id=_entity_id(now.year))
        extract.state = ExtractState.REQUESTED
        extract.details, extract.entity = clean, bool(clean.get("entity"))
        extract.requested_by, extract.requested_at = actor.name, now
        extract.decided_by, extract.decided_at, extract.reason = "", None, ""
        extract.record_id = record.pk if record else None
        extract.save()
        audit.record(
            "notices.extract_requested",
            actor=actor.user,
            subject=actor.where,
            target=notice,
            detail={"by": actor.name, "entity_id": extract.entity_id},
        )
    return extract


def decide(actor: Actor, notice_id: str, approve: bool, reason: str) -> PublicExtract:
    """A GS reviewer approves (the notice published) or refuses the extract, with a reason."""
    if not actor.gs:
        raise PermissionDenied("Public extracts are approved by the General Secretariat.")
    if not reason.strip():
        raise ValidationError({"reason": "a written reason is required"})
    with transaction.atomic():
        notice = _notice(notice_id)
        extract = PublicExtract.objects.select_for_update().filter(notice=notice).first()
        if extract is None or extract.state != ExtractState.REQUESTED:
            raise ValidationError({"public_extract": "no public extract of this notice waits for a decision"})
        now = clock.now()
        if approve:
            if notice.state != State.PUBLISHED:
                raise ValidationError({"public_extract": "the notice itself is not published"})
            record = _allowed(notice)
            data, photos, keys = build(notice, extract.details, record)
            for field, value in keys.items():
                setattr(extract, field, value)
            extract.data, extract.published_at = data, now
            extract.state = ExtractState.PUBLISHED
            ExtractPhoto.objects.filter(extract=extract).delete()
            for i, photo in enumerate(photos, 1):
                made = ExtractPhoto.objects.create(extract=extract, number=i, **photo)
                extract.thumb = extract.thumb if i > 1 else made.pk
            extract.visible = True
        else:
            extract.state = ExtractState.REFUSED
        extract.decided_by, extract.decided_at, extract.reason = actor.name, now, reason.strip()
        extract.save()
        if approve:
            bump()
        audit.record(
            f"notices.extract_{extract.state}",
            actor=actor.user,
            subject=actor.where,
            target=notice,
            detail={"by": actor.name, "entity_id": extract.entity_id, "reason": reason.strip()},
        )
        verdict = "published" if approve else "refused"
        replication.tell_owner(notice, f"public extract {verdict}: {reason.strip()}")
    return extract


def remove(notice: Notice, why: str, actor: Actor | None = None) -> PublicExtract | None:
    """In the transaction that cancels, expires or withdraws the notice: its extract (asked for or
    published) is emptied at once, the time of removal kept for the mirrors. Returns it, if any."""
    extract = (
        PublicExtract.objects.select_for_update()
        .filter(notice=notice, state__in=[ExtractState.REQUESTED, ExtractState.PUBLISHED])
        .first()
    )
    if extract is None:
        return None
    was = extract.state
    ExtractPhoto.objects.filter(extract=extract).delete()
    for field, value in _CLEARED.items():
        setattr(extract, field, value)
    extract.state, extract.removed_at = ExtractState.WITHDRAWN, clock.now()
    extract.save()
    if was == ExtractState.PUBLISHED:
        bump()
    audit.record(
        "notices.extract_withdrawn",
        actor=actor.user if actor else None,
        subject=actor.where if actor else "GS",
        target=notice,
        detail={"entity_id": extract.entity_id, "was": was, "why": why},
    )
    return extract


def withdraw(actor: Actor, notice_id: str, reason: str) -> PublicExtract:
    """The owner bureau or the GS withdraws the extract alone; the notice stays as it is."""
    if not reason.strip():
        raise ValidationError({"reason": "a written reason is required"})
    with transaction.atomic():
        notice = _notice(notice_id)
        if not actor.gs and actor.country != notice.owner:
            raise PermissionDenied("Only the owner NCB or the GS may withdraw a public extract.")
        extract = remove(notice, f"withdrawn: {reason.strip()}", actor)
        if extract is None:
            raise ValidationError({"public_extract": "this notice has no public extract to withdraw"})
        replication.tell_owner(notice, f"public extract withdrawn: {reason.strip()}")
    return extract


def waiting() -> dict[uuid.UUID, PublicExtract]:
    """The extracts waiting for a GS decision, by notice, oldest first."""
    qs = PublicExtract.objects.filter(state=ExtractState.REQUESTED).select_related("notice")
    return {e.notice_id: e for e in qs.order_by("requested_at")}


# --- what the public sees -------------------------------------------------------------------------


def bump() -> None:
    """In the transaction of the change: the public answers kept so far are out of date."""
    if not PublicVersion.objects.filter(pk=1).update(value=F("value") + 1):
        PublicVersion.objects.get_or_create(pk=1, defaults={"value": 1})


def version() -> int:
    """What the public answers are current for (one row read, without the ORM's cost)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {PublicVersion._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


@receiver(post_save, sender=Record)
def _record_saved(sender: Any, instance: Record, **kwargs: Any) -> None:
    """A subject's record changed: its extracts are hidden while it is restricted or withdrawn (and
    shown again when it is open again), in the transaction of the change."""
    shown = instance.access == Access.ALL and instance.deleted_at is None
    changed = PublicExtract.objects.filter(record_id=instance.pk, state=ExtractState.PUBLISHED).exclude(
        visible=shown
    )
    if changed.update(visible=shown):
        bump()


def _purged(sender: Any, ids: list[Any], **kwargs: Any) -> None:
    """Records purged (in the purge's transaction): the extracts made from them hold a copy of
    their data, so they are removed as a cancelled notice's is."""
    live = [ExtractState.REQUESTED, ExtractState.PUBLISHED]
    for extract in PublicExtract.objects.filter(record_id__in=ids, state__in=live).select_related("notice"):
        remove(extract.notice, "the subject's record was purged")


purged.connect(_purged, dispatch_uid="notices.extracts.purged")


def _fold(text: str) -> str:
    latin = anyascii(unicodedata.normalize("NFC", text))
    return " ".join(latin.casefold().split())


def _split(names: list[dict[str, Any]]) -> tuple[str, str]:
    """Forename and family name from the primary name in Latin letters (its last word is taken
    for the family name) when the owner gave neither."""
    latin = next((n for n in names if n.get("kind") == "latin"), None)
    primary = next((n for n in names if n.get("kind", "primary") == "primary"), names[0] if names else None)
    chosen = latin or primary
    if chosen is None:
        return "", ""
    words = anyascii(str(chosen["value"])).split()
    if len(words) < 2:
        return "", " ".join(words).upper()
    return " ".join(words[:-1]).upper(), words[-1].upper()


def _born(dob: dict[str, Any] | None) -> tuple[dt.date | None, dt.date | None, str | None]:
    """The earliest and latest possible date of birth, and the date as the API writes it
    ("YYYY/MM/DD", "YYYY/MM" or "YYYY" for a partial one)."""
    if not dob or not dob.get("year"):
        return None, None, None
    year, month, day = int(dob["year"]), dob.get("month"), dob.get("day")
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year:04d}"
    if day is None:
        last = calendar.monthrange(year, int(month))[1]
        return dt.date(year, month, 1), dt.date(year, month, last), f"{year:04d}/{month:02d}"
    born = dt.date(year, month, day)
    return born, born, f"{year:04d}/{month:02d}/{day:02d}"


def _commas(codes: list[str]) -> str:
    clean = sorted({c.upper() for c in codes})
    return f",{','.join(clean)}," if clean else ""


def build(
    notice: Notice, details: dict[str, Any], record: Record | None
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The one place an extract is made from its notice: (the public fields, the photos, what the
    filters search). Only the fields named here leave the hub; the rest of the notice (facts, law,
    the warrant's reference, circumstances, measures) never does."""
    seen = replication.as_seen(notice)
    subject = seen.get("subject") or {}
    names = list(subject.get("names") or [])
    forename, name = details.get("forename", ""), details.get("name", "")
    if not (forename or name):
        forename, name = _split(names)
    earliest, latest, date_of_birth = _born(subject.get("date_of_birth"))
    nationalities = sorted({str(c).upper() for c in subject.get("nationalities") or []})
    sex = details.get("sex") or {"F": "F", "M": "M"}.get(str(subject.get("sex", "")), "U")
    marks = details.get("distinguishing_marks")
    if marks is None:
        marks = str(subject.get("distinguishing_marks") or "") or None
    entity = bool(details.get("entity"))
    data: dict[str, Any] = {
        "forename": forename or None,
        "name": name,
        "date_of_birth": None if entity else date_of_birth,
        "nationalities": nationalities or None,
    }
    if not entity:
        data.update(
            {
                "sex_id": sex,
                "height": details.get("height"),
                "weight": details.get("weight"),
                "eyes_colors_id": [details["eyes_colors_id"]] if details.get("eyes_colors_id") else None,
                "hairs_id": [details["hairs_id"]] if details.get("hairs_id") else None,
                "distinguishing_marks": marks,
                "languages_spoken_ids": details.get("languages") or None,
                "place_of_birth": details.get("place_of_birth") or None,
                "country_of_birth_id": details.get("country_of_birth"),
            }
        )
    warrants: list[str] = []
    if notice.kind == "red":
        warrants = [notice.owner]
        data["arrest_warrants"] = [
            {
                "issuing_country_id": notice.owner,
                "charge": "; ".join(str(c) for c in seen.get("charges") or []),
                "charge_translation": None,
            }
        ]
    elif notice.kind == "yellow":
        data.update(
            {
                "birth_name": details.get("birth_name") or None,
                "date_of_event": (seen.get("missing_since") or "").replace("-", "/") or None,
                "place": seen.get("place") or None,
                "country": details.get("country") or notice.owner,
                "father_forename": details.get("father_forename") or None,
                "mother_name": details.get("mother_name") or None,
                "mother_forename": details.get("mother_forename") or None,
            }
        )
    else:
        aliases = [str(n["value"]) for n in names if n.get("kind") == "alias"]
        data.update(
            {
                "un_reference": details["un_reference"],
                "un_resolution": details.get("un_resolution") or None,
                "un_reference_date": (details.get("un_reference_date") or "").replace("-", "/") or None,
                "aliases": aliases or None,
                "identity_documents": details.get("identity_documents") or None,
                "adresses": details.get("adresses") or None,
            }
        )
    photos = []
    sources = list((record.data.get("photos") or []) if record is not None else []) + list(
        details.get("photos") or []
    )
    for photo in sources[:8]:
        photos.append(
            {
                "content_type": photo["content_type"],
                "data": base64.b64decode(photo["data"]),
                "sha256": photo["sha256"],
            }
        )
    free = [
        forename,
        name,
        *(str(n["value"]) for n in names),
        str(marks or ""),
        data.get("place_of_birth") or "",
    ]
    if notice.kind == "red":
        free.append(data["arrest_warrants"][0]["charge"])
    keys = {
        "forename": _fold(forename),
        "name": _fold(name),
        "name_key": "\n".join(
            dict.fromkeys(_fold(x) for x in [forename, name, *(n["value"] for n in names)] if x)
        ),
        "free_key": "\n".join(dict.fromkeys(_fold(x) for x in free if x)),
        "sex_id": "" if entity else sex,
        "nationalities": _commas(nationalities),
        "warrant_countries": _commas(warrants),
        "born_earliest": earliest,
        "born_latest": latest,
        "un_reference": _fold(str(details.get("un_reference") or "")),
        "un_resolution": _fold(str(details.get("un_resolution") or "")),
    }
    return data, photos, keys


def published() -> QuerySet[PublicExtract]:
    """The extracts the public may see: published, and never one whose subject's record has since
    been restricted, withdrawn or purged (`visible`, kept in step with the record by the signals
    above in the transaction that changes it)."""
    return PublicExtract.objects.filter(state=ExtractState.PUBLISHED, visible=True)


def fold(text: str) -> str:
    """A query's text as the filters' keys are kept (Latin letters, case-folded, spaces single)."""
    return _fold(text)
