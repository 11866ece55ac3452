"""`ncbnet bench feed` runs end to end on a small hub of its own: every record written reaches
every node's share of the outbox, so the figure can be measured again."""

import pytest

pytestmark = pytest.mark.embedded  # a process of its own, on SQLite


def test_the_feed_bench_feeds_every_record_to_every_node(bench_line):
    figures = bench_line("feed", "--documents", "450", "--nodes", "2")
    assert figures["records_fed"] == 900 and figures["envelopes"] == 6
    assert figures["records_fed_per_second"] > 0
