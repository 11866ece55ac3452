"""Several audit entries appended in one step (`audit.record_all`, what a screening with a hit
writes): they follow each other in the chain, the chain verifies, the head moves to the last, and
an entry that cannot be written leaves none of them."""

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.audit.services import verify_chain
from ncbnet.base import audit
from ncbnet.base.chain import AuditEntry, ChainHead

pytestmark = pytest.mark.django_db


def test_entries_follow_each_other_and_the_chain_verifies(user_factory):
    officer = user_factory("ncb", "officer")
    with transaction.atomic():
        before = audit.record("before", detail={"n": 0})
    with transaction.atomic():
        written = audit.record_all(
            [
                {"action": "hits.report", "actor": officer, "detail": {"reports": [1, 2]}},
                {"action": "screening.document", "actor": officer, "detail": {"query": {"number": "X1"}}},
            ]
        )
    assert [e.seq for e in written] == [before.seq + 1, before.seq + 2]
    assert (written[0].prev_hash, written[1].prev_hash) == (before.hash, written[0].hash)
    stored = AuditEntry.objects.filter(seq__gt=before.seq).order_by("seq")
    expected = [(e.action, officer.username, e.hash) for e in written]
    assert list(stored.values_list("action", "actor", "hash")) == expected
    head = ChainHead.objects.get(id=1)
    assert (head.seq, head.hash) == (before.seq + 2, written[1].hash)
    assert verify_chain().ok


def test_an_unknown_argument_writes_none_of_them():
    with pytest.raises(TypeError), transaction.atomic():
        audit.record_all([{"action": "first"}, {"action": "second", "colour": "red"}])
    assert not AuditEntry.objects.filter(action__in=["first", "second"]).exists()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=6))
def test_any_grouping_of_appends_makes_a_chain_that_verifies(groups):
    with transaction.atomic():
        before = AuditEntry.objects.count()
        for size in groups:
            audit.record_all([{"action": "step", "detail": {"i": i}} for i in range(size)])
        assert AuditEntry.objects.count() == before + sum(groups)
        assert verify_chain().ok
        transaction.set_rollback(True)
