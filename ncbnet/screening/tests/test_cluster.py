"""Screening and hits with real processes: the hub, three NCB nodes, nats-server, each node's
network worker and job runner. A restricted person never reaches a denied country's results; a
node screens its replica with the hub stopped and its hit reaches the owner when the hub is back;
the owner's answer comes back; a manifest is screened by the node's job runner."""

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded


def contribute(cluster, name, restriction):
    data = {"names": [{"value": name}], "sex": "F", "nationalities": ["KE"], "date_of_birth": {"year": 1985}}
    sent = cluster.api(
        "KE",
        "POST",
        "/records/contributions",
        {"database": "persons", "data": data, "restriction": restriction},
    )
    wait_for(
        lambda: cluster.api("KE", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted",
        30,
        f"the hub's answer to {name}",
    )


def in_replica(cluster, node, name):
    return cluster.count(node, "records_replicarecord", "label = ?", (name,)) == 1


def screen(cluster, node, name, **extra):
    return cluster.api(node, "POST", "/screening/persons", {"name": name, **extra})


def test_a_restricted_person_never_reaches_a_denied_countrys_results(cluster):
    contribute(cluster, "Zawadi Chepkoech", {"access": "deny", "countries": ["BR"]})
    contribute(cluster, "Baraka Wekesa", {"access": "all"})
    wait_for(lambda: in_replica(cluster, "FR", "Zawadi Chepkoech"), 30, "FR's replica")
    wait_for(lambda: in_replica(cluster, "BR", "Baraka Wekesa"), 30, "BR's replica")
    assert [h["label"] for h in screen(cluster, "BR", "Wekesa Baraka")["hits"]] == ["Baraka Wekesa"]
    assert screen(cluster, "BR", "CHEPKOECH Zawadi")["hits"] == []
    assert [h["label"] for h in screen(cluster, "FR", "CHEPKOECH Zawadi")["hits"]] == ["Zawadi Chepkoech"]


def test_offline_screening_with_the_hub_stopped_reports_the_hit_when_it_is_back(cluster):
    contribute(cluster, "Nyokabi Gathoni", {"access": "all"})
    wait_for(lambda: in_replica(cluster, "FR", "Nyokabi Gathoni"), 30, "FR's replica")
    cluster.stop_node("hub")
    try:
        found = screen(cluster, "FR", "Gathoni Nyokabi", date_of_birth="1985", urgent=True, place="CDG T2")
        [hit] = found["hits"]
        assert hit["owner"] == "KE" and hit["status"].startswith("possible match: awaiting confirmation")
        report = hit["report"]
        row = report.replace("-", "")
        assert cluster.count("FR", "hits_hitreport", "id = ? AND sent_at IS NOT NULL", (row,)) == 1
        assert cluster.count("KE", "hits_hitreport", "id = ?", (row,)) == 0  # nothing relays it yet
    finally:
        cluster.start_node("hub")
    for node in ("hub", "KE"):
        wait_for(
            lambda n=node: cluster.count(n, "hits_hitreport", "id = ?", (row,)) == 1,
            60,
            f"the report at {node}",
        )
    assert cluster.count("KE", "records_owneralert", "event = 'hit'") >= 1
    cluster.python(
        "KE",
        "import uuid\n"
        "from ncbnet.core.models import User\n"
        "from ncbnet.hits import services\n"
        "officer = User.objects.get(username='ke-officer')\n"
        f"services.answer(officer, uuid.UUID('{report}'), 'confirmed', 'valid')",
    )
    wait_for(
        lambda: cluster.api("FR", "GET", f"/hits/{report}")["state"] == "confirmed", 60, "the answer at FR"
    )
    wait_for(
        lambda: cluster.count("hub", "hits_hitreport", "id = ? AND state = 'confirmed'", (row,)) == 1,
        60,
        "the answer at the hub",
    )
    assert cluster.api("FR", "GET", f"/hits/{report}")["context"] == {"place": "CDG T2"}


def test_a_manifest_is_screened_by_the_nodes_job_runner(cluster):
    contribute(cluster, "Kerubo Nyaboke", {"access": "all"})
    wait_for(lambda: in_replica(cluster, "BR", "Kerubo Nyaboke"), 30, "BR's replica")
    rows = "name,flight\n" + "".join(f"Passenger {i},LA8084\n" for i in range(40)) + "NYABOKE Kerubo,LA8084\n"
    job = cluster.upload("BR", "/screening/manifests", "la8084.csv", rows.encode(), {"reason": "arrivals"})
    wait_for(
        lambda: cluster.api("BR", "GET", f"/screening/manifests/{job['id']}")["state"] == "done",
        60,
        "the job",
    )
    done = cluster.api("BR", "GET", f"/screening/manifests/{job['id']}")
    assert (done["total"], done["hits"], done["problems"]) == (41, 1, 0)
    result = cluster.api("BR", "GET", f"/screening/manifests/{job['id']}/result").decode().splitlines()
    assert result[-1].startswith("NYABOKE Kerubo,LA8084,hit,")


def test_a_manifest_screened_by_two_processes_is_written_as_by_one(cluster):
    """Chunks screened side by side in forked processes come back in order, each written with its
    progress, hits and reports, the same as one process screening them one after the other."""
    contribute(cluster, "Jepkosgei Cheruiyot", {"access": "all"})
    wait_for(lambda: in_replica(cluster, "BR", "Jepkosgei Cheruiyot"), 30, "BR's replica")
    out = cluster.python(
        "BR",
        "from ncbnet.core.models import User\n"
        "from ncbnet.screening import manifests\n"
        "officer = User.objects.get(username='br-officer')\n"
        "rows = 'name,seat\\n' + ''.join(\n"
        "    ('CHERUIYOT Jepkosgei' if i % 7 == 3 else f'Traveller {i}') + f',{i}\\n' for i in range(60))\n"
        "for workers in (1, 2):\n"
        "    job = manifests.submit(officer, 'af1.csv', rows.encode(), {'reason': 'arrivals'}, here=True)\n"
        "    seen = []\n"
        "    manifests.run(job, officer, lambda _l, done, _t: seen.append(done), chunk=7, workers=workers)\n"
        "    job.refresh_from_db()\n"
        "    lines = [line.split(',')[:3] for line in ''.join(manifests.result_lines(job)).splitlines()]\n"
        "    print(workers, job.state, job.hits, seen == sorted(seen) and seen[-1] == 60, lines)\n",
    )
    one, two = out.splitlines()
    assert one.startswith("1 done 9 True ")
    assert two.startswith("2 done 9 True ")
    assert one[2:] == two[2:]
    assert cluster.count("BR", "hits_hitreport", "query LIKE ?", ("%CHERUIYOT Jepkosgei%",)) == 18
