"""The network figures the GS publishes, as they arrive on a node: only from the hub, the body
bounded and checked (`schemas.PublicationBody`), kept once. Anything else is quarantined, with its
audit entry, by the network's entrance."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.network.signals import node_joined

from . import services
from .schemas import PublicationBody


@register(services.PUBLICATION, PublicationBody)
def publication(envelope: Arrived, body: PublicationBody) -> None:
    require_hub(envelope, "network figures")
    try:
        services.keep(body)
    except ValueError as refused:
        raise Rejected(str(refused)) from refused


@receiver(node_joined)
def send_publications(sender: Any, node: str, **kwargs: Any) -> None:
    """A node joining the network gets every publication."""
    if node != "hub":
        services.send_all_to(node)
