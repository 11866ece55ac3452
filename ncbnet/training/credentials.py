"""Open Badges 3.0 credentials (W3C Verifiable Credentials 2.0) and the revocation status list,
secured with a Data Integrity proof of the `eddsa-jcs-2022` cryptosuite (W3C vc-di-eddsa): the
document and the proof's options are each canonicalised by RFC 8785 (JCS, `base.crypto.canonical`),
hashed with SHA-256, the two hashes (options first) signed with the hub's Ed25519 key, the
signature written as base58btc multibase (`z…`).

Verification is offline: the key comes from this node's copy of the key directory, or the hub's
key it pinned (`network.delivery.key_of`); the revocation bit from the latest status list the hub
sent, itself checked the same way."""

from __future__ import annotations

import base64
import gzip
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ncbnet.base import clock
from ncbnet.base.crypto import KeyStore, canonical, unb64
from ncbnet.base.node import keys, role
from ncbnet.network import delivery

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
ISSUER = "urn:ncbnet:hub"
STATUS_LIST = "urn:ncbnet:training:status-list:1"
LIST_BITS = 131_072  # 16 KB: the Bitstring Status List's minimum, so an index tells nothing
MAX_CREDENTIAL = 64_000  # characters of canonical JSON: a credential is a few kilobytes
CRYPTOSUITE = "eddsa-jcs-2022"


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def subject_id(node: str, username: str) -> str:
    return f"urn:ncbnet:{node}:user:{username}"


# --- the proof ---------------------------------------------------------------------------------


def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical(options)).digest() + hashlib.sha256(canonical(document)).digest()


def sign(document: dict[str, Any], store: KeyStore | None = None) -> dict[str, Any]:
    """The document with its `proof`, signed with this node's (the hub's) current key."""
    store = store or keys()
    kid = store.current_id()
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _z(clock.now()),
        "verificationMethod": f"{ISSUER}#{kid}",
        "proofPurpose": "assertionMethod",
        "@context": unsecured["@context"],
    }
    signature = store.signing_key(kid).sign(_hash_data(unsecured, options))
    return {**unsecured, "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode()}}


def _hub_key(kid: str) -> str | None:
    """The hub's signing key `kid` (base64), from the directory or the pin; the hub its own."""
    found = delivery.key_of("hub", kid)
    if found is not None:
        return found.signing_public
    if not role().bureau:  # the hub: its own keys
        for public in keys().all_public():
            if public.key_id == kid:
                return public.signing_public
    return None


def proof_problem(document: Any) -> str | None:
    """Why the document's proof does not hold, or None when it does."""
    if not isinstance(document, dict):
        return "not a JSON object"
    try:
        size = len(canonical(document))
    except (TypeError, ValueError):
        return "not canonical JSON"
    if size > MAX_CREDENTIAL:
        return f"larger than {MAX_CREDENTIAL} bytes"
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return "no proof"
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return f"the proof is not a DataIntegrityProof of {CRYPTOSUITE}"
    if proof.get("proofPurpose") != "assertionMethod":
        return "the proof's purpose is not assertionMethod"
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method.startswith(ISSUER + "#"):
        return "the proof is not by the hub's key"
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != ISSUER:
        return "the issuer is not the General Secretariat"
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 120:
        return "the proof value is not base58btc multibase"
    public = _hub_key(method.split("#", 1)[1][:64])
    if public is None:
        return "the hub's key that signed it is not in this node's key directory"
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if options.get("@context") != document.get("@context"):
        return "the proof's context is not the document's"
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        signature = base58.b58decode(value[1:])
        Ed25519PublicKey.from_public_bytes(unb64(public)).verify(signature, _hash_data(unsecured, options))
    except (InvalidSignature, ValueError):
        return "the signature does not match: the credential was changed or not signed by the hub"
    return None


# --- the credential ------------------------------------------------------------------------------


def open_badge(
    *,
    credential_id: str,
    node: str,
    username: str,
    name: str,
    course: Any,
    valid_from: datetime,
    valid_until: datetime,
    status_index: int,
    score: int,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of a course passed."""
    criteria = (
        f"Viewed every module of {course.code} (version {course.version}) and passed its quiz "
        f"with at least {course.quiz.get('pass_mark', 0)}%, re-graded by the General Secretariat."
    )
    return {
        "@context": CONTEXTS,
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "General Secretariat"},
        "validFrom": _z(valid_from),
        "validUntil": _z(valid_until),
        "name": course.title_in("en"),
        "credentialSubject": {
            "id": subject_id(node, username),
            "type": ["AchievementSubject"],
            "name": name,
            "achievement": {
                "id": f"urn:ncbnet:training:course:{course.code}:{course.version}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": course.title_in("en"),
                "description": course.text(course.summary, "en"),
                "criteria": {"narrative": criteria},
            },
            "result": [{"type": ["Result"], "value": str(score)}],
        },
        "credentialStatus": {
            "id": f"{STATUS_LIST}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": STATUS_LIST,
        },
    }


# --- the status list -----------------------------------------------------------------------------


def encode_list(revoked: set[int]) -> str:
    bits = bytearray(LIST_BITS // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)  # the first index is the left-most bit
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def decode_list(encoded: Any) -> bytes:
    """The bitstring; ValueError if it is not one (bounded: never more than the list's size)."""
    if not isinstance(encoded, str) or not encoded.startswith("u") or len(encoded) > 40_000:
        raise ValueError("the encoded list is not base64url multibase")
    packed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    inflate = zlib.decompressobj(wbits=31)
    bits = inflate.decompress(packed, LIST_BITS // 8 + 1)
    if len(bits) != LIST_BITS // 8 or inflate.unconsumed_tail:
        raise ValueError(f"the list is not {LIST_BITS} bits")
    return bits


def status_list(revoked: set[int], valid_from: datetime, store: KeyStore | None = None) -> dict[str, Any]:
    return sign(
        {
            "@context": CONTEXTS[:1],
            "id": STATUS_LIST,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": ISSUER,
            "validFrom": _z(valid_from),
            "credentialSubject": {
                "id": f"{STATUS_LIST}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encode_list(revoked),
            },
        },
        store,
    )


def list_problem(document: Any) -> str | None:
    """Why a status list credential is not one the hub signed, or None."""
    problem = proof_problem(document)
    if problem is not None:
        return problem
    if document.get("id") != STATUS_LIST or "BitstringStatusListCredential" not in document.get("type", []):
        return "not the training's revocation status list"
    if _parse(document.get("validFrom")) is None:
        return "no validFrom"
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != "revocation":
        return "not a revocation list"
    try:
        decode_list(subject.get("encodedList"))
    except ValueError as bad:
        return str(bad)
    return None


def is_set(document: dict[str, Any], index: int) -> bool:
    bits = decode_list(document["credentialSubject"]["encodedList"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# --- verification --------------------------------------------------------------------------------


@dataclass
class Verdict:
    valid: bool
    reasons: list[str] = field(default_factory=list)
    subject: str = ""
    name: str = ""
    course: str = ""
    valid_until: str = ""
    revocation_checked: bool = False


def verify(document: Any, status: dict[str, Any] | None, now: datetime | None = None) -> Verdict:
    """Check a credential offline: its proof against the hub's key this node holds, its dates, and
    its revocation bit in `status` (the latest list the hub sent, or None)."""
    now = now or clock.now()
    problem = proof_problem(document)
    if problem is not None:
        return Verdict(False, [problem])
    verdict = Verdict(True)
    if "OpenBadgeCredential" not in document.get("type", []):
        return Verdict(False, ["not an OpenBadgeCredential"])
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {} if isinstance(subject, dict) else {}
    verdict.subject = str(subject.get("id", ""))[:200]
    verdict.name = str(subject.get("name", ""))[:200]
    verdict.course = str(achievement.get("id", "")).removeprefix("urn:ncbnet:training:course:")[:60]
    verdict.valid_until = str(document.get("validUntil", ""))[:40]
    start, until = _parse(document.get("validFrom")), _parse(document.get("validUntil"))
    if start is None or until is None:
        verdict.reasons.append("validFrom or validUntil missing")
    elif now < start:
        verdict.reasons.append("not valid yet")
    elif now > until:
        verdict.reasons.append(f"expired on {until.date().isoformat()}")
    entry = document.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("statusListCredential") != STATUS_LIST:
        verdict.reasons.append("no revocation status entry of the hub's list")
    elif status is not None:
        try:
            index = int(entry.get("statusListIndex", ""))
            if not 0 <= index < LIST_BITS:
                raise ValueError
            verdict.revocation_checked = True
            if is_set(status, index):
                verdict.reasons.append("revoked by the General Secretariat")
        except (ValueError, TypeError):
            verdict.reasons.append("the status list index is not one")
    verdict.valid = not verdict.reasons
    return verdict
