"""The key an envelope is sealed to: `delivery.active_keys` gives each named node's active key
(a retired or revoked one never), the same whether few nodes are named (one statement each) or
many (one query for them all), and refuses nodes with no key yet."""

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.base import clock
from ncbnet.network import delivery
from ncbnet.network.models import NodeKey

pytestmark = pytest.mark.django_db

# node -> statuses of its keys, oldest first; "hub" is left out (its pinned key is another path)
DIRECTORY = {
    "FR": ["retired", "active"],
    "DE": ["active"],
    "IT": ["revoked"],
    "ES": ["retired"],
    "NL": ["active"],
    "BE": ["revoked", "retired", "active"],
    "PT": ["active"],
}


def _directory() -> None:
    for node, statuses in DIRECTORY.items():
        for i, status in enumerate(statuses):
            NodeKey.objects.create(
                node=node,
                key_id=f"{node}{i}",
                signing_public=f"sign-{node}{i}",
                encryption_public=f"seal-{node}{i}",
                status=status,
                valid_from=clock.now(),
            )


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(sorted(DIRECTORY)), min_size=1))
def test_each_node_gets_its_active_key_and_a_node_without_one_is_refused(nodes):
    with transaction.atomic():
        _directory()
        without = sorted(n for n in nodes if "active" not in DIRECTORY[n])
        if without:
            with pytest.raises(delivery.NotOnNetwork) as refused:
                delivery.active_keys(nodes)
            assert ", ".join(without) in str(refused.value)
        else:
            found = delivery.active_keys(nodes)
            assert set(found) == nodes
            for node, peer in found.items():
                assert peer.key_id == f"{node}{DIRECTORY[node].index('active')}"
                assert peer.signing_public == f"sign-{peer.key_id}"
                assert peer.encryption_public == f"seal-{peer.key_id}"
        transaction.set_rollback(True)
