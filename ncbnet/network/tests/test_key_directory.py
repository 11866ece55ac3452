"""Node identity keys and the hub-signed directory: rotation, revocation, pinning."""

import json
import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ncbnet.base.crypto import KeyProblem, KeyStore
from ncbnet.cli import main
from ncbnet.network import services
from ncbnet.network.models import NodeKey

pytestmark = pytest.mark.django_db


def test_keys_are_created_private_to_the_service_user(tmp_path):
    store = KeyStore(tmp_path, "FR")
    identity = store.generate()
    folder = tmp_path / "keys" / identity.key_id
    for name in ("signing.pem", "encryption.pem"):
        mode = stat.S_IMODE(os.stat(folder / name).st_mode)
        assert mode == 0o600, oct(mode)
    assert stat.S_IMODE(os.stat(tmp_path / "keys").st_mode) == 0o700
    assert store.signing_key() is not None and store.encryption_key() is not None


def test_passphrase_protected_keys_need_the_passphrase(tmp_path):
    KeyStore(tmp_path, "FR", passphrase="correct horse battery").generate()
    assert b"ENCRYPTED" in next((tmp_path / "keys").glob("*/signing.pem")).read_bytes()
    with pytest.raises(KeyProblem, match="set NCBNET_KEY_PASSPHRASE"):
        KeyStore(tmp_path, "FR").signing_key()
    with pytest.raises(KeyProblem, match="wrong NCBNET_KEY_PASSPHRASE"):
        KeyStore(tmp_path, "FR", passphrase="wrong").signing_key()
    KeyStore(tmp_path, "FR", passphrase="correct horse battery").signing_key()


def test_signed_directory_verifies_against_the_pinned_hub_key(tmp_path, hub):
    hub_keys = KeyStore(tmp_path / "hub", "hub")
    hub_identity = hub_keys.generate()
    services.register(None, hub_identity.as_dict())
    fr = KeyStore(tmp_path / "fr", "FR").generate()
    services.register(None, fr.as_dict())
    published = services.signed_directory(hub_keys)
    document = services.verify_directory(published, hub_identity.signing_public)
    assert {k["node"] for k in document["keys"]} == {"hub", "FR"}

    impostor = KeyStore(tmp_path / "impostor", "hub").generate()
    tampered = json.loads(json.dumps(published))
    swapped = next(k for k in tampered["directory"]["keys"] if k["node"] == "FR")
    swapped["signing_public"] = impostor.signing_public  # an attacker substitutes France's key
    with pytest.raises(services.DirectoryInvalid, match="pinned hub key"):
        services.verify_directory(tampered, hub_identity.signing_public)
    with pytest.raises(services.DirectoryInvalid):
        services.verify_directory(published, impostor.signing_public)


def test_rotation_retires_the_old_key_and_revocation_needs_a_reason(tmp_path, hub):
    from ncbnet.base.node import keys

    if not keys().exists:
        keys().generate()  # the hub signs what it sends the rotating node
    store = KeyStore(tmp_path, "KE")
    first = services.register(None, store.generate().as_dict())
    services.sign_rotation(store, first.key_id, store.generate())  # as `ncbnet keys rotate` does
    second = services.register(None, services.public_file(store))
    first.refresh_from_db()
    assert first.status == NodeKey.Status.RETIRED and second.status == NodeKey.Status.ACTIVE
    assert store.current_id() == second.key_id
    assert len(store.all_public()) == 2  # the old key still verifies what it signed
    with pytest.raises(ValidationError):
        services.revoke(None, second.key_id, "  ")
    services.revoke(None, second.key_id, "laptop stolen")
    second.refresh_from_db()
    assert second.status == NodeKey.Status.REVOKED and second.revocation_reason == "laptop stolen"
    with pytest.raises(ValidationError, match="revoked"):
        services.register(None, store.public(second.key_id).as_dict())


def test_bad_key_registrations_are_refused(tmp_path, hub):
    good = KeyStore(tmp_path, "BR").generate().as_dict()
    with pytest.raises(ValidationError, match="unknown node"):
        services.register(None, {**good, "node": "XX"})
    with pytest.raises(ValidationError, match="32-byte"):
        services.register(None, {**good, "signing_public": "AAAA"})
    with pytest.raises(ValidationError, match="does not match"):
        services.register(None, {**good, "key_id": "0" * 32})
    assert not NodeKey.objects.exists()


def test_only_the_hub_keeps_the_directory(tmp_path):
    with pytest.raises(PermissionDenied):
        services.register(None, KeyStore(tmp_path, "FR").generate().as_dict())


@pytest.mark.django_db(databases=["default", "commission"])  # init migrates the Commission's too
def test_init_creates_keys_once_and_keeps_them(capsys, settings):
    assert main(["init"]) == 0
    first = capsys.readouterr().out
    assert "keys created" in first or "kept existing" in first
    assert main(["init"]) == 0
    assert "kept existing" in capsys.readouterr().out
    assert (Path(settings.DATA_DIR) / "keys" / "current").exists()


def test_directory_api_on_the_hub(client, hub, user_factory, settings):
    from ncbnet.base.node import keys

    store = keys()
    if not store.exists:
        store.generate()
    services.register(None, store.public().as_dict())
    client.force_login(user_factory("gs", "network_admin"))
    published = client.get("/api/v1/keys/directory").json()
    services.verify_directory(published, store.public().signing_public)


def test_pin_hub_refuses_a_file_whose_key_id_does_not_match(tmp_path, capsys):
    store = KeyStore(tmp_path / "hub", "hub")
    public = store.generate().as_dict()
    good = tmp_path / "hub.json"
    good.write_text(json.dumps(public))
    assert main(["keys", "pin-hub", str(good)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**public, "key_id": "0" * 32}))
    assert main(["keys", "pin-hub", str(bad)]) == 2
    assert "key_id does not match" in capsys.readouterr().err


def test_a_node_without_a_directory_asks_the_hub_which_answers(peers, settings):
    from ncbnet.base import clock
    from ncbnet.network import delivery, directory, envelope
    from ncbnet.network.models import OutboxEnvelope

    assert directory.request_if_missing() is None  # this node (FR) already holds the directory
    NodeKey.objects.all().delete()
    directory.request_if_missing()
    request = envelope.decode(bytes(OutboxEnvelope.objects.get(kind="directory.request").payload))
    assert request["to"] == ["hub"]  # sealed to the pinned hub key
    assert envelope.open_body(request, "hub", peers["hub"]) == {"node": "FR"}

    # At the hub: the request arrives and the signed directory goes back to France.
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    for node, store in peers.items():
        p = store.public()
        NodeKey.objects.create(
            node=node,
            key_id=p.key_id,
            signing_public=p.signing_public,
            encryption_public=p.encryption_public,
            valid_from=clock.now(),
        )
    fr = peers["FR"].public()
    asked = envelope.build(
        kind="directory.request",
        sender="FR",
        recipients={"hub": envelope.PeerKey("hub", "x", "", "", "active")},
        body={"node": "FR"},
        signer=peers["FR"],
        now=clock.now(),
        confidential=False,
    )
    assert fr.key_id == asked["key_id"]
    assert delivery.accept(envelope.encode(asked), stream_seq=1) == "accepted"
    answer = envelope.decode(bytes(OutboxEnvelope.objects.get(kind="directory").payload))
    assert answer["to"] == ["FR"] and "directory" in answer["body"]
