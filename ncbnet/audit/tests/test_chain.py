"""The audit chain: written with what it records, and any alteration, removal or reordering is found."""

import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from ncbnet.audit import guards, services
from ncbnet.audit.models import ChainSeal
from ncbnet.base import audit
from ncbnet.base.chain import AuditEntry
from ncbnet.base.node import keys
from ncbnet.cli import main


def write(n: int) -> None:
    for i in range(n):
        audit.record_now("test.event", subject=f"s{i}", detail={"i": i, "text": "é ✓ 北京"})


def without_triggers(sql: str, params: list | None = None) -> None:
    """What an intruder with database access would do: drop the guards, rewrite rows, put them back."""
    guards.remove(connection)
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
    guards.install(connection)


@pytest.fixture
def node_keys(db):
    store = keys()
    if not store.exists:
        store.generate()
    return store


@pytest.mark.django_db
def test_intact_chain_verifies(node_keys, capsys):
    write(5)
    result = services.verify_chain(node_keys)
    assert result.ok and result.entries >= 5
    assert main(["audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out


@pytest.mark.django_db
def test_altered_entry_is_named(node_keys, capsys):
    write(5)
    target = AuditEntry.objects.order_by("seq")[2]
    without_triggers("UPDATE audit_auditentry SET subject = %s WHERE seq = %s", ["someone-else", target.seq])
    result = services.verify_chain(node_keys)
    assert result.finding.seq == target.seq and "altered" in result.finding.problem
    assert main(["audit", "verify"]) == 1
    assert f"entry #{target.seq}" in capsys.readouterr().err


@pytest.mark.django_db
def test_deleted_entry_is_named(node_keys, capsys):
    write(5)
    target = AuditEntry.objects.order_by("seq")[2]
    without_triggers("DELETE FROM audit_auditentry WHERE seq = %s", [target.seq])
    result = services.verify_chain(node_keys)
    assert result.finding.seq == target.seq and "missing" in result.finding.problem
    assert main(["audit", "verify"]) == 1
    assert f"entry #{target.seq}: missing" in capsys.readouterr().err


@pytest.mark.django_db
def test_deleted_newest_entry_is_found(node_keys):
    write(3)
    last = AuditEntry.objects.order_by("-seq").first()
    without_triggers("DELETE FROM audit_auditentry WHERE seq = %s", [last.seq])
    assert services.verify_chain(node_keys).finding.seq == last.seq


@pytest.mark.django_db
def test_reordered_entries_are_named(node_keys):
    write(5)
    a, b = AuditEntry.objects.order_by("seq")[1:3]
    # Swap the two entries' places in the chain by exchanging their sequence numbers.
    without_triggers("UPDATE audit_auditentry SET seq = -1 WHERE seq = %s", [a.seq])
    without_triggers("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [a.seq, b.seq])
    without_triggers("UPDATE audit_auditentry SET seq = %s WHERE seq = -1", [b.seq])
    result = services.verify_chain(node_keys)
    assert result.finding.seq == a.seq


@pytest.mark.django_db
def test_a_consistently_rewritten_chain_is_caught_by_the_seal(node_keys):
    write(4)
    assert services.seal(node_keys).seq == AuditEntry.objects.count()
    # Rewrite entry 2 and re-hash everything after it, as a careful intruder would.
    entries = list(AuditEntry.objects.order_by("seq"))
    prev = entries[0].hash
    for e in entries[1:]:
        if e.seq == entries[1].seq:
            e.subject = "rewritten"
        e.prev_hash = prev
        e.hash = audit.entry_hash(prev, e.content())
        without_triggers(
            "UPDATE audit_auditentry SET subject=%s, prev_hash=%s, hash=%s WHERE seq=%s",
            [e.subject, e.prev_hash, e.hash, e.seq],
        )
        prev = e.hash
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_chainhead SET hash = %s", [prev])
    result = services.verify_chain(node_keys)
    assert result.finding is not None and "sealed" in result.finding.problem


@pytest.mark.django_db
def test_forged_seal_is_found(node_keys):
    write(2)
    seal = services.seal(node_keys)
    ChainSeal.objects.filter(pk=seal.pk).update(signature=seal.signature[:-6] + "AAAAA=")
    assert "signature" in services.verify_chain(node_keys).finding.problem


class BusyNode:
    """A database wrapper that writes an audit entry (and, the first time, a seal) before every
    query the verification makes on the audit tables, as a node in service does meanwhile."""

    def __init__(self, keys, limit=50):
        self.keys, self.limit, self.landed, self.writing = keys, limit, 0, False

    def __call__(self, execute, sql, params, many, context):
        if not self.writing and "audit_" in sql and self.landed < self.limit:
            self.writing = True
            try:
                audit.record_now("test.during_walk", detail={"n": self.landed})
                if self.landed == 0:
                    services.seal(self.keys)
            finally:
                self.writing = False
            self.landed += 1
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_entries_landing_during_the_walk_do_not_break_it(node_keys, capsys):
    """The walk checks the chain as it was when it began, whatever lands while it runs."""
    write(3)
    services.seal(node_keys)
    busy = BusyNode(node_keys)
    with connection.execute_wrapper(busy):
        result = services.verify_chain(node_keys)
        assert main(["audit", "verify"]) == 0, capsys.readouterr().err
    assert result.ok, result.finding
    assert busy.landed >= 3  # entries did land while the chain was walked
    assert services.verify_chain(node_keys).ok  # and the whole chain, with them, is intact


@pytest.mark.django_db
def test_entries_cannot_be_updated_or_deleted(db):
    write(1)
    entry = AuditEntry.objects.first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    from django.db.utils import DatabaseError

    for sql in ("UPDATE audit_auditentry SET actor = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)


@pytest.mark.django_db(transaction=True)
def test_audit_entry_must_share_the_transaction_of_what_it_records():
    with pytest.raises(audit.AuditOutsideTransaction):
        audit.record("test.event")


@pytest.mark.django_db(transaction=True)
def test_a_change_and_its_audit_entry_commit_or_fail_together():
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.event")
        raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == before


class TamperProperty(TestCase):
    """Any single tampering, anywhere in a chain of any length, is found at the right entry."""

    @settings(max_examples=25, deadline=None)
    @given(
        length=st.integers(min_value=2, max_value=12),
        data=st.data(),
        kind=st.sampled_from(["alter", "delete", "swap"]),
    )
    def test_single_tampering_is_found_where_it_happened(self, length, data, kind):
        write(length)
        seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
        i = data.draw(st.integers(min_value=0, max_value=len(seqs) - 2), label="position")
        target = seqs[i]
        if kind == "alter":
            without_triggers("UPDATE audit_auditentry SET ip = '203.0.113.9' WHERE seq = %s", [target])
        elif kind == "delete":
            without_triggers("DELETE FROM audit_auditentry WHERE seq = %s", [target])
        else:
            nxt = seqs[i + 1]
            without_triggers("UPDATE audit_auditentry SET seq = -1 WHERE seq = %s", [target])
            without_triggers("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [target, nxt])
            without_triggers("UPDATE audit_auditentry SET seq = %s WHERE seq = -1", [nxt])
        finding = services.verify_chain().finding
        assert finding is not None
        assert finding.seq == target
