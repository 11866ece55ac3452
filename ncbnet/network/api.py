from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Router

from ncbnet.api import allow
from ncbnet.core.node import keys
from ncbnet.security.policies import AUTHENTICATED

from . import services

router = Router(tags=["network"])


@router.get("/directory", auth=allow(AUTHENTICATED), summary="The hub-signed directory of node keys")
def directory(request: HttpRequest) -> dict[str, Any]:
    if settings.NCBNET_ROLE != "hub":
        raise Http404("Only the hub publishes the key directory.")
    return services.signed_directory(keys())
