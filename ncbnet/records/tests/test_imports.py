"""Bulk contributions: a bureau's file of records becomes a job on its node, travels to the hub in
bounded batches, is checked row by row there, and comes back as a per-row outcome.

Hostile first: the sender owns what it sends, whatever the batch claims; an oversized batch is
refused; a malformed row is refused alone; a batch sent again creates nothing."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.records import feed, imports
from ncbnet.records.models import BulkImport, FeedJob, FeedJobNode, ImportRow, Record, RecordVersion

pytestmark = pytest.mark.django_db
seq = iter(range(1, 1_000_000))


def doc(n, country="BR"):
    return {
        "number": f"{country}{n:07d}",
        "type": "passport",
        "issuing_country": country,
        "status": "stolen",
        "date": "2026-03-01",
    }


def batch(rows, *, bulk_import=None, number=0, restriction=None, by="br-officer", database="documents"):
    return {
        "bulk_import": bulk_import or envelope.new_id(),
        "batch": number,
        "by": by,
        "database": database,
        "restriction": restriction,
        "rows": [{"row": i, "data": data} for i, data in rows],
    }


def to_hub(peers, body, sender="BR", kind=imports.BATCH):
    return delivery.accept(arriving(peers, kind, body, sender=sender), next(seq))


def answers(peers, node):
    found = []
    for row in OutboxEnvelope.objects.filter(kind=imports.OUTCOME).order_by("id"):
        e = envelope.decode(bytes(row.payload))
        if node in e["to"]:
            found.append(envelope.open_body(e, node, peers[node]))
    return found


# --- at the hub: hostile batches ----------------------------------------------------------------


def test_the_sender_owns_what_it_sends_whatever_the_batch_claims(peers, hub):
    fr_import = envelope.new_id()
    body = batch([(1, doc(1, "FR")), (2, doc(2, "FR"))], bulk_import=fr_import, by="fr-officer")
    assert to_hub(peers, body, sender="BR") == "accepted"
    assert set(Record.objects.values_list("owner", flat=True)) == {"BR"}
    [answer] = answers(peers, "BR")
    assert answer["bulk_import"] == fr_import and [r["status"] for r in answer["rows"]] == ["accepted"] * 2
    assert answers(peers, "FR") == []
    # FR's own batch of the same number, under the same import id, is FR's, not a repeat of BR's.
    assert to_hub(peers, body, sender="FR") == "accepted"
    assert Record.objects.filter(owner="FR").count() == 2
    # A batch that names an owner is refused whole.
    claimed = {**batch([(1, doc(3))]), "owner": "FR"}
    assert to_hub(peers, claimed, sender="BR") == "quarantined"
    assert Record.objects.count() == 4


def test_an_oversized_batch_is_refused(peers, hub):
    too_many = batch([(i, doc(i)) for i in range(1, imports.BATCH_ROWS + 2)])
    assert to_hub(peers, too_many) == "quarantined"
    twice = batch([(1, doc(1)), (1, doc(2))])
    assert to_hub(peers, twice) == "quarantined"
    assert Record.objects.count() == 0
    assert Quarantine.objects.count() == 2


def test_a_malformed_row_is_refused_alone(peers, hub):
    rows = [
        (1, doc(1)),
        (
            2,
            {
                "number": "X",
                "type": "spaceship",
                "issuing_country": "BR",
                "status": "lost",
                "date": "2026-01-01",
            },
        ),
        (3, "not an object"),
        (4, doc(4)),
    ]
    body = batch([r for r in rows if isinstance(r[1], dict)])
    assert to_hub(peers, body) == "accepted"
    [answer] = answers(peers, "BR")
    by_row = {r["row"]: r for r in answer["rows"]}
    assert by_row[1]["status"] == by_row[4]["status"] == "accepted"
    assert by_row[2]["status"] == "refused" and {"number", "type"} <= set(by_row[2]["errors"])
    records = Record.objects.order_by("label")
    assert [r.label for r in records] == ["BR BR0000001", "BR BR0000004"]
    assert {str(r.pk) for r in records} == {by_row[1]["record"], by_row[4]["record"]}
    assert RecordVersion.objects.count() == 2
    # a row that is not an object never passes the batch's schema
    assert to_hub(peers, batch([(1, doc(5)), (3, "not an object")])) == "quarantined"
    # one audit entry for the batch, not one per record
    assert AuditEntry.objects.filter(action="records.contribute_batch").count() == 1
    assert AuditEntry.objects.filter(action="records.contribute").count() == 0


def test_national_law_and_the_restriction_are_checked_per_row(peers, hub):
    vehicle = {"plate": "ABC123", "make": "Fiat", "country": "BR"}  # BR's law wants a VIN
    body = batch([(1, vehicle), (2, vehicle | {"vin": "9BWZZZ377VT004251"})], database="vehicles")
    to_hub(peers, body)
    [answer] = answers(peers, "BR")
    assert [r["status"] for r in answer["rows"]] == ["refused", "accepted"]
    bad_restriction = batch([(1, doc(1))], restriction={"access": "allow", "countries": []})
    to_hub(peers, bad_restriction)
    assert answers(peers, "BR")[-1]["rows"][0]["status"] == "refused"
    assert Record.objects.count() == 1


def test_a_batch_sent_again_creates_nothing_and_gets_the_same_answer(peers, hub):
    body = batch([(1, doc(1)), (2, doc(2))])
    raw = arriving(peers, imports.BATCH, body, sender="BR")
    assert delivery.accept(raw, next(seq)) == "accepted"
    assert delivery.accept(raw, next(seq)) == "quarantined"  # the same envelope: a replay
    assert to_hub(peers, body) == "accepted"  # the same batch in a new envelope
    assert Record.objects.count() == 2
    first, again = answers(peers, "BR")
    assert first == again


def test_accepted_rows_are_fed_to_the_nodes_that_may_see_them(peers, hub):
    body = batch([(i, doc(i)) for i in range(1, 8)], restriction={"access": "deny", "countries": ["KE"]})
    to_hub(peers, body)
    to_hub(peers, {**body, "batch": 1, "rows": [{"row": 8, "data": doc(8)}]})
    job = FeedJob.objects.get()  # one job for the bulk contribution, however many batches
    assert job.written == 8 and job.source == f"import:BR:{body['bulk_import']}"
    assert {r.node: r.total for r in job.nodes.all()} == {"BR": 8, "FR": 8, "KE": 0}
    feed.run()
    assert {r.node: r.sent for r in FeedJobNode.objects.all()} == {"BR": 8, "FR": 8, "KE": 0}


# --- on the bureau's node ------------------------------------------------------------------------

CSV = (
    "number,type,issuing_country,status,date\n"
    "FR0000001,passport,FR,stolen,2026-01-02\n"
    "\n"
    "FR0000002,id_card,FR,lost,2026-01-03,extra\n"
    "FR0000003,passport,FR,stolen,2026-01-04\n"
)


def test_a_csv_file_becomes_a_job_sent_in_batches(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    job = imports.submit(officer, "documents", "stolen.csv", io.BytesIO(CSV.encode()))
    assert (job.status, job.rows, job.refused) == ("sending", 3, 1)
    assert ImportRow.objects.get(row=4).errors == {"row": ["6 cells for 5 columns"]}
    assert imports.send_pending() == 2
    [e] = [envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=imports.BATCH)]
    body = envelope.open_body(e, "hub", peers["hub"])
    assert e["to"] == ["hub"] and [r["row"] for r in body["rows"]] == [2, 5]
    assert body["rows"][0]["data"]["number"] == "FR0000001"
    job.refresh_from_db()
    assert (job.sent, job.batches) == (2, 1)


def test_batches_stay_bounded_and_few_are_in_flight(peers, user_factory):
    officer = user_factory("ncb", "officer")
    lines = "".join(json.dumps(doc(i, "FR")) + "\n" for i in range(1, 2702))
    job = imports.submit(officer, "documents", "many.jsonl", io.BytesIO(lines.encode()))
    assert job.rows == 2701
    imports.send_pending()
    job.refresh_from_db()
    assert (job.batches, job.sent) == (imports.WINDOW, imports.WINDOW * imports.BATCH_ROWS)
    assert imports.send_pending() is None  # waits for the hub's answers


def test_a_file_refused_whole_leaves_nothing(peers, user_factory):
    officer = user_factory("ncb", "officer")
    with pytest.raises(ValidationError, match="unknown columns"):
        imports.submit(officer, "documents", "x.csv", io.BytesIO(b"number,owner\nA1,FR\n"))
    with pytest.raises(ValidationError, match="UTF-8"):
        imports.submit(officer, "documents", "x.jsonl", io.BytesIO(b'{"number": "\xff"}\n'))
    with pytest.raises(ValidationError, match="jsonl"):
        imports.submit(officer, "documents", "x.xlsx", io.BytesIO(b"PK"))
    assert BulkImport.objects.count() == ImportRow.objects.count() == 0


def test_from_the_file_to_the_outcome_through_the_hub(peers, user_factory, settings):
    officer = user_factory("ncb", "officer", username="fr-officer")
    persons = (
        "name,latin_name,date_of_birth,sex,nationalities\n"
        "Иван Петров,Ivan Petrov,1980-04-02,M,RU\n"
        "Camille Martin,,1975,F,FR\n"
        '=HYPERLINK("http://x"),,1990,F,FR\n'
        "Anonymous,,1990,F,\n"  # FR's law wants nationalities
    )
    job = imports.submit(officer, "persons", "persons.csv", io.BytesIO(persons.encode()))
    imports.send_pending()
    [e] = [envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=imports.BATCH)]
    body = envelope.open_body(e, "hub", peers["hub"])
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    assert delivery.accept(arriving(peers, imports.BATCH, body, sender="FR"), next(seq)) == "accepted"
    [answer] = answers(peers, "FR")
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    assert delivery.accept(arriving(peers, imports.OUTCOME, answer, sender="hub"), next(seq)) == "accepted"
    job.refresh_from_db()
    assert (job.status, job.accepted, job.refused) == ("done", 3, 1)
    assert job.finished_at is not None
    assert not ImportRow.objects.filter(bulk_import=job, data__isnull=False).exists()  # no copy kept
    out = "".join(imports.outcome_lines(job))
    lines = list(csv.reader(io.StringIO(out)))
    assert lines[0] == ["row", "status", "record_id", "errors"]
    assert [(r[0], r[1]) for r in lines[1:]] == [
        ("2", "accepted"),
        ("3", "accepted"),
        ("4", "accepted"),
        ("5", "refused"),
    ]
    assert "nationalities" in lines[4][3]
    assert lines[1][2] == str(Record.objects.get(label__startswith="Иван").pk)
    # An answer forged by a bureau is refused.
    assert delivery.accept(arriving(peers, imports.OUTCOME, answer, sender="BR"), next(seq)) == "quarantined"


def test_the_outcome_file_is_safe_to_open_in_a_spreadsheet(peers, user_factory):
    officer = user_factory("ncb", "officer")
    job = imports.submit(
        officer, "documents", "d.jsonl", io.BytesIO((json.dumps(doc(1, "FR")) + "\n").encode())
    )
    ImportRow.objects.filter(bulk_import=job).update(status="refused", errors={"=HYPERLINK(1)": ["@SUM(A1)"]})
    lines = list(csv.reader(io.StringIO("".join(imports.outcome_lines(job)))))
    assert lines[1][3].startswith("'=")


def test_the_pages_and_the_cli(peers, user_factory, client, tmp_path, capsys):
    officer = user_factory("ncb", "officer", username="fr-officer")
    client.force_login(officer)
    assert b'href="/records/bulk/"' in client.get("/records/").content  # reached from the records list
    assert client.get("/records/bulk/").status_code == 200
    upload = SimpleUploadedFile("stolen.csv", CSV.encode(), content_type="text/csv")
    response = client.post(
        "/records/bulk/", {"database": "documents", "file": upload, "access": "all", "handling": "H0"}
    )
    assert response.status_code == 302
    job = BulkImport.objects.get()
    page = client.get(response["Location"])
    assert b"3 rows read" in page.content and b"hx-get" in page.content
    bad = SimpleUploadedFile("bad.csv", b"number,colour\n1,red\n", content_type="text/csv")
    refused = client.post(
        "/records/bulk/", {"database": "documents", "file": bad, "access": "all", "handling": "H0"}
    )
    assert refused.status_code == 400 and b"unknown columns" in refused.content
    download = client.get(f"/records/bulk/{job.pk}/outcome.csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert b"row,status,record_id,errors" in b"".join(download.streaming_content)
    assert AuditEntry.objects.filter(action="records.import_outcome").count() == 1

    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps(doc(9, "FR")) + "\n{oops\n")
    assert main(["records", "import", str(path), "--database", "documents", "--user", "fr-officer"]) == 0
    assert "2 rows read" in capsys.readouterr().out
    assert main(["records", "imports"]) == 0
    assert "more.jsonl" in capsys.readouterr().out
    newest = BulkImport.objects.order_by("-started_at").first()
    out = tmp_path / "outcome.csv"
    assert main(["records", "imports", str(newest.pk), "--outcome", str(out)]) == 0
    assert "2,refused" in out.read_text()
    assert main(["records", "import", str(path), "--database", "documents", "--user", "nobody"]) == 2
    assert (
        main(
            [
                "records",
                "import",
                str(tmp_path / "missing.csv"),
                "--database",
                "documents",
                "--user",
                "fr-officer",
            ]
        )
        == 2
    )


def test_the_api(peers, user_factory, client):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    upload = SimpleUploadedFile("stolen.csv", CSV.encode(), content_type="text/csv")
    made = client.post("/api/v1/records/bulk", {"database": "documents", "file": upload})
    assert made.status_code == 202, made.content
    job = made.json()
    assert (job["status"], job["rows"], job["refused"], job["filename"]) == ("sending", 3, 1, "stolen.csv")
    assert client.get(f"/api/v1/records/bulk/{job['id']}").json()["rows"] == 3
    assert [j["id"] for j in client.get("/api/v1/records/bulk").json()["results"]] == [job["id"]]
    outcome = client.get(f"/api/v1/records/bulk/{job['id']}/outcome")
    assert outcome.status_code == 200 and b"4,refused" in b"".join(outcome.streaming_content)
    bad = SimpleUploadedFile("s.csv", CSV.encode(), content_type="text/csv")
    refused = client.post(
        "/api/v1/records/bulk", {"database": "documents", "file": bad, "restriction": "{nope"}
    )
    assert refused.status_code == 422 and "restriction" in refused.content.decode()
    wrong = SimpleUploadedFile("s.csv", b"number,colour\n1,red\n", content_type="text/csv")
    refused = client.post("/api/v1/records/bulk", {"database": "documents", "file": wrong})
    assert refused.status_code == 422 and "unknown columns" in refused.content.decode()
    assert client.get(f"/api/v1/records/bulk/{envelope.new_id()}").status_code == 404


def test_unanswered_batches_are_sent_again_and_count_once(peers, user_factory, settings):
    officer = user_factory("ncb", "officer", username="fr-officer")
    lines = "".join(json.dumps(doc(i, "FR")) + "\n" for i in range(1, 4))
    job = imports.submit(officer, "documents", "d.jsonl", io.BytesIO(lines.encode()))
    assert imports.send_pending() == 3
    assert imports.send_pending() is None and imports.resend_unanswered(job.pk) == 0  # too soon
    with clock.travel(imports.RESEND_AFTER + timedelta(seconds=1)):
        assert imports.resend_unanswered(job.pk) == 1  # the hub's answer was lost, say
        assert imports.resend_unanswered(job.pk) == 0
    first, again = [
        envelope.open_body(envelope.decode(bytes(o.payload)), "hub", peers["hub"])
        for o in OutboxEnvelope.objects.filter(kind=imports.BATCH).order_by("id")
    ]
    assert first == again
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    for body in (first, again):
        assert delivery.accept(arriving(peers, imports.BATCH, body, sender="FR"), next(seq)) == "accepted"
    assert Record.objects.count() == 3
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", "FR"
    for answer in answers(peers, "FR"):
        assert (
            delivery.accept(arriving(peers, imports.OUTCOME, answer, sender="hub"), next(seq)) == "accepted"
        )
    job.refresh_from_db()
    assert (job.status, job.accepted, job.refused, job.answered, job.resends) == ("done", 3, 0, 1, 0)


def test_a_batch_the_hub_never_answers_is_sent_again_less_and_less_often(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    job = imports.submit(
        officer, "documents", "d.jsonl", io.BytesIO((json.dumps(doc(1, "FR")) + "\n").encode())
    )
    imports.send_pending()
    second = timedelta(seconds=1)
    with clock.travel(imports.RESEND_AFTER + second):  # the hub quarantined it, say: no answer comes
        assert imports.resend_unanswered(job.pk) == 1
        with clock.travel(imports.RESEND_AFTER + second):
            assert imports.resend_unanswered(job.pk) == 0  # the next wait is twice as long
            with clock.travel(imports.RESEND_AFTER):
                assert imports.resend_unanswered(job.pk) == 1
                with clock.travel(imports.RESEND_AFTER * 3):
                    assert imports.resend_unanswered(job.pk) == 0  # and then four times
    assert imports.resend_after(50) == imports.RESEND_AFTER * 64  # never more than 16 hours
    job.refresh_from_db()
    assert job.resends == 2
    assert [e.detail["resends"] for e in AuditEntry.objects.filter(action="records.import_resent")] == [1, 2]


class FailingDisk(io.RawIOBase):
    """An uploaded file whose reading fails part-way (its disk failing), after `good` bytes."""

    def __init__(self, data: bytes, good: int):
        self.data, self.good, self.at = data, good, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.at >= self.good:
            raise OSError("Input/output error")
        n = min(len(buffer), self.good - self.at, 4096)
        buffer[:n] = self.data[self.at : self.at + n]
        self.at += n
        return n


def test_an_import_whose_reading_was_cut_off_is_stopped_and_nothing_of_it_sent(peers, user_factory, client):
    officer = user_factory("ncb", "officer", username="fr-officer")
    lines = "".join(json.dumps(doc(i, "FR")) + "\n" for i in range(1, 5001)).encode()
    with pytest.raises(OSError, match="Input/output"):
        imports.submit(
            officer, "documents", "many.jsonl", io.BufferedReader(FailingDisk(lines, len(lines) // 2))
        )
    job = BulkImport.objects.get()
    assert job.status == "reading" and ImportRow.objects.filter(bulk_import=job).exists()
    imports.send_pending()
    assert not OutboxEnvelope.objects.filter(kind=imports.BATCH).exists()  # a reading may still go on
    job.refresh_from_db()
    assert job.status == "reading"
    with clock.travel(imports.READING_LOST_AFTER + timedelta(seconds=1)):
        imports.send_pending()
    job.refresh_from_db()
    assert (job.status, job.rows) == ("stopped", 0) and job.finished_at is not None
    assert not ImportRow.objects.filter(bulk_import=job).exists()
    assert not OutboxEnvelope.objects.filter(kind=imports.BATCH).exists()
    [stopped] = AuditEntry.objects.filter(action="records.import_stopped")
    assert stopped.detail["rows_read"] >= imports.READ_CHUNK
    client.force_login(officer)
    page = client.get(f"/records/bulk/{job.pk}/")
    assert b"send the file again" in page.content
    assert f'hx-get="/records/bulk/{job.pk}/"'.encode() not in page.content  # nothing more to follow
