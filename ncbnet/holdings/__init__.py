"""This node's holdings: the hub's global databases and notices (`hub.Hub`), or a node's replica
of them (`replica.Replica`). The one place that knows both; it registers the node's own with
`ncbnet.base.holdings` when Django starts (`apps.HoldingsConfig`), and the feature apps read
them through `ncbnet.base.holdings.here()` without checking the node's role."""

from __future__ import annotations

from ncbnet.base.holdings import Holdings
from ncbnet.base.node import node_id, role


def choose() -> Holdings:
    """The holdings of this node's role: the hub's originals, or an NCB node's replica."""
    from .hub import Hub
    from .replica import Replica

    return Replica(node_id()) if role().bureau else Hub()
