"""Envelopes: signed by the sender, sealed for the recipients only, refused when altered, stale or
from a key the directory does not vouch for."""

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncbnet.base import clock
from ncbnet.base.crypto import KeyStore, b64, unb64
from ncbnet.network import envelope as env


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("envelope-keys")
    out = {}
    for node in ("FR", "BR", "KE", "hub"):
        out[node] = KeyStore(root / node, node)
        out[node].generate()
    return out


def peer(store: KeyStore, status: str = "active") -> env.PeerKey:
    return env.PeerKey.of(store.public(), status)


def directory(stores, status="active"):
    by_id = {s.public().key_id: peer(s, status) for s in stores.values()}
    return lambda node, kid: by_id.get(kid) if by_id.get(kid) and by_id[kid].node == node else None


def make(stores, body=None, to=("BR", "KE"), confidential=True, now=None):
    return env.build(
        kind="message",
        sender="FR",
        recipients={n: peer(stores[n]) for n in to},
        body=body or {"text": "Suspect crossed at Ventimiglia"},
        signer=stores["FR"],
        now=now or clock.now(),
        confidential=confidential,
    )


def test_recipients_open_the_body_and_nobody_else_can(stores):
    e = make(stores)
    env.check(e, directory(stores), clock.now())
    assert env.open_body(e, "BR", stores["BR"]) == {"text": "Suspect crossed at Ventimiglia"}
    assert env.open_body(e, "KE", stores["KE"]) == {"text": "Suspect crossed at Ventimiglia"}
    raw = env.encode(e)
    assert b"Ventimiglia" not in raw
    with pytest.raises(env.Rejected, match="not sealed for hub"):
        env.open_body(e, "hub", stores["hub"])


def test_a_recipient_cannot_open_with_another_key(stores):
    e = make(stores)
    e["sealed"]["keys"]["KE"] = e["sealed"]["keys"]["BR"]  # KE handed BR's wrapped key
    with pytest.raises(env.Rejected):
        env.open_body(e, "KE", stores["KE"])


@pytest.mark.parametrize("field", ["from", "to", "type", "created_at", "id"])
def test_any_change_to_the_header_breaks_the_signature(stores, field):
    e = make(stores)
    e[field] = {
        "from": "KE",
        "to": ["BR"],
        "type": "notice",
        "created_at": env.iso(clock.now()),
        "id": env.new_id(),
    }[field]
    with pytest.raises(env.Rejected, match=r"bad signature|unknown signing key"):
        env.check(e, directory(stores), clock.now())


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_in_the_ciphertext_is_refused(stores, position, bit):
    e = make(stores)
    data = bytearray(unb64(e["sealed"]["ciphertext"]))
    data[position % len(data)] ^= 1 << bit
    e["sealed"]["ciphertext"] = b64(bytes(data))
    with pytest.raises(env.Rejected):
        env.check(e, directory(stores), clock.now())  # the signature covers the ciphertext
    e_unsigned_ok = make(stores)
    e_unsigned_ok["sealed"]["ciphertext"] = b64(bytes(data))
    with pytest.raises(env.Rejected):
        env.open_body(e_unsigned_ok, "BR", stores["BR"])  # and the AEAD refuses it on its own


def test_wrongly_signed_envelope_is_refused(stores):
    e = make(stores)
    impostor = env.build(
        kind="message",
        sender="FR",
        recipients={"BR": peer(stores["BR"])},
        body={"x": 1},
        signer=stores["KE"],
        now=clock.now(),
    )
    with pytest.raises(env.Rejected, match="unknown signing key"):
        env.check(impostor, directory(stores), clock.now())
    e["sig"] = impostor["sig"]
    with pytest.raises(env.Rejected, match="bad signature"):
        env.check(e, directory(stores), clock.now())


def test_revoked_key_is_refused(stores):
    e = make(stores)
    with pytest.raises(env.Rejected, match="revoked"):
        env.check(e, directory(stores, status="revoked"), clock.now())


def test_a_retired_key_verifies_only_what_was_signed_before_its_retirement(stores):
    """Finding 11: a retired key verified envelopes signed after its retirement, so whoever kept
    an old key could still speak for the node."""
    from dataclasses import replace

    retired_at = clock.now() - timedelta(hours=1)
    by_id = {s.public().key_id: replace(peer(s, "retired"), retired_at=retired_at) for s in stores.values()}

    def key_of(node, kid):
        return by_id.get(kid)

    before = make(stores, now=retired_at - timedelta(minutes=1))
    env.check(before, key_of, clock.now())
    after = make(stores, now=retired_at + env.MAX_FUTURE + timedelta(seconds=1))
    with pytest.raises(env.Rejected, match="retired before this envelope was made"):
        env.check(after, key_of, clock.now())


def test_stale_and_future_envelopes_are_refused(stores):
    old = make(stores, now=clock.now() - env.MAX_AGE - timedelta(seconds=1))
    with pytest.raises(env.Rejected, match="stale"):
        env.check(old, directory(stores), clock.now())
    future = make(stores, now=clock.now() + env.MAX_FUTURE + timedelta(seconds=1))
    with pytest.raises(env.Rejected, match="future"):
        env.check(future, directory(stores), clock.now())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not a readable envelope: not valid JSON"),
        (b"[1,2]", "not a JSON object"),
        (json.dumps({"v": 1}).encode(), "id: Field required"),
        (b"x" * (env.MAX_BYTES + 1), "are read"),
    ],
)
def test_malformed_envelopes_are_refused(raw, reason):
    with pytest.raises(env.Rejected, match=reason):
        env.decode(raw)


def test_canonical_encoding_round_trips(stores):
    e = make(stores, body={"name": "Ахмед аль-Хусейни", "n": 3, "nested": {"b": 1, "a": [1, 2]}})
    again = env.decode(env.encode(e))
    env.check(again, directory(stores), clock.now())
    assert env.open_body(again, "BR", stores["BR"])["name"] == "Ахмед аль-Хусейни"
