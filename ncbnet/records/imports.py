"""Bulk contributions: a bureau sends the hub many records at once (a hundred thousand stolen
passports, say) as a CSV or JSON-lines file, and gets an outcome per row.

On the bureau's node the file is read into rows (`submit`); a row that cannot be read is refused
there. The network worker sends the rest to the hub in batches (`records.contribute_batch`, at
most `BATCH_ROWS` rows and `BATCH_BYTES`), a few batches in flight at a time, so a restart
resumes with the next batch. The hub checks each row as it checks a contribution (schema, the
owner's national law, the restriction), writes the accepted ones in bulk (one audit entry per
batch), feeds them to the nodes in chunks (`records.feed`) and answers per row
(`records.contribute_batch_outcome`). The sending node owns what it sends, whatever the batch
says; a batch sent again gets the same answer and creates nothing. The officer downloads the
outcome as CSV (row, status, record id or errors), safe to open in a spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import io
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext_lazy

from ncbnet.base import audit, bounded, clock, csvsafe, holdings, iccs, tally, uploads
from ncbnet.base.actor import Person
from ncbnet.base.crypto import canonical
from ncbnet.base.dates import add_years
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, every, register, require_hub

from . import feed, national_law, tallies
from .bulk import persons_written
from .models import BulkImport, ImportBatch, ImportRow, Record, RecordCountry, RecordVersion
from .schemas import (
    BATCH_ROWS,
    SCHEMAS,
    ContributeBatchBody,
    ContributeBatchOutcomeBody,
    RestrictionData,
    checked,
)
from .services import label_and_key

BATCH = "records.contribute_batch"
OUTCOME = "records.contribute_batch_outcome"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 200_000
MAX_ROW_BYTES = 64 * 1024  # one row, as JSON (no photos: a record with photos is contributed alone)
BATCH_BYTES = 1024 * 1024  # the rows of one batch, as JSON
WINDOW = 4  # batches sent and not yet answered, at most
READ_CHUNK = 2000  # rows kept in one transaction while the file is read
SEND_EVERY = 2  # seconds between the worker's runs
SEND_BUDGET = 5.0  # seconds of sending in one run, at most
# Batches unanswered this long after the last batch was sent or answered are sent again (the hub
# answers a batch it has seen with the answer it gave, and creates nothing).
RESEND_AFTER = timedelta(minutes=15)
# A file is read in the request that uploaded it, a chunk every moment; a job still "reading"
# this long after its last chunk lost its reader (the web worker killed, the disk failing).
READING_LOST_AFTER = timedelta(minutes=10)
ROW_LIMITS = bounded.Limits(max_bytes=MAX_ROW_BYTES, max_depth=8, max_string=MAX_ROW_BYTES, max_items=2000)
# What a page or the API reads of an upload (`base.uploads`), bounded while it streams.
UPLOAD = uploads.Limit(
    files=MAX_FILE_BYTES, message=gettext_lazy("A bulk contribution is at most 64 MB; split a larger file.")
)
# CSV columns of a person, which JSON lines give as the schema's nested fields.
PERSON_COLUMNS = (
    "name", "script", "latin_name", "aliases", "date_of_birth", "sex", "nationalities", "iccs",
)  # fmt: skip


# --- reading a file, on the bureau's node --------------------------------------------------------


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _text(stream: IO[bytes]) -> Iterator[str]:
    """The file's lines as text (UTF-8, a BOM dropped), its size bounded while it is read."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    read = 0
    pending = ""
    while chunk := stream.read(64 * 1024):
        read += len(chunk)
        if read > MAX_FILE_BYTES:
            raise _refuse(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _refuse(f"the file is not UTF-8 text (byte {read - len(chunk) + exc.start})") from exc
        *lines, pending = pending.split("\n")
        yield from (line + "\n" for line in lines)
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _date_of_birth(value: str) -> dict[str, int]:
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError("date_of_birth: YYYY, YYYY-MM or YYYY-MM-DD")
    return dict(zip(("year", "month", "day"), (int(p) for p in parts), strict=False))


def _person(cells: dict[str, str]) -> dict[str, Any]:
    """A person from the flat CSV columns (`PERSON_COLUMNS`); the hub checks the rest."""
    names: list[dict[str, str]] = [{"value": cells.get("name", ""), "kind": "primary"}]
    if cells.get("script"):
        names[0]["script"] = cells["script"]
    if cells.get("latin_name"):
        names.append({"value": cells["latin_name"], "script": "Latn", "kind": "latin"})
    names += [{"value": a.strip(), "kind": "alias"} for a in cells.get("aliases", "").split(";") if a.strip()]
    data: dict[str, Any] = {"names": names}
    if cells.get("date_of_birth"):
        data["date_of_birth"] = _date_of_birth(cells["date_of_birth"])
    if cells.get("sex"):
        data["sex"] = cells["sex"]
    if cells.get("nationalities"):
        data["nationalities"] = [c for c in cells["nationalities"].replace(";", " ").split() if c]
    if cells.get("iccs"):
        data["iccs"] = cells["iccs"]
    return data


def columns(database: str) -> tuple[str, ...]:
    """The CSV columns a database's rows may have."""
    if database == "persons":
        return PERSON_COLUMNS
    return tuple(f for f in SCHEMAS[database].model_fields if f != "photos")


def _csv_rows(
    database: str, lines: Iterator[str]
) -> Iterator[tuple[int, dict[str, Any] | None, dict[str, Any]]]:
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise _refuse(f"row 1: {exc}") from exc
    unknown = sorted(set(header) - set(columns(database)) - {""})
    if unknown:
        raise _refuse(f"unknown columns {', '.join(unknown)}; the columns are {', '.join(columns(database))}")
    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _refuse(f"row {row + 1}: {exc}") from exc
        row += 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield row, None, {"row": [f"{len(cells)} cells for {len(header)} columns"]}
            continue
        given = {h: c.strip() for h, c in zip(header, cells, strict=False) if h and c.strip()}
        try:
            yield row, (_person(given) if database == "persons" else given), {}
        except ValueError as exc:
            yield row, None, {"row": [str(exc)]}


def _json_rows(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | None, dict[str, Any]]]:
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = bounded.loads(line, ROW_LIMITS)
        except bounded.Unbounded as exc:
            yield row, None, {"row": [str(exc)]}
            continue
        if not isinstance(value, dict):
            yield row, None, {"row": ["each line is one record: a JSON object"]}
            continue
        yield row, value, {}


def rows(
    database: str, filename: str, stream: IO[bytes]
) -> Iterator[tuple[int, dict[str, Any] | None, dict[str, Any]]]:
    """The file's rows: (row number, data or None, errors). CSV (a header, then one record a row,
    numbered as a spreadsheet shows them) or JSON lines (one record a line, numbered by line)."""
    lines = _text(stream)
    if filename.lower().endswith(".csv"):
        found = _csv_rows(database, lines)
    elif filename.lower().endswith((".jsonl", ".ndjson", ".json")):
        found = _json_rows(lines)
    else:
        raise _refuse("a .csv file, or JSON lines (.jsonl)")
    for n, (row, data, errors) in enumerate(found, start=1):
        if n > MAX_ROWS:
            raise _refuse(f"more than {MAX_ROWS:,} rows; send the file in parts")
        if data is not None and len(canonical(data)) > MAX_ROW_BYTES:
            yield row, None, {"row": [f"larger than {MAX_ROW_BYTES // 1024} KB: contribute it alone"]}
            continue
        yield row, data, errors


def submit(
    actor: Person,
    database: str,
    filename: str,
    stream: IO[bytes],
    restriction: dict[str, Any] | None = None,
) -> BulkImport:
    """An NCB officer or national system contributes a file of records; the rows are kept here and
    sent to the hub by the network worker. Unreadable rows are refused at once."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) not in ("ncb", "system"):
        raise PermissionDenied("Records are contributed by an NCB's staff or its national systems.")
    if database not in SCHEMAS:
        raise ValidationError({"database": [f"unknown database {database!r}"]})
    if restriction is not None:
        checked(RestrictionData, restriction)
    found = rows(database, filename, stream)
    first = list(_take(found, READ_CHUNK))  # a file refused outright (its header, its format) leaves nothing
    with transaction.atomic():
        job = BulkImport.objects.create(
            id=uuid.UUID(new_id()),
            database=database,
            filename=filename[-200:],
            sent_by=actor.get_username(),
            restriction=restriction,
            started_at=clock.now(),
        )
        audit.record(
            "records.import_started",
            actor=actor,
            target=job,
            detail={"database": database, "filename": job.filename},
        )
    chunk = first
    try:
        while chunk:
            _keep(job, chunk)
            chunk = list(_take(found, READ_CHUNK))
    except ValidationError:
        with transaction.atomic():
            ImportRow.objects.filter(bulk_import=job).delete()
            job.delete()
            audit.record("records.import_refused", actor=actor, detail={"filename": job.filename})
        raise
    with transaction.atomic():
        job.refresh_from_db()
        job.status = BulkImport.Status.SENDING if job.rows > job.refused else BulkImport.Status.DONE
        job.finished_at = None if job.status == BulkImport.Status.SENDING else clock.now()
        job.save(update_fields=["status", "finished_at"])
        audit.record(
            "records.import_read", actor=actor, target=job, detail={"rows": job.rows, "refused": job.refused}
        )
    return job


def _take(found: Iterator[Any], n: int) -> Iterator[Any]:
    for _ in range(n):
        item = next(found, None)
        if item is None:
            return
        yield item


def _keep(job: BulkImport, chunk: list[tuple[int, dict[str, Any] | None, dict[str, Any]]]) -> None:
    with transaction.atomic():
        ImportRow.objects.bulk_create(
            [
                ImportRow(
                    bulk_import=job,
                    row=row,
                    data=data,
                    errors=errors,
                    iccs=iccs.of(data),
                    status=ImportRow.Status.PENDING if data is not None else ImportRow.Status.REFUSED,
                )
                for row, data, errors in chunk
            ]
        )
        refused = sum(1 for _r, data, _e in chunk if data is None)
        BulkImport.objects.filter(pk=job.pk).update(
            rows=F("rows") + len(chunk), refused=F("refused") + refused, moved_at=clock.now()
        )


# --- sending, from the bureau's node's network worker --------------------------------------------


def send_next(job_id: uuid.UUID) -> int:
    """Send the import's next batch, if fewer than `WINDOW` are waiting for the hub's answer;
    one transaction. Returns the rows sent."""
    with transaction.atomic():
        job = BulkImport.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != BulkImport.Status.SENDING or job.batches - job.answered >= WINDOW:
            return 0
        pending = ImportRow.objects.filter(bulk_import=job, status=ImportRow.Status.PENDING).order_by("row")
        batch: list[ImportRow] = []
        size = 0
        for line in pending[:BATCH_ROWS]:
            n = len(canonical(line.data)) + 16
            if batch and size + n > BATCH_BYTES:
                break
            batch.append(line)
            size += n
        if not batch:
            return 0
        ImportRow.objects.filter(pk__in=[line.pk for line in batch]).update(
            status=ImportRow.Status.SENT, batch=job.batches
        )
        delivery.queue(BATCH, ["hub"], _batch_body(job, job.batches, batch))
        job.batches += 1
        job.sent += len(batch)
        job.moved_at = clock.now()
        job.save(update_fields=["batches", "sent", "moved_at"])
    return len(batch)


def _batch_body(job: BulkImport, number: int, lines: list[ImportRow]) -> dict[str, Any]:
    return {
        "bulk_import": str(job.pk),
        "batch": number,
        "by": job.sent_by,
        "database": job.database,
        "restriction": job.restriction,
        "rows": [{"row": line.row, "data": line.data} for line in lines],
    }


def resend_after(resends: int) -> timedelta:
    """How long unanswered batches wait before they are sent again: `RESEND_AFTER`, doubled for
    each resend in a row that got no answer (a batch the hub quarantines is not sent every
    quarter of an hour for ever), at most `RESEND_AFTER` times 64 (16 hours)."""
    return RESEND_AFTER * 2 ** min(resends, 6)


def resend_unanswered(job_id: uuid.UUID) -> int:
    """Send again the batches the hub has not answered for `resend_after` (an answer lost, or a
    batch the hub could not take); one transaction, audited. Returns the batches sent again."""
    with transaction.atomic():
        job = BulkImport.objects.select_for_update().filter(pk=job_id).first()
        if (
            job is None
            or job.status != BulkImport.Status.SENDING
            or job.batches == job.answered
            or (job.moved_at is not None and clock.now() - job.moved_at < resend_after(job.resends))
        ):
            return 0
        waiting = ImportRow.objects.filter(bulk_import=job, status=ImportRow.Status.SENT).order_by(
            "batch", "row"
        )
        by_batch: dict[int, list[ImportRow]] = {}
        for line in waiting:
            by_batch.setdefault(line.batch or 0, []).append(line)
        for number, lines in by_batch.items():
            delivery.queue(BATCH, ["hub"], _batch_body(job, number, lines))
        job.moved_at = clock.now()
        job.resends += 1
        job.save(update_fields=["moved_at", "resends"])
        audit.record(
            "records.import_resent", target=job, detail={"batches": sorted(by_batch), "resends": job.resends}
        )
    return len(by_batch)


def stop_lost_readings() -> int:
    """Stop the imports whose reading was cut off (no chunk kept for `READING_LOST_AFTER`): none
    of their rows was sent, and half a file sent would look like the whole of it. Their rows
    are dropped, the job says to send the file again, and each stop is audited."""
    now = clock.now()
    stopped = 0
    for job_id in BulkImport.objects.filter(status=BulkImport.Status.READING).values_list("pk", flat=True):
        with transaction.atomic():
            job = BulkImport.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.status != BulkImport.Status.READING:
                continue
            if now - (job.moved_at or job.started_at) < READING_LOST_AFTER:
                continue
            read = job.rows
            ImportRow.objects.filter(bulk_import=job).delete()
            job.status, job.finished_at, job.rows, job.refused = BulkImport.Status.STOPPED, now, 0, 0
            job.save(update_fields=["status", "finished_at", "rows", "refused"])
            audit.record("records.import_stopped", target=job, detail={"rows_read": read})
            stopped += 1
    return stopped


@every(SEND_EVERY, "records.imports.send")
def send_pending(budget: float = SEND_BUDGET) -> int | None:
    """The worker's job on a node: the next batches of every import being sent (and the
    imports whose reading was cut off, stopped)."""
    if holdings.here().keeps_originals:
        return None
    stop_lost_readings()
    started, total = time.monotonic(), 0
    for job_id in BulkImport.objects.filter(status=BulkImport.Status.SENDING).values_list("pk", flat=True):
        resend_unanswered(job_id)
        while time.monotonic() - started < budget and (n := send_next(job_id)):
            total += n
    return total or None


# --- at the hub ---------------------------------------------------------------------------------


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """At most ten fields, each message at most 300 characters: the answer stays bounded."""
    found = exc.message_dict if hasattr(exc, "error_dict") else {"data": exc.messages}
    return {k[:100]: [m[:300] for m in v[:3]] for k, v in list(found.items())[:10]}


def _check(
    owner: str, body: ContributeBatchBody
) -> tuple[list[dict[str, Any]], list[Record], dict[str, Any]]:
    """Each row checked as `services.contribute` checks one: the outcomes, in the rows' order, the
    records to write and the restriction."""
    try:
        if body.database not in SCHEMAS:
            raise ValidationError({"database": [f"unknown database {body.database!r}"]})
        r = checked(RestrictionData, dict(body.restriction or {}))
    except ValidationError as exc:
        refused = _errors(exc)
        return [{"row": row.row, "status": "refused", "errors": refused} for row in body.rows], [], {}
    now = clock.now()
    outcomes: list[dict[str, Any]] = []
    made: list[Record] = []
    for row in body.rows:
        try:
            clean = checked(SCHEMAS[body.database], dict(row.data))
            law = national_law.check_contribution(owner, body.database, clean)
        except ValidationError as exc:
            outcomes.append({"row": row.row, "status": "refused", "errors": _errors(exc)})
            continue
        label, key = label_and_key(body.database, clean)
        record = Record(
            id=uuid.UUID(new_id()),
            database=body.database,
            owner=owner,
            label=label[:300],
            key=key,
            data=clean,
            iccs=iccs.of(clean),
            access=r["access"],
            handling=r["handling"],
            handling_note=r["handling_note"],
            notify_on_view=r["notify_on_view"],
            created_at=now,
            updated_at=now,
            retain_until=add_years(now, law.retention_years),
        )
        made.append(record)
        outcomes.append({"row": row.row, "status": "accepted", "record": str(record.pk)})
    return outcomes, made, r


@register(
    BATCH,
    ContributeBatchBody,
    to_hub="bulk contributions go to the hub",
    from_bureau="bulk contributions come from an NCB",
)
def batch_arrived(envelope: Arrived, body: ContributeBatchBody) -> None:
    """Hub: the sending NCB owns every record it sends; a malformed row is refused alone; a batch
    sent again is answered again, as the first time, and creates nothing."""
    owner = envelope.sender
    numbers = [row.row for row in body.rows]
    if len(set(numbers)) != len(numbers):
        raise Rejected(f"batch {body.batch} of {body.bulk_import} names a row twice")
    known = ImportBatch.objects.filter(sender=owner, bulk_import=body.bulk_import, batch=body.batch).first()
    if known is not None:
        delivery.queue(OUTCOME, [owner], known.outcome)
        audit.record(
            "records.contribute_batch_repeated",
            subject=owner,
            target=known,
            detail={"bulk_import": str(body.bulk_import), "batch": body.batch},
        )
        return
    outcomes, made, r = _check(owner, body)
    Record.objects.bulk_create(made)
    RecordCountry.objects.bulk_create(
        [RecordCountry(record=record, country=c) for record in made for c in r.get("countries", [])]
    )
    RecordVersion.objects.bulk_create(
        [
            RecordVersion(
                record=record,
                version=1,
                data=record.data,
                restriction=r,
                changed_by=body.by,
                changed_by_country=owner,
                reason="contributed in bulk",
                at=record.updated_at,
            )
            for record in made
        ]
    )
    access = r.get("access", "all")
    tally.count_all(tallies.contributed(owner, body.database, x.data, access, x.updated_at) for x in made)
    if body.database == "persons" and made:  # bulk_create bypasses post_save: say what was written
        persons_written.send(sender=Record, persons=[(record.pk, record.data) for record in made])
    feed.wrote(
        f"import:{owner}:{body.bulk_import}",
        f"{owner}'s bulk contribution {body.bulk_import}",
        [record.pk for record in made],
    )
    answer = {"bulk_import": str(body.bulk_import), "batch": body.batch, "rows": outcomes}
    kept = ImportBatch.objects.create(
        sender=owner,
        bulk_import=body.bulk_import,
        batch=body.batch,
        received_at=clock.now(),
        accepted=len(made),
        refused=len(outcomes) - len(made),
        outcome=answer,
    )
    audit.record(
        "records.contribute_batch",
        subject=owner,
        target=kept,
        detail={
            "by": body.by,
            "database": body.database,
            "bulk_import": str(body.bulk_import),
            "batch": body.batch,
            "accepted": len(made),
            "refused": len(outcomes) - len(made),
            "access": r.get("access"),
        },
    )
    delivery.queue(OUTCOME, [owner], answer)


# --- the answer, on the bureau's node -----------------------------------------------------------


@register(OUTCOME, ContributeBatchOutcomeBody)
def outcome_arrived(envelope: Arrived, body: ContributeBatchOutcomeBody) -> None:
    """Node: each row's outcome; once every row has one, the import is done."""
    require_hub(envelope, "outcomes")
    job = BulkImport.objects.select_for_update().filter(pk=body.bulk_import).first()
    if job is None:
        raise Rejected(f"no bulk contribution {body.bulk_import} on this node")
    waiting = ImportRow.objects.filter(bulk_import=job, batch=body.batch, status=ImportRow.Status.SENT)
    accepted = refused = 0
    now = clock.now()
    for outcome in body.rows:
        if outcome.status == "accepted":
            accepted += waiting.filter(row=outcome.row).update(
                status=ImportRow.Status.ACCEPTED, record_id=outcome.record, answered_at=now
            )
        else:
            refused += waiting.filter(row=outcome.row).update(
                status=ImportRow.Status.REFUSED, errors=outcome.errors
            )
    if not accepted + refused:
        return  # an answer given again, to a batch already answered
    if accepted:  # the node's own figures: one count a batch
        tally.count_all(tallies.imported(job, body.batch, now))
    job.accepted += accepted
    job.refused += refused
    job.answered += 1
    job.moved_at = clock.now()
    job.resends = 0
    fields = ["accepted", "refused", "answered", "moved_at", "resends"]
    if not ImportRow.objects.filter(
        bulk_import=job, status__in=[ImportRow.Status.PENDING, ImportRow.Status.SENT]
    ).exists():
        job.status, job.finished_at = BulkImport.Status.DONE, clock.now()
        fields += ["status", "finished_at"]
        # The records are the hub's now: the node keeps each row's outcome, not its data.
        ImportRow.objects.filter(bulk_import=job).update(data=None)
        audit.record(
            "records.import_done",
            target=job,
            detail={"rows": job.rows, "accepted": job.accepted, "refused": job.refused},
        )
    job.save(update_fields=fields)


# --- what the officer sees ----------------------------------------------------------------------


def visible() -> Any:
    """The bureau's bulk contributions (every NCB officer of this node sees them)."""
    return BulkImport.objects.order_by("-started_at")


def get(job_id: uuid.UUID | str) -> BulkImport:
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError as exc:
        raise Http404("No such bulk contribution.") from exc
    job = BulkImport.objects.filter(pk=pk).first()
    if job is None:
        raise Http404("No such bulk contribution.")
    return job


def download(actor: Person | None, job: BulkImport) -> None:
    """Audit a download of the per-row outcome, before its first line leaves."""
    with transaction.atomic():
        audit.record("records.import_outcome", actor=actor, target=job, detail={"rows": job.rows})


def outcome_lines(job: BulkImport) -> Iterator[str]:
    """The per-row outcome as CSV lines (row, status, record id, errors), every cell safe to open
    in a spreadsheet (`download` audits it first)."""
    yield from _csv_lines([["row", "status", "record_id", "errors"]])
    lines = ImportRow.objects.filter(bulk_import=job).order_by("row")
    for start in range(0, job.rows, READ_CHUNK):
        chunk = lines.values_list("row", "status", "record_id", "errors")[start : start + READ_CHUNK]
        yield from _csv_lines(
            [row, status, record or "", _flat(errors)] for row, status, record, errors in chunk
        )


def _flat(errors: dict[str, Any]) -> str:
    return "; ".join(f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in errors.items())


def _csv_lines(values: Iterable[Iterable[Any]]) -> Iterator[str]:
    out = io.StringIO()
    writer = csvsafe.Writer(out)
    for v in values:
        writer.writerow(v)
    yield out.getvalue()


def progress(job: BulkImport) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "database": job.database,
        "filename": job.filename,
        "status": job.status,
        "rows": job.rows,
        "sent": job.sent,
        "accepted": job.accepted,
        "refused": job.refused,
        "started_at": job.started_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
