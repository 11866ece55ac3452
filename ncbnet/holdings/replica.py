"""An NCB node's holdings: the replica of the global databases (`ReplicaRecord`: what the hub
sent because this country may see it) and the replicated notices and diffusions
(`ReplicaNotice`). It works while the hub cannot be reached."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import QuerySet

from ncbnet.base import audit
from ncbnet.base.actor import Person
from ncbnet.base.holdings import NoticeFilters
from ncbnet.notices import search as notice_search
from ncbnet.notices.models import ReplicaNotice
from ncbnet.records import services as records
from ncbnet.records.models import ReplicaRecord
from ncbnet.records.schemas import Filters

from .reads import audited_notice


class Replica:
    """What the hub sent this node, for its bureau's country: everything in it may be seen here."""

    keeps_originals = False

    def __init__(self, bureau: str) -> None:
        self.bureau: str | None = bureau

    @property
    def keeper(self) -> str:
        return f"NCB {self.bureau}"

    def read(self, actor: Person, record_id: uuid.UUID, ip: str | None = None) -> ReplicaRecord:
        return records.read_replica(actor, record_id, ip)

    def search(
        self, actor: Person, database: str | None = None, q: str = "", filters: Filters | None = None
    ) -> QuerySet[ReplicaRecord]:
        return records.search_replica(actor, database, q, filters)

    def candidates(self, actor: Person) -> QuerySet[ReplicaRecord]:
        return ReplicaRecord.objects.order_by()

    def every(self, database: str | None = None) -> QuerySet[ReplicaRecord]:
        held = ReplicaRecord.objects.all()
        return held.filter(database=database) if database else held

    def owned(self, database: str) -> QuerySet[ReplicaRecord]:
        return ReplicaRecord.objects.filter(database=database, owner=self.bureau).order_by("label")

    def notices(
        self, actor: Person, filters: NoticeFilters | None = None, ip: str | None = None
    ) -> QuerySet[ReplicaNotice]:
        """The notices the hub published and the diffusions sent to this country."""
        f = filters or NoticeFilters()
        found = notice_search.apply(ReplicaNotice.objects.all(), f)
        with transaction.atomic():
            audit.record("notices.browse", actor=actor, detail=f.audit(), ip=ip)
        return found

    def every_notice(self) -> QuerySet[ReplicaNotice]:
        return ReplicaNotice.objects.all()

    def notice(self, actor: Person, notice_id: uuid.UUID, ip: str | None = None) -> ReplicaNotice:
        return audited_notice(ReplicaNotice.objects.filter(pk=notice_id).first(), actor, notice_id, ip)
