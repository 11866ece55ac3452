"""The envelope: the signed (and, between NCBs, end-to-end encrypted) unit that travels on the network.

Specified in docs/protocol.md. All primitives are libsodium's, through PyNaCl:
- the body is encrypted once with XChaCha20-Poly1305 under a random content key, the envelope
  header as associated data;
- the content key is sealed to each recipient's X25519 key (crypto_box_seal);
- the whole envelope is signed with the sender's Ed25519 key over its RFC 8785 canonical form.
A relay (the hub) that is not a recipient sees the header but cannot read the body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.utils
import uuid6
from cryptography.hazmat.primitives import serialization

from ncbnet.security.crypto import KeyProblem, KeyStore, PublicIdentity, b64, canonical, unb64, verify

VERSION = 1
ALGORITHM = "xchacha20poly1305-ietf+sealedbox-x25519"
HEADER_FIELDS = ("v", "id", "type", "from", "to", "created_at", "key_id")
MAX_FUTURE = timedelta(minutes=5)  # clock skew tolerated between nodes
MAX_AGE = timedelta(days=30)  # older envelopes are stale: the streams and the seen-id memory keep 30 days
MAX_BYTES = 4 * 1024 * 1024


class Rejected(Exception):
    """The envelope must not be accepted; the reason is audited with the quarantined copy."""


@dataclass(frozen=True)
class PeerKey:
    node: str
    key_id: str
    signing_public: str
    encryption_public: str
    status: str  # active, retired or revoked

    @classmethod
    def of(cls, identity: PublicIdentity, status: str = "active") -> PeerKey:
        return cls(
            identity.node, identity.key_id, identity.signing_public, identity.encryption_public, status
        )


def iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid6.uuid7())


def header(envelope: Mapping[str, Any]) -> dict[str, Any]:
    return {k: envelope[k] for k in HEADER_FIELDS}


def build(
    *,
    kind: str,
    sender: str,
    recipients: Mapping[str, PeerKey],
    body: Mapping[str, Any],
    signer: KeyStore,
    now: datetime,
    confidential: bool = True,
    envelope_id: str | None = None,
) -> dict[str, Any]:
    """Make a signed envelope; with `confidential`, only the recipients can read the body."""
    envelope: dict[str, Any] = {
        "v": VERSION,
        "id": envelope_id or new_id(),
        "type": kind,
        "from": sender,
        "to": sorted(recipients),
        "created_at": iso(now),
        "key_id": signer.current_id(),
    }
    if confidential:
        content_key = nacl.utils.random(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
        nonce = nacl.utils.random(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            canonical(dict(body)), canonical(header(envelope)), nonce, content_key
        )
        keys = {}
        for node, peer in sorted(recipients.items()):
            box = nacl.public.SealedBox(nacl.public.PublicKey(unb64(peer.encryption_public)))
            keys[node] = {"key_id": peer.key_id, "wrapped": b64(box.encrypt(content_key))}
        envelope["sealed"] = {
            "alg": ALGORITHM,
            "nonce": b64(nonce),
            "ciphertext": b64(ciphertext),
            "keys": keys,
        }
    else:
        envelope["body"] = dict(body)
    envelope["sig"] = signer.sign(canonical(envelope))[1]
    return envelope


def encode(envelope: Mapping[str, Any]) -> bytes:
    return canonical(dict(envelope))


def decode(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BYTES:
        raise Rejected(f"envelope larger than {MAX_BYTES} bytes")
    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected("not a JSON envelope") from exc
    if not isinstance(envelope, dict):
        raise Rejected("not a JSON object")
    missing = [f for f in (*HEADER_FIELDS, "sig") if f not in envelope]
    if missing:
        raise Rejected(f"missing fields: {', '.join(missing)}")
    if envelope["v"] != VERSION:
        raise Rejected(f"unsupported envelope version {envelope['v']!r}")
    if ("body" in envelope) == ("sealed" in envelope):
        raise Rejected("an envelope has either a body or a sealed body")
    if not isinstance(envelope["to"], list) or not all(isinstance(t, str) for t in envelope["to"]):
        raise Rejected("'to' must be a list of node ids")
    return envelope


def check(envelope: Mapping[str, Any], key_of: Callable[[str, str], PeerKey | None], now: datetime) -> None:
    """Verify the sender's signature against the directory, and the envelope's age."""
    try:
        created = datetime.fromisoformat(str(envelope["created_at"]).replace("Z", "+00:00"))
    except ValueError as exc:
        raise Rejected("created_at is not an ISO 8601 time") from exc
    if created.tzinfo is None:
        raise Rejected("created_at has no time zone")
    if created > now + MAX_FUTURE:
        raise Rejected("created_at is in the future")
    if now - created > MAX_AGE:
        raise Rejected("stale: older than the network keeps envelopes")
    peer = key_of(str(envelope["from"]), str(envelope["key_id"]))
    if peer is None:
        raise Rejected(f"unknown signing key {envelope['key_id']} for {envelope['from']}")
    if peer.status == "revoked":
        raise Rejected(f"signing key {peer.key_id} of {peer.node} is revoked")
    unsigned = {k: v for k, v in envelope.items() if k != "sig"}
    if not verify(peer.signing_public, str(envelope["sig"]), canonical(unsigned)):
        raise Rejected("bad signature")


def open_body(envelope: Mapping[str, Any], me: str, keys: KeyStore) -> dict[str, Any]:
    """The body, decrypted for node `me` when sealed. Raises Rejected if it cannot be opened."""
    if "body" in envelope:
        body = envelope["body"]
        if not isinstance(body, dict):
            raise Rejected("body is not an object")
        return body
    sealed = envelope["sealed"]
    if sealed.get("alg") != ALGORITHM:
        raise Rejected(f"unsupported algorithm {sealed.get('alg')!r}")
    mine = sealed.get("keys", {}).get(me)
    if mine is None:
        raise Rejected(f"not sealed for {me}")
    try:
        private = keys.encryption_key(mine["key_id"])
    except KeyProblem as exc:
        raise Rejected(f"no private key {mine['key_id']} on this node") from exc
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    try:
        content_key = nacl.public.SealedBox(nacl.public.PrivateKey(raw_private)).decrypt(
            unb64(mine["wrapped"])
        )
        plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            unb64(sealed["ciphertext"]), canonical(header(envelope)), unb64(sealed["nonce"]), content_key
        )
    except (nacl.exceptions.CryptoError, ValueError, KeyError) as exc:
        raise Rejected("the sealed body does not open (altered or not for this key)") from exc
    body = json.loads(plaintext)
    if not isinstance(body, dict):
        raise Rejected("body is not an object")
    return body
