"""`ncbnet bench analytics` runs end to end on a small hub of its own, with three days of history:
its line has every figure the README reports, the rebuilt figures count exactly what the history
wrote into the base data, and a second run on the same hub adds no history and rebuilds the
figures it found (the rebuilt figures equal the figures as they were before the rebuild); on
SQLite and, when DATABASE_URL is set, on PostgreSQL, where the same history gives the same
figures."""

import json
import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

SMALL = ("--persons", "200", "--documents", "200", "--days", "3", "--rounds", "4")
KEYS = {
    "persons",
    "documents",
    "database",
    "days",
    "records_seed_s",
    "history_s",
    "history",
    "figures_before",
    "rebuild_days",
    "rebuild_s",
    "figure_rows",
    "rolled_rows",
    "month_rows",
    "year_rows",
    "figures_after",
    "records_figures_kept",
    "counted",
    "dashboards_ms",
    "rounds",
}


def _bench(env: dict[str, str], *args: str) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "analytics", *SMALL, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _measured(figures: dict) -> None:
    assert set(figures) == KEYS
    assert figures["persons"] == 200 and figures["documents"] == 200 and figures["days"] == 3
    history, counted = figures["history"], figures["counted"]
    assert history["searches"] > 1_000_000 and history["hits"] > 100 and history["notices"] > 50
    assert history["hits_vehicles"] > history["hits_documents"] + history["hits_persons"]
    # what the rebuild recounted from the base data is what the history wrote there
    for key in ("searches", "hits", "answers", "answers_late", "submissions", "diffusions"):
        assert counted[key] == history[key], key
    for key in ("notices_published", "notices_expired"):
        assert counted[key] == history[key], key
    assert counted["diffusions_withdrawn"] == history.get("diffusions_withdrawn", 0)
    assert figures["records_figures_kept"]  # the seed's live counts are what the rebuild recounts
    assert figures["rebuild_days"] >= 4 and figures["figure_rows"] > 1000
    assert (
        figures["rolled_rows"] > 0
        and 0 < figures["month_rows"] < figures["figure_rows"] + figures["rolled_rows"]
    )
    assert 0 < figures["year_rows"] <= figures["month_rows"]
    assert set(figures["dashboards_ms"]) == {"gs", "published", "bureau"}
    for timing in figures["dashboards_ms"].values():
        assert 0 < timing["p50"] <= timing["p95"] <= timing["max"]


@pytest.mark.embedded  # a process of its own, on SQLite
def test_the_analytics_bench_rebuilds_what_its_history_wrote_and_a_second_run_adds_none(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    [first] = _bench(env, "--data", str(tmp_path / "hub"))
    assert first["database"] == "sqlite"
    _measured(first)
    # the first run's figures before the rebuild were the seed's live counts only
    assert first["figures_before"] != first["figures_after"]
    [second] = _bench(env, "--data", str(tmp_path / "hub"))
    _measured(second)
    assert second["history"] == first["history"]  # no second year: the days written are marked
    assert second["figures_before"] == second["figures_after"] == first["figures_after"]


@pytest.mark.embedded
def test_a_hub_keeps_the_history_of_its_first_run(tmp_path):
    """`--days` on a hub that holds another number of days of history is refused (one line, exit
    code 2): its history is fixed by its first run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    _bench(env, "--data", str(tmp_path / "hub"), "--backend", "sqlite")
    longer = ["--backend", "sqlite", *SMALL[:4], "--days", "5", "--data", str(tmp_path / "hub")]
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "analytics", *longer],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("this hub holds 3 days of history, not 5")


@pytest.fixture
def bench_database():
    """A database of the test's own on DATABASE_URL's server, dropped after it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL names no PostgreSQL server: the PostgreSQL bench is run with it")
    parts = urlsplit(url)
    name = f"bench_analytics_{uuid.uuid4().hex[:12]}"
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_analytics_bench_gives_the_same_figures_on_both_backends(tmp_path, bench_database):
    """One line on SQLite, then one on PostgreSQL: the same history, so the same rebuilt figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_")}
    env["DATABASE_URL"] = bench_database
    lines = _bench(env, "--data", str(tmp_path / "hub"))
    assert [f["database"] for f in lines] == ["sqlite", "postgresql"]
    for figures in lines:
        _measured(figures)
    assert lines[0]["history"] == lines[1]["history"]
    assert lines[0]["figures_after"] == lines[1]["figures_after"]
