"""Batch screening: a manifest in CSV or JSON screened as one job with progress, hits reported to
their owners, a downloadable result, clear refusals, and a job that carries on after a crash."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.hits.models import HitReport
from ncbnet.screening import manifests
from ncbnet.screening.models import Manifest
from ncbnet.screening.tests.test_documents import replica
from ncbnet.screening.tests.test_persons import person

pytestmark = pytest.mark.django_db

MANIFEST = (
    "seat,name,date_of_birth,document_number,issuing_country\n"
    "1A,OTIENO Daniel,1980-05-12,,\n"
    "1B,Anna Lindqvist,1990,AB1000234,KE\n"
    "2A,Jean Martin,12/05/1980,,\n"
    "2B,,,,\n"
)


@pytest.fixture
def holdings():
    person("KE", "Daniel Otieno", dob={"year": 1980, "month": 5, "day": 12})
    replica(
        "documents", "KE", "AB1000234", {"number": "AB1000234", "issuing_country": "KE", "status": "stolen"}
    )


def result_rows(job):
    return list(csv.DictReader(io.StringIO("".join(manifests.result_lines(job)))))


def test_a_csv_manifest_is_screened_as_one_job_with_progress(holdings, user_factory):
    officer = user_factory("ncb", "officer")
    job = manifests.submit(
        officer, "af123.csv", MANIFEST.encode(), {"reason": "AF123 arrivals", "urgent": True}
    )
    seen = []
    manifests.run(job, progress=lambda label, done, total: seen.append((done, total)), chunk=3)
    job.refresh_from_db()
    assert seen == [(3, 4), (4, 4)]
    assert (job.state, job.done, job.hits, job.problems, job.percent) == ("done", 4, 2, 2, 100)
    rows = result_rows(job)
    assert [r["seat"] for r in rows] == ["1A", "1B", "2A", "2B"]
    assert [r["outcome"] for r in rows] == ["hit", "hit", "problem", "problem"]
    assert "Daniel Otieno (persons, owner KE" in rows[0]["possible_matches"]
    assert "is not YYYY" in rows[2]["problems"] and "neither a name nor a document" in rows[3]["problems"]
    reports = HitReport.objects.filter(urgent=True, context={"reason": "AF123 arrivals"})
    assert sorted(str(r.pk) for r in reports) == sorted([rows[0]["hit_reports"], rows[1]["hit_reports"]])
    kept = job.results.get(n=1).hits  # what the page shows; not the record's data (it stays with it)
    assert [(h["label"], h["report"]) for h in kept] == [("Daniel Otieno", rows[0]["hit_reports"])]
    assert set(kept[0]) == set(manifests.KEPT)
    audited = AuditEntry.objects.filter(action="screening.manifest_rows").order_by("seq")
    assert [e.detail["rows"] for e in audited] == [[1, 3], [4, 4]]
    assert audited[0].detail["queries"][0]["name"] == "OTIENO Daniel"


def test_a_json_manifest_and_the_command_line(holdings, user_factory, tmp_path, capsys):
    officer = user_factory("agency", "query")
    file = tmp_path / "manifest.json"
    file.write_text(json.dumps([{"name": "Daniel Otieno", "flight": "KQ112"}, {"document_number": "X"}]))
    assert main(["screening", "manifest", str(file), "--user", officer.username, "--place", "JKIA"]) == 0
    out, err = capsys.readouterr()
    lines = list(csv.DictReader(io.StringIO(out)))
    assert [(r["flight"], r["outcome"]) for r in lines] == [("KQ112", "hit"), ("", "clear")]
    assert "2/2" in err and "1 with possible matches" in err
    assert HitReport.objects.get().context == {"place": "JKIA"}
    assert main(["screening", "manifest", str(tmp_path / "missing.csv"), "--user", officer.username]) == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"seat,flight\n1A,AF1\n", "needs a name or a document_number column"),
        (b"name\n", "no rows"),
        ("name\nJos\xe9\n".encode("latin-1"), "not UTF-8"),
        (b'[{"name": "x"}', "not valid JSON"),
        (b'{"name": "x"}', "a list of objects"),
        (b"name\n" + b"x\n" * (manifests.MAX_ROWS + 1), "at most 100,000 rows"),
    ],
)
def test_a_bad_manifest_is_refused_with_the_reason(user_factory, content, says):
    with pytest.raises(manifests.ValidationError) as refused:
        manifests.submit(
            user_factory("ncb", "officer"), "m.json" if content.startswith(b"{") else "m.csv", content, {}
        )
    assert says in refused.value.message_dict["file"][0]
    assert not Manifest.objects.exists()


class Crash(BaseException):
    """A worker killed in the middle of a job."""


def test_a_job_interrupted_after_a_chunk_carries_on_where_it_stopped(holdings, user_factory):
    officer = user_factory("ncb", "officer")
    job = manifests.submit(officer, "m.csv", MANIFEST.encode(), {})

    def crash(label, done, total):
        raise Crash

    with pytest.raises(Crash):
        manifests.run(job, progress=crash, chunk=2)
    assert manifests.claim() is None  # still held: its runner may only be slow
    with clock.travel(manifests.LEASE + timedelta(seconds=1)):
        claimed = manifests.claim()
    assert (claimed.pk, claimed.state, claimed.done) == (job.pk, "running", 2)
    manifests.run(claimed, chunk=2)
    claimed.refresh_from_db()
    assert claimed.state == "done" and [r["seat"] for r in result_rows(claimed)] == ["1A", "1B", "2A", "2B"]
    assert HitReport.objects.count() == 2 and manifests.claim() is None


def test_the_api_takes_a_manifest_reports_progress_and_gives_the_result(client, holdings, user_factory):
    client.force_login(user_factory("system", "system"))
    upload = SimpleUploadedFile("m.csv", MANIFEST.encode())
    submitted = client.post(
        "/api/v1/screening/manifests", {"file": upload, "place": "JKIA", "urgent": "true"}
    )
    assert submitted.status_code == 202, submitted.content
    job = submitted.json()
    assert (job["state"], job["total"], job["done"]) == ("queued", 4, 0)
    not_yet = client.get(f"/api/v1/screening/manifests/{job['id']}/result")
    assert not_yet.status_code == 422
    manifests.run(manifests.claim())
    assert client.get(f"/api/v1/screening/manifests/{job['id']}").json()["percent"] == 100
    result = b"".join(
        client.get(f"/api/v1/screening/manifests/{job['id']}/result").streaming_content
    ).decode()
    header = "seat,name,date_of_birth,document_number,issuing_country"
    assert result.splitlines()[0] == header + ",outcome,possible_matches,hit_reports,problems"
    refused = client.post("/api/v1/screening/manifests", {"file": SimpleUploadedFile("m.csv", b"seat\n1\n")})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "file"


def test_a_job_held_by_one_process_is_neither_claimed_nor_run_by_another(holdings, user_factory):
    officer = user_factory("ncb", "officer")
    job = manifests.submit(officer, "m.csv", MANIFEST.encode(), {})
    taken = manifests.claim()
    assert taken.pk == job.pk and manifests.claim() is None
    Manifest.objects.filter(pk=job.pk).update(runner="elsewhere:1")  # as another runner holds it
    with pytest.raises(manifests.Busy):
        manifests.run(job)
    assert job.results.count() == 0
    here = manifests.submit(officer, "n.csv", MANIFEST.encode(), {}, here=True)  # the CLI's own
    assert manifests.claim() is None and here.state == "running"
    manifests.run(here)
    here.refresh_from_db()
    assert (here.state, here.done) == ("done", 4)


def test_a_purged_record_leaves_the_manifests_that_hit_it(holdings, user_factory, client):
    """The hub purges a record at the end of its retention: a manifest row that hit it keeps that
    it hit something, but neither the record's label nor the name matched."""
    from ncbnet.conftest import sign_in
    from ncbnet.records import services as records
    from ncbnet.records.models import ReplicaRecord

    officer = user_factory("ncb", "officer")
    job = manifests.submit(officer, "af124.csv", MANIFEST.encode(), {"reason": "AF124 arrivals"})
    manifests.run(job)
    target = ReplicaRecord.objects.get(database="persons")
    records.drop_replica_copies([target.pk])
    rows = result_rows(job)
    assert (
        "Otieno" not in rows[0]["possible_matches"] and manifests.PURGED_LABEL in rows[0]["possible_matches"]
    )
    assert "AB1000234" in rows[1]["possible_matches"]  # the other record's hit stays
    job.refresh_from_db()
    assert "Otieno" not in json.dumps([r.hits for r in job.results.all()])
    sign_in(client, officer.username)
    page = client.get(f"/screening/manifests/{job.pk}/").content.decode()
    assert "Otieno" not in page and "since purged" in page
