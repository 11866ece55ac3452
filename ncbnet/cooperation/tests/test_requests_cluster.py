"""A request between two bureaus over the real network (nats-server, the hub, FR, BR, KE): FR asks
BR; BR acknowledges, asks a question FR answers, pauses for a judge, answers with a file; FR sees
each state and the answer. The hub relays every envelope without holding a word of it."""

import base64

import pytest

from ncbnet.testing.cluster import files_holding, wait_for

pytestmark = pytest.mark.embedded
MARKER = "Tangerine-5521-request-marker"


def state_on(cluster, node, request_id):
    return cluster.api(node, "GET", f"/cooperation/requests/{request_id}")["state"]


def test_fr_asks_br_and_sees_each_step_and_the_answer(cluster):
    [sent] = cluster.api(
        "FR",
        "POST",
        "/cooperation/requests",
        {
            "to": ["BR"],
            "kind": "information",
            "title": f"Owner of a van {MARKER}",
            "details": f"White van seen at Lyon, {MARKER}.",
            "legal_basis": "Art. 3",
            "purpose": "Robbery inquiry",
            "subjects": [{"type": "person", "name": "Marc Dupont"}],
            "urgent": True,
            "urgency_ground": "life",
        },
    )
    rid = sent["id"]
    wait_for(lambda: state_on(cluster, "FR", rid) == "received", 60, "FR gets BR's receipt")
    assert cluster.api("FR", "GET", f"/cooperation/requests/{rid}")["due_at"]
    wait_for(
        lambda: cluster.api("BR", "GET", f"/cooperation/requests/{rid}")["crosschecked_at"],
        60,
        "BR's cross-check",
    )

    cluster.api("BR", "POST", f"/cooperation/requests/{rid}/acknowledge", {})
    wait_for(lambda: state_on(cluster, "FR", rid) == "acknowledged", 60, "FR sees it acknowledged")
    cluster.api("BR", "POST", f"/cooperation/requests/{rid}/clarify", {"question": "Which Lyon district?"})
    wait_for(lambda: state_on(cluster, "FR", rid) == "clarification", 60, "FR sees the question")
    cluster.api("FR", "POST", f"/cooperation/requests/{rid}/clarify", {"answer": "The 7th."})
    wait_for(lambda: state_on(cluster, "BR", rid) == "acknowledged", 60, "BR gets the clarification")
    cluster.api(
        "BR",
        "POST",
        f"/cooperation/requests/{rid}/pause",
        {"reason": "Judge to authorise", "expected_hours": 12},
    )
    wait_for(lambda: state_on(cluster, "FR", rid) == "paused", 60, "FR sees the pause")
    assert cluster.api("FR", "GET", f"/cooperation/requests/{rid}")["pause_reason"] == "Judge to authorise"
    report = f"Owner: J. Silva {MARKER}".encode()
    file = {"name": "owner.txt", "content_type": "text/plain", "data": base64.b64encode(report).decode()}
    cluster.api(
        "BR", "POST", f"/cooperation/requests/{rid}/answer", {"text": f"Found {MARKER}", "files": [file]}
    )
    wait_for(lambda: state_on(cluster, "FR", rid) == "answered", 60, "FR gets the answer")

    seen = cluster.api("FR", "GET", f"/cooperation/requests/{rid}")
    assert [e["kind"] for e in seen["events"]] == [
        "sent",
        "received",
        "acknowledged",
        "clarification_asked",
        "clarified",
        "paused",
        "answered",
    ]
    [answered] = [e for e in seen["events"] if e["kind"] == "answered"]
    assert answered["text"] == f"Found {MARKER}"
    got = cluster.api("FR", "GET", f"/cooperation/requests/{rid}/files/{answered['files'][0]['id']}")
    assert got == report

    needle = MARKER.encode()
    hub_files, holding = files_holding(cluster.data / "hub", needle)
    assert hub_files and not holding
    assert not cluster.count("hub", "cooperation_request")
