"""`ncbnet bench feed`: records written in bulk at a hub of its own, fed to N nodes on the network
(keys registered, no worker: what is measured is the hub's side, each chunk read, sealed and
signed for its node and queued in the outbox in one transaction, as `records.feed` does)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

MEMBERS = ("FR", "BR", "KE", "DE", "ES", "NG", "IN", "CN", "US", "JP")


def main(documents: int, nodes: int, keys: Path) -> dict[str, Any]:
    from ncbnet.base.crypto import KeyStore
    from ncbnet.network import services
    from ncbnet.network.models import OutboxEnvelope
    from ncbnet.records import bulk, feed
    from ncbnet.records.models import FeedJob

    names = MEMBERS[:nodes]
    for name in names:
        store = KeyStore(keys / name, name)
        if not store.exists:
            store.generate()
        services.register(None, services.public_file(store))
    source = f"seed:bench-{time.time_ns()}"
    started = time.perf_counter()
    bulk.seed(documents=documents, source=source)
    written = time.perf_counter() - started
    outbox = OutboxEnvelope.objects.count()
    started = time.perf_counter()
    while feed.run(budget=60):
        pass
    fed = time.perf_counter() - started
    job = FeedJob.objects.get(source=source)
    sent = sum(n.sent for n in job.nodes.all())
    result = {
        "bench": "feed",
        "documents": documents,
        "nodes": len(names),
        "write_seconds": round(written, 2),
        "feed_seconds": round(fed, 2),
        "records_fed": sent,
        "records_fed_per_second": round(sent / fed, 1),
        "envelopes": OutboxEnvelope.objects.count() - outbox,
    }
    print(json.dumps(result))
    return result
