"""What the hub and a node read alike."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db import transaction
from django.http import Http404

from ncbnet.base import audit
from ncbnet.base.actor import Person

_Notice = TypeVar("_Notice")


def audited_notice(notice: _Notice | None, actor: Person, notice_id: uuid.UUID, ip: str | None) -> _Notice:
    """A notice read as this node holds it: the read is audited, a missing one too."""
    with transaction.atomic():
        audit.record(
            "notices.read", actor=actor, target_type="notices.notice", target_id=str(notice_id), ip=ip
        )
    if notice is None:
        raise Http404("No such notice on this node.")
    return notice
