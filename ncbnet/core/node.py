"""This node's identity: its id on the network and its key store."""

from __future__ import annotations

from django.conf import settings

from ncbnet.security.crypto import KeyStore


def node_id() -> str:
    """`hub` for the General Secretariat, else the node's country code."""
    return "hub" if settings.NCBNET_ROLE == "hub" else str(settings.NCBNET_COUNTRY)


def keys() -> KeyStore:
    return KeyStore(settings.DATA_DIR, node_id(), settings.NODE.key_passphrase)
