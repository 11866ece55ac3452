"""A case on the real network (nats-server; the hub, FR, BR and KE): shared by FR with BR, worked by
both, closed by FR; KE and the hub relay or hold nothing of it in plaintext."""

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

TITLE = "Carambole: forged passports from Santos"
ENTRY = "Courier seen boarding at Santos pier 42"
OUTCOME = "Print shop dismantled, courier arrested in Lyon"


def plaintext_in(cluster, node, needle):
    """Every column of every table of the node's database that holds `needle`, as text or bytes."""
    found = []
    tables = cluster.query(node, "SELECT name FROM sqlite_master WHERE type = 'table'")
    for (table,) in tables:
        for column in cluster.query(node, f"PRAGMA table_info('{table}')"):
            name = column[1]
            hits = cluster.query(
                node,
                f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{name}" AS BLOB), ?) > 0',  # noqa: S608
                (needle.encode(),),
            )
            if hits[0][0]:
                found.append(f"{table}.{name}")
    return found


def test_a_case_shared_by_fr_and_br_is_sealed_from_ke_and_the_hub(cluster):
    case = cluster.api(
        "FR",
        "POST",
        "/cooperation/cases",
        {"title": TITLE, "severity": "high", "participants": {"BR": "contribute"}},
    )
    key = case["id"].replace("-", "")
    wait_for(lambda: cluster.count("BR", "cooperation_case", "id = ?", (key,)) == 1, 60, "BR's copy")
    on_br = cluster.api("BR", "GET", f"/cooperation/cases/{case['id']}")
    assert on_br["title"] == TITLE and on_br["owner"] == "FR"
    assert {p["node"]: p["permission"] for p in on_br["participants"]} == {"FR": "manage", "BR": "contribute"}

    entry = cluster.api(
        "BR", "POST", f"/cooperation/cases/{case['id']}/entries", {"kind": "note", "text": ENTRY}
    )
    wait_for(
        lambda: any(
            e["text"] == ENTRY for e in cluster.api("FR", "GET", f"/cooperation/cases/{case['id']}/entries")
        ),
        60,
        "BR's entry on FR",
    )
    on_fr = cluster.api("FR", "GET", f"/cooperation/cases/{case['id']}")
    assert on_fr["acknowledged_at"] is not None  # BR's entry acknowledged the case
    assert entry["author_node"] == "BR"

    closed = cluster.api("FR", "POST", f"/cooperation/cases/{case['id']}/close", {"outcome": OUTCOME})
    assert closed["status"] == "closed"
    wait_for(
        lambda: cluster.api("BR", "GET", f"/cooperation/cases/{case['id']}")["status"] == "closed",
        60,
        "the closing on BR",
    )
    assert cluster.api("BR", "GET", f"/cooperation/cases/{case['id']}")["outcome"] == OUTCOME

    for node in ("KE", "hub"):
        assert cluster.count(node, "cooperation_case") == 0
        for needle in (TITLE, ENTRY, OUTCOME):
            assert plaintext_in(cluster, node, needle) == [], f"{needle!r} in plaintext on {node}"
    # The needles are what the search looks for: FR holds them in plaintext.
    assert plaintext_in(cluster, "FR", ENTRY)
