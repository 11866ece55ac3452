from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema

from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.base.policies import READ_AUDIT
from ncbnet.core.http import AuthedRequest

from . import services

router = Router(tags=["audit"])


class EntryOut(Schema):
    seq: int
    at: datetime
    node: str
    actor: str
    action: str
    subject: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    ip: str
    hash: str


class PageOut(Schema):
    results: list[EntryOut]
    next: int | None


@router.get("", response=PageOut, auth=allow(READ_AUDIT), summary="Search the audit log (newest first)")
def entries(
    request: AuthedRequest,
    actor: str = "",
    action: str = "",
    subject: str = "",
    before: int | None = Query(None, ge=1, le=2**53, description="entries before this sequence number"),
) -> dict[str, Any]:
    found = services.search(
        request.user, who=actor, action=action, subject=subject, before=before, ip=client_ip(request)
    )
    return {"results": found, "next": found[-1].seq if len(found) == services.PAGE else None}
