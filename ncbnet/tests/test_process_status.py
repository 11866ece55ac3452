"""The status file of a node's processes (written by `ncbnet up`) and the network page showing it.

It is a file anyone with access to the data directory could replace: it is read bounded (a
regular file, at most 64 KiB, never a FIFO or a link) and validated, and what cannot be read is
said on the page instead of breaking it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.network import processes, services
from ncbnet.network.processes import ProcessEntry, ProcessStatus

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


def status(**changes: Any) -> ProcessStatus:
    entries = [
        ProcessEntry(name="web", state="running", pid=4101, started_at=NOW, restarts=1, last_exit_code=-9,
                     last_exit_at=NOW - timedelta(seconds=2)),
        ProcessEntry(name="network", state="running", pid=4102, started_at=NOW - timedelta(hours=1)),
        ProcessEntry(name="jobs", state="waiting", restarts=5, last_exit_code=1, last_exit_at=NOW,
                     next_start_at=NOW + timedelta(seconds=32), failing=6),
        ProcessEntry(name="nats", state="running", pid=4000, started_at=NOW - timedelta(hours=1)),
    ]  # fmt: skip
    fields: dict[str, Any] = {
        "kind": processes.KIND,
        "version": 1,
        "node": "FR",
        "supervisor_pid": 3999,
        "written_at": NOW,
        "processes": entries,
    }
    return ProcessStatus(**{**fields, **changes})


def test_a_written_status_reads_back_whole(tmp_path):
    path = tmp_path / processes.FILENAME
    processes.write(path, status())
    assert processes.read(path) == processes.Reading(status=status())
    assert [p.name for p in tmp_path.iterdir()] == [processes.FILENAME]  # no temporary file left


def test_no_file_means_not_run_under_ncbnet_up(tmp_path):
    assert processes.read(tmp_path / processes.FILENAME) == processes.Reading()


def valid_json() -> dict[str, Any]:
    return dict(json.loads(status().model_dump_json()))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["processes"][0].update(pid=2**64), "processes.0.pid"),
        (lambda d: d["processes"][0].update(pid="4101"), "processes.0.pid"),
        (lambda d: d["processes"][0].update(name="shell"), "processes.0.name"),
        (lambda d: d["processes"][0].update(extra="x"), "processes.0.extra"),
        (lambda d: d["processes"][0].update(started_at="2026-03-01T03:00:00"), "processes.0.started_at"),
        (lambda d: d.update(processes=d["processes"] * 5), "processes"),
        (lambda d: d.update(node="F" * 100), "node"),
        (lambda d: d.update(kind="something else"), "kind"),
    ],
)
def test_a_status_file_out_of_bounds_is_refused_by_name(tmp_path, change, problem):
    data = valid_json()
    change(data)
    path = tmp_path / processes.FILENAME
    path.write_text(json.dumps(data))
    reading = processes.read(path)
    assert reading.status is None
    assert reading.problem.startswith(f"processes.json is not a valid status file ({problem}: ")


def test_a_huge_a_fifo_or_a_linked_status_file_is_not_read(tmp_path):
    path = tmp_path / processes.FILENAME
    path.write_text(json.dumps(valid_json()) + " " * processes.MAX_BYTES)
    assert processes.read(path).problem == "processes.json is larger than 64 KiB"

    path.unlink()
    os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    assert processes.read(path).problem == "processes.json is not a regular file"

    path.unlink()
    target = tmp_path / "elsewhere.json"
    processes.write(target, status())
    path.symlink_to(target)
    assert processes.read(path).problem.startswith("cannot open processes.json")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_any_bytes_give_a_status_or_a_problem_never_an_error(tmp_path, data):
    path = tmp_path / processes.FILENAME
    path.write_bytes(data)
    reading = processes.read(path)
    assert (reading.status is None) != (reading.problem == "")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.lists(st.integers(), max_size=3),
    field=st.sampled_from(list(ProcessEntry.model_fields)),
)
def test_any_value_in_any_field_gives_a_status_or_a_problem(tmp_path, value, field):
    data = valid_json()
    data["processes"][2][field] = value
    path = tmp_path / processes.FILENAME
    path.write_text(json.dumps(data, allow_nan=True))
    reading = processes.read(path)
    assert (reading.status is None) != (reading.problem == "")


@pytest.fixture
def fr_head(client, user_factory, settings, tmp_path) -> Path:
    settings.DATA_DIR = tmp_path
    user_factory("ncb", "head", username="fr-head")
    sign_in(client, "fr-head")
    return tmp_path / processes.FILENAME


def test_the_network_page_shows_each_process_and_its_restarts(client, fr_head):
    processes.write(fr_head, status())
    assert services.processes() == processes.Reading(status=status())
    page = client.get("/network/").content.decode()
    assert AuditEntry.objects.filter(action="network.status.read", actor="fr-head").exists()
    web = page.split('data-process="web"')[1].split("</tr>")[0]
    assert "Web server" in web and "4101" in web and "<td>1</td>" in web and "killed (SIGKILL)" in web
    jobs = page.split('data-process="jobs"')[1].split("</tr>")[0]
    assert "Job runner" in jobs and "Stopped" in jobs and "starts again at" in jobs and "exit code 1" in jobs
    assert "<td>5</td>" in jobs and "Keeps crashing" in jobs
    assert "Job runner keeps crashing: 6 stops in a row" in page
    assert "NATS server (shared by the network)" in page
    assert "Run by ncbnet up (process 3999)" in page


def test_the_network_page_says_when_the_node_is_not_run_under_ncbnet_up(client, fr_head):
    page = client.get("/network/").content.decode()
    assert "Not run under ncbnet up" in page and 'data-process="' not in page


def test_the_network_page_says_why_a_status_file_could_not_be_read(client, fr_head):
    fr_head.write_text('{"kind": "ncbnet.processes", "version": 1, "node": "FR", "supervisor_pid": NaN}')
    page = client.get("/network/").content.decode()
    assert (
        "could not be read: processes.json is not a valid status file (supervisor_pid: Input should be"
        in page
    )
