from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render

from ncbnet.audit import services as audit
from ncbnet.security.policies import READ_AUDIT, AuthedRequest, route

from . import services


@route(READ_AUDIT)
def keys(request: AuthedRequest) -> HttpResponse:
    """The network's state on this node: backlog, traffic, quarantined envelopes, the key directory."""
    with transaction.atomic():
        audit.record("network.status.read", actor=request.user)
    return render(request, "network/keys.html", services.status())
