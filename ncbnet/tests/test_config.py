"""Configuration from the environment: each problem named, production refuses weak or missing secrets."""

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet import config

GOOD_SECRET = "k3J9-fQ2_zX8" * 6
PRODUCTION = {
    "NCBNET_MODE": "production",
    "NCBNET_ROLE": "ncb",
    "NCBNET_COUNTRY": "FR",
    "NCBNET_SECRET_KEY": GOOD_SECRET,
    "NCBNET_ALLOWED_HOSTS": "ncb.example.fr",
    "NCBNET_DATA_DIR": "/tmp/ncbnet-config-test",
}


def problems(**changes: str | None) -> list[str]:
    env = {**PRODUCTION, **changes}
    env = {k: v for k, v in env.items() if v is not None}
    try:
        config.load(env)
    except config.ConfigError as exc:
        return exc.problems
    return []


def test_a_good_production_configuration_loads():
    cfg = config.load(PRODUCTION)
    assert cfg.production and cfg.node_id == "FR" and cfg.database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"NCBNET_SECRET_KEY": None}, "NCBNET_SECRET_KEY (or NCBNET_SECRET_KEY_FILE) is required"),
        ({"NCBNET_SECRET_KEY": "changeme"}, "is a known default"),
        ({"NCBNET_SECRET_KEY": "django-insecure-abc"}, "is a known default"),
        ({"NCBNET_SECRET_KEY": "short-secret"}, "too weak"),
        ({"NCBNET_SECRET_KEY": "a" * 80}, "too weak"),
        ({"NCBNET_ROLE": "gs"}, "NCBNET_ROLE='gs' must be 'hub' or 'ncb'"),
        ({"NCBNET_COUNTRY": None}, "NCBNET_COUNTRY is required when NCBNET_ROLE=ncb"),
        ({"NCBNET_COUNTRY": "XX"}, "NCBNET_COUNTRY='XX' is not an ISO 3166-1 alpha-2 country code"),
        ({"NCBNET_COUNTRY": "KP"}, "NCBNET_COUNTRY='KP' is not a member country"),
        ({"NCBNET_ROLE": "hub"}, "NCBNET_COUNTRY must not be set on the hub"),
        ({"NCBNET_MODE": "debug"}, "NCBNET_MODE='debug' must be one of"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"NATS_URL": "http://nats:4222"}, "NATS_URL='http://nats:4222' must look like nats://"),
        ({"NCBNET_SESSION_IDLE_MINUTES": "ten"}, "NCBNET_SESSION_IDLE_MINUTES='ten' must be a whole number"),
        ({"NCBNET_SCREENING_PROCESSES": "0"}, "NCBNET_SCREENING_PROCESSES='0' must be a whole number (1-64)"),
        ({"NCBNET_ALLOWED_HOSTS": None}, "NCBNET_ALLOWED_HOSTS is required in production mode"),
        ({"NCBNET_NETWORK_KEEP_DAYS": "7"}, "NCBNET_NETWORK_KEEP_DAYS='7' must be a whole number of days"),
        ({"NCBNET_RELAY_MAX_BYTES": "4G"}, "NCBNET_RELAY_MAX_BYTES='4G' must be a number of bytes"),
        ({"NCBNET_INBOX_MAX_BYTES": "1024"}, "NCBNET_INBOX_MAX_BYTES='1024' must be a number of bytes"),
        ({"NCBNET_WEB_PRELOAD": "maybe"}, "NCBNET_WEB_PRELOAD='maybe' must be 1 or 0"),
        ({"NCBNET_CACHE_URL": "http://cache:6379"}, "NCBNET_CACHE_URL is not a Redis URL"),
        ({"NCBNET_CACHE_URL": "redis://"}, "NCBNET_CACHE_URL is not a Redis URL"),
    ],
)
def test_each_problem_is_named(changes, expected):
    found = problems(**changes)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems(NCBNET_ROLE="x", NCBNET_SECRET_KEY=None, NATS_URL="x")
    assert len(found) == 3


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=4))
def test_any_unknown_country_code_is_refused(code):
    from ncbnet.config import member_codes

    if code.strip().upper() in member_codes():
        return
    found = problems(NCBNET_COUNTRY=code)
    assert found and all("NCBNET_COUNTRY" in p for p in found)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NCBNET_", "DATABASE_URL", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_names_each_problem_and_exits_2():
    result = run_cli("check", env={**PRODUCTION, "NCBNET_SECRET_KEY": "changeme", "NCBNET_COUNTRY": "XX"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any("NCBNET_COUNTRY='XX' is not an ISO 3166-1" in line for line in lines)
    assert any("known default" in line for line in lines)
    assert all(line.startswith("problem: ") for line in lines)


def test_production_node_refuses_to_start_with_a_default_secret():
    result = run_cli("serve", env={**PRODUCTION, "NCBNET_SECRET_KEY": "changeme"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1  # one line
    assert "NCBNET_SECRET_KEY is a known default" in result.stderr


def test_cli_usage_errors_exit_2():
    result = run_cli("user", "add", env=PRODUCTION)
    assert result.returncode == 2
    assert "error:" in result.stderr
