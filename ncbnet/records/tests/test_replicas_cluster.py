"""Replicas through real processes (nats-server, the hub, FR, BR and KE): a record with four 1 MiB
photos travels in parts and arrives whole; a resync puts a damaged replica right, after which
`ncbnet replica verify` finds nothing to fix."""

import base64
import os
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
        timeout=120,
    )


def test_a_record_with_four_1mib_photos_and_a_resync_through_the_network(cluster):
    photos = [
        {
            "content_type": "image/jpeg",
            "data": base64.b64encode(b"\xff\xd8\xff" + os.urandom(1024 * 1024 - 3)).decode(),
        }
        for _ in range(4)
    ]
    person = {
        "names": [{"value": "Camille Fournier-Big"}],
        "date_of_birth": {"year": 1980},
        "nationalities": ["FR"],
        "photos": photos,
    }
    sent = cluster.api(
        "FR",
        "POST",
        "/records/contributions",
        {"database": "persons", "data": person, "restriction": {"access": "deny", "countries": ["BR"]}},
    )
    wait_for(
        lambda: cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted",
        90,
        "the hub's answer to a contribution in parts",
    )
    record_id = cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["record_id"]
    hex_id = record_id.replace("-", "")
    for node in ("FR", "KE"):
        wait_for(
            lambda n=node: cluster.count(n, "records_replicarecord", "id = ?", (hex_id,)),
            90,
            f"{node}'s copy",
        )
    [(size,)] = cluster.query("KE", "SELECT length(data) FROM records_replicarecord WHERE id = ?", (hex_id,))
    assert size > 4 * 1024 * 1024  # the photos came whole, in a record bigger than any envelope
    assert cluster.count("BR", "records_replicarecord", "id = ?", (hex_id,)) == 0
    for node in ("FR", "KE", "hub"):
        assert cluster.count(node, "records_incomingpart") == 0

    # Damage France's replica: a record it may not see (left over), and one it should hold, gone.
    cluster.python(
        "FR",
        "from ncbnet.records.models import ReplicaRecord\n"
        "from ncbnet.base import clock\n"
        "import uuid\n"
        "ReplicaRecord.objects.filter(pk='" + record_id + "').delete()\n"
        "ReplicaRecord.objects.create(id=uuid.uuid4(), database='documents', owner='BR', label='BR LEFTOVER',"
        " key='LEFTOVER', data={}, version=1, handling='H0', updated_at=clock.now().replace(year=2020),"
        " retain_until=clock.now(), received_at=clock.now())\n",
    )
    assert cli(cluster, "FR", "replica", "verify", "--timeout", "60").returncode == 1
    started = cli(cluster, "hub", "replica", "resync", "FR", "--reason", "test")
    assert started.returncode == 0, started.stderr
    wait_for(
        lambda: (
            cluster.count("FR", "records_replicarecord", "id = ?", (hex_id,)) == 1
            and cluster.count("FR", "records_replicarecord", "key = 'LEFTOVER'") == 0
        ),
        90,
        "France's replica put right",
    )
    verified = cli(cluster, "FR", "replica", "verify", "--timeout", "60")
    assert verified.returncode == 0, (verified.stdout, verified.stderr)
