"""The hub's holdings: the global databases (`Record`) and the notices the GS publishes
(`Notice`), each read as the actor may see it under the owner's restriction."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from ncbnet.base import audit
from ncbnet.base.actor import Person
from ncbnet.base.holdings import NoticeFilters
from ncbnet.notices import search as notice_search
from ncbnet.notices import services as notice_services
from ncbnet.notices.models import Notice
from ncbnet.records import services as records
from ncbnet.records.models import Record
from ncbnet.records.schemas import Filters

from .reads import audited_notice


class Hub:
    """The originals: records are contributed and changed here, notices reviewed and published."""

    keeps_originals = True
    bureau: str | None = None

    @property
    def keeper(self) -> str:
        return gettext("General Secretariat")

    def read(self, actor: Person, record_id: uuid.UUID, ip: str | None = None) -> Record:
        return records.read(records.Actor.of(actor), str(record_id))

    def search(
        self, actor: Person, database: str | None = None, q: str = "", filters: Filters | None = None
    ) -> QuerySet[Record]:
        return records.search(records.Actor.of(actor), database, q, filters)

    def candidates(self, actor: Person) -> QuerySet[Record]:
        """What the actor's country may see (everything, for the GS)."""
        country = getattr(actor, "country_code", None)
        return Record.objects.live().visible_to(country, gs=getattr(actor, "kind", "") == "gs").order_by()

    def every(self, database: str | None = None) -> QuerySet[Record]:
        live = Record.objects.live()
        return live.filter(database=database) if database else live

    def owned(self, database: str) -> QuerySet[Record]:
        return Record.objects.none()

    def notices(
        self, actor: Person, filters: NoticeFilters | None = None, ip: str | None = None
    ) -> QuerySet[Notice]:
        f = filters or NoticeFilters()
        found = notice_search.apply(notice_services.published(), f)
        with transaction.atomic():
            audit.record("notices.browse", actor=actor, detail=f.audit(), ip=ip)
        return found

    def every_notice(self) -> QuerySet[Notice]:
        return notice_services.published()

    def notice(self, actor: Person, notice_id: uuid.UUID, ip: str | None = None) -> Notice:
        return audited_notice(Notice.objects.filter(pk=notice_id).first(), actor, notice_id, ip)
