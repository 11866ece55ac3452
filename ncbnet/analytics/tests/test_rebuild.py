"""The rebuild recounts from the base data exactly what the hooks counted as the events happened:
after any sequence of events driven through the services, at the hub and on a node, the figures
kept live equal the figures the rebuild job writes in their place. And the job itself: its
progress, its resumption after a stopped process, its command line."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ncbnet.analytics import rebuild
from ncbnet.analytics.models import DailyFigure, MonthlyFigure, Rebuild, YearlyFigure
from ncbnet.analytics.tests.figures import consistent, months
from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.cli import main
from ncbnet.conftest import arriving
from ncbnet.cooperation.services import requests as cooperation
from ncbnet.cooperation.tests.conftest import request_body, step_body
from ncbnet.hits import services as hits
from ncbnet.hits.models import HitReport
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.notices import services as notices
from ncbnet.notices.models import Notice
from ncbnet.notices.tests.test_notices import red
from ncbnet.records import contribution, imports
from ncbnet.records import services as records
from ncbnet.screening import services as screening
from ncbnet.screening.tests.test_documents import replica

pytestmark = pytest.mark.django_db
START = datetime(2026, 2, 27, 22, 0, tzinfo=UTC)  # two hours before midnight: events fall on two days
# and, a day later, in two months
GS = Actor("gs-reviewer", gs=True)
OWNERS = ("FR", "KE", "BR")
CATEGORIES = ("", "0502", "0401")


def figures() -> dict[tuple, tuple]:
    """The figures as kept: every row's values, with its n, summed seconds (to the microsecond:
    sums in another order differ in the last bits) and late."""
    return {
        (f.day, f.event, f.country, f.owner, f.database, f.kind, f.iccs, f.outcome, f.restricted, f.rolled): (
            f.n,
            round(f.seconds, 6),
            f.late,
        )
        for f in DailyFigure.objects.all()
    }


def rebuilt(first: date, last: date) -> dict[tuple, tuple]:
    """The figures the rebuild job writes for the days from `first` to `last` (its months the sums
    of its days, as before it)."""
    assert consistent()
    job = rebuild.run(rebuild.start(first, last, "test"))
    assert (job.state, job.done, job.total) == (Rebuild.State.DONE, job.total, (last - first).days + 1)
    assert consistent()
    return figures()


def document(number: str, owner: str, code: str) -> dict:
    return {
        "number": number,
        "type": "passport",
        "issuing_country": owner,
        "status": "stolen",
        "date": "2026-01-01",
        **({"iccs": code} if code else {}),
    }


# --- at the hub ---------------------------------------------------------------------------------

HUB_EVENTS = st.one_of(
    st.tuples(
        st.just("contribute"),
        st.sampled_from(OWNERS),
        st.sampled_from(["all", "deny"]),
        st.sampled_from(CATEGORIES),
    ),
    st.tuples(st.just("withdraw"), st.integers(0, 10)),
    st.tuples(
        st.just("notice"),
        st.sampled_from(["cancel-draft", "publish", "reject", "changes", "publish-cancel", "expire"]),
        st.sampled_from(CATEGORIES),
    ),
    st.tuples(st.just("diffuse"), st.sampled_from(["", "compliant", "withdrawn", "withdrawn-twice"])),
    st.tuples(st.just("search"), st.sampled_from(["document", "batch", "vehicle"]), st.integers(0, 10)),
    st.tuples(st.just("wait"), st.integers(1, 30)),
)


# every kind of event at the hub, each way it may go
EVERY_HUB_PATH = [
    ("contribute", "KE", "deny", "0502"),
    ("contribute", "BR", "all", ""),
    ("search", "document", 1),
    ("search", "batch", 3),
    ("wait", 3),
    ("withdraw", 0),
    ("withdraw", 0),
    *[("notice", path, "0401") for path in ("cancel-draft", "publish", "reject", "changes")],
    ("notice", "publish-cancel", ""),
    ("notice", "expire", ""),
    *[("diffuse", check) for check in ("", "compliant", "withdrawn", "withdrawn-twice")],
    ("search", "vehicle", 0),
]


def _hub_event(event: tuple, gs_user, made: list) -> None:
    kind = event[0]
    if kind == "contribute":
        _, owner, access, code = event
        number = f"{owner}{len(made):07d}"
        restriction = {"access": access, "countries": ["BR"] if access == "deny" else []}
        made.append(
            records.contribute(
                Actor("officer", owner), "documents", document(number, owner, code), restriction
            )
        )
    elif kind == "withdraw" and made:
        record = made[event[1] % len(made)]
        with contextlib.suppress(PermissionDenied, Http404):  # withdrawn already: nothing is counted
            records.withdraw(Actor("officer", record.owner), str(record.pk), "found again")
    elif kind == "notice":
        _, path, code = event
        n = notices.draft(Actor("fr-officer", "FR"), "red", red(**({"iccs": code} if code else {})))
        fr = Actor("fr-officer", "FR")
        if path == "cancel-draft":
            notices.cancel(fr, str(n.pk), "not needed")
            return
        notices.submit(fr, str(n.pk))
        with clock.frozen(clock.now() + timedelta(hours=30 if path == "reject" else 2)):
            decision = {"reject": "reject", "changes": "changes"}.get(path, "approve")
            notices.review(GS, str(n.pk), decision, "reviewed")
            if path == "publish-cancel":
                notices.cancel(fr, str(n.pk), "arrested")
            if path == "expire":
                Notice.objects.filter(pk=n.pk).update(periodic_review_at=clock.now())
                notices.tick()
    elif kind == "diffuse":
        d = notices.diffuse(Actor("fr-officer", "FR"), "red", ["BR"], red())
        checks = {"": [], "compliant": ["compliant"], "withdrawn": ["withdrawn"]}
        for outcome in checks.get(event[1], ["withdrawn", "compliant", "withdrawn"]):
            notices.check_diffusion(GS, str(d.pk), outcome, "checked")
    elif kind == "search":
        _, how, i = event
        number = f"{made[i % len(made)].key}" if made and i % 2 else "NOSUCH123"
        if how == "document":
            screening.document(gs_user, number)
        elif how == "batch":
            screening.documents(gs_user, [(number, ""), ("NOSUCH456", "")])
        else:
            screening.vehicle(gs_user, vin="1M8GDM9AXKP042788")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(HUB_EVENTS, max_size=14))
@example(EVERY_HUB_PATH)
def test_at_the_hub_the_figures_kept_live_equal_their_rebuild(hub, user_factory, events):
    gs_user = (
        user_factory("gs", "analyst", username="gs-analyst")
        if not _exists("gs-analyst")
        else _user("gs-analyst")
    )
    with transaction.atomic():
        now, made = START, []
        for event in events:
            if event[0] == "wait":
                now += timedelta(hours=event[1])
                continue
            with clock.frozen(now):
                _hub_event(event, gs_user, made)
        last = (now + timedelta(hours=32)).date()  # a notice's review takes up to 30 hours
        live = figures()
        assert all(START.date() <= key[0] <= last for key in live)
        if events == EVERY_HUB_PATH:
            assert {key[1] for key in live} == {
                "record.contributed",
                "record.withdrawn",
                "notice.submitted",
                "notice.decided",
                "screening.searched",
                "hit.reported",
            }
        assert rebuilt(START.date(), last) == live
        transaction.set_rollback(True)


def _exists(username: str) -> bool:
    from ncbnet.core.models import User

    return User.objects.filter(username=username).exists()


def _user(username: str):
    from ncbnet.core.models import User

    return User.objects.get(username=username)


# --- on a node (FR) -----------------------------------------------------------------------------

NODE_EVENTS = st.one_of(
    st.tuples(st.just("search"), st.sampled_from(["hit", "miss"]), st.booleans()),
    st.tuples(st.just("report"), st.booleans()),  # a hit on FR's record, found by BR
    st.tuples(st.just("answer"), st.integers(0, 10), st.sampled_from(["confirmed", "denied", "more_time"])),
    st.tuples(st.just("answered"), st.integers(0, 10), st.sampled_from(["confirmed", "more_time"])),
    st.tuples(st.just("request"), st.sampled_from(["", "answered", "answered-twice", "refused"])),
    st.tuples(st.just("incoming"), st.sampled_from(["", "answered", "refused"])),
    st.tuples(
        st.just("contribute"), st.booleans(), st.sampled_from(["all", "allow"]), st.sampled_from(CATEGORIES)
    ),
    st.tuples(st.just("import"), st.integers(1, 3), st.integers(0, 3)),  # rows, of which the hub refuses
    st.tuples(st.just("wait"), st.integers(1, 120)),  # minutes
)


# every kind of event on a node, each way it may go
EVERY_NODE_PATH = [
    ("search", "hit", True),
    ("search", "miss", False),
    ("report", False),
    ("report", True),
    ("contribute", True, "allow", "0502"),
    ("contribute", False, "all", ""),
    ("import", 3, 1),
    ("wait", 20),
    ("answer", 0, "more_time"),
    ("answer", 1, "confirmed"),
    ("answered", 0, "confirmed"),
    ("wait", 90),
    ("answer", 0, "denied"),
    *[("request", step) for step in ("", "answered", "answered-twice", "refused")],
    *[("incoming", step) for step in ("", "answered", "refused")],
]


class Node:
    """What the node's events need: its officer, its peers' keys, the envelopes' numbers."""

    def __init__(self, officer, peers):
        self.officer, self.peers, self.seq = officer, peers, 0

    def deliver(self, kind: str, body: dict, sender: str) -> None:
        self.seq += 1
        taken = delivery.accept_batch([(arriving(self.peers, kind, body, sender=sender), self.seq)])[0]
        assert taken == "accepted", Quarantine.objects.values_list("reason", flat=True).last()


def _node_event(event: tuple, node: Node) -> None:
    kind = event[0]
    if kind == "search":
        _, outcome, urgent = event
        number = "KE0000001" if outcome == "hit" else "NOSUCH123"
        screening.document(node.officer, number, context={"urgent": urgent})
    elif kind == "report":
        body = {
            "id": str(uuid.uuid4()),
            "record": str(uuid.uuid4()),
            "database": "documents",
            "label": "FR1234567",
            "iccs": "0502",
            "owner": "FR",
            "found_by": "BR",
            "officer": "br-border",
            "context": {},
            "query": {"number": "FR1234567"},
            "score": 1.0,
            "explanation": ["document number"],
            "urgent": event[1],
            "found_at": clock.now().isoformat(),
        }
        node.deliver(hits.REPORT, body, "BR")
    elif kind == "answer":
        mine = list(HitReport.objects.filter(owner="FR").order_by("found_at", "id"))
        if mine:
            r = mine[event[1] % len(mine)]
            with contextlib.suppress(ValidationError):  # answered already: nothing is counted
                hits.answer(node.officer, r.pk, event[2], note="not him", minutes=30)
    elif kind == "answered":
        found = list(HitReport.objects.filter(found_by="FR").order_by("found_at", "id"))
        if found:
            r = found[event[1] % len(found)]
            body = {"id": str(r.pk), "outcome": event[2], "note": "", "minutes": 20, "by": "ke-officer"}
            node.deliver(hits.ANSWER, {**body, "at": clock.now().isoformat()}, "KE")
    elif kind == "request":
        # in a crime category, or none, by turns: the sent and closed counts carry it
        [r] = cooperation.send(node.officer, _draft(CATEGORIES[node.seq % len(CATEGORIES)]))
        node.deliver(cooperation.STEP, step_body(r.pk, "received"), "BR")
        for step in {"answered": ["answered"], "answered-twice": ["answered", "answered"]}.get(
            event[1], [event[1]] if event[1] else []
        ):
            extra = {"ground": "security", "text": "no"} if step == "refused" else {}
            node.deliver(cooperation.STEP, step_body(r.pk, step, **extra), "BR")
    elif kind == "contribute":
        _, accepted, access, code = event
        number = f"FR{node.seq:07d}"
        c = contribution.submit(
            node.officer, "documents", document(number, "FR", code), {"access": access, "countries": ["KE"]}
        )
        answer = {"contribution": str(c.pk), "status": "accepted", "record": str(uuid.uuid4())}
        node.deliver(
            contribution.OUTCOME,
            answer if accepted else {**answer, "status": "refused", "record": None},
            "hub",
        )
    elif kind == "import":
        _, n, refused = event
        docs = "".join(
            json.dumps(document(f"FR9{node.seq:03d}{i:03d}", "FR", CATEGORIES[i % 3])) + "\n"
            for i in range(n)
        )
        imports.submit(node.officer, "documents", "docs.jsonl", io.BytesIO(docs.encode()))
        imports.send_pending()
        sent = envelope.decode(bytes(OutboxEnvelope.objects.filter(kind=imports.BATCH).latest("id").payload))
        batch = envelope.open_body(sent, "hub", node.peers["hub"])
        outcomes = [
            {"row": r["row"], "status": "refused", "errors": {"number": ["taken"]}}
            if i < refused
            else {"row": r["row"], "status": "accepted", "record": str(uuid.uuid4())}
            for i, r in enumerate(batch["rows"])
        ]
        answer = {"bulk_import": batch["bulk_import"], "batch": batch["batch"], "rows": outcomes}
        node.deliver(imports.OUTCOME, answer, "hub")
    elif kind == "incoming":
        code = CATEGORIES[node.seq % len(CATEGORIES)]
        body = request_body(**({"iccs": code} if code else {}))
        node.deliver(cooperation.KIND, body, "BR")
        if event[1] == "answered":
            cooperation.answer(node.officer, body["request_id"], "found him")
        elif event[1] == "refused":
            cooperation.refuse(node.officer, body["request_id"], "security", "no")


def _draft(code: str = ""):
    return cooperation.Draft(
        iccs=code,
        to=["BR"],
        kind="information",
        title="Who owns ABC1D23?",
        details="A car seen at Lyon.",
        legal_basis="Art. 3",
        purpose="Theft",
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(NODE_EVENTS, max_size=14))
@example(EVERY_NODE_PATH)
def test_on_a_node_the_figures_kept_live_equal_their_rebuild(peers, user_factory, events):
    officer = (
        _user("fr-officer")
        if _exists("fr-officer")
        else user_factory("ncb", "officer", username="fr-officer")
    )
    with transaction.atomic():
        replica(
            "documents",
            "KE",
            "KE0000001",
            {"number": "KE0000001", "issuing_country": "KE", "status": "stolen"},
        )
        node, now = Node(officer, peers), START
        for event in events:
            if event[0] == "wait":
                now += timedelta(minutes=event[1])
                continue
            with clock.frozen(now):
                _node_event(event, node)
        live = figures()
        assert all(START.date() <= key[0] <= now.date() for key in live)
        if events == EVERY_NODE_PATH:
            assert {key[1] for key in live} == {
                "record.contributed",
                "screening.searched",
                "hit.reported",
                "hit.answered",
                "request.sent",
                "request.closed",
            }
        assert rebuilt(START.date(), now.date()) == live
        transaction.set_rollback(True)


# --- the job ------------------------------------------------------------------------------------


def _contributions_on_three_days() -> date:
    """A contribution on each of three days, from the first (returned)."""
    for day in range(3):
        with clock.frozen(START + timedelta(days=day, hours=3)):
            records.contribute(Actor("officer", "KE"), "documents", document(f"KE000000{day}", "KE", "0502"))
    return (START + timedelta(hours=3)).date()


def test_the_rebuild_replaces_the_figures_of_its_days_and_leaves_the_others(hub):
    _contributions_on_three_days()
    kept = figures()
    days = sorted({key[0] for key in kept})
    assert len(days) == 3
    DailyFigure.objects.filter(day=days[1]).update(n=99)  # a figure gone wrong
    DailyFigure.objects.filter(day=days[2]).update(n=42)  # outside the rebuild: left as it is
    DailyFigure.objects.create(day=days[0], event="record.withdrawn", country="KE", n=7)  # counted twice
    MonthlyFigure.objects.filter(day=days[0].replace(day=1)).update(n=5)  # the months gone wrong too
    seen = []
    job = rebuild.run(rebuild.start(days[0], days[1], "test"), progress=lambda *p: seen.append(p))
    assert seen == [("days", 0, 2), ("days", 1, 2), ("days", 2, 2)]
    # a contribution's row and its three rolled rows (by place, by country, by crime category) a day
    assert (job.state, job.done, job.total, job.percent, job.rows) == ("done", 2, 2, 100, 8)
    now = figures()
    assert {k: v for k, v in now.items() if k[0] != days[2]} == {
        k: v for k, v in kept.items() if k[0] != days[2]
    }
    assert [v[0] for k, v in now.items() if k[0] == days[2]] == [42, 42, 42, 42]
    # each month the rebuild touched (February, March) is the sum of its days again, its year of
    # its months
    assert {k[0] for k in months()} == {date(2026, 2, 1), date(2026, 3, 1)}
    assert consistent()


def test_a_rebuild_whose_process_stopped_is_resumed_from_its_next_day_or_marked_failed(hub):
    day = _contributions_on_three_days()
    kept = figures()
    DailyFigure.objects.all().update(n=99)

    def stop(label, done, total):
        if done == 1:
            raise KeyboardInterrupt  # the process ends here: nothing after this day is written

    first = rebuild.start(day, day + timedelta(days=2), "test")
    with pytest.raises(KeyboardInterrupt):
        rebuild.run(first, progress=stop)
    first.refresh_from_db()
    assert (first.state, first.done) == ("running", 1)
    assert rebuild.resumable() == []  # its lease has not run out: it may still be running
    with pytest.raises(rebuild.Busy):
        Rebuild.objects.filter(pk=first.pk).update(runner="elsewhere:1")
        rebuild.run(first)
    with clock.travel(rebuild.LEASE + timedelta(minutes=1)):
        assert rebuild.resumable() == [first]
        seen = []
        done = rebuild.run(first, progress=lambda *p: seen.append(p))
    assert seen[0] == ("days", 1, 3) and (done.state, done.done) == ("done", 3)
    assert figures() == kept
    second = rebuild.start(day, day, "test")
    with pytest.raises(KeyboardInterrupt):
        rebuild.run(second, progress=lambda label, done, total: (_ for _ in ()).throw(KeyboardInterrupt()))
    with clock.travel(rebuild.LEASE + timedelta(minutes=1)):
        assert rebuild.stop_lost() == 1
    second.refresh_from_db()
    assert second.state == "failed" and "stopped after 0 of 1 days" in second.error


def test_the_command_rebuilds_with_progress_and_lists_the_rebuilds(hub, capsys):
    day = _contributions_on_three_days()
    kept = figures()
    DailyFigure.objects.all().delete()
    first, last = day.isoformat(), (day + timedelta(days=3)).isoformat()
    assert main(["analytics", "rebuild", "--from", first, "--to", last, "--by", "ops"]) == 0
    out = capsys.readouterr()
    assert f"{first} to {last}, 4 days, 12 figure rows" in out.out and "days" in out.err
    assert figures() == kept
    assert main(["analytics", "rebuilds"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1 and "4/4 days (100%)  done  ops" in listed[0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "2026-02-30"], "--from '2026-02-30': a day is written YYYY-MM-DD"),
        (["--to", "yesterday"], "--to 'yesterday': a day is written YYYY-MM-DD"),
        (["--from", "2026-03-05", "--to", "2026-03-01"], "the first day (2026-03-05) is after the last"),
        (["--resume", "not-a-job"], "no rebuild 'not-a-job' to resume"),
    ],
)
def test_bad_days_are_refused_with_one_line_and_exit_code_2(hub, capsys, args, said):
    assert main(["analytics", "rebuild", *args]) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1
    assert not Rebuild.objects.exists()


def _vacuums() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [[m._meta.db_table for m in (DailyFigure, MonthlyFigure, YearlyFigure)]],
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_rebuild_of_its_own_vacuums_the_rows_it_replaced(hub):
    """The months' and years' rows a rebuild replaces are vacuumed when it ends, so that the
    dashboards' index scans do not visit their dead versions (autovacuum may be late, or off)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps no dead row versions for the dashboards to visit")
    day = _contributions_on_three_days()
    before = _vacuums()
    job = rebuild.run(rebuild.start(day, day + timedelta(days=2), "test"))
    assert job.state == "done"
    after = _vacuums()
    assert len(after) == 3 and all(after[t] == before.get(t, 0) + 1 for t in after)
    with transaction.atomic():  # inside a caller's transaction, where no VACUUM runs: ANALYZE alone
        rebuild.run(rebuild.start(day, day, "test"))
    assert _vacuums() == after
