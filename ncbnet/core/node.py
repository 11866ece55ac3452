"""This node's identity: its id on the network and its key store."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from ncbnet.security.crypto import KeyStore


def node_id() -> str:
    """`hub` for the General Secretariat, else the node's country code."""
    return "hub" if settings.NCBNET_ROLE == "hub" else str(settings.NCBNET_COUNTRY)


def keys() -> KeyStore:
    """This node's key store, one per process (it keeps decrypted keys so that signing and opening
    envelopes do not read and decrypt PEM files each time)."""
    return _store(str(settings.DATA_DIR), node_id(), settings.NODE.key_passphrase)


@cache
def _store(data_dir: str, node: str, passphrase: str | None) -> KeyStore:
    return KeyStore(Path(data_dir), node, passphrase)
