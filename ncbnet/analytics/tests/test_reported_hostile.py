"""A node's search figures arriving at the hub (hostile first): whatever a node sends, it writes
only its own country's figures, of known values, in range, for days within the window; anything
else is quarantined with an audit entry and leaves every figure kept as it was."""

import json
from datetime import UTC, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncbnet.analytics import figures, rebuild, reported
from ncbnet.analytics.models import DIMENSIONS, DailyFigure, MonthlyFigure, ReportedDay, ReportedFigure
from ncbnet.analytics.tests.figures import consistent
from ncbnet.base import clock, tally
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import Quarantine
from ncbnet.network.tests.test_hostile import build

pytestmark = pytest.mark.django_db

_seq = iter(range(1, 100_000))


def today():
    return clock.now().astimezone(UTC).date()


def figure(day=None, database="persons", kind="name", outcome="miss", n=3, **over):
    return {
        "day": (day or today()).isoformat(),
        "database": database,
        "kind": kind,
        "outcome": outcome,
        "n": n,
        **over,
    }


def report(*figures, days=None):
    figures = list(figures) if figures or days is not None else [figure()]
    named = days if days is not None else sorted({f["day"] for f in figures if isinstance(f, dict)})
    return {"days": named, "figures": figures}


def accept(peers, body, sender="FR", signer=None):
    return delivery.accept(arriving(peers, reported.KIND, body, sender=sender, signer=signer), next(_seq))


def accept_raw(raw):
    return delivery.accept(raw, next(_seq))


def kept():
    return sorted(
        ReportedFigure.objects.values_list("node", "day", "database", "kind", "outcome", "n")
    ), sorted(ReportedDay.objects.values_list("node", "day", "as_of", "envelope"))


@pytest.fixture
def before(peers, hub):
    """BR's and KE's figures of today, kept before the hostile envelope comes."""
    assert accept(peers, report(figure(n=7), figure(outcome="hit", n=2)), sender="BR") == "accepted"
    assert accept(peers, report(figure(database="vehicles", kind="vehicle", n=11)), sender="KE") == "accepted"
    return kept()


def quarantined(before, reason, readable=True):
    assert kept() == before, "a refused envelope changed the figures kept"
    q = Quarantine.objects.get()
    assert reason in q.reason, q.reason
    entry = AuditEntry.objects.filter(action="network.quarantine").get()
    assert entry.detail["reason"] == q.reason
    assert entry.detail["type"] == (reported.KIND if readable else "")


# --- who may send -----------------------------------------------------------------------------------


def test_a_report_from_the_hub_is_quarantined(peers, before):
    assert accept(peers, report(), sender="hub") == "quarantined"
    quarantined(before, "search figures come from an NCB's node")


def test_a_node_signing_as_another_country_is_quarantined(peers, before):
    """BR's key on an envelope that says it comes from KE: KE's figures stay as KE sent them."""
    assert accept(peers, report(figure(n=999)), sender="KE", signer="BR") == "quarantined"
    quarantined(before, "unknown signing key")


@pytest.mark.parametrize("field", ["country", "node", "owner"])
def test_a_body_naming_a_country_is_quarantined(peers, before, field):
    """The country is the sender's identity: a body that names one, anywhere, is refused."""
    assert accept(peers, report(figure(n=999)) | {field: "KE"}, sender="BR") == "quarantined"
    quarantined(before, "Extra inputs are not permitted")
    assert accept(peers, report(figure(n=999, **{field: "KE"})), sender="BR") == "quarantined"
    assert kept() == before


def test_a_sender_that_is_not_a_node_is_quarantined(peers, before):
    """A sender named neither "hub" nor a member country is refused with the envelope's header."""
    e = build(peers, reported.KIND, "BR", report(figure(n=999)), ["hub"])
    e["from"] = "ZZ"
    assert accept_raw(json.dumps(e).encode()) == "quarantined"
    quarantined(before, "malformed envelope: from")


def test_a_node_refuses_search_figures(peers):
    """Only the hub keeps them: a node (this test's node is FR) refuses them at its entrance."""
    assert accept(peers, report(), sender="BR") == "quarantined"
    assert "search figures go from a node to the hub" in Quarantine.objects.get().reason
    assert not ReportedFigure.objects.exists()


def test_a_node_cannot_replace_another_nodes_figures(peers, before):
    """BR reports the same days as KE with other figures: KE's stay."""
    ke = [row for row in before[0] if row[0] == "KE"]
    assert accept(peers, report(figure(database="vehicles", kind="vehicle", n=1)), sender="BR") == "accepted"
    assert [row for row in kept()[0] if row[0] == "KE"] == ke
    assert ReportedFigure.objects.filter(node="BR").count() == 1


# --- size -------------------------------------------------------------------------------------------


def test_too_many_figures_are_quarantined(peers, before):
    figures = [figure(n=i + 1) for i in range(reported.ROWS_PER_ENVELOPE + 1)]
    assert accept(peers, report(*figures), sender="BR") == "quarantined"
    quarantined(before, "figures: List should have at most 1000 items")


def test_too_many_days_are_quarantined(peers, before):
    days = [(today() - timedelta(days=i)).isoformat() for i in range(reported.DAYS + 1)]
    assert accept(peers, report(days=days), sender="BR") == "quarantined"
    quarantined(before, "days: List should have at most 7 items")


def test_an_oversized_envelope_is_quarantined(peers, before, settings):
    body = report(figure(kind="x" * (5 * 1024 * 1024)))
    raw = json.dumps(build(peers, reported.KIND, "BR", body, ["hub"])).encode()
    assert len(raw) > envelope.MAX_BYTES
    assert accept_raw(raw) == "quarantined"
    quarantined(before, "not a readable envelope", readable=False)


# --- values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"database": "passports"},
        {"database": "Persons"},
        {"kind": "fingerprint"},
        {"outcome": "maybe"},
        {"outcome": "confirmed"},
        {"event": "hit.reported"},
        {"iccs": "0101"},
        {"record_id": "0190f3a5-5b1e-7000-8000-000000000000"},
        {"name": "Marc Dupont"},
        {"restricted": True},
    ],
    ids=lambda b: "-".join(f"{k}={v}" for k, v in b.items()),
)
def test_unknown_values_are_quarantined(peers, before, bad):
    assert accept(peers, report(figure(**bad)), sender="BR") == "quarantined"
    quarantined(before, "figures.0.")


@pytest.mark.parametrize(
    "n", [0, -1, -(2**53) + 1, reported.MAX_N + 1, 2**53 - 1, 3.5, "3", True, None, [3], {"n": 3}]
)
def test_counts_out_of_range_or_of_another_type_are_quarantined(peers, before, n):
    assert accept(peers, report(figure(n=n)), sender="BR") == "quarantined"
    quarantined(before, "figures.0.n")


@pytest.mark.parametrize("n", [float("nan"), float("inf"), float("-inf"), 2**64, -(2**53)])
def test_numbers_no_peer_reads_the_same_are_quarantined(peers, before, n):
    """NaN, Infinity and integers past 2^53 cannot be written canonically: a hostile node seals
    them as raw JSON (test_hostile.build), and the entrance refuses them before any schema."""
    raw = json.dumps(build(peers, reported.KIND, "BR", report(figure(n=n)), ["hub"])).encode()
    assert accept_raw(raw) == "quarantined"
    quarantined(before, "the opened body is not readable JSON")


def test_a_key_twice_in_one_object_is_quarantined(peers, before):
    """{"n": 1, "n": 999999}: which one a reader keeps is not for the sender to play with."""
    e = build(peers, reported.KIND, "BR", report(figure(n=1)), ["hub"])
    text = json.dumps(report(figure(n=1))).replace('"n": 1', '"n": 1, "n": 999999')
    e = _resealed(peers, e, text.encode())
    assert accept_raw(json.dumps(e).encode()) == "quarantined"
    quarantined(before, "the opened body is not readable JSON")


def _resealed(peers, e, plaintext):
    """The envelope `e` with `plaintext` as its sealed body, signed again by its sender."""
    import nacl.bindings as sodium
    import nacl.public
    import nacl.utils

    from ncbnet.base.crypto import b64, canonical

    key, nonce = nacl.utils.random(32), nacl.utils.random(24)
    e["sealed"]["nonce"] = b64(nonce)
    e["sealed"]["ciphertext"] = b64(
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            plaintext, canonical(envelope.header(e)), nonce, key
        )
    )
    box = nacl.public.SealedBox(nacl.public.PublicKey(envelope.unb64(peers["FR"].public().encryption_public)))
    e["sealed"]["keys"]["hub"]["wrapped"] = b64(box.encrypt(key))
    e["sig"] = peers[e["from"]].sign(canonical({k: v for k, v in e.items() if k != "sig"}))[1]
    return e


# --- days -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(2, "is in the future"), (30, "is in the future"), (-401, "older than 400 days"), (-5000, "older")],
)
def test_days_out_of_the_window_are_quarantined(peers, before, offset, reason):
    day = today() + timedelta(days=offset)
    assert accept(peers, report(figure(day=day)), sender="BR") == "quarantined"
    quarantined(before, reason)


def test_a_day_ahead_of_the_hubs_clock_is_a_nodes_clock_and_is_kept(peers, before):
    tomorrow, old = today() + timedelta(days=1), today() - timedelta(days=400)
    assert accept(peers, report(figure(day=tomorrow), figure(day=old)), sender="BR") == "accepted"
    assert set(ReportedDay.objects.filter(node="BR").values_list("day", flat=True)) == {
        tomorrow,
        old,
        today(),
    }


@pytest.mark.parametrize(
    "day", ["2026-1-01", "2026-02-30", "20260101", "2026-01-01T00:00:00Z", 20260101, None]
)
def test_malformed_days_are_quarantined(peers, before, day):
    assert accept(peers, {"days": [day], "figures": []}, sender="BR") == "quarantined"
    quarantined(before, "days.0")


# --- one body's consistency ---------------------------------------------------------------------------


def test_a_figure_given_twice_is_quarantined(peers, before):
    assert accept(peers, report(figure(n=1), figure(n=2)), sender="BR") == "quarantined"
    quarantined(before, "is given twice")


def test_a_day_named_twice_is_quarantined(peers, before):
    day = today().isoformat()
    assert accept(peers, report(figure(), days=[day, day]), sender="BR") == "quarantined"
    quarantined(before, "a day is named twice")


def test_a_figure_of_a_day_the_report_does_not_name_is_quarantined(peers, before):
    """Otherwise a figure could land on a day whose other figures the report does not replace."""
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert accept(peers, report(figure(), days=[yesterday]), sender="BR") == "quarantined"
    quarantined(before, "a day the report does not name")


# --- replays and order --------------------------------------------------------------------------------


def test_the_same_envelope_again_is_a_replay_and_changes_nothing(peers, before):
    raw = arriving(peers, reported.KIND, report(figure(n=5)), sender="BR")
    assert accept_raw(raw) == "accepted"
    after = kept()
    assert accept_raw(raw) == "quarantined"
    quarantined(after, "replay")


def test_a_report_sent_again_is_idempotent(peers, before):
    body = report(figure(n=7), figure(outcome="hit", n=2))
    assert accept(peers, body, sender="BR") == "accepted"  # the same figures, a new envelope
    figures, _days = kept()
    assert figures == before[0]


def test_a_newer_report_replaces_the_day_whole(peers, before):
    assert accept(peers, report(figure(kind="mrz", n=1)), sender="BR") == "accepted"
    assert list(ReportedFigure.objects.filter(node="BR").values_list("kind", "outcome", "n")) == [
        ("mrz", "miss", 1)
    ]


def _counted():
    """The reports as the figures count them: each node's day, database, kind, outcome and n."""
    rows = DailyFigure.objects.filter(event=reported.REPORTED, rolled="")
    return sorted(rows.values_list("country", "day", "database", "kind", "outcome", "n"))


def test_the_reports_are_counted_in_the_figures_as_a_rebuild_recounts_them(peers, before):
    assert _counted() == before[0]
    assert accept(peers, report(figure(kind="mrz", n=1)), sender="BR") == "accepted"
    now = kept()[0]
    assert _counted() == now  # BR's day replaced whole in the figures too: 1 search, not 10
    assert consistent()
    d = today()
    screened = figures.one(figures.gs(figures.Filters(d, d)), "screenings")
    assert screened is not None and ["BR", 1, 0, 1] in screened.rows
    live = {m: sorted(m.objects.values_list(*DIMENSIONS, "n")) for m in (DailyFigure, MonthlyFigure)}
    job = rebuild.run(rebuild.start(d, d, "test"))
    assert job.state == "done"
    assert {m: sorted(m.objects.values_list(*DIMENSIONS, "n")) for m in live} == live
    assert consistent()


def test_an_older_report_arriving_after_a_newer_one_changes_nothing(peers, before):
    """An envelope retried on its own can arrive after later ones: the newer figures stay."""
    with clock.travel(timedelta(minutes=-30)):
        older = arriving(peers, reported.KIND, report(figure(n=1000)), sender="BR")
    assert accept_raw(older) == "accepted"
    assert kept() == before


def test_a_day_without_figures_is_a_day_without_searches(peers, before):
    assert accept(peers, report(days=[today().isoformat()]), sender="BR") == "accepted"
    assert not ReportedFigure.objects.filter(node="BR").exists()
    assert ReportedDay.objects.filter(node="BR", day=today()).exists()
    assert reported.coverage(today(), today()) == {"BR": 1, "KE": 1}


# --- what the dashboards read ---------------------------------------------------------------------------


def test_searches_sum_the_nodes_reports_and_the_gs_own(peers, before):
    from django.db import transaction

    with transaction.atomic():
        tally.count(
            reported.SEARCHED, clock.now(), country="GS", database="persons", kind="name", outcome="hit"
        )
        tally.count(
            reported.SEARCHED, clock.now(), country="GS", database="persons", kind="name", outcome="hit"
        )
    assert DailyFigure.objects.filter(country="GS", rolled="").get().n == 2
    d = today()
    assert [(s.country, s.database, s.kind, s.outcome, s.n) for s in reported.searches(d, d)] == [
        ("BR", "persons", "name", "hit", 2),
        ("BR", "persons", "name", "miss", 7),
        ("GS", "persons", "name", "hit", 2),
        ("KE", "vehicles", "vehicle", "miss", 11),
    ]
    assert [s.country for s in reported.searches(d, d, countries=["KE", "GS"])] == ["GS", "KE"]
    assert reported.searches(d - timedelta(days=2), d - timedelta(days=1)) == []


# --- a property -----------------------------------------------------------------------------------------

reports = st.lists(
    st.tuples(
        st.sampled_from(["BR", "KE"]),
        st.integers(min_value=0, max_value=20),  # minutes before now: when the node made it
        st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=3, unique=True),  # days back
        st.lists(
            st.tuples(
                st.integers(0, 3), st.sampled_from(reported.DATABASES), st.sampled_from(["hit", "miss"])
            ),
            max_size=6,
            unique=True,
        ),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=reports)
def test_the_hub_holds_each_days_newest_report_whatever_the_order(peers, hub, sent):
    """Reports arriving in any order: for every node and day, the hub holds exactly the figures
    of the newest report that named the day."""
    ReportedFigure.objects.all().delete()
    ReportedDay.objects.all().delete()
    start = today()
    expected = {}
    for i, (node, minute, back, rows) in enumerate(sent):
        days = sorted({start - timedelta(days=b) for b in back})
        figures = [
            figure(day=start - timedelta(days=b), database=db, outcome=o, n=i + 1)
            for b, db, o in rows
            if start - timedelta(days=b) in days
        ]
        with clock.travel(timedelta(minutes=-minute, microseconds=i)):
            raw = arriving(
                peers, reported.KIND, report(*figures, days=[d.isoformat() for d in days]), sender=node
            )
            made = clock.now()
        assert accept_raw(raw) == "accepted"
        for day in days:
            if (node, day) not in expected or expected[node, day][0] < made:
                rows_of_day = [
                    (f["database"], f["outcome"], f["n"]) for f in figures if f["day"] == day.isoformat()
                ]
                expected[node, day] = (made, sorted(rows_of_day))
    for (node, day), (_made, rows) in expected.items():
        held = ReportedFigure.objects.filter(node=node, day=day).values_list("database", "outcome", "n")
        assert sorted(held) == rows
    assert ReportedDay.objects.count() == len(expected)
