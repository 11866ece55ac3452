"""Key changes are seen: a rotation is signed by the bureau's previous key as well as by the hub;
a node refuses a directory that swaps a bureau's key without that signature (a compromised hub
could otherwise read traffic between bureaus), audits and shows every change it takes, and
fingerprints are there to compare out of band."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.base.crypto import KeyStore, canonical
from ncbnet.cli import main
from ncbnet.conftest import arriving, sign_in
from ncbnet.network import delivery, directory, services
from ncbnet.network.models import NodeKey, Quarantine, fingerprint

pytestmark = pytest.mark.django_db


def rotate(store: KeyStore) -> dict:
    """What `ncbnet keys rotate` does on the node: new keys, signed by the previous ones."""
    previous = store.current_id()
    services.sign_rotation(store, previous, store.generate())
    return services.public_file(store)


# --- at the hub -------------------------------------------------------------------------------


@pytest.fixture
def hub_keys(hub):
    from ncbnet.base.node import keys

    if not keys().exists:
        keys().generate()
    return keys()


def test_the_hub_takes_a_new_key_only_with_the_previous_keys_signature(tmp_path, hub_keys):
    store = KeyStore(tmp_path / "ke", "KE")
    first = services.register(None, store.generate().as_dict())
    unsigned = KeyStore(tmp_path / "ke-new", "KE").generate().as_dict()
    with pytest.raises(ValidationError, match=f"signed by its current key {first.key_id}"):
        services.register(None, unsigned)
    thief = KeyStore(tmp_path / "thief", "KE")
    thief.generate()
    forged = unsigned | {
        "rotation": {"previous_key_id": first.key_id, "signature": thief.sign(b"anything")[1]}
    }
    with pytest.raises(ValidationError, match="rotation"):
        services.register(None, forged)
    # The signature covers the encryption key too: it cannot be swapped under a good signature.
    good = rotate(store)
    other = KeyStore(tmp_path / "other", "KE").generate()
    with pytest.raises(ValidationError, match="rotation"):
        services.register(None, good | {"encryption_public": other.encryption_public})
    second = services.register(None, good)
    assert (second.previous_key_id, second.rotation_signature) == (
        first.key_id,
        good["rotation"]["signature"],
    )
    entry = next(k for k in services.directory_document()["keys"] if k["key_id"] == second.key_id)
    assert entry["previous_key_id"] == first.key_id and entry["rotation_signature"]
    # A key lost or compromised is revoked, with a reason; the next one needs no signature by it.
    services.revoke(None, second.key_id, "server seized")
    third = services.register(None, store.generate().as_dict())
    assert third.status == NodeKey.Status.ACTIVE and third.previous_key_id == ""


# --- on a node --------------------------------------------------------------------------------


def published(peers, entries: list[dict]) -> bytes:
    """A directory as the hub (the key this node pinned) signs and sends it."""
    document = {"kind": "ncbnet.key-directory", "version": 1, "as_of": None, "keys": entries}
    kid, signature = peers["hub"].sign(canonical(document))
    body = {"directory": document, "signer": kid, "signature": signature}
    return arriving(peers, directory.KIND, body, sender="hub", confidential=False)


def entries() -> list[dict]:
    return [k.as_entry() for k in NodeKey.objects.order_by("node", "valid_from")]


def entry(identity, *, status="active", previous="", signature="", at=None) -> dict:
    return {
        **identity.as_dict(),
        "status": status,
        "valid_from": (at or clock.now()).isoformat(),
        "retired_at": None,
        "revoked_at": None,
        "revocation_reason": None,
        "previous_key_id": previous or None,
        "rotation_signature": signature or None,
    }


def retire(entries_: list[dict], node: str, status: str = "retired", reason: str | None = None) -> list[dict]:
    out = []
    for e in entries_:
        if e["node"] == node and e["status"] == "active":
            e = e | {"status": status, f"{status}_at": clock.now().isoformat(), "revocation_reason": reason}
        out.append(e)
    return out


_seq = iter(range(1, 10_000))


def deliver(raw: bytes) -> str:
    return delivery.accept(raw, next(_seq))


def test_a_directory_that_swaps_a_bureaus_key_unsigned_is_refused(tmp_path, peers):
    before = entries()
    impostor = KeyStore(tmp_path / "impostor", "BR").generate()  # a key the hub made for Brazil
    later = clock.now() + timedelta(seconds=1)
    swapped = [*retire(entries(), "BR"), entry(impostor, at=later)]
    assert deliver(published(peers, swapped)) == "quarantined"
    assert (
        "new key" in Quarantine.objects.latest("id").reason
        and "did not sign" in Quarantine.objects.latest("id").reason
    )
    assert entries() == before  # the node's copy is as it was: Brazil's own key

    br = next(e for e in entries() if e["node"] == "BR")
    other = KeyStore(tmp_path / "other", "BR").generate()
    for hostile, reason in [
        (
            [
                e | {"encryption_public": other.encryption_public} if e is br or e == br else e
                for e in entries()
            ],
            "under the same id",
        ),
        ([e for e in entries() if e["node"] != "BR"], "drops key"),
        ([e | {"key_id": "0" * 32} if e == br else e for e in entries()], "not its signing key"),
    ]:
        assert deliver(published(peers, hostile)) == "quarantined"
        assert reason in Quarantine.objects.latest("id").reason
    revoked = retire(entries(), "KE", "revoked", "seized")
    assert deliver(published(peers, revoked)) == "accepted"
    back = [e | {"status": "active", "revoked_at": None} if e["node"] == "KE" else e for e in entries()]
    assert deliver(published(peers, back)) == "quarantined"
    assert "cannot go from revoked to active" in Quarantine.objects.latest("id").reason
    assert entries() != before and NodeKey.objects.get(node="KE").status == "revoked"


def test_a_node_takes_signed_rotations_audits_each_change_and_shows_them(
    tmp_path, peers, client, user_factory
):
    br_store = peers["BR"]
    old_br = br_store.current_id()
    rotated = rotate(br_store)
    de = KeyStore(tmp_path / "de", "DE").generate()
    later = clock.now() + timedelta(seconds=1)
    changed = [
        *retire(retire(entries(), "BR"), "KE", "revoked", "laptop stolen"),
        entry(br_store.public(), previous=old_br, signature=rotated["rotation"]["signature"], at=later),
        entry(de, at=later),
    ]
    assert deliver(published(peers, changed)) == "accepted"
    audited = {
        (a.action, a.subject): a.detail for a in AuditEntry.objects.filter(action__startswith="keys.peer_")
    }
    assert set(audited) == {
        ("keys.peer_retired", "BR"),
        ("keys.peer_rotated", "BR"),
        ("keys.peer_revoked", "KE"),
        ("keys.peer_added", "DE"),
    }
    assert audited[("keys.peer_rotated", "BR")]["previous"] == old_br
    assert audited[("keys.peer_rotated", "BR")]["fingerprint"] == fingerprint(
        br_store.public().signing_public
    )
    assert audited[("keys.peer_revoked", "KE")]["reason"] == "laptop stolen"
    assert NodeKey.objects.get(key_id=de.key_id).seen_at is not None

    # After the hub revoked Kenya's key, with its reason, Kenya's next key needs no signature by it.
    ke_new = KeyStore(tmp_path / "ke2", "KE").generate()
    assert (
        deliver(published(peers, [*entries(), entry(ke_new, at=later + timedelta(seconds=1))])) == "accepted"
    )
    assert AuditEntry.objects.filter(action="keys.peer_rekeyed", subject="KE").exists()

    client.force_login(user_factory("ncb", "head"))
    page = client.get("/network/").content.decode()
    assert fingerprint(br_store.public().signing_public) in page
    assert f"Signed by its previous key {old_br}" in page
    assert "Not signed by a previous key" in page  # Kenya's key after the revocation
    assert "First key of this node" in page


def test_fingerprints_and_a_rotation_on_the_command_line(peers, settings, capsys, tmp_path):
    assert main(["keys", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    own = peers["FR"].public()
    assert shown["fingerprint"] == fingerprint(own.signing_public)
    assert len(shown["fingerprint"].split()) == 16
    assert main(["keys", "show", "--directory"]) == 0
    listed = capsys.readouterr().out
    assert fingerprint(peers["BR"].public().signing_public) in listed and "BR" in listed

    old = own.key_id
    assert main(["keys", "rotate"]) == 0
    out = capsys.readouterr()
    public = json.loads(out.out)
    assert public["rotation"]["previous_key_id"] == old and "signed by the previous key" in out.err
    (tmp_path / "fr.json").write_text(out.out)
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None  # the hub registers the file
    assert main(["keys", "register", str(tmp_path / "fr.json")]) == 0
    assert NodeKey.objects.get(key_id=public["key_id"]).previous_key_id == old
    (tmp_path / "bare.json").write_text(json.dumps(KeyStore(tmp_path / "x", "FR").generate().as_dict()))
    assert main(["keys", "register", str(tmp_path / "bare.json")]) == 2
    assert "must be signed by its current key" in capsys.readouterr().err


def test_the_network_page_needs_its_policy(client, peers, user_factory):
    sign_in(client, user_factory("ncb", "officer").username)
    assert client.get("/network/").status_code == 403
