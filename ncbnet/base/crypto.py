"""Node identity keys: an Ed25519 key to sign, an X25519 key to receive encrypted content.

Private keys live in PKCS#8 PEM files readable only by the service user, encrypted with
a passphrase when one is configured. All primitives come from `cryptography`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class KeyProblem(Exception):
    """A key is missing, unreadable or the passphrase is wrong."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


_SAFE_INTEGER = 2**53 - 1  # RFC 8785 serialises numbers as IEEE 754 doubles: beyond it, refused


def _plain(value: Any) -> bool:
    """Whether `value` holds only what the standard library's encoder writes exactly as RFC 8785
    does: dicts with string keys in the Basic Multilingual Plane (where sorting by code point is
    sorting by UTF-16 code unit), lists, strings, integers within ±(2^53 - 1), booleans and None
    (and choices: strings' and integers' subclasses, written as their values by both). No floats
    (RFC 8785 writes them the ECMAScript way), no other types."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
                return False
            if not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(map(_plain, value))
    if isinstance(value, str):  # a choice (TextChoices, StrEnum): both write its text
        return True
    if isinstance(value, int):  # an IntEnum: both write its number
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    return False


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes: what gets signed and hashed.

    For plain values (`_plain`: what envelopes, records and audit entries hold) the standard
    library's C encoder writes the same bytes as RFC 8785 (keys sorted, no whitespace, the same
    string escapes: `\\"`, `\\\\`, `\\b \\f \\n \\r \\t`, other controls as lower-case
    `\\u00xx`, everything else as UTF-8) some thirty times faster than the pure-Python `rfc8785`
    package, which writes everything else (floats, for one) and is the reference a property test
    holds this to."""
    if _plain(obj):
        text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 refuses it with its own error
            pass
    return rfc8785.dumps(obj)


def key_id(signing_public: bytes) -> str:
    """A short, stable name for a signing key: the first 128 bits of its SHA-256, in hex."""
    return hashlib.sha256(signing_public).hexdigest()[:32]


@dataclass(frozen=True)
class PublicIdentity:
    node: str
    key_id: str
    signing_public: str  # base64 of the raw 32-byte Ed25519 public key
    encryption_public: str  # base64 of the raw 32-byte X25519 public key

    def as_dict(self) -> dict[str, str]:
        return {
            "node": self.node,
            "key_id": self.key_id,
            "signing_public": self.signing_public,
            "encryption_public": self.encryption_public,
        }


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _encryption(passphrase: str | None) -> serialization.KeySerializationEncryption:
    if passphrase:
        return serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    return serialization.NoEncryption()


class KeyStore:
    """The key folder of one node: `keys/<key_id>/` per generation, `keys/current` names the active one."""

    def __init__(self, data_dir: Path, node: str, passphrase: str | None = None):
        self.root = data_dir / "keys"
        self.node = node
        self.passphrase = passphrase
        self._loaded: dict[tuple[str, str], object] = {}  # private keys already read and decrypted

    @property
    def exists(self) -> bool:
        return (self.root / "current").exists()

    def current_id(self) -> str:
        try:
            return (self.root / "current").read_text("ascii").strip()
        except FileNotFoundError as exc:
            raise KeyProblem(f"no node keys in {self.root}: run `ncbnet init`") from exc

    def generate(self) -> PublicIdentity:
        """Create a new key generation and make it current (initial creation and rotation)."""
        signing = Ed25519PrivateKey.generate()
        encryption = X25519PrivateKey.generate()
        signing_pub = signing.public_key().public_bytes(*RAW)
        kid = key_id(signing_pub)
        folder = self.root / kid
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        folder.mkdir(mode=0o700)
        pkcs8 = serialization.PrivateFormat.PKCS8
        enc = _encryption(self.passphrase)
        _write_private(folder / "signing.pem", signing.private_bytes(serialization.Encoding.PEM, pkcs8, enc))
        _write_private(
            folder / "encryption.pem",
            encryption.private_bytes(serialization.Encoding.PEM, pkcs8, enc),
        )
        identity = PublicIdentity(
            node=self.node,
            key_id=kid,
            signing_public=b64(signing_pub),
            encryption_public=b64(encryption.public_key().public_bytes(*RAW)),
        )
        (folder / "public.json").write_text(json.dumps(identity.as_dict(), indent=2) + "\n")
        tmp = self.root / "current.tmp"
        tmp.write_text(kid + "\n")
        tmp.replace(self.root / "current")
        return identity

    def public(self, kid: str | None = None) -> PublicIdentity:
        kid = kid or self.current_id()
        try:
            data = json.loads((self.root / kid / "public.json").read_text("utf-8"))
        except FileNotFoundError as exc:
            raise KeyProblem(f"no key {kid} in {self.root}") from exc
        return PublicIdentity(**data)

    def all_public(self) -> list[PublicIdentity]:
        if not self.root.exists():
            return []
        return [self.public(p.name) for p in sorted(self.root.iterdir()) if (p / "public.json").exists()]

    def _load(self, kid: str, name: str) -> object:
        """A private key of generation `kid`, read (and decrypted) once per process."""
        if (kid, name) not in self._loaded:
            self._loaded[(kid, name)] = self._read(kid, name)
        return self._loaded[(kid, name)]

    def _read(self, kid: str, name: str) -> object:
        path = self.root / kid / name
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyProblem(f"private key {path} is missing") from exc
        password = self.passphrase.encode("utf-8") if self.passphrase else None
        try:
            return serialization.load_pem_private_key(data, password=password)
        except TypeError as exc:
            raise KeyProblem(
                f"{path} is passphrase-protected: set NCBNET_KEY_PASSPHRASE"
                if password is None
                else f"{path} is not passphrase-protected but NCBNET_KEY_PASSPHRASE is set"
            ) from exc
        except ValueError as exc:
            raise KeyProblem(f"{path} cannot be decrypted: wrong NCBNET_KEY_PASSPHRASE?") from exc

    def signing_key(self, kid: str | None = None) -> Ed25519PrivateKey:
        key = self._load(kid or self.current_id(), "signing.pem")
        assert isinstance(key, Ed25519PrivateKey)
        return key

    def encryption_key(self, kid: str | None = None) -> X25519PrivateKey:
        key = self._load(kid or self.current_id(), "encryption.pem")
        assert isinstance(key, X25519PrivateKey)
        return key

    def sign(self, data: bytes) -> tuple[str, str]:
        """Sign with the current key; return (key_id, base64 signature)."""
        kid = self.current_id()
        return kid, b64(self.signing_key(kid).sign(data))


def verify(signing_public_b64: str, signature_b64: str, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(unb64(signing_public_b64)).verify(unb64(signature_b64), data)
    except (InvalidSignature, ValueError):
        return False
    return True
