"""Every search counts, one count for each database it searched, a hit or a miss there, under the
bureau that screened (`screening.tallies`); a search and the reports of its hits write their
figures in one statement (`tally.gathered`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ncbnet.analytics.models import DailyFigure
from ncbnet.analytics.tests.figures import rows, sends
from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.records import services as records
from ncbnet.screening import manifests, services
from ncbnet.screening.tests.test_documents import replica
from ncbnet.screening.tests.test_manifests import MANIFEST
from ncbnet.screening.tests.test_persons import person

pytestmark = pytest.mark.django_db


def searched(country, database, kind, outcome, n=1):
    return {
        "event": "screening.searched",
        "country": country,
        "owner": "",
        "database": database,
        "kind": kind,
        "iccs": "",
        "outcome": outcome,
        "restricted": False,
        "n": n,
        "late": 0,
        "seconds": 0.0,
    }


@pytest.fixture
def held():
    replica(
        "documents",
        "KE",
        "AB1000234",
        {"number": "AB1000234", "issuing_country": "KE", "status": "stolen", "iccs": "0502"},
    )


def test_a_document_search_counts_a_hit_or_a_miss_and_its_report(held, user_factory):
    officer = user_factory("agency", "query")
    services.document(officer, "AB1000234", context={"urgent": True})
    services.document(officer, "ZZ0000000")
    services.document(officer, "ZZ0000001")
    assert rows("screening.searched") == [
        searched("FR", "documents", "document", "hit"),
        searched("FR", "documents", "document", "miss", n=2),
    ]
    [reported] = rows("hit.reported")
    assert (reported["country"], reported["owner"], reported["database"]) == ("FR", "KE", "documents")
    assert (reported["kind"], reported["iccs"], reported["n"]) == ("urgent", "0502", 1)


def test_a_search_with_a_hit_writes_its_figures_in_one_statement(held, user_factory):
    officer = user_factory("agency", "query")
    table = DailyFigure._meta.db_table
    with sends() as sent, CaptureQueriesContext(connection) as queries:
        services.document(officer, "AB1000234")
    assert [sorted(c.event for c in counts) for counts in sent] == [["hit.reported", "screening.searched"]]
    assert sum(table in q["sql"] for q in queries.captured_queries) == 1


def test_a_person_search_counts_the_persons_and_the_notices_searched(user_factory):
    person("KE", "Daniel Otieno")
    officer = user_factory("ncb", "officer")
    services.person(officer, "Otieno Daniel")
    assert rows("screening.searched") == [
        searched("FR", "notices", "name", "miss"),
        searched("FR", "persons", "name", "hit"),
    ]


def test_a_batch_counts_each_document_and_the_audit_keeps_its_figures(held, user_factory):
    system = user_factory("system", "system")
    services.documents(system, [("AB1000234", ""), ("ZZ0000000", ""), ("ZZ0000001", "KE")])
    assert rows("screening.searched") == [
        searched("FR", "documents", "batch", "hit"),
        searched("FR", "documents", "batch", "miss", n=2),
    ]
    entry = AuditEntry.objects.get(action="screening.documents")
    assert entry.detail["figures"] == {"where": "FR", "how": "batch", "databases": {"documents": [3, 1]}}


def test_a_manifest_counts_each_row_in_each_database_it_was_screened_against(user_factory):
    person("KE", "Daniel Otieno", dob={"year": 1980, "month": 5, "day": 12})
    replica(
        "documents", "KE", "AB1000234", {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"}
    )
    officer = user_factory("ncb", "officer")
    job = manifests.submit(officer, "af123.csv", MANIFEST.encode(), {})
    with sends() as sent:
        manifests.run(job, chunk=3)
    assert len(sent) == 1  # one send a chunk; the second's one row had nothing to screen
    # rows: a name that hits; a name and a document (the document hits); a name; nothing at all
    assert rows("screening.searched") == [
        searched("FR", "documents", "manifest", "hit"),
        searched("FR", "notices", "manifest", "miss", n=3),
        searched("FR", "persons", "manifest", "hit"),
        searched("FR", "persons", "manifest", "miss", n=2),
    ]


def test_at_the_hub_a_search_counts_under_the_gs_or_the_searchers_bureau(hub, user_factory):
    records.contribute(
        Actor("ke-officer", "KE"),
        "documents",
        {
            "number": "KE7654321",
            "type": "passport",
            "issuing_country": "KE",
            "status": "stolen",
            "date": "2026-01-01",
        },
        {"access": "allow", "countries": ["FR"]},
    )
    services.document(user_factory("gs", "analyst"), "KE7654321")
    services.vehicle(user_factory("gs", "analyst"), vin="1M8GDM9AXKP042788")
    assert rows("screening.searched") == [
        searched("GS", "documents", "document", "hit"),
        searched("GS", "vehicles", "vehicle", "miss"),
    ]
    [reported] = rows("hit.reported")
    assert (reported["country"], reported["owner"], reported["restricted"]) == ("GS", "KE", True)
