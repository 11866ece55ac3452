"""Batch screening: a passenger manifest (CSV or JSON, up to 100,000 rows) screened as one job.

Each row may hold a name (with date of birth, sex and nationality) and a travel document (number
and issuing country). The job runs in chunks: each chunk's results, its hit reports and one audit
entry naming every query of the chunk are written in one transaction with the progress, so the
page and the CLI show where it is, and a restarted worker carries on from the last chunk.
One process runs a job at a time: it holds a lease on it, renewed with each chunk (`claim`).
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import multiprocessing
import os
import socket
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.models import Q
from django.dispatch import receiver
from django.http import Http404

from ncbnet.base import audit, bounded, clock, csvsafe, gates, tally
from ncbnet.base.actor import Person
from ncbnet.base.rows import Writer
from ncbnet.hits.schemas import Hit
from ncbnet.network.envelope import new_id
from ncbnet.records.services import purged

from . import names, services, tallies
from .models import Manifest, ManifestRow

MAX_ROWS = 100_000
MAX_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 50
MAX_CELLS = 2_500_000  # rows times columns: 100,000 rows of 25 columns
MAX_CELL = 1_000  # characters in one cell
# A JSON manifest's values, keys and containers: a key and a value per cell, an object per row.
JSON_ITEMS = 2 * MAX_CELLS + MAX_ROWS + 1
CHUNK = 500
# A chunk's rows written by COPY on PostgreSQL (base.rows.Writer), not by the ORM's INSERT.
_ROWS = Writer(ManifestRow)
LEASE = timedelta(minutes=2)
FIELDS = ("name", "date_of_birth", "sex", "nationality", "document_number", "issuing_country")
Progress = Callable[[str, int, int], None]
Screened = list[tuple[list[Hit], list[str], dict[str, Any]]]
# What a row keeps of each hit: what the job's page and its result show, and the hit report. The
# record's data stays with the record (corrected or deleted there, it is not kept on here).
KEPT = ("record", "database", "owner", "label", "matched", "score", "status", "report", "due_at")


# What a row keeps of a hit on a record purged since: that there was one, not whose.
PURGED_LABEL = "(a record purged at the end of its retention)"


@receiver(purged)
def forget_purged(sender: Any, ids: list[Any], **kwargs: Any) -> None:
    """A record purged at the end of its retention: the manifest rows that hit it keep that they
    hit something, its owner and score, but no longer its label or the name matched."""
    wanted = {str(i) for i in ids}
    if not wanted:
        return
    touching = Q()
    for record_id in wanted:
        touching |= Q(hits__icontains=record_id)
    for row in ManifestRow.objects.filter(outcome="hit").filter(touching):
        row.hits = [
            {**h, "label": PURGED_LABEL, "matched": "", "purged": True}
            if str(h.get("record")) in wanted
            else h
            for h in row.hits
        ]
        row.save(update_fields=["hits"])


def _kept(hit: Hit) -> dict[str, Any]:
    """What a row keeps of a hit (`KEPT`): the report's fields once it is reported."""
    return {k: v for k in KEPT if (v := getattr(hit, k)) is not None}


def parse(filename: str, content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of a CSV or JSON manifest, or a ValidationError saying what is wrong.

    Bounded while it is read: at most `MAX_BYTES`, `MAX_ROWS` rows, `MAX_COLUMNS` columns,
    `MAX_CELLS` cells (rows times columns) and `MAX_CELL` characters a cell. CSV rows are read one at
    a time and the reading stops at the first limit passed; JSON is measured before it is parsed
    (`bounded.loads`), so 50 MB of tiny objects is refused without building them."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": f"a manifest is at most {MAX_BYTES // (1024 * 1024)} MB"})
    start = content[3:] if content.startswith(codecs.BOM_UTF8) else content
    if filename.lower().endswith(".json") or start.lstrip()[:1] == b"[":
        columns, rows = _json_rows(content)
    else:
        columns, rows = _csv_rows(content)
    if not {"name", "document_number"} & set(columns):
        raise ValidationError(
            {
                "file": "a manifest needs a name or a document_number column (also read: "
                + ", ".join(FIELDS[1:])
                + ")"
            }
        )
    if not rows:
        raise ValidationError({"file": "the manifest has no rows"})
    return columns, rows


def _refuse(message: str) -> NoReturn:
    raise ValidationError({"file": message})


def _check_size(rows: int, columns: int) -> None:
    if rows > MAX_ROWS:
        _refuse(f"a manifest has at most {MAX_ROWS:,} rows; this one has more")
    if columns > MAX_COLUMNS:
        _refuse(f"a manifest has at most {MAX_COLUMNS} columns; this one {columns}")
    if rows * columns > MAX_CELLS:
        _refuse(
            f"a manifest has at most {MAX_CELLS:,} cells (rows times columns): with {columns} columns, "
            f"at most {MAX_CELLS // columns:,} rows"
        )


def _check_cell(n: int, column: str, value: str) -> None:
    """Row `n` (0: the header) has at most `MAX_CELL` characters in `column`."""
    if len(value) > MAX_CELL:
        where = f"row {n:,}, column {column[:40]!r}" if n else "the header"
        _refuse(f"{where}: a cell of more than {MAX_CELL:,} characters")


def _csv_rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Rows read one at a time from the bytes (decoded as they are read)."""
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    n = 0
    try:
        columns = next(reader, [])
        _check_size(0, len(columns))
        for column in columns:
            _check_cell(0, column, column)
        rows = []
        for n, values in enumerate(filter(None, reader), 1):
            _check_size(n, len(columns))
            for column, value in zip(columns, values, strict=False):
                _check_cell(n, column, value)
            rows.append({c: values[i] if i < len(values) else "" for i, c in enumerate(columns)})
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": f"the file is not UTF-8 (after row {n:,})"}) from exc
    except csv.Error as exc:
        raise ValidationError({"file": f"not a readable CSV: {exc} (after row {n:,})"}) from exc
    return columns, rows


def _json_rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        data = bounded.loads(
            content,
            bounded.Limits(max_bytes=MAX_BYTES, max_depth=2, max_items=JSON_ITEMS, max_string=MAX_BYTES),
        )
    except bounded.Unbounded as exc:
        raise ValidationError({"file": f"a JSON manifest: {exc}"}) from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValidationError({"file": "a JSON manifest is a list of objects, one per passenger"})
    columns = list(dict.fromkeys(str(k) for r in data for k in r))
    _check_size(len(data), len(columns))
    rows = []
    for n, r in enumerate(data, 1):
        row = {str(k): "" if v is None else str(v) for k, v in r.items()}
        for column, value in row.items():
            _check_cell(n, column, column)
            _check_cell(n, column, value)
        rows.append(row)
    return columns, rows


def submit(
    actor: Person, filename: str, content: bytes, context: dict[str, Any], here: bool = False
) -> Manifest:
    """Keep the job for the node's job runner, or (`here`) for this process, which runs it now."""
    gates.check(actor, gates.SCREENING)  # training and any other gate, before the job is kept
    columns, rows = parse(filename, content)
    now = clock.now()
    with transaction.atomic():
        m = Manifest.objects.create(
            id=uuid.UUID(new_id()),
            filename=filename[:200],
            submitted_by=actor.get_username(),
            context={k: context.get(k) for k in ("reason", "place", "urgent") if context.get(k)},
            columns=columns,
            rows=rows,
            total=len(rows),
            submitted_at=now,
            **(
                {"state": Manifest.State.RUNNING, "runner": runner(), "lease_until": now + LEASE}
                if here
                else {}
            ),
        )
        audit.record("screening.manifest_submitted", actor=actor, target=m, detail={"rows": len(rows)})
    return m


def _screen(actor: Person, rows: list[dict[str, str]]) -> Screened:
    """Each row's hits, problems and query; the chunk's documents in one database query, its
    persons' candidates in a few."""
    queries = [{k: row[k].strip() for k in FIELDS if row.get(k, "").strip()} for row in rows]
    numbered = [q for q in queries if q.get("document_number")]
    found = services.find_documents_batch(
        actor, [(q["document_number"], q.get("issuing_country", "")) for q in numbered]
    )
    documents = {id(q): hits for q, hits in zip(numbered, found, strict=True)}
    problems: dict[int, list[str]] = {id(q): [] for q in queries}
    persons: dict[int, services.PersonQuery] = {}
    for query in queries:
        if query.get("name"):
            try:
                dob = services.partial_date(query.get("date_of_birth", ""))
            except ValueError:
                dob = None
                problems[id(query)].append(
                    f"date_of_birth {query['date_of_birth']!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
                )
            persons[id(query)] = services.PersonQuery(
                query["name"], dob, query.get("sex", "").upper(), query.get("nationality", "")
            )
        elif not query.get("document_number"):
            problems[id(query)].append("neither a name nor a document number")
    named = services.find_persons_batch(actor, list(persons.values()), services.names.THRESHOLD)
    people = dict(zip(persons, named, strict=True))
    return [(people.get(id(q), []) + documents.get(id(q), []), problems[id(q)], q) for q in queries]


def _searched(query: dict[str, str]) -> tuple[str, ...]:
    """The databases a manifest's row was screened against (`_screen`): its document, its name."""
    return (("documents",) if query.get("document_number") else ()) + (
        ("persons", "notices") if query.get("name") else ()
    )


def processes() -> int:
    """How many processes screen a manifest's chunks side by side: one per core (at most
    `settings.NCBNET_SCREENING_PROCESSES`), and only where they see what this process sees, a
    database on disk or on a server with nothing uncommitted (not the test suite's in-memory
    database, nor inside a transaction)."""
    wanted = min(os.cpu_count() or 1, settings.NCBNET_SCREENING_PROCESSES)
    wrapper = connections["default"]
    if wanted < 2 or wrapper.in_atomic_block:
        return 1
    if isinstance(wrapper, SQLiteWrapper) and wrapper.is_in_memory_db():
        return 1
    return wanted


def _screen_in_child(username: str, rows: list[dict[str, str]]) -> Screened:
    return _screen(get_user_model().objects.get(username=username), rows)


def _chunks(manifest: Manifest, chunk: int) -> Iterator[tuple[int, list[dict[str, str]]]]:
    for start in range(manifest.done, manifest.total, chunk):
        yield start, manifest.rows[start : start + chunk]


def _results(
    manifest: Manifest, actor: Person, chunk: int, workers: int
) -> Iterator[tuple[int, list[dict[str, str]], Screened]]:
    """Each chunk not yet screened with what screening found, in order: screened here, or by
    `workers` processes a few chunks ahead while this one writes."""
    if workers < 2:
        for start, rows in _chunks(manifest, chunk):
            yield start, rows, _screen(actor, rows)
        return
    names.warm()  # loaded once here, shared by the children forked below
    connections.close_all()  # each child opens its own connection
    # For the job, no collector walks what is here now (the name data, millions of objects): not
    # in the children, where it would copy each page it touches, nor here.
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending: deque[tuple[int, list[dict[str, str]], Future[Any]]] = deque()
            for start, rows in _chunks(manifest, chunk):
                pending.append((start, rows, pool.submit(_screen_in_child, actor.get_username(), rows)))
                if len(pending) > workers:
                    start, rows, future = pending.popleft()
                    yield start, rows, future.result()
            while pending:
                start, rows, future = pending.popleft()
                yield start, rows, future.result()
    finally:
        gc.unfreeze()


def run(
    manifest: Manifest,
    actor: Person | None = None,
    progress: Progress | None = None,
    chunk: int = CHUNK,
    workers: int | None = None,
) -> Manifest:
    """Screen the rows not yet screened, a chunk at a time; each chunk's results are written in
    order, in one transaction with the progress."""
    actor = actor or get_user_model().objects.get(username=manifest.submitted_by)
    if not _take(manifest.pk):
        raise Busy(f"manifest {manifest.pk} is being run by another process")
    if manifest.started_at is None:
        manifest.started_at = clock.now()
        Manifest.objects.filter(pk=manifest.pk).update(started_at=manifest.started_at)
    manifest.state = Manifest.State.RUNNING
    try:
        for start, rows, screened in _results(
            manifest, actor, chunk, processes() if workers is None else workers
        ):
            with transaction.atomic(), tally.gathered():
                results, queries, found, groups = [], [], 0, []
                for i, (row_hits, problems, query) in enumerate(screened, start + 1):
                    groups.append((row_hits, {**query, "manifest": str(manifest.pk), "row": i}))
                    found += bool(row_hits)
                    outcome = "hit" if row_hits else ("problem" if problems else "clear")
                    results.append(ManifestRow(manifest=manifest, n=i, outcome=outcome, problems=problems))
                    queries.append(query)
                services.report_hits(actor, groups, manifest.context)  # before the rows keep the report ids
                for result, (row_hits, _) in zip(results, groups, strict=True):
                    result.hits = [_kept(hit) for hit in row_hits]
                _ROWS.insert(results)
                manifest.done = start + len(rows)
                manifest.hits += found
                manifest.problems += sum(r.outcome == "problem" for r in results)
                if manifest.done >= manifest.total:
                    manifest.state = Manifest.State.DONE
                    manifest.finished_at = clock.now()
                held = Manifest.objects.filter(pk=manifest.pk, runner=runner()).update(
                    done=manifest.done,
                    hits=manifest.hits,
                    problems=manifest.problems,
                    state=manifest.state,
                    finished_at=manifest.finished_at,
                    lease_until=clock.now() + LEASE,
                )
                if not held:  # this chunk is undone with the transaction
                    raise Busy(f"manifest {manifest.pk} was taken by another process (lease ran out)")
                searches = [(_searched(q), g[0]) for g, q in zip(groups, queries, strict=True)]
                figures = tallies.figures(actor, "screening.manifest_rows", searches)
                tally.count_all(tallies.counts(figures, clock.now()))
                audit.record(
                    "screening.manifest_rows",
                    actor=actor,
                    target=manifest,
                    detail={
                        "rows": [start + 1, manifest.done],
                        "hits": found,
                        "queries": queries,
                        "figures": figures,
                    },
                )
            if progress:
                progress("rows", manifest.done, manifest.total)
    except Busy:
        raise
    except Exception as exc:
        Manifest.objects.filter(pk=manifest.pk, runner=runner()).update(
            state=Manifest.State.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    return manifest


class Busy(Exception):
    """The job is held by another process."""


def runner() -> str:
    """This process, as it holds a job's lease."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _free(now: Any) -> Q:
    """Jobs a runner may take: queued, or running under a lease that ran out (its process
    stopped; the job carries on from its last chunk)."""
    return Q(state=Manifest.State.QUEUED) | Q(state=Manifest.State.RUNNING, lease_until__lt=now)


def _take(manifest_id: Any) -> bool:
    """Hold the job for this process (if it is free, or already held here)."""
    now = clock.now()
    return bool(
        Manifest.objects.filter(
            _free(now) | Q(runner=runner(), state=Manifest.State.RUNNING), pk=manifest_id
        ).update(state=Manifest.State.RUNNING, runner=runner(), lease_until=now + LEASE)
    )


def claim() -> Manifest | None:
    """The oldest job free to run, held for this process: one conditional update takes it, so two
    runners never take the same job."""
    now = clock.now()
    for pk in Manifest.objects.filter(_free(now)).order_by("submitted_at").values_list("pk", flat=True)[:20]:
        if Manifest.objects.filter(_free(now), pk=pk).update(
            state=Manifest.State.RUNNING, runner=runner(), lease_until=now + LEASE
        ):
            return Manifest.objects.get(pk=pk)
    return None


def result_lines(manifest: Manifest) -> Iterator[str]:
    """The manifest as it came, with what screening found beside each row, as CSV lines (cells that
    a spreadsheet would run as a formula escaped: labels and rows come from other countries)."""
    out = io.StringIO()
    writer = csvsafe.Writer(out)
    extra = ["outcome", "possible_matches", "hit_reports", "problems"]
    writer.writerow([*manifest.columns, *extra])
    for result in manifest.results.order_by("n").iterator(chunk_size=2000):
        row = manifest.rows[result.n - 1]
        matches = "; ".join(
            f"{h['label']} ({h['database']}, owner {h['owner']}, {h['score']:.2f})" for h in result.hits
        )
        writer.writerow(
            [
                *(row.get(c, "") for c in manifest.columns),
                result.outcome,
                matches,
                " ".join(h.get("report", "") for h in result.hits),
                "; ".join(result.problems),
            ]
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if not manifest.results.exists():
        yield out.getvalue()


def visible(actor: Person) -> Any:
    """NCB staff see every job of their node, the GS every job at the hub; others their own."""
    qs = Manifest.objects.defer("rows")
    if actor.kind in ("ncb", "gs"):
        return qs
    return qs.filter(submitted_by=actor.get_username())


def get(actor: Person, manifest_id: uuid.UUID) -> Manifest:
    job = visible(actor).filter(pk=manifest_id).first()
    if job is None:
        raise Http404("No such manifest.")
    return job


def download(actor: Person, manifest: Manifest) -> Manifest:
    if manifest.state != Manifest.State.DONE:
        raise ValidationError({"manifest": "the result is ready when the job is done"})
    with transaction.atomic():
        audit.record(
            "screening.manifest_download", actor=actor, target=manifest, detail={"rows": manifest.total}
        )
    return manifest
