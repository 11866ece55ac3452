"""Training's envelopes as they arrive. The catalogue, the requirements, the certificates and the
status list come only from the hub (and the credentials and the list carry the hub's proof as well,
checked against the key this node holds); completions go only to the hub, from a bureau. Anything
else, or anything that does not fit, is quarantined with its audit entry by the network's entrance."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, every, register, require_hub
from ncbnet.network.signals import node_joined

from . import services
from .schemas import CertificateBody, CompletionBody, CourseBody, RequirementsBody, StatusListBody


def _kept(fn: Any, body: Any) -> None:
    try:
        fn(body)
    except ValueError as refused:
        raise Rejected(str(refused)) from refused


@register(services.COURSE, CourseBody)
def course(envelope: Arrived, body: CourseBody) -> None:
    require_hub(envelope, "courses")
    _kept(services.keep_course, body)


@register(services.REQUIREMENTS, RequirementsBody)
def requirements(envelope: Arrived, body: RequirementsBody) -> None:
    require_hub(envelope, "training requirements")
    _kept(services.keep_requirements, body)


@register(
    services.COMPLETION,
    CompletionBody,
    to_hub="completions go to the General Secretariat",
    from_bureau="completions come from a bureau",
)
def completion(envelope: Arrived, body: CompletionBody) -> None:
    try:
        services.receive_completion(envelope.sender, body)
    except ValueError as refused:
        raise Rejected(str(refused)) from refused


@register(services.CERTIFICATE, CertificateBody)
def certificate(envelope: Arrived, body: CertificateBody) -> None:
    require_hub(envelope, "certificates")
    _kept(services.keep_certificate, body)


@register(services.STATUS, StatusListBody)
def status_list(envelope: Arrived, body: StatusListBody) -> None:
    require_hub(envelope, "status lists")
    _kept(services.keep_status_list, body)


@receiver(node_joined)
def send_catalogue(sender: Any, node: str, **kwargs: Any) -> None:
    """A node joining the network gets the catalogue, the requirements and the status list."""
    if node != "hub":
        services.send_all_to(node)


@every(3600, "training.reminders")
def reminders() -> int:
    return services.remind()
