from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ncbnet.base import downloads, uploads
from ncbnet.base.http import client_ip
from ncbnet.base.node import node_id
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest
from ncbnet.network.delivery import connected_nodes
from ncbnet.security.middleware import background

from . import services
from .forms import ComposeForm, ForwardForm
from .policies import MESSAGING


def _filters(request: AuthedRequest, box: str) -> services.Filters:
    return services.Filters(
        box=box,
        q=request.GET.get("q", "").strip(),
        priority=request.GET.get("priority", ""),
        unread=request.GET.get("unread") == "1",
    )


def _box(request: AuthedRequest, box: str) -> HttpResponse:
    f = _filters(request, box)
    found = services.search(request.user, f, client_ip(request))[:200]
    return render(request, "messaging/box.html", {"messages_list": found, "f": f, "box": box})


@route(MESSAGING)
def inbox(request: AuthedRequest) -> HttpResponse:
    return _box(request, "inbox")


@route(MESSAGING)
def sent(request: AuthedRequest) -> HttpResponse:
    return _box(request, "sent")


@route(MESSAGING)
def thread(request: AuthedRequest, message_id: str) -> HttpResponse:
    message, thread = services.read(request.user, message_id, client_ip(request))
    return render(request, "messaging/thread.html", {"message": message, "thread": thread})


ATTACHMENTS = uploads.Limit(
    files=services.MAX_ATTACHMENTS_BYTES,
    message=gettext_lazy(
        "Attachments are limited to 50 MB in all; larger files go through the large-file exchange."
    ),
)


@route(MESSAGING)
@require_http_methods(["GET", "POST"])
@uploads.limit(ATTACHMENTS)
def compose(request: AuthedRequest) -> HttpResponse:
    initial = {}
    h3_note = None
    reply_to = request.GET.get("reply")  # the form posts back to the same address
    if reply_to:
        original, _thread = services.read(request.user, reply_to, client_ip(request))
        if original.handling == "H3":
            h3_note = original.handling_note
        initial = {
            "to": original.sender_node if original.direction == "in" else ", ".join(original.recipients),
            "subject": original.subject
            if original.subject.lower().startswith("re:")
            else f"Re: {original.subject}",
            "in_reply_to": str(original.pk),
            "handling": original.handling,
            "priority": original.priority,
        }
    form = ComposeForm(request.POST or None, request.FILES or None, initial=initial, h3_note=h3_note)
    refused = False  # onward sharing the handling code forbids (403), not a form to correct (400)
    if uploads.refused(request, form):
        return render(
            request, "messaging/compose.html", {"form": form, "nodes": connected_nodes()}, status=413
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = services.Draft(
            to=[t for t in data["to"].replace(";", ",").split(",")],
            subject=data["subject"],
            body=data["body"],
            gs_copy=data["gs_copy"],
            priority=data["priority"],
            handling=data["handling"],
            handling_note=data["handling_note"],
            source_reliability=data["source_reliability"],
            information_accuracy=data["information_accuracy"],
            references=data["references"],
            in_reply_to=data["in_reply_to"] or None,
            attachments=[
                services.Upload(f.name, f.content_type or "application/octet-stream", f.read())
                for f in data["attachments"]
            ],
            confirm_restriction=bool(data.get("confirm_restriction")),
        )
        try:
            message = services.send(request.user, draft, client_ip(request))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        except services.OnwardSharingRefused as exc:
            form.add_error(None, str(exc))
            refused = True
        else:
            flash.success(request, _("Message queued for %(to)s.") % {"to": ", ".join(message.recipients)})
            return redirect("messaging:thread", message_id=message.pk)
    return render(
        request,
        "messaging/compose.html",
        {"form": form, "nodes": connected_nodes()},
        status=403 if refused else 400 if form.errors else 200,
    )


@route(MESSAGING)
@require_http_methods(["GET", "POST"])
def forward(request: AuthedRequest, message_id: str) -> HttpResponse:
    """Forward a message: H2 only to its parties (refused beyond, and audited), H3 with its
    restriction confirmed; the forward keeps the handling code and evaluation."""
    original, _thread = services.read(request.user, str(message_id), client_ip(request))
    h3_note = original.handling_note if original.handling == "H3" else None
    form = ForwardForm(request.POST or None, h3_note=h3_note)
    refused = False  # onward sharing the handling code forbids (403), not a form to correct (400)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = services.forward(
                request.user,
                str(original.pk),
                form.recipients(),
                data["note"],
                confirm_restriction=bool(data.get("confirm_restriction")),
                gs_copy=data["gs_copy"],
                priority=data["priority"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        except services.OnwardSharingRefused as exc:
            form.add_error(None, str(exc))
            refused = True
        else:
            flash.success(request, _("Message forwarded to %(to)s.") % {"to": ", ".join(message.recipients)})
            return redirect("messaging:thread", message_id=message.pk)
    parties = sorted(original.parties - {node_id()})
    return render(
        request,
        "messaging/forward.html",
        {"form": form, "original": original, "parties": parties, "nodes": connected_nodes()},
        status=403 if refused else 400 if form.errors else 200,
    )


@route(MESSAGING)
@background
def alerts(request: AuthedRequest) -> HttpResponse:
    """The on-screen alert for unread urgent and flash messages (polled by every page)."""
    return render(request, "messaging/alerts.html", {"alerts": services.alerts(request.user)})


@route(MESSAGING)
def download(request: AuthedRequest, message_id: str, attachment_id: str) -> StreamingHttpResponse:
    """The attachment as a download, whatever content type its sender gave it (base.downloads)."""
    found, content = services.attachment(request.user, message_id, attachment_id, client_ip(request))
    response = downloads.download(content, found.name, size=found.size)
    response["X-Content-SHA256"] = found.sha256
    return response
