"""A record's life through real processes (nats-server; the hub, FR, BR and KE, each with its
server and network worker): FR edits its record and the edit reaches exactly the replicas that may
see it; a new restriction moves it between them; a withdrawal takes it out of every replica and
screening. At the end of its retention (the owner warned six months before, an extension keeping
it) the hub purges it, and no database of any node holds its name or document number any more."""

import sqlite3

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

DOC = {"type": "passport", "issuing_country": "FR", "status": "lost", "date": "2026-06-01"}


def contribute(cluster, database, data, restriction=None):
    sent = cluster.api(
        "FR",
        "POST",
        "/records/contributions",
        {"database": database, "data": data, "restriction": restriction},
    )
    wait_for(
        lambda: cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted",
        90,
        "the hub's answer to a contribution",
    )
    return cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["record_id"]


def accepted(cluster, change):
    def answered():
        status = cluster.api("FR", "GET", f"/records/changes/{change['id']}")["status"]
        return status if status != "sent" else None

    return wait_for(answered, 90, f"the hub's answer to a {change['action']}")


def version(cluster, node, record_id):
    rows = cluster.query(
        node, "SELECT version FROM records_replicarecord WHERE id = ?", (record_id.replace("-", ""),)
    )
    return rows[0][0] if rows else None


def held(cluster, nodes, record_id, v):
    return all(version(cluster, n, record_id) == v for n in nodes)


def test_an_edit_a_restriction_and_a_withdrawal_reach_exactly_the_replicas(cluster):
    number = "FR-LIFE-0001"
    rid = contribute(cluster, "documents", {**DOC, "number": number}, {"access": "deny", "countries": ["KE"]})
    wait_for(lambda: held(cluster, ("FR", "BR"), rid, 1), 90, "FR's and BR's copies")
    assert version(cluster, "KE", rid) is None

    edit = cluster.api(
        "FR",
        "PATCH",
        f"/records/{rid}",
        {"data": {**DOC, "number": number, "status": "stolen"}, "reason": "stolen, not lost"},
    )
    assert edit["status"] == "sent" and edit["action"] == "edit"
    assert accepted(cluster, edit) == "accepted"
    wait_for(lambda: held(cluster, ("FR", "BR"), rid, 2), 90, "the edit on FR and BR")
    assert version(cluster, "KE", rid) is None  # never to a country the owner denied
    [(who, where, why)] = cluster.query(
        "hub",
        "SELECT changed_by, changed_by_country, reason FROM records_recordversion"
        " WHERE record_id = ? AND version = 2",
        (rid.replace("-", ""),),
    )
    assert (where, why) == ("FR", "stolen, not lost") and who

    restrict = cluster.api(
        "FR", "PATCH", f"/records/{rid}", {"restriction": {"access": "allow", "countries": ["KE"]}}
    )
    assert accepted(cluster, restrict) == "accepted"
    wait_for(
        lambda: held(cluster, ("FR", "KE"), rid, 3) and version(cluster, "BR", rid) is None,
        90,
        "KE admitted, BR no longer",
    )
    assert cluster.api("KE", "POST", "/screening/documents", {"number": number})["hits"]

    withdraw = cluster.api("FR", "POST", f"/records/{rid}/withdraw", {"reason": "found by its holder"})
    assert accepted(cluster, withdraw) == "accepted"
    wait_for(
        lambda: all(version(cluster, n, rid) is None for n in ("FR", "BR", "KE")),
        90,
        "the record gone from every replica",
    )
    assert not cluster.api("KE", "POST", "/screening/documents", {"number": number})["hits"]
    [(deleted_at,)] = cluster.query(
        "hub", "SELECT deleted_at FROM records_record WHERE id = ?", (rid.replace("-", ""),)
    )
    assert deleted_at  # kept at the hub, withdrawn, for the audit


# --- the purge -----------------------------------------------------------------------------------


def where_found(path, needles):
    """Every table and column of a node's SQLite database (text columns and blobs alike) holding
    any of `needles`, case-insensitive: [(table, column, needle)]."""
    found = []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]:
                for needle in needles:
                    [(n,)] = db.execute(
                        f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE ?',  # noqa: S608
                        (f"%{needle}%",),
                    )
                    if n:
                        found.append((table, column, needle))
    finally:
        db.close()
    return found


def hub_python(cluster, code):
    return cluster.python(
        "hub", "from ncbnet.records import lifecycle\nfrom ncbnet.records.models import Record\n" + code
    )


def test_a_record_purged_at_the_end_of_its_retention_leaves_no_personal_data_anywhere(cluster):
    name, number = "Isaure Delacroix-Marchetti", "FRPURGE778"
    person = contribute(
        cluster,
        "persons",
        {"names": [{"value": name}], "sex": "F", "date_of_birth": {"year": 1983}, "nationalities": ["FR"]},
    )
    document = contribute(cluster, "documents", {**DOC, "number": number})
    ids = (person, document)
    wait_for(lambda: all(held(cluster, ("FR", "BR", "KE"), r, 1) for r in ids), 90, "every replica")
    # Other bureaus look for them: their searches are audited, without the terms.
    assert cluster.api("BR", "GET", f"/records/replica?q={number}")["results"]
    assert cluster.api("KE", "GET", "/records/replica?q=Delacroix")["results"]

    # The cluster's processes run on the wall clock: the records are made to reach the last six
    # months of their retention (as if contributed four and a half years ago), and the hub's
    # retention job runs.
    hub_python(
        cluster,
        "from datetime import timedelta\nfrom ncbnet.base import clock\n"
        f"Record.objects.filter(pk__in={list(ids)!r})"
        ".update(retain_until=clock.now() + timedelta(days=150))\n"
        "print(lifecycle.retention())",
    )
    wait_for(
        lambda: cluster.count("FR", "records_owneralert", "event = 'retention'") == 2,
        90,
        "the owner's two retention alerts",
    )
    assert hub_python(cluster, "print(lifecycle.retention())").strip() == "{'warned': 0, 'purged': 0}"  # once

    # FR keeps the person for another period, with a reason; the document it lets go.
    extension = cluster.api("FR", "POST", f"/records/{person}/extend", {"reason": "the trial is pending"})
    assert accepted(cluster, extension) == "accepted"
    assert (
        hub_python(
            cluster,
            f"from ncbnet.base import clock\nr = Record.objects.get(pk='{person}')\n"
            "print((r.retain_until - clock.now()).days >= 4 * 365)",
        ).strip()
        == "True"
    )
    assert cluster.count("FR", "records_owneralert", "event = 'retention'") == 1  # the person's answered

    # The document's retention ends: purged. Then the person's extended one ends too.
    hub_python(
        cluster,
        "from datetime import timedelta\nfrom ncbnet.base import clock\n"
        f"Record.objects.filter(pk='{document}').update(retain_until=clock.now() - timedelta(seconds=1))\n"
        "print(lifecycle.retention())",
    )
    assert hub_python(cluster, f"print(Record.objects.filter(pk='{person}').exists())").strip() == "True"
    hub_python(
        cluster,
        "from datetime import timedelta\nfrom ncbnet.base import clock\n"
        f"Record.objects.filter(pk='{person}').update(retain_until=clock.now() - timedelta(seconds=1))\n"
        "print(lifecycle.retention())",
    )

    def left() -> list[tuple[str, str]]:
        """What still holds the purged records: (node, what), empty once the purge is everywhere."""
        held = [(n, f"replica {r}") for n in ("FR", "BR", "KE") for r in ids if version(cluster, n, r)]
        alerts = cluster.query(  # the module's first test leaves FR an alert of its own record
            "FR",
            "SELECT event, record_id FROM records_owneralert WHERE record_id IN (?, ?)",
            tuple(r.replace("-", "") for r in ids),
        )
        return held + [("FR", f"owner alert {e} {r}") for e, r in alerts]

    try:
        wait_for(lambda: not left(), 90, "the purge on every node")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still holding the purged records: {left()}") from exc
    for node in ("hub", "FR", "BR", "KE"):
        wait_for(
            lambda n=node: not where_found(cluster.db(n), [name, "Delacroix", number]),
            30,
            f"no trace of the record on {node}",
        )
    assert cluster.count("hub", "audit_auditentry", "action = 'records.purge'") == 2
