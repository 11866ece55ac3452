from django.http import HttpResponse
from django.shortcuts import render

from ncbnet.security.policies import READ_AUDIT, AuthedRequest, route

from . import services


@route(READ_AUDIT)
def keys(request: AuthedRequest) -> HttpResponse:
    """The network's state on this node: backlog, traffic, quarantined envelopes, the key directory,
    and, under `ncbnet up`, the node's processes and their restarts."""
    context = services.status(request.user)
    context["processes"] = services.processes()
    return render(request, "network/keys.html", context)
