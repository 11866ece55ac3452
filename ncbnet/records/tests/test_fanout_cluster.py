"""The change feed through real processes (`ncbnet bench fanout` at small scale): a real hub, its
real network worker, nats-server, and simulated bureaus that verify and open every envelope with
their own keys. The hub's worker is killed (SIGKILL) in the middle of the feed and started again:
every bureau still gets every change, once by (record, version), and nothing it may not see."""

import pytest

from ncbnet.bench.fanout import Fanout
from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

NODES = 4
FIRST, THEN = 3000, 100  # changes written before (for some seconds) and after the kill


def test_every_bureau_gets_every_change_once_though_the_hubs_worker_is_killed(tmp_path):
    bench = Fanout(tmp_path, NODES).start()
    try:
        writer = bench.write(FIRST)
        wait_for(lambda: bench.received() > 0, 60, "the first changes at a bureau")
        bench.kill_worker()  # while the hub is still writing, and the feed half sent
        cut_at = bench.received()
        bench.written(writer)
        # Written while the worker is dead: they wait in the hub's journal for the next worker.
        bench.written(bench.write(THEN, first=FIRST))
        bench.start_worker()
        assert bench.wait_delivered(120), bench.outcome()
        seen = bench.outcome()
    finally:
        bench.close()
    assert 0 < cut_at < NODES * FIRST  # the worker died with the feed half sent
    assert seen["record_deliveries"] == NODES * (FIRST + THEN)
    assert (seen["lost"], seen["doubled"], seen["unexpected"], seen["refused"]) == (0, 0, 0, 0)
