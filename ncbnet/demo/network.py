"""Demo data for the network: on each NCB node, two envelopes refused at the entrance, so that the
quarantine page shows what it is for. They go through the real entrance (`delivery.accept`),
which keeps and audits them as it would on a live network. Refused in production mode."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings

from ncbnet.base import clock
from ncbnet.base.crypto import KeyStore
from ncbnet.network import delivery, envelope
from ncbnet.network.models import Quarantine


def seed() -> int:
    """Refuse two envelopes on this (NCB) node if its quarantine is empty; returns how many."""
    if settings.NCBNET_MODE == "production":
        raise PermissionError("demo data is refused in production mode")
    if Quarantine.objects.exists():
        return 0
    me = str(settings.NCBNET_COUNTRY)
    with tempfile.TemporaryDirectory() as folder:
        # Someone with a NATS credential but not Brazil's keys writes a message "from Brazil".
        impostor = KeyStore(Path(folder), "BR")
        impostor.generate()
        forged = envelope.build(
            kind="message",
            sender="BR",
            recipients={me: envelope.PeerKey.of(impostor.public())},
            body={"subject": "Urgent: release the detainee"},
            signer=impostor,
            now=clock.now(),
        )
    outcomes = [
        delivery.accept(envelope.encode(forged), 0),
        delivery.accept(b'{"v": 1, "id": ["not", "an", "id"], "note": NaN}', 0),
    ]
    return outcomes.count("quarantined")
