from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from ncbnet.base.api import allow
from ncbnet.base.node import keys, role
from ncbnet.base.policies import AUTHENTICATED

from . import services

router = Router(tags=["network"])


@router.get("/directory", auth=allow(AUTHENTICATED), summary="The hub-signed directory of node keys")
def directory(request: HttpRequest) -> dict[str, Any]:
    if not role().keeps_directory:
        raise Http404("Only the hub publishes the key directory.")
    return services.signed_directory(keys())
