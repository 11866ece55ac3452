"""UUIDv7 ids keep to the clock: made as fast as a bulk write makes them, each is later than the one
before and none is ahead of the time it was made (with `uuid6`, 200,000 ids ran 198 s ahead, so a
record contributed after a bulk write fell inside the bulk's range of ids)."""

import itertools
import time

from ncbnet.base import ids


def test_ids_made_in_a_burst_stay_in_order_and_keep_to_the_clock():
    made = [ids.uuid7() for _ in range(100_000)]
    after_ms = time.time_ns() // 1_000_000
    assert all(a.int < b.int for a, b in itertools.pairwise(made))
    assert {m.version for m in made} == {7}
    assert made[-1].int >> 80 <= after_ms
