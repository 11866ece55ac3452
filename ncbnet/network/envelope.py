"""The envelope: the signed (and, between NCBs, end-to-end encrypted) unit that travels on the network.

Specified in docs/protocol.md. All primitives are libsodium's, through PyNaCl:
- the body is encrypted once with XChaCha20-Poly1305 under a random content key, the envelope
  header as associated data;
- the content key is sealed to each recipient's X25519 key (crypto_box_seal);
- the whole envelope is signed with the sender's Ed25519 key over its RFC 8785 canonical form.
A relay (the hub) that is not a recipient sees the header but cannot read the body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.utils
from cryptography.hazmat.primitives import serialization
from pydantic import Field, StringConstraints

from ncbnet.base import bounded, ids
from ncbnet.base.crypto import KeyProblem, KeyStore, PublicIdentity, b64, canonical, unb64, verify

from . import wire

VERSION = 1
ALGORITHM = "xchacha20poly1305-ietf+sealedbox-x25519"
HEADER_FIELDS = ("v", "id", "type", "from", "to", "created_at", "key_id")
MAX_FUTURE = timedelta(minutes=5)  # clock skew tolerated between nodes
MAX_AGE = timedelta(days=30)  # older envelopes are stale: the streams and the seen-id memory keep 30 days
MAX_BYTES = 4 * 1024 * 1024  # an envelope as it travels; queue() refuses a bigger one
MAX_RECIPIENTS = 200  # every member country and the hub
# What a peer's bytes may cost to parse: the envelope, then (sealed) its body once opened.
LIMITS = bounded.Limits(max_bytes=MAX_BYTES, max_depth=32, max_string=MAX_BYTES, max_items=200_000)


class Rejected(Exception):
    """The envelope must not be accepted; the reason is audited with the quarantined copy."""


class TooLarge(ValueError):
    """An envelope this node would send is over the size every node accepts."""


EnvelopeId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Base64 = Annotated[str, StringConstraints(max_length=MAX_BYTES, pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


class Wrapped(wire.Body):
    key_id: KeyId
    wrapped: Annotated[str, StringConstraints(max_length=200)]


class Sealed(wire.Body):
    alg: Literal["xchacha20poly1305-ietf+sealedbox-x25519"]
    nonce: Annotated[str, StringConstraints(max_length=64)]
    ciphertext: Base64
    keys: Annotated[dict[wire.Node, Wrapped], Field(min_length=1, max_length=MAX_RECIPIENTS)]


class Header(wire.Body):
    """What every envelope must look like before anything else is done with it."""

    v: Literal[1]
    id: EnvelopeId
    type: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z][a-z0-9_.]*$")]
    sender: wire.Node = Field(alias="from")
    to: Annotated[list[wire.Node], Field(min_length=1, max_length=MAX_RECIPIENTS)]
    created_at: Annotated[str, StringConstraints(max_length=40)]
    key_id: KeyId
    sig: Annotated[str, StringConstraints(max_length=128)]
    body: dict[str, Any] | None = None
    sealed: Sealed | None = None


@dataclass(frozen=True)
class PeerKey:
    node: str
    key_id: str
    signing_public: str
    encryption_public: str
    status: str  # active, retired or revoked
    retired_at: datetime | None = None  # a retired key verifies only what was made before then

    @classmethod
    def of(cls, identity: PublicIdentity, status: str = "active") -> PeerKey:
        return cls(
            identity.node, identity.key_id, identity.signing_public, identity.encryption_public, status
        )


def iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(ids.uuid7())


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
    raw = canonical(dict(envelope))
    if len(raw) > MAX_BYTES:
        raise TooLarge(
            f"a {envelope.get('type')} envelope of {len(raw):,} bytes is over the network's limit of "
            f"{MAX_BYTES:,} bytes: send it in parts"
        )
    return raw


def claims(raw: bytes) -> dict[str, str]:
    """What a refused envelope claims to be (id, type, sender), as far as it can be read, for the
    quarantine's list; never trusted, never raises."""
    try:
        envelope = bounded.loads(raw, LIMITS)
    except bounded.Unbounded:
        return {}
    if not isinstance(envelope, dict):
        return {}
    return {k: v[:64] for k in ("id", "type", "from") if isinstance(v := envelope.get(k), str)}


def decode(raw: bytes) -> dict[str, Any]:
    """Parse an envelope within the limits and check its header's shape: sizes and types first,
    so that nothing later meets a list where an id belongs. Raises Rejected saying what is wrong."""
    try:
        envelope = bounded.loads(raw, LIMITS)
    except bounded.Unbounded as exc:
        raise Rejected(f"not a readable envelope: {exc}") from exc
    if not isinstance(envelope, dict):
        raise Rejected("not a JSON object")
    try:
        header = Header.model_validate(envelope)
    except wire.ValidationError as exc:
        raise Rejected(f"malformed envelope: {wire.problems(exc)}") from exc
    if (header.body is None) == (header.sealed is None):
        raise Rejected("an envelope has either a body or a sealed body")
    if len(set(header.to)) != len(header.to):
        raise Rejected("a recipient is named twice")
    if header.sealed is not None and set(header.sealed.keys) != set(header.to):
        raise Rejected("the sealed body is not wrapped for exactly its recipients")
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
    if peer.status == "retired" and peer.retired_at is not None and created > peer.retired_at + MAX_FUTURE:
        raise Rejected(f"signing key {peer.key_id} of {peer.node} was retired before this envelope was made")
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
    try:
        body = bounded.loads(plaintext, LIMITS)
    except bounded.Unbounded as exc:
        raise Rejected(f"the opened body is not readable JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Rejected("body is not an object")
    return body
