"""`base.rows.Writer` inserts instances by one statement written once for the model: what it
writes reads back as what the ORM's own insert writes (JSON, times, floats, flags, blanks)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.forms.models import model_to_dict
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.base.rows import Writer
from ncbnet.hits.models import HitReport
from ncbnet.screening import manifests
from ncbnet.screening.models import ManifestRow

pytestmark = pytest.mark.django_db

text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


def _report(label: str, context: dict, score: float, urgent: bool, at: datetime) -> HitReport:
    return HitReport(
        id=uuid.uuid4(),
        record_id=uuid.uuid4(),
        database="documents",
        label=label,
        owner="FR",
        found_by="DE",
        found_by_node="DE",
        officer="officer",
        context=context,
        query={"number": label},
        score=score,
        explanation=[label],
        urgent=urgent,
        found_at=at,
        received_at=at,
        due_at=at + timedelta(hours=1),
    )


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            text,
            st.dictionaries(text, json_values, max_size=3),
            st.floats(0, 1),
            st.booleans(),
            st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
        ),
        min_size=1,
        max_size=Writer.COPY_FROM + 5,  # one row, a few by INSERT, many by COPY on PostgreSQL
    )
)
def test_what_the_writer_inserts_reads_back_as_the_orms_insert(rows):
    ours = [_report(*row) for row in rows]
    theirs = [_report(*row) for row in rows]
    Writer(HitReport).insert(ours)
    HitReport.objects.bulk_create(theirs)

    def read(objs):
        found = HitReport.objects.in_bulk([o.pk for o in objs])
        kept = [model_to_dict(found[o.pk]) for o in objs]
        return [{k: v for k, v in row.items() if k not in ("id", "record_id")} for row in kept]

    assert read(ours) == read(theirs)
    assert all(not o._state.adding for o in ours)
    HitReport.objects.all().delete()


def test_rows_of_an_auto_increment_key_get_theirs_from_the_database(user_factory):
    officer = user_factory("ncb", "officer")
    manifest = manifests.submit(officer, "m.csv", b"name\nAnna Berg\n", {"reason": "test"})
    for count in (1, 3, Writer.COPY_FROM):
        rows = [
            ManifestRow(manifest=manifest, n=n, outcome="clear", problems=[f"p{n}"]) for n in range(count)
        ]
        Writer(ManifestRow).insert(rows)
        kept = list(ManifestRow.objects.filter(manifest=manifest).order_by("n").values_list("n", "problems"))
        assert kept == [(n, [f"p{n}"]) for n in range(count)]
        assert len(set(ManifestRow.objects.values_list("pk", flat=True))) == count
        ManifestRow.objects.all().delete()


def test_an_instance_without_its_key_is_refused():
    report = _report("X", {}, 1.0, False, datetime(2026, 1, 1, tzinfo=UTC))
    report.id = None
    with pytest.raises(ValueError):
        Writer(HitReport).insert([report])
    assert not HitReport.objects.exists()
