from django.http import HttpResponse
from django.shortcuts import render

from ncbnet.security.policies import READ_AUDIT, AuthedRequest, route

from . import services


@route(READ_AUDIT)
def keys(request: AuthedRequest) -> HttpResponse:
    """The network's state on this node: backlog, traffic, quarantined envelopes, the key directory."""
    return render(request, "network/keys.html", services.status(request.user))
