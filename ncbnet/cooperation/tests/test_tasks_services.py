"""National tasks on one node: the hostile cases first (another country's agency, a due date in
the past, another agency's user), then the deadline share on a controlled clock, the answer seen
on the parent request, and the overdue alert raised once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, database_state, sign_in
from ncbnet.cooperation.models import Alert, Request, Task
from ncbnet.cooperation.receive.tasks import overdue_tasks
from ncbnet.cooperation.services import tasks
from ncbnet.core.models import NCB, Agency
from ncbnet.network import delivery
from ncbnet.network.envelope import new_id

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request_from_br(peers, urgent=False, seq=1) -> Request:
    """A request BR's bureau sends to this node (FR), as the network brings it: received now,
    due in 7 days (routine) or 8 hours (urgent, direct access)."""
    request_id = new_id()
    body = {
        "request_id": request_id,
        "requester": "BR",
        "requested": "FR",
        "sender_name": "Ana Souza",
        "kind": "action",
        "action": "locate",
        "title": "Locate Jean Dupont",
        "details": "Believed to live in Lyon.",
        "subjects": [{"type": "person", "name": "Jean Dupont"}],
        "legal_basis": "Art. 3 of the cooperation agreement",
        "purpose": "Extradition proceedings",
        "urgent": urgent,
        "urgency_ground": "detention" if urgent else "",
        "access": "direct",
        "handling": "H1",
        "source_reliability": "B",
        "information_accuracy": "2",
        "created_at": clock.now().isoformat(),
    }
    assert delivery.accept_batch([(arriving(peers, "cooperation.request", body, sender="BR"), seq)]) == [
        "accepted"
    ]
    return Request.objects.get(pk=request_id)


def draft(r: Request, agency: Agency, **kw) -> tasks.Draft:
    base = {
        "parent_kind": "request",
        "parent_id": str(r.pk),
        "agency_id": agency.pk,
        "action": "Find Jean Dupont's address",
        "legal_basis": "Code de procédure pénale, art. 694",
        "details": "Check the registers of Lyon.",
    }
    return tasks.Draft(**{**base, **kw})


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


@pytest.fixture
def police(agency_factory):
    return agency_factory("Police nationale", "police")


@pytest.fixture
def customs(agency_factory):
    return agency_factory("Douane", "customs")


def test_a_task_to_another_countrys_agency_is_refused_and_nothing_is_written(peers, officer):
    with clock.frozen(T0):
        r = request_from_br(peers)
        brazil = Agency.objects.create(
            ncb=NCB.objects.get(country_id="BR"), name="Polícia Federal", kind="police"
        )
        before = database_state()
        with pytest.raises(ValidationError) as exc:
            tasks.create(officer, draft(r, brazil))
    assert "agency" in exc.value.message_dict
    assert "Polícia Federal" in exc.value.message_dict["agency"][0]
    assert database_state() == before


def test_a_task_to_an_unknown_agency_or_parent_is_refused(peers, officer, police):
    with clock.frozen(T0):
        r = request_from_br(peers)
        with pytest.raises(ValidationError) as exc:
            tasks.create(officer, draft(r, police, agency_id=999_999))
        assert "agency" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            tasks.create(officer, draft(r, police, parent_id=new_id()))
        assert "parent_id" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            tasks.create(officer, draft(r, police, parent_kind="notice"))
        assert "parent_kind" in exc.value.message_dict
    assert not Task.objects.exists()


def test_a_due_date_in_the_past_is_refused(peers, officer, police):
    with clock.frozen(T0):
        r = request_from_br(peers)
        before = database_state()
        with pytest.raises(ValidationError) as exc:
            tasks.create(officer, draft(r, police, due_at=T0 - timedelta(minutes=1)))
    assert "due_at" in exc.value.message_dict
    assert database_state() == before


def test_agency_users_cannot_task_and_officers_cannot_answer_for_an_agency(
    peers, officer, police, user_factory
):
    agent = user_factory("agency", "query", username="fr-police-1", agency=police)
    with clock.frozen(T0):
        r = request_from_br(peers)
        with pytest.raises(PermissionDenied):
            tasks.create(agent, draft(r, police))
        task = tasks.create(officer, draft(r, police))
        with pytest.raises(PermissionDenied):
            tasks.answer(officer, task.pk, "Found him.")
    assert Task.objects.get().state == Task.State.ASSIGNED


def test_an_agency_user_of_another_agency_neither_sees_nor_acts_on_the_task(
    peers, officer, police, customs, user_factory
):
    douanier = user_factory("agency", "query", username="fr-customs-1", agency=customs)
    with clock.frozen(T0):
        r = request_from_br(peers)
        task = tasks.create(officer, draft(r, police))
        assert list(tasks.search(douanier, tasks.Filters())) == []
        with pytest.raises(Http404):
            tasks.read(douanier, task.pk)
        for act in (
            lambda: tasks.acknowledge(douanier, task.pk),
            lambda: tasks.report(douanier, task.pk, "Working on it"),
            lambda: tasks.answer(douanier, task.pk, "Done"),
            lambda: tasks.decline(douanier, task.pk, "Not ours"),
        ):
            with pytest.raises(Http404):
                act()
    assert Task.objects.get().state == Task.State.ASSIGNED


def test_the_default_due_date_is_the_share_of_the_parents_remaining_time(peers, officer, police):
    with clock.frozen(T0):
        r = request_from_br(peers)  # routine: due 7 days after receipt
    assert r.due_at == T0 + timedelta(days=7)
    later = T0 + timedelta(days=3)
    with clock.frozen(later):
        task = tasks.create(officer, draft(r, police))
    assert task.due_at == later + timedelta(days=4) * tasks.TASK_SHARE
    assert task.parent_due_at == r.due_at and not task.late_for_parent
    assert task.parent_title == "Locate Jean Dupont"


def test_a_due_date_after_the_parents_deadline_is_allowed_and_flagged(peers, officer, police, client):
    with clock.frozen(T0):
        r = request_from_br(peers, urgent=True)  # 8 hours
        task = tasks.create(officer, draft(r, police, due_at=T0 + timedelta(days=1)))
        assert task.late_for_parent
        entry = AuditEntry.objects.filter(action="cooperation.task.create").get()
        assert entry.detail["late_for_parent"] is True


def test_a_parent_past_its_deadline_needs_an_explicit_due_date(peers, officer, police):
    with clock.frozen(T0):
        r = request_from_br(peers, urgent=True)
    with clock.frozen(T0 + timedelta(hours=9)):
        with pytest.raises(ValidationError) as exc:
            tasks.create(officer, draft(r, police))
        assert "due_at" in exc.value.message_dict
        task = tasks.create(officer, draft(r, police, due_at=T0 + timedelta(hours=12)))
    assert task.late_for_parent


def test_a_task_answered_by_the_agency_is_seen_on_its_parent_request(peers, officer, police, user_factory):
    agent = user_factory("agency", "query", username="fr-police-1", agency=police)
    with clock.frozen(T0):
        r = request_from_br(peers)
        task = tasks.create(officer, draft(r, police))
        other = tasks.create(officer, draft(r, police, action="Check the border records"))
    with clock.frozen(T0 + timedelta(hours=1)):
        tasks.acknowledge(agent, task.pk, "On it")
        tasks.report(
            agent, task.pk, "Two addresses to check", [tasks.Upload("notes.txt", "text/plain", b"12 rue X")]
        )
        tasks.answer(
            agent,
            task.pk,
            "He lives at 12 rue X, Lyon.",
            [tasks.Upload("photo.jpg", "image/jpeg", b"\xff\xd8")],
        )
        tasks.decline(agent, other.pk, "Border records are the border police's")
    on_parent = {t.pk: t for t in tasks.of_parent("request", r.pk)}
    assert on_parent[task.pk].state == Task.State.ANSWERED
    assert on_parent[task.pk].result == "He lives at 12 rue X, Lyon."
    assert on_parent[task.pk].answered_by == agent
    assert on_parent[other.pk].state == Task.State.DECLINED
    assert on_parent[other.pk].decline_reason == "Border records are the border police's"
    assert [e.kind for e in task.events.all()] == ["assigned", "acknowledged", "progress", "answered"]
    assert sorted(task.files.values_list("name", flat=True)) == ["notes.txt", "photo.jpg"]
    actions = set(AuditEntry.objects.filter(actor="fr-police-1").values_list("action", flat=True))
    assert {
        "cooperation.task.acknowledged",
        "cooperation.task.progress",
        "cooperation.task.answered",
    } <= actions
    with pytest.raises(ValidationError):  # an answered task takes no further step
        tasks.report(agent, task.pk, "more")


def test_files_are_bounded_to_ten_and_ten_megabytes(peers, officer, police, user_factory):
    agent = user_factory("agency", "query", username="fr-police-1", agency=police)
    with clock.frozen(T0):
        r = request_from_br(peers)
        task = tasks.create(officer, draft(r, police))
        eleven = [tasks.Upload(f"f{i}.txt", "text/plain", b"x") for i in range(11)]
        with pytest.raises(ValidationError):
            tasks.report(agent, task.pk, "many", eleven)
        big = [tasks.Upload("big.bin", "application/octet-stream", b"0" * (10 * 1024 * 1024 + 1))]
        with pytest.raises(ValidationError):
            tasks.answer(agent, task.pk, "big", big)
    assert Task.objects.get().state == Task.State.ASSIGNED and not task.files.exists()


def test_an_overdue_task_alerts_the_bureau_once(peers, officer, police):
    with clock.frozen(T0):
        r = request_from_br(peers)
        task = tasks.create(officer, draft(r, police, due_at=T0 + timedelta(hours=4)))
        assert overdue_tasks() == 0
    with clock.frozen(T0 + timedelta(hours=5)):
        assert overdue_tasks() == 1
        assert overdue_tasks() == 0
    with clock.frozen(T0 + timedelta(days=2)):
        assert overdue_tasks() == 0
    alert = Alert.objects.get()
    assert alert.what == "task" and alert.ref == task.pk and alert.audience == "bureau"
    assert "Find Jean Dupont's address" in alert.text


def test_an_answered_task_is_never_overdue(peers, officer, police, user_factory):
    agent = user_factory("agency", "query", username="fr-police-1", agency=police)
    with clock.frozen(T0):
        r = request_from_br(peers)
        task = tasks.create(officer, draft(r, police, due_at=T0 + timedelta(hours=4)))
        tasks.answer(agent, task.pk, "Done")
    with clock.frozen(T0 + timedelta(hours=5)):
        assert overdue_tasks() == 0
    assert not Alert.objects.exists()


def test_the_api_creates_lists_and_steps_a_task(peers, officer, police, user_factory, client):
    agent = user_factory("agency", "query", username="fr-police-1", agency=police)
    user_factory(
        "agency",
        "query",
        username="fr-customs-1",
        agency=Agency.objects.create(ncb=police.ncb, name="Douane", kind="customs"),
    )
    r = request_from_br(peers, urgent=True)
    sign_in(client, "fr-officer")
    made = client.post(
        "/api/v1/cooperation/tasks",
        {
            "parent_kind": "request",
            "parent_id": str(r.pk),
            "agency_id": police.pk,
            "action": "Find him",
            "legal_basis": "CPP art. 694",
            "details": "Lyon",
            "due_at": (clock.now() + timedelta(days=2)).isoformat(),
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["late_for_parent"] is True and body["warning"]
    refused = client.post(
        "/api/v1/cooperation/tasks",
        {
            **{k: body[k] for k in ("parent_kind", "parent_id", "action", "legal_basis", "details")},
            "agency_id": police.pk,
            "due_at": (clock.now() - timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert (
        client.post(
            f"/api/v1/cooperation/tasks/{body['id']}/answer", {"text": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    client.logout()

    sign_in(client, "fr-customs-1")
    assert client.get("/api/v1/cooperation/tasks").json()["results"] == []
    assert client.get(f"/api/v1/cooperation/tasks/{body['id']}").status_code == 404
    assert (
        client.post(
            f"/api/v1/cooperation/tasks/{body['id']}/acknowledge", {}, content_type="application/json"
        ).status_code
        == 404
    )
    client.logout()

    sign_in(client, agent.username)
    listed = client.get("/api/v1/cooperation/tasks").json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert (
        client.post(
            f"/api/v1/cooperation/tasks/{body['id']}/acknowledge",
            {"text": "ok"},
            content_type="application/json",
        ).json()["state"]
        == "acknowledged"
    )
    assert (
        client.post(
            f"/api/v1/cooperation/tasks/{body['id']}/report",
            {"text": "going"},
            content_type="application/json",
        ).json()["state"]
        == "in_progress"
    )
    answered = client.post(
        f"/api/v1/cooperation/tasks/{body['id']}/answer",
        {"text": "Found at 12 rue X", "files": [{"name": "a.txt", "data": "aGVsbG8="}]},
        content_type="application/json",
    ).json()
    assert answered["state"] == "answered" and answered["files"][0]["name"] == "a.txt"
    got = client.get(f"/api/v1/cooperation/tasks/{body['id']}/files/{answered['files'][0]['id']}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"hello"


def test_a_hit_gives_its_tasks_a_share_of_its_confirmation_time(peers, officer, police):
    from ncbnet.hits.models import HitReport

    with clock.frozen(T0):
        hit = HitReport.objects.create(
            id=new_id(),
            record_id=new_id(),
            database="persons",
            label="DUPONT Jean",
            owner="BR",
            found_by="FR",
            found_by_node="FR",
            officer="fr-border-1",
            score=0.97,
            found_at=T0,
            received_at=T0,
            due_at=T0 + timedelta(hours=10),
        )
    with clock.frozen(T0 + timedelta(hours=2)):
        task = tasks.create(officer, tasks.Draft("hit", str(hit.pk), police.pk, "Hold him", "CPP", "At CDG"))
    assert task.due_at == T0 + timedelta(hours=2) + timedelta(hours=8) * tasks.TASK_SHARE
    assert task.parent_title == "DUPONT Jean" and tasks.of_parent("hit", hit.pk) == [task]


def test_a_task_for_a_case_this_node_does_not_keep_is_refused(peers, officer, police):
    with clock.frozen(T0), pytest.raises(ValidationError) as exc:
        tasks.create(officer, tasks.Draft("case", new_id(), police.pk, "Search", "CPP", "x"))
    assert "parent_id" in exc.value.message_dict


def test_a_national_system_needs_the_scopes_and_then_acts_for_the_agency(
    peers, officer, police, user_factory, client
):
    from ncbnet.security import services as security

    system = user_factory("system", "system", username="fr-case-system")
    _t, narrow = security.create_token(None, system, "screening", scopes=["screening"])
    _t, reader = security.create_token(None, system, "reader", scopes=["read_messages"])
    _t, wide = security.create_token(None, system, "tasks", scopes=["read_messages", "send_messages"])
    r = request_from_br(peers)
    task = tasks.create(officer, draft(r, police))
    refused = client.get("/api/v1/cooperation/tasks", HTTP_AUTHORIZATION=f"Bearer {narrow}")
    assert refused.status_code == 403 and refused.json()["scope"] == "read_messages"
    read_only = client.post(
        f"/api/v1/cooperation/tasks/{task.pk}/acknowledge",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {reader}",
    )
    assert read_only.status_code == 403 and read_only.json()["scope"] == "send_messages"
    listed = client.get("/api/v1/cooperation/tasks", HTTP_AUTHORIZATION=f"Bearer {wide}")
    assert [t["id"] for t in listed.json()["results"]] == [str(task.pk)]
    answered = client.post(
        f"/api/v1/cooperation/tasks/{task.pk}/answer",
        {"text": "From the national case system"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {wide}",
    )
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    assert Task.objects.get().answered_by == system
