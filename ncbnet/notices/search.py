"""Finding published notices: by kind, owner, the subject's name (in any script), nationality and
date of publication. The same filters run over the hub's notices and a node's replica; each notice
keeps what they search (`subject_key`, `nationalities`) from the moment it is published."""

from __future__ import annotations

import unicodedata
from typing import Any, TypeVar

from anyascii import anyascii
from django.db.models import Model, Q, QuerySet

from ncbnet.base.holdings import NoticeFilters

M = TypeVar("M", bound=Model)


def subject_names(data: Any) -> tuple[str, ...]:
    """The names a notice's subject goes by (none when it is not named)."""
    subject = data.get("subject") if isinstance(data, dict) else None
    names = subject.get("names") if isinstance(subject, dict) else None
    return tuple(str(x["value"]) for x in names or [] if isinstance(x, dict) and x.get("value"))


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _latin(text: str) -> str:
    return " ".join(anyascii(text).casefold().split())


def subject_key(data: Any) -> str:
    """The subject's names as written and in Latin letters, folded, one per line."""
    keys: list[str] = []
    for name in subject_names(data):
        for key in (_fold(name), _latin(name)):
            if key and key not in keys:
                keys.append(key)
    return "\n".join(keys)


def nationalities(data: Any) -> str:
    subject = data.get("subject") if isinstance(data, dict) else None
    codes = subject.get("nationalities") if isinstance(subject, dict) else None
    clean = sorted({str(c).upper() for c in codes or [] if isinstance(c, str) and len(c) == 2})
    return f",{','.join(clean)}," if clean else ""


def index(data: Any) -> dict[str, str]:
    """The searched fields of a notice holding `data` (as every node sees it)."""
    return {"subject_key": subject_key(data), "nationalities": nationalities(data)}


def apply(qs: QuerySet[M], f: NoticeFilters) -> QuerySet[M]:
    """`qs` (notices or a replica of them) narrowed by the filters, newest first."""
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.owner:
        qs = qs.filter(owner=f.owner.strip().upper())
    if f.nationality:
        qs = qs.filter(nationalities__contains=f",{f.nationality.strip().upper()},")
    if f.name.strip():
        folded, latin = _fold(f.name), _latin(f.name)
        qs = qs.filter(Q(subject_key__contains=folded) | Q(subject_key__contains=latin))
    if f.published_from:
        qs = qs.filter(published_at__date__gte=f.published_from)
    if f.published_to:
        qs = qs.filter(published_at__date__lte=f.published_to)
    return qs.order_by("-published_at", "-id")
