"""The cases API on one node (FR): create, share, entries, tasks, status, close; bad input is a
problem (422) naming the field, and nothing is written."""

import base64

import pytest

from ncbnet.conftest import sign_in
from ncbnet.cooperation.models import Case, CaseEntry
from ncbnet.network.models import OutboxEnvelope

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cooperation/cases"


@pytest.fixture
def api(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")

    def call(method, path, payload=None):
        if method == "GET":
            return client.get(BASE + path)
        return client.post(BASE + path, payload or {}, content_type="application/json")

    return call


def test_a_case_through_the_api_from_creation_to_closing(api):
    made = api(
        "POST",
        "",
        {"title": "Forged passports ring", "severity": "high", "participants": {"BR": "contribute"}},
    )
    assert made.status_code == 201, made.content
    case = made.json()
    assert case["owner"] == "FR" and {p["node"] for p in case["participants"]} == {"FR", "BR"}
    cid = case["id"]
    photo = base64.b64encode(b"\x89PNG fake").decode()
    entry = api(
        "POST",
        f"/{cid}/entries",
        {"kind": "attachment", "text": "Printer", "file": {"name": "p.png", "data": photo}},
    )
    assert entry.status_code == 201, entry.content
    assert entry.json()["file_size"] == 9
    linked = api("POST", f"/{cid}/entries", {"kind": "notice", "ref": "2026/123", "text": "Red Notice"})
    assert linked.status_code == 201
    assert [e["kind"] for e in api("GET", f"/{cid}/entries").json()] == ["attachment", "notice"]
    task = api(
        "POST", f"/{cid}/tasks", {"title": "Hear the courier", "assignee_node": "BR", "mandatory": True}
    )
    assert task.status_code == 201, task.content
    refused = api("POST", f"/{cid}/close", {"outcome": "Dismantled."})
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    done = api("POST", f"/{cid}/tasks/{task.json()['id']}", {"state": "done", "note": "Heard."})
    assert done.status_code == 200 and done.json()["state"] == "done"
    assert api("POST", f"/{cid}/status", {"status": "active"}).json()["status"] == "active"
    assert api("POST", f"/{cid}/share", {"participants": {"KE": "read"}}).status_code == 200
    closed = api("POST", f"/{cid}/close", {"outcome": "Dismantled."})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["time_to_resolve_seconds"] is not None
    read = api("GET", f"/{cid}").json()
    assert read["tasks"][0]["state"] == "done" and {p["node"] for p in read["participants"]} == {
        "FR",
        "BR",
        "KE",
    }
    listed = api("GET", "?status=closed&q=passports").json()["results"]
    assert [c["id"] for c in listed] == [cid]


def test_bad_input_is_a_problem_naming_the_field_and_nothing_is_written(api):
    unknown = api("POST", "", {"title": "x", "participants": {"ZZ": "read"}})
    assert unknown.status_code == 422 and "participants" in unknown.content.decode()
    assert not Case.objects.exists() and not OutboxEnvelope.objects.exists()
    cid = api("POST", "", {"title": "A case"}).json()["id"]
    bad = api("POST", f"/{cid}/entries", {"kind": "hit", "text": "no id"})
    assert bad.status_code == 422 and "ref" in bad.content.decode()
    assert not CaseEntry.objects.exists()
    assert api("GET", "/0190c2a4-0000-7000-8000-000000000000").status_code == 404
