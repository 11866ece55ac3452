from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ncbnet.security.policies import NETWORK_ADMIN, route

from .models import NodeKey


@route(NETWORK_ADMIN)
def keys(request: HttpRequest) -> HttpResponse:
    return render(request, "network/keys.html", {"keys": NodeKey.objects.order_by("node", "-valid_from")})
