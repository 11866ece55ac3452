from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ncbnet.base.policies import PUBLIC_PORTAL, route

from . import services


@route(PUBLIC_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("country", "")
    return render(
        request,
        "public/home.html",
        {
            "contacts": services.contacts(query),
            "query": query,
            **services.source(),
        },
    )
