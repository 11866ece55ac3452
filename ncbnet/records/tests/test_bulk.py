"""Scale data: synthetic persons in many scripts and travel documents, in batches with progress."""

import pytest
from django.db.models import Count

from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.records import bulk, services
from ncbnet.records.models import Record, RecordVersion
from ncbnet.records.schemas import PersonData
from ncbnet.screening import index
from ncbnet.screening.models import NameKey

pytestmark = pytest.mark.django_db


def test_bulk_seed_writes_valid_records_in_batches_with_progress(hub):
    seen = []
    counts = bulk.seed(persons=250, documents=120, batch=100, progress=lambda *a: seen.append(a))
    assert counts == {"persons": 250, "documents": 120}
    assert Record.objects.count() == 370 == RecordVersion.objects.count()
    assert seen[-1] == ("documents", 120, 120) and ("persons", 100, 250) in seen
    assert AuditEntry.objects.filter(action="records.bulk_seed").count() == 5
    scripts = set()
    for r in Record.objects.filter(database="persons"):
        PersonData.model_validate(r.data)  # every one, not just the sampled ones
        scripts |= {n["script"] for n in r.data["names"]}
    assert len(scripts) >= 6
    found = list(services.search(Actor("viewer", "KE"), "persons"))
    assert len(found) == 250  # bulk records are open to every member country
    # The screening index holds them as if each had been written one by one.
    written = dict(NameKey.objects.values_list("card__record_id").annotate(n=Count("key")))
    assert len(written) == 250 and written[found[0].pk] == len(index.record_keys(found[0].data))


def test_bulk_seed_only_at_the_hub_and_never_in_production(settings, hub):
    settings.NCBNET_MODE = "production"
    with pytest.raises(PermissionError):
        bulk.seed(persons=1)
    settings.NCBNET_MODE, settings.NCBNET_ROLE = "test", "ncb"
    with pytest.raises(PermissionError):
        bulk.seed(persons=1)
