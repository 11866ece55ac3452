"""Shared fixtures: real database, real crypto, real sign-in. Nothing of ours is mocked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, router
from django.test import Client

from ncbnet.base import clock
from ncbnet.core import services as core
from ncbnet.core.models import Agency, User
from ncbnet.security.models import TOTPDevice

PASSWORD = "a-long-test-passphrase"
TOTP_SECRET = pyotp.random_base32()


@pytest.fixture
def agency_factory(db: Any) -> Callable[..., Agency]:
    def make(name: str = "Police nationale", kind: str = "police") -> Agency:
        ncb = core.local_ncb()
        agency, _ = Agency.objects.get_or_create(ncb=ncb, name=name, defaults={"kind": kind})
        return agency

    return make


@pytest.fixture
def user_factory(db: Any, agency_factory: Callable[..., Agency]) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        kind: str = "ncb",
        role: str = "officer",
        *,
        username: str | None = None,
        agency: Agency | None = None,
        totp: bool = True,
        temporary: bool = False,
    ) -> User:
        if kind == "agency" and agency is None:
            agency = agency_factory()
        user = core.create_user(
            None,
            username=username or f"{role}{next(counter)}",
            password=PASSWORD,
            kind=kind,
            role=role,
            agency_id=agency.pk if agency else None,
            first_name="Test",
            last_name=role.title(),
            temporary=temporary,
        )
        if totp and kind != "system":
            TOTPDevice.objects.create(
                user=user, secret=TOTP_SECRET, confirmed=True, created_at=user.date_joined
            )
        return user

    return make


@pytest.fixture
def hub(settings: Any) -> None:
    """Make this test's node the hub (the General Secretariat)."""
    settings.NCBNET_ROLE = "hub"
    settings.NCBNET_COUNTRY = None


def totp_now() -> str:
    """The code an officer's authenticator shows at this moment of the node's clock."""
    return pyotp.TOTP(TOTP_SECRET).at(clock.now())


def sign_in(client: Client, username: str, password: str = PASSWORD, code: str | None = None) -> Any:
    """Sign in through the real pages, both steps; return the last response."""
    client.post("/login/", {"username": username, "password": password})
    return client.post("/login/verify/", {"code": code or totp_now()})


def database_state(
    exclude: tuple[str, ...] = (
        "audit.auditentry",
        "audit.chainhead",
        "sessions.session",
        "security.clientthrottle",
    ),
) -> dict[str, Any]:
    """Every row of every table of the node's database but the audit trail (and sessions, and the
    count of failed anonymous attempts per client address), to show that nothing else changed.
    The Commission's tables, in a database of their own (commission.router), are not the node's."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in exclude or router.db_for_write(model) != DEFAULT_DB_ALIAS:
            continue
        state[label] = sorted(map(repr, model._default_manager.values_list()))
    return state


@pytest.fixture
def peers(db: Any, tmp_path: Any) -> Iterator[dict[str, Any]]:
    """Key stores for the hub, BR and KE (in a temporary folder) and this node's (FR) own keys,
    all in this node's copy of the key directory, with the hub's key pinned."""
    import json

    from ncbnet.base.crypto import KeyStore
    from ncbnet.base.node import keys
    from ncbnet.network.delivery import hub_key_file
    from ncbnet.network.models import NodeKey

    own = keys()
    if not own.exists:
        own.generate()
    stores = {"FR": own}
    for node in ("hub", "BR", "KE"):
        stores[node] = KeyStore(tmp_path / node, node)
        stores[node].generate()
    for node, store in stores.items():
        p = store.public()
        NodeKey.objects.update_or_create(
            key_id=p.key_id,
            defaults={
                "node": node,
                "signing_public": p.signing_public,
                "encryption_public": p.encryption_public,
                "valid_from": clock.now(),
            },
        )
    hub_key_file().write_text(json.dumps(stores["hub"].public().as_dict()))
    yield stores
    hub_key_file().unlink(missing_ok=True)  # the pin lives in the shared test data folder


def arriving(
    peers: dict[str, Any],
    kind: str,
    body: dict[str, Any],
    *,
    sender: str,
    signer: str | None = None,
    confidential: bool = True,
    to: str | None = None,
) -> bytes:
    """An envelope from `sender` to this test node, as the network brings it: sealed to the node's
    own keys (peers["FR"] is keys(), whatever role the test gives the node) and signed by
    `signer` (the sender unless a forgery is wanted), addressed `to` this node's id unless told."""
    from ncbnet.base.node import node_id
    from ncbnet.network import envelope

    me = envelope.PeerKey.of(peers["FR"].public())
    built = envelope.build(
        kind=kind,
        sender=sender,
        recipients={to or node_id(): me},
        body=body,
        signer=peers[signer or sender],
        now=clock.now(),
        confidential=confidential,
    )
    return envelope.encode(built)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: Any) -> Iterator[Any]:
    """The demo network with real processes (nats-server; the hub, FR, BR and KE, each with its
    server, network worker and job runner), one per test module that asks for it."""
    from ncbnet.testing.cluster import Cluster

    c = Cluster(tmp_path_factory.mktemp("cluster")).start()
    yield c
    c.shutdown()


@pytest.fixture
def browser_cluster(tmp_path: Any) -> Iterator[Any]:
    """A demo network of its own for one browser test (which needs Chromium)."""
    from ncbnet.testing.browser import require_chromium
    from ncbnet.testing.cluster import Cluster

    require_chromium()
    c = Cluster(tmp_path / "net").start()
    yield c
    c.shutdown()
