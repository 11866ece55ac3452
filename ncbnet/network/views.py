from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ncbnet.base.policies import READ_AUDIT, route
from ncbnet.core.http import AuthedRequest

from . import quarantine, services


@route(READ_AUDIT)
def keys(request: AuthedRequest) -> HttpResponse:
    """The network's state on this node: backlog, traffic, quarantined envelopes, the key directory,
    and, under `ncbnet up`, the node's processes and their restarts."""
    context = services.status(request.user)
    context["processes"] = services.processes()
    return render(request, "network/keys.html", context)


@route(READ_AUDIT)
def quarantine_list(request: AuthedRequest) -> HttpResponse:
    """What this node refused, held ones first; the administrator opens one to retry or drop it."""
    state = request.GET.get("state", "held")
    try:
        rows = list(quarantine.listing(request.user, None if state == "all" else state))
    except ValidationError:
        state, rows = "held", list(quarantine.listing(request.user, "held"))
    return render(
        request,
        "network/quarantine.html",
        {"rows": rows, "state": state, "states": ["held", "released", "dropped", "all"]},
    )


class DropForm(forms.Form):
    reason = forms.CharField(
        label=_("Why drop it"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


@route(READ_AUDIT)
@require_http_methods(["GET", "POST"])
def quarantine_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    drop_form = DropForm(request.POST if request.POST.get("action") == "drop" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "retry":
                result = quarantine.retry(request.user, pk)
                if result.released:
                    messages.success(request, _("The envelope went through."))
                else:
                    messages.error(request, _("Refused again: %(reason)s") % {"reason": result.reason})
            elif drop_form.is_valid():
                quarantine.drop(request.user, pk, drop_form.cleaned_data["reason"])
                messages.success(request, _("The envelope was dropped."))
            else:
                return render(
                    request,
                    "network/quarantine_detail.html",
                    {"shown": quarantine.show(request.user, pk), "drop_form": drop_form},
                    status=422,
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("network:quarantine_detail", pk)
    return render(
        request,
        "network/quarantine_detail.html",
        {"shown": quarantine.show(request.user, pk), "drop_form": DropForm()},
    )
