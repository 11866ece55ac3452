"""Identifiers: UUIDv7 (RFC 9562) for records, envelopes and everything that crosses the network.

From `uuid_utils` (the Rust `uuid` crate), which keeps the ids of one process in order within a
millisecond by a counter in the random bits. The `uuid6` package did it by moving the timestamp
on by a millisecond for each id made within the same one, so that a bulk write of 10,000,000
records made ids hours ahead of the clock: a record contributed after it got a smaller id and
fell inside the bulk write's range of ids (the change feed sent it twice, counted in the bulk's
job), and "newest first" put it behind records written before it.
"""

from __future__ import annotations

import uuid

from uuid_utils import compat


def uuid7() -> uuid.UUID:
    """A new UUIDv7 (the standard library's `uuid.UUID`): its first 48 bits the time in
    milliseconds, later than every id this process made before."""
    return compat.uuid7()
