"""Bulk writes through real processes (nats-server, the hub, FR, BR and KE): records written in
bulk at the hub reach the nodes that were already connected, FR's bulk contribution comes back
row by row, and afterwards `ncbnet replica verify` finds nothing to fix on any node."""

import subprocess
import sys

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded


def cli(cluster, node: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", *args],
        env=cluster.env(cluster.by_name[node]),
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def test_bulk_writes_reach_the_nodes_already_connected(cluster, tmp_path):
    before = {n: cluster.count(n, "records_replicarecord") for n in ("FR", "BR", "KE")}
    # The demo's own steps: 2,000 documents written in bulk at the hub, every node already up,
    # and FR's bulk contribution of 50 stolen passports, two of them refused.
    for step, node in (("hub-bulk-feed", "hub"), ("fr-bulk-contribution", "FR")):
        done = cli(cluster, node, "demo", "story", step)
        assert done.returncode == 0, done.stderr
    wait_for(
        lambda: cluster.count("FR", "records_bulkimport", "status = 'done'") == 1,
        120,
        "the hub's answers to FR's bulk contribution",
    )
    [(accepted, refused)] = cluster.query("FR", "SELECT accepted, refused FROM records_bulkimport")
    assert (accepted, refused) == (48, 2)
    wait_for(
        lambda: cluster.count("hub", "records_feedjob", "finished_at IS NULL") == 0,
        120,
        "the feeds of both bulk writes",
    )
    status = cli(cluster, "hub", "records", "feed-status")
    assert status.returncode == 0 and "BR: 2,000 of 2,000 sent done" in status.stdout, status.stdout
    for node in ("FR", "BR", "KE"):
        wait_for(
            lambda n=node: cluster.count(n, "records_replicarecord") == before[n] + 2048,
            120,
            f"the bulk records on {node}",
        )
        verified = cli(cluster, node, "replica", "verify", "--timeout", "90")
        assert verified.returncode == 0, (node, verified.stdout, verified.stderr)
    outcome = tmp_path / "outcome.csv"
    [(job_id,)] = cluster.query("FR", "SELECT id FROM records_bulkimport")
    job = f"{job_id[:8]}-{job_id[8:12]}-{job_id[12:16]}-{job_id[16:20]}-{job_id[20:]}"
    shown = cli(cluster, "FR", "records", "imports", job, "--outcome", str(outcome))
    assert shown.returncode == 0, shown.stderr
    lines = outcome.read_text().splitlines()
    assert len(lines) == 51 and sum(",refused," in line for line in lines) == 2
