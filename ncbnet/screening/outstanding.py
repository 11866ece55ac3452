"""The notices out for a person found by a screening: what each asks of the bureau that found
them, and what its officer does next. A hit on a notice's subject, like a hit on a record, is a
possible match awaiting the owner's confirmation: nobody acts on it before.

The notices are those this node holds (`holdings.every_notice`): at the hub the published ones,
on an NCB node the notices the hub sent it and the diffusions sent to its country. They are found
through the person index (`index.notice_candidates`, `index.notices_on`), never scanned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from ncbnet.base import holdings
from ncbnet.hits.schemas import Hit
from ncbnet.notices.models import Kind

from . import index

# What each kind of notice asks of the bureaus that see it, in a few words.
ASKED = {
    Kind.RED: _("locate and arrest with a view to extradition"),
    Kind.YELLOW: _("locate (a missing person) or identify"),
    Kind.BLUE: _("information on identity, location or activities"),
    Kind.BLACK: _("identify an unidentified body"),
    Kind.GREEN: _("warning: criminal activities"),
    Kind.ORANGE: _("warning: serious and imminent threat"),
    Kind.PURPLE: _("information on modus operandi"),
    Kind.SILVER: _("trace and locate criminal assets"),
    Kind.UNSC: _("apply the UN Security Council's sanctions"),
}

# What the officer does next, once the owner has confirmed the match (and only then).
NEXT = {
    Kind.RED: _(
        "Do not arrest on the hit alone. Once the owner NCB confirms it, tell the owner NCB and the "
        "General Secretariat at once where the person is; a provisional arrest is for your national "
        "law and authorities to decide."
    ),
    Kind.YELLOW: _(
        "Once the owner NCB confirms it, tell the owner NCB where the person is; do not tell the "
        "person they are sought without the owner's agreement."
    ),
    Kind.BLUE: _(
        "Once the owner NCB confirms it, send the owner NCB what you learn of the person's identity, "
        "location or activities."
    ),
    Kind.BLACK: _("Once the owner NCB confirms it, send the owner NCB what you know of the person."),
    Kind.GREEN: _(
        "Once the owner NCB confirms it, take the warning into account in your checks and tell the "
        "owner NCB what you observe."
    ),
    Kind.ORANGE: _(
        "Tell your competent authorities of the threat now; act on the person only once the owner NCB "
        "confirms the match."
    ),
    Kind.PURPLE: _("Once the owner NCB confirms it, send the owner NCB what you know of the case."),
    Kind.SILVER: _(
        "Once the owner NCB confirms it, send the owner NCB what you learn of the person's assets."
    ),
    Kind.UNSC: _(
        "Once the owner NCB confirms it, apply the measures your national law gives to the Security "
        "Council's sanctions and tell the General Secretariat."
    ),
}


def described(notice: Any) -> dict[str, Any]:
    """What a hit shows of a notice out for the person (in the language of the request)."""
    kind = Kind(notice.kind)
    return {
        "id": str(notice.pk),
        "kind": notice.kind,
        "kind_label": str(kind.label),
        "title": notice.title,
        "owner": notice.owner,
        "source": getattr(notice, "source", "notice"),
        "asked": str(ASKED[kind]),
        "next": str(NEXT[kind]),
    }


def held(ids: Iterable[str]) -> dict[str, Any]:
    """The notices among `ids` this node holds, by id (one query, by primary key)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {str(n.pk): n for n in holdings.here().every_notice().filter(pk__in=wanted)}


def mark(hits: Sequence[Hit]) -> None:
    """On each hit on a persons record, the notices out for that person (whose subject it is)."""
    on = index.notices_on({h.record for h in hits if h.database == "persons"})
    if not on:
        return
    notices = held(card["id"] for cards in on.values() for card in cards)
    for h in hits:
        h.notices = [described(notices[c["id"]]) for c in on.get(h.record, []) if c["id"] in notices]
