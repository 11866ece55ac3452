"""`ncbnet bench screening` runs end to end on a small hub of its own: every part of it (name
searches, document lookups through the API, the batch API, a manifest) answers, so the figures
the README reports can be measured again, on SQLite and, when DATABASE_URL is set, on PostgreSQL
(in a database of the test's own on that server), one line each."""

import json
import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

# Small, so that the test is quick: 300 persons and documents, 200 lookups, a manifest of 1,000 rows.
SMALL = ("--persons", "300", "--documents", "300", "--lookups", "200", "--manifest-rows", "1000")


def _bench(env: dict[str, str], *args: str) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "screening", *SMALL, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _measured_every_part(figures: dict) -> None:
    assert figures["persons"] == 300 and figures["documents"] == 300 and figures["manifest_rows"] == 1000
    assert figures["index_keys"] > 300 and figures["index_build_s"] >= 0
    assert figures["name_search_found_share"] > 0.5
    assert figures["document_hit_share"] > 0  # the API answered the bench's account, with hits
    assert figures["document_lookups_per_s_batched"] > 0
    lookups = figures["document_lookup_ms"]
    assert lookups["hit_p50"] > 0 and lookups["miss_p50"] > 0 and lookups["cpu_per_lookup"] > 0
    assert figures["manifest_cpu_s"]["writer"] > 0
    assert figures["manifest_rows_with_hits"] > 0


@pytest.mark.embedded  # a process of its own, on SQLite
def test_the_screening_bench_measures_every_part_on_a_small_hub(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    [figures] = _bench(env, "--data", str(tmp_path / "hub"))
    assert figures["database"] == "sqlite"
    _measured_every_part(figures)


@pytest.fixture
def bench_database():
    """A database of the test's own on DATABASE_URL's server, dropped after it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL names no PostgreSQL server: the PostgreSQL bench is run with it")
    parts = urlsplit(url)
    name = f"bench_screening_{uuid.uuid4().hex[:12]}"
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_screening_bench_measures_both_backends_when_postgresql_is_given(tmp_path, bench_database):
    """One line on SQLite, then one on PostgreSQL (seeded and indexed through COPY), each measuring
    every part."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_")}
    env["DATABASE_URL"] = bench_database
    lines = _bench(env, "--data", str(tmp_path / "hub"))
    assert [f["database"] for f in lines] == ["sqlite", "postgresql"]
    for figures in lines:
        _measured_every_part(figures)
    assert lines[0]["index_keys"] == lines[1]["index_keys"]  # the same persons, the same index
