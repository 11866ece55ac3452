"""Pages of bulk writes: a bureau's bulk contributions on its node, the feeds of bulk writes at the
hub, and the snapshots by the stream (at the hub every node's, on a node its own)."""

from __future__ import annotations

import math
import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ncbnet.base import downloads, holdings, uploads
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import feed, imports, snapshot
from .forms import BulkImportForm
from .policies import CONTRIBUTE, WATCH_FEEDS, WATCH_SNAPSHOTS


def _on_a_node() -> None:
    if holdings.here().keeps_originals:
        raise Http404("Bulk contributions are sent from a bureau's node.")


@route(CONTRIBUTE)
@require_http_methods(["GET", "POST"])
@uploads.limit(imports.UPLOAD)
def bulk_imports(request: AuthedRequest) -> HttpResponse:
    """The bureau's bulk contributions, and a form to send one more."""
    _on_a_node()
    form = BulkImportForm(request.POST or None, request.FILES or None)
    refused = uploads.refused(request, form) if request.method == "POST" else None
    if not refused and request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.submit(
                request.user, form.cleaned_data["database"], upload.name, upload, form.restriction()
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error("file" if field in ("file", "row") else None, " ".join(messages))
        else:
            return redirect("records:bulk_import", job.pk)
    return render(
        request,
        "records/bulk_imports.html",
        {"form": form, "jobs": imports.visible()[:50], "columns": _columns()},
        status=refused.status if refused else 400 if form.errors else 200,
    )


def _columns() -> list[tuple[str, str]]:
    return [
        (db, ", ".join(imports.columns(db)))
        for db in ("documents", "persons", "vehicles", "firearms", "artworks")
    ]


@route(CONTRIBUTE)
def bulk_import(request: AuthedRequest, job_id: uuid.UUID) -> HttpResponse:
    """One bulk contribution's progress (the page asks again every two seconds until it is done)."""
    _on_a_node()
    job = imports.get(job_id)
    template = (
        "records/_bulk_progress.html" if request.headers.get("HX-Request") else "records/bulk_import.html"
    )
    return render(request, template, {"job": job})


@route(CONTRIBUTE)
def bulk_outcome(request: AuthedRequest, job_id: uuid.UUID) -> StreamingHttpResponse:
    _on_a_node()
    job = imports.get(job_id)
    imports.download(request.user, job)
    return downloads.download(
        imports.outcome_lines(job),
        f"contribution-{job.pk}-outcome.csv",
        content_type="text/csv; charset=utf-8",
    )


@route(WATCH_FEEDS)
def feeds(request: AuthedRequest) -> HttpResponse:
    """At the hub: how far each bulk write has reached the nodes on the network."""
    jobs = feed.status()
    busy = any(job["finished_at"] is None for job in jobs)
    template = "records/_feeds.html" if request.headers.get("HX-Request") else "records/feeds.html"
    return render(request, template, {"jobs": jobs, "busy": busy})


@route(WATCH_SNAPSHOTS)
def snapshots(request: AuthedRequest) -> HttpResponse:
    """How far each snapshot by the stream has come: at the hub, every node's (sent and stored);
    on a node, what it has stored of its own. The page follows itself while one is running."""
    at_hub = holdings.here().keeps_originals
    if at_hub and request.user.kind != "gs":
        raise Http404("At the hub, the GS follows the snapshots.")
    rows = snapshot.progress_at_hub() if at_hub else snapshot.progress_at_node()
    for r in rows:
        r["eta_minutes"] = None if r["eta_s"] is None else max(1, math.ceil(r["eta_s"] / 60))
    busy = any(r["finished_at"] is None or r.get("indexes_deferred") for r in rows)
    template = "records/_snapshots.html" if request.headers.get("HX-Request") else "records/snapshots.html"
    return render(request, template, {"snapshots": rows, "busy": busy, "at_hub": at_hub})
