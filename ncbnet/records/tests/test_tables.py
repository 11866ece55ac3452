"""The bulk interface (`records.tables`) on the backend the suite runs on: a batch of values as a
table a statement joins on gives every row back, whatever the values hold; rows written in bulk
read back as written; ids handed out are never handed out again."""

import uuid

import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.records import tables
from ncbnet.screening.models import Card


def _select(rows):
    sql, params = tables.here().rows_of((("q", "integer"), ("word", "text")), rows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT q, word FROM ({sql}) AS given ORDER BY q", params)  # noqa: S608 - ours
        return [tuple(r) for r in cursor.fetchall()]


@pytest.mark.django_db
def test_a_batch_of_values_comes_back_whole_even_with_the_separator_or_an_empty_value():
    rows = [(0, "sKAMAU"), (1, ""), (2, f"a{tables.SEPARATOR}b"), (3, "'; DROP TABLE x; --"), (4, "ß\\t")]
    assert _select(rows) == rows
    assert _select(rows[:1]) == rows[:1]


@pytest.mark.django_db
@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")), max_size=20)
)
def test_any_batch_of_words_comes_back_in_order(words):
    rows = list(enumerate(words))
    assert _select(rows) == rows


@pytest.mark.django_db(transaction=True)
def test_rows_written_in_bulk_read_back_and_ids_are_handed_out_once():
    record_id = Card._meta.get_field("record_id")
    with transaction.atomic():
        first = tables.here().new_ids(Card, 3)
        tables.here().write(
            Card._meta.db_table,
            ("id", "record_id", "data"),
            [
                (i, record_id.get_db_prep_value(uuid.UUID(int=i), connection), '{"names": ["x"]}')
                for i in first
            ],
        )
    with transaction.atomic():
        then = tables.here().new_ids(Card, 2)
    assert len(set(first)) == 3 and min(then) > max(first)
    assert sorted(Card.objects.values_list("id", flat=True)) == first
    assert Card.objects.get(id=first[0]).data == {"names": ["x"]}
    Card.objects.create(
        record_id="00000000-0000-7000-8000-0000000000ff", data={}
    )  # the ORM's own id is new too
    assert Card.objects.count() == 4


def _synchronous_commit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_only_a_screening_of_its_own_commits_without_waiting_for_the_disk():
    """On PostgreSQL, a screening's transaction of its own commits without waiting for the disk,
    and only that transaction; inside a caller's transaction, everything commits as the caller's."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite never waits for the disk at a commit here (synchronous=NORMAL)")
    usual = _synchronous_commit()
    with transaction.atomic():
        tables.here().audit_only_commit()
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == usual
    with transaction.atomic(), transaction.atomic():
        tables.here().audit_only_commit()
        assert _synchronous_commit() == usual
