"""What this node holds, as one interface: at the hub the global databases and the notices it
publishes, on an NCB node the replica the hub sent it (what its country may see). The feature
apps ask `here()` instead of checking the node's role.

The implementations live in `ncbnet.holdings` (which knows the records and notices apps); it
registers how to choose one with `provide()` when Django starts. This module imports no app.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from ncbnet.base.actor import Person


class HeldRecord(Protocol):
    """A record as this node holds it: an original at the hub, a replica on a node."""

    pk: Any
    id: uuid.UUID
    database: str
    owner: str
    label: str
    data: dict[str, Any]
    version: int
    handling: str
    handling_note: str

    @property
    def status(self) -> str:
        """ "live", or "withdrawn" (at the hub only: a withdrawn record leaves every replica)."""
        ...


class HeldNotice(Protocol):
    """A notice as this node holds it: the hub's own, or a node's replica (diffusions included)."""

    pk: Any
    id: uuid.UUID
    kind: str
    title: str
    data: dict[str, Any]


@dataclass(frozen=True)
class NoticeFilters:
    """What a list of published notices is narrowed by (each empty: any)."""

    kind: str = ""
    owner: str = ""
    name: str = ""  # the subject's name, in any script
    nationality: str = ""
    published_from: dt.date | None = None
    published_to: dt.date | None = None

    def audit(self) -> dict[str, str]:
        """What the audit entry of a browse says was asked."""
        return {k: str(v) for k, v in self.__dict__.items() if v}


class Holdings(Protocol):
    """What this node holds and may do with it, each read as the actor may see it."""

    @property
    def keeps_originals(self) -> bool:
        """The originals are kept here (the hub): records are contributed and changed here, the
        GS reviews notices and takes escalated hits here. A node keeps a replica and sends its
        contributions, requests and answers to the hub."""
        ...

    @property
    def bureau(self) -> str | None:
        """The country whose bureau this node serves (None at the hub)."""
        ...

    @property
    def keeper(self) -> str:
        """Who keeps these holdings, for the pages: the General Secretariat or an NCB."""
        ...

    def read(self, actor: Person, record_id: uuid.UUID, ip: str | None = None) -> HeldRecord:
        """One record the actor may see; the read is audited, a refused or missing one too, and
        raises Http404."""
        ...

    def search(
        self, actor: Person, database: str | None = None, q: str = "", filters: Any = None
    ) -> QuerySet[Any]:
        """Browse or search the records the actor may see, ordered by database and label; audited.
        `filters` (`records.schemas.Filters`) narrows them to an owner, a date range of their last
        change and a status: live, or (at the hub, for the GS) withdrawn; a replica holds only live
        records."""
        ...

    def candidates(self, actor: Person) -> QuerySet[Any]:
        """Every record the actor may screen against, unordered (a list of ids is looked up by its
        primary key, not by the database's index)."""
        ...

    def every(self, database: str | None = None) -> QuerySet[Any]:
        """Every record this node holds, whoever asks: what the node's own indexes are built over."""
        ...

    def owned(self, database: str) -> QuerySet[Any]:
        """The records of this node's own bureau in one database, by label (none at the hub,
        which owns no records)."""
        ...

    def notices(
        self, actor: Person, filters: NoticeFilters | None = None, ip: str | None = None
    ) -> QuerySet[Any]:
        """The published notices this node shows (at the hub all it published, on a node its
        replica: the published notices and the diffusions sent to its country), filtered, newest
        first; the browse is audited."""
        ...

    def every_notice(self) -> QuerySet[Any]:
        """Every published notice this node holds, whoever asks: what the node's own checks run
        over (the cross-check of an incoming request)."""
        ...

    def notice(self, actor: Person, notice_id: uuid.UUID, ip: str | None = None) -> HeldNotice:
        """One notice as this node holds it; the read is audited, a missing one too (Http404)."""
        ...


_choose: Callable[[], Holdings] | None = None
_chosen: Holdings | None = None


def provide(choose: Callable[[], Holdings]) -> None:
    """Register how this node's holdings are chosen (`ncbnet.holdings`, at startup)."""
    global _choose, _chosen
    _choose, _chosen = choose, None


def forget() -> None:
    """Choose again at the next `here()` (the node's configuration changed: tests do that)."""
    global _chosen
    _chosen = None


def here() -> Holdings:
    """This node's holdings, chosen once."""
    global _chosen
    if _chosen is None:
        if _choose is None:
            raise ImproperlyConfigured("ncbnet.holdings is not in INSTALLED_APPS: no holdings to read")
        _chosen = _choose()
    return _chosen
