from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ncbnet.base.policies import PUBLIC_PORTAL, route
from ncbnet.notices.models import ExtractPhoto

from . import notices_api, services

PER_PAGE = 20

# The portal's lists: its slug, the public API's collection, the heading.
LISTS = {
    "wanted": ("red", _("Wanted persons")),
    "missing": ("yellow", _("Missing persons")),
    "un-persons": ("un/persons", _("UN Security Council: listed persons")),
    "un-entities": ("un/entities", _("UN Security Council: listed entities")),
}


@route(PUBLIC_PORTAL)
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("country", "")
    return render(
        request,
        "public/home.html",
        {
            "contacts": services.contacts(query),
            "query": query,
            "lists": [(slug, title) for slug, (_path, title) in LISTS.items()],
            **services.source(),
        },
    )


def _collection(slug: str) -> tuple[notices_api.Collection, Any]:
    if slug not in LISTS:
        raise Http404("No such list.")
    path, title = LISTS[slug]
    return notices_api.COLLECTIONS[path], title


@route(PUBLIC_PORTAL)
def notices(request: HttpRequest, slug: str) -> HttpResponse:
    """Search and browse one list of published notices, with the public API's filters (an empty
    field of the form is no filter)."""
    c, title = _collection(slug)
    pairs = [(k, [v for v in vs if v.strip()]) for k, vs in request.GET.lists()]
    given = [(k, vs) for k, vs in pairs if vs]
    errors: list[dict[str, Any]] = []
    rows: list[Any] = []
    total, page, last = 0, 1, 1
    values = {k: vs[0] for k, vs in given}
    try:
        q = notices_api.validate(c.query, given)
    except notices_api.BadQuery as exc:
        errors = exc.errors
    else:
        page = q.page
        qs = notices_api.filtered(c, q).order_by("-published_at", "-id")
        total = qs.count()
        last = max(1, math.ceil(total / PER_PAGE))
        rows = list(qs.only("entity_id", "data")[(page - 1) * PER_PAGE : page * PER_PAGE])
        thumbs: dict[int, int] = {}
        for extract_id, pk in (
            ExtractPhoto.objects.filter(extract__in=rows).order_by("-number").values_list("extract_id", "pk")
        ):
            thumbs[extract_id] = pk
        for e in rows:
            e.path_id = e.entity_id.replace("/", "-")
            e.thumb = thumbs.get(e.pk)
            e.countries = [services.country_name(n) for n in e.data.get("nationalities") or []]
    kept = {k: v for k, v in values.items() if k not in ("page", "resultPerPage")}
    return render(
        request,
        "public/notices.html",
        {
            "slug": slug,
            "title": title,
            "api_path": c.path,
            "lists": [(s, t) for s, (_p, t) in LISTS.items()],
            "fields": set(c.query.model_fields) - {"page", "resultPerPage"},
            "values": values,
            "errors": errors,
            "notices": rows,
            "total": total,
            "page": page,
            "previous": urlencode({**kept, "page": page - 1}) if page > 1 else "",
            "next": urlencode({**kept, "page": page + 1}) if page < last else "",
            "last": last,
        },
    )


@route(PUBLIC_PORTAL)
def notice(request: HttpRequest, slug: str, notice_id: str) -> HttpResponse:
    """One notice: its public fields, its photos, and the only thing the public is asked to do."""
    c, title = _collection(slug)
    e = notices_api.one(c, notice_id)
    if e is None:
        raise Http404("No such notice.")
    owner = e.notice.owner
    d = e.data
    return render(
        request,
        "public/notice.html",
        {
            "slug": slug,
            "title": title,
            "api_path": c.path,
            "extract": e,
            "d": d,
            "path_id": e.entity_id.replace("/", "-"),
            "photos": list(
                ExtractPhoto.objects.filter(extract=e).order_by("number").values_list("pk", flat=True)
            ),
            "nationalities": [services.country_name(n) for n in d.get("nationalities") or []],
            "owner": services.country_name(owner),
            "contact": services.contact(owner),
        },
    )
