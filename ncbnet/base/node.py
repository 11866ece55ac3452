"""This node's identity: its id on the network and its key store."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from ncbnet.base.crypto import KeyStore

HUB = "hub"


@dataclass(frozen=True)
class Role:
    """What a node does on the network, by its role: the one table where the hub and an NCB node
    differ by name. Code asks for a capability (`role().relays`) or goes behind the holdings
    interface (what the node holds), never `if role == "hub"`."""

    name: str
    bureau: bool  # serves one country's NCB: its people, agencies and replica
    relays: bool  # forwards envelopes between bureaus and keeps their inboxes (the relay stream)
    keeps_directory: bool  # registers node keys; signs, publishes and answers for the key directory
    keeps_anchors: bool  # keeps the audit seals the nodes send it (a bureau sends its seals there)
    public_portal: bool  # serves the public portal at its root


ROLES = {
    "hub": Role(
        "hub", bureau=False, relays=True, keeps_directory=True, keeps_anchors=True, public_portal=True
    ),
    "ncb": Role(
        "ncb", bureau=True, relays=False, keeps_directory=False, keeps_anchors=False, public_portal=False
    ),
}


def role() -> Role:
    """This node's role, from its configuration (`NCBNET_ROLE`)."""
    return ROLES[str(settings.NCBNET_ROLE)]


def node_id() -> str:
    """`hub` for the General Secretariat, else the node's country code."""
    return str(settings.NCBNET_COUNTRY) if role().bureau else HUB


def keys() -> KeyStore:
    """This node's key store, one per process (it keeps decrypted keys so that signing and opening
    envelopes do not read and decrypt PEM files each time)."""
    return _store(str(settings.DATA_DIR), node_id(), settings.NODE.key_passphrase)


@cache
def _store(data_dir: str, node: str, passphrase: str | None) -> KeyStore:
    return KeyStore(Path(data_dir), node, passphrase)
