"""The node's holdings follow its role: a node's replica for its bureau, the hub's originals."""

from ncbnet.base import holdings
from ncbnet.holdings.hub import Hub
from ncbnet.holdings.replica import Replica


def test_a_node_holds_its_bureaus_replica():
    held = holdings.here()
    assert isinstance(held, Replica)
    assert (held.keeps_originals, held.bureau, held.keeper) == (False, "FR", "NCB FR")


def test_the_hub_holds_the_originals_and_a_node_its_replica_again_after(settings):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    held = holdings.here()
    assert isinstance(held, Hub)
    assert (held.keeps_originals, held.bureau) == (True, None)
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "KE"
    assert holdings.here().bureau == "KE"
