"""Node configuration read from the environment, validated before Django starts.

Every problem is collected, so `ncbnet check` can name them all at once.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import pycountry

PACKAGE_DIR = Path(__file__).resolve().parent
MODES = ("production", "demo", "test")
ROLES = ("hub", "ncb")
# Secrets shorter than this are refused in production (Django's own check asks for 50).
MIN_SECRET_LENGTH = 50
KNOWN_INSECURE_SECRETS = frozenset({"", "changeme", "secret", "ncbnet-demo", "django-insecure"})


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@cache
def member_codes() -> frozenset[str]:
    data = json.loads((PACKAGE_DIR / "core" / "data" / "members.json").read_text("utf-8"))
    return frozenset(m["code"] for m in data["members"])


@dataclass(frozen=True)
class Config:
    mode: str
    role: str
    country: str | None
    data_dir: Path
    database_url: str
    nats_url: str
    secret_key: str
    # The Commission for the Control of Files keeps its own database (commission.router).
    commission_database_url: str = ""
    allowed_hosts: list[str] = field(default_factory=list)
    session_idle_minutes: int = 30
    screening_processes: int = 2  # processes screening a manifest side by side (at most one per core)
    web_preload: bool = True  # the web server loads the name data once, before forking its workers
    network_keep_days: int = 90  # relayed envelopes, sent outbox rows, quarantine entries
    relay_max_bytes: int = 4 * 1024**3  # hub: what the relay stream may hold, waiting to be relayed
    inbox_max_bytes: int = 2 * 1024**3  # hub: what each node's inbox stream may hold, waiting
    snapshot_chunk_rows: int = 5000  # hub: records in one chunk of a node's snapshot at most
    public_api_per_minute: int = 600  # hub: public notices API requests per client address a minute
    # A Redis server the web processes share for the public API's rate limit and kept answers;
    # without it each process counts and keeps its own.
    cache_url: str = ""
    key_passphrase: str | None = None
    nats_seed: Path | None = None
    # Reverse proxies whose X-Forwarded-For is believed (base.http.client_ip).
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @property
    def node_id(self) -> str:
        """`hub` for the General Secretariat, else the country code."""
        return "hub" if self.role == "hub" else str(self.country)

    @property
    def production(self) -> bool:
        return self.mode == "production"


def _country_problem(code: str) -> str | None:
    if pycountry.countries.get(alpha_2=code) is None:
        return f"NCBNET_COUNTRY={code!r} is not an ISO 3166-1 alpha-2 country code"
    if code not in member_codes():
        return f"NCBNET_COUNTRY={code!r} is not a member country"
    return None


def _read_secret(env: Mapping[str, str], data_dir: Path, mode: str, problems: list[str]) -> str:
    secret = env.get("NCBNET_SECRET_KEY", "")
    secret_file = env.get("NCBNET_SECRET_KEY_FILE", "")
    if not secret and secret_file:
        try:
            secret = Path(secret_file).read_text("utf-8").strip()
        except OSError as exc:
            problems.append(f"NCBNET_SECRET_KEY_FILE cannot be read: {exc.strerror}")
    if not secret and mode != "production":
        # Demo and test nodes keep a generated secret in their data directory.
        path = data_dir / "secret_key"
        if path.exists():
            secret = path.read_text("utf-8").strip()
        elif mode == "test":
            secret = secrets.token_urlsafe(48)
        else:
            problems.append(f"no secret key: set NCBNET_SECRET_KEY or run `ncbnet init` ({path})")
    if mode == "production":
        if not secret:
            problems.append("NCBNET_SECRET_KEY (or NCBNET_SECRET_KEY_FILE) is required in production mode")
        elif secret.lower() in KNOWN_INSECURE_SECRETS or secret.startswith("django-insecure"):
            problems.append("NCBNET_SECRET_KEY is a known default; generate a new one")
        elif len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 5:
            problems.append(
                f"NCBNET_SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters"
            )
    return secret


def resolve_data_dir(env: Mapping[str, str]) -> Path:
    """NCBNET_DATA_DIR, or var/<node> under the working directory."""
    if env.get("NCBNET_DATA_DIR"):
        return Path(env["NCBNET_DATA_DIR"]).resolve()
    node = "hub" if env.get("NCBNET_ROLE") == "hub" else (env.get("NCBNET_COUNTRY") or "node").lower()
    return (Path.cwd() / "var" / node).resolve()


def ensure_local_secret(data_dir: Path) -> None:
    """Demo and test nodes keep a generated secret key in their data directory."""
    path = data_dir / "secret_key"
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(64) + "\n")


def load(env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError naming every problem."""
    env = os.environ if env is None else env
    problems: list[str] = []

    mode = env.get("NCBNET_MODE", "production")
    if mode not in MODES:
        problems.append(f"NCBNET_MODE={mode!r} must be one of {', '.join(MODES)}")
        mode = "production"

    role = env.get("NCBNET_ROLE", "")
    if role not in ROLES:
        problems.append(f"NCBNET_ROLE={role!r} must be 'hub' or 'ncb'")

    country = env.get("NCBNET_COUNTRY", "").strip().upper() or None
    if role == "ncb":
        if country is None:
            problems.append("NCBNET_COUNTRY is required when NCBNET_ROLE=ncb")
        elif problem := _country_problem(country):
            problems.append(problem)
    elif role == "hub" and country is not None:
        problems.append("NCBNET_COUNTRY must not be set on the hub (NCBNET_ROLE=hub)")

    data_dir = resolve_data_dir(env)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'db.sqlite3'}"
    try:
        parsed = dj_database_url.parse(database_url)
        if not parsed.get("ENGINE"):
            raise ValueError
    except (ValueError, KeyError):
        problems.append(
            "DATABASE_URL is not a database URL (postgres://user@host:port/name or sqlite:///path)"
        )

    commission_database_url = _commission_database_url(env, data_dir, database_url, mode, role, problems)

    nats_url = env.get("NATS_URL", "nats://127.0.0.1:4222")
    for one in nats_url.split(","):
        parts = urlsplit(one.strip())
        if parts.scheme not in ("nats", "tls") or not parts.hostname:
            problems.append(f"NATS_URL={one.strip()!r} must look like nats://host:port or tls://host:port")
            break

    idle_raw = env.get("NCBNET_SESSION_IDLE_MINUTES", "30")
    try:
        idle = int(idle_raw)
        if not 1 <= idle <= 24 * 60:
            raise ValueError
    except ValueError:
        problems.append(
            f"NCBNET_SESSION_IDLE_MINUTES={idle_raw!r} must be a whole number of minutes (1-1440)"
        )
        idle = 30

    processes_raw = env.get("NCBNET_SCREENING_PROCESSES", "2")
    try:
        processes = int(processes_raw)
        if not 1 <= processes <= 64:
            raise ValueError
    except ValueError:
        problems.append(f"NCBNET_SCREENING_PROCESSES={processes_raw!r} must be a whole number (1-64)")
        processes = 1

    preload_raw = env.get("NCBNET_WEB_PRELOAD", "1").strip().lower()
    if preload_raw not in ("1", "0", "true", "false"):
        problems.append(f"NCBNET_WEB_PRELOAD={preload_raw!r} must be 1 or 0")
    web_preload = preload_raw in ("1", "true")

    keep_raw = env.get("NCBNET_NETWORK_KEEP_DAYS", "90")
    try:
        keep = int(keep_raw)
        if not 31 <= keep <= 3650:
            raise ValueError
    except ValueError:
        problems.append(
            f"NCBNET_NETWORK_KEEP_DAYS={keep_raw!r} must be a whole number of days (31-3650): "
            "the network refuses envelopes older than 30 days by the ids it remembers that long"
        )
        keep = 90

    stream_bytes = {}
    for name, default in (("NCBNET_RELAY_MAX_BYTES", 4 * 1024**3), ("NCBNET_INBOX_MAX_BYTES", 2 * 1024**3)):
        raw = env.get(name, str(default))
        try:
            stream_bytes[name] = int(raw)
            if not 64 * 1024**2 <= stream_bytes[name] <= 1024**5:
                raise ValueError
        except ValueError:
            problems.append(f"{name}={raw!r} must be a number of bytes, at least 67108864 (64 MiB)")
            stream_bytes[name] = default

    chunk_raw = env.get("NCBNET_SNAPSHOT_CHUNK_ROWS", "5000")
    try:
        chunk_rows = int(chunk_raw)
        if not 10 <= chunk_rows <= 5000:
            raise ValueError
    except ValueError:
        problems.append(f"NCBNET_SNAPSHOT_CHUNK_ROWS={chunk_raw!r} must be a whole number from 10 to 5000")
        chunk_rows = 5000

    rate_raw = env.get("NCBNET_PUBLIC_API_PER_MINUTE", "600")
    try:
        public_rate = int(rate_raw)
        if not 1 <= public_rate <= 10_000_000:
            raise ValueError
    except ValueError:
        problems.append(
            f"NCBNET_PUBLIC_API_PER_MINUTE={rate_raw!r} must be a whole number from 1 to 10000000"
        )
        public_rate = 600

    cache_url = env.get("NCBNET_CACHE_URL", "").strip()
    if cache_url:
        parts = urlsplit(cache_url)
        if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
            problems.append(
                "NCBNET_CACHE_URL is not a Redis URL (redis://host:port/db, rediss://… or unix:///path)"
            )

    hosts = [h.strip() for h in env.get("NCBNET_ALLOWED_HOSTS", "").split(",") if h.strip()]
    if not hosts:
        if mode == "production":
            problems.append("NCBNET_ALLOWED_HOSTS is required in production mode (the node's host names)")
        hosts = ["localhost", "127.0.0.1", "[::1]", "testserver"]

    trusted_proxies = _trusted_proxies(env.get("NCBNET_TRUSTED_PROXIES", ""), problems)

    secret = _read_secret(env, data_dir, mode, problems)

    if problems:
        raise ConfigError(problems)
    return Config(
        mode=mode,
        role=role,
        country=country if role == "ncb" else None,
        data_dir=data_dir,
        database_url=database_url,
        nats_url=nats_url,
        commission_database_url=commission_database_url,
        secret_key=secret,
        allowed_hosts=hosts,
        session_idle_minutes=idle,
        screening_processes=processes,
        web_preload=web_preload,
        network_keep_days=keep,
        relay_max_bytes=stream_bytes["NCBNET_RELAY_MAX_BYTES"],
        inbox_max_bytes=stream_bytes["NCBNET_INBOX_MAX_BYTES"],
        snapshot_chunk_rows=chunk_rows,
        public_api_per_minute=public_rate,
        cache_url=cache_url,
        key_passphrase=env.get("NCBNET_KEY_PASSPHRASE") or None,
        nats_seed=_nats_seed(env, data_dir),
        trusted_proxies=trusted_proxies,
    )


def _commission_database_url(
    env: Mapping[str, str], data_dir: Path, database_url: str, mode: str, role: str, problems: list[str]
) -> str:
    """The Commission's own database (its requests, files and journal, never the police data):
    COMMISSION_DATABASE_URL; unset, a SQLite file beside the node's when the node's is SQLite, or
    on the node's PostgreSQL server a database of the node's name with `_commission` appended
    (outside production only: a production hub names it, since keeping it apart is a decision)."""
    given = env.get("COMMISSION_DATABASE_URL", "").strip()
    if not given:
        try:
            node_db = dj_database_url.parse(database_url)
        except (ValueError, KeyError):
            return f"sqlite:///{data_dir / 'commission.sqlite3'}"  # DATABASE_URL's problem is named
        if node_db.get("ENGINE") != "django.db.backends.postgresql":
            return f"sqlite:///{data_dir / 'commission.sqlite3'}"
        if mode == "production" and role == "hub":
            problems.append(
                "COMMISSION_DATABASE_URL is required on a hub whose DATABASE_URL is PostgreSQL "
                "(the Commission's own database: postgres://user@host:port/name)"
            )
            return ""
        parts = urlsplit(database_url)
        name = parts.path.lstrip("/") or "ncbnet"
        return parts._replace(path=f"/{name}_commission").geturl()
    try:
        parsed = dj_database_url.parse(given)
        if not parsed.get("ENGINE"):
            raise ValueError
    except (ValueError, KeyError):
        problems.append(
            "COMMISSION_DATABASE_URL is not a database URL (postgres://user@host:port/name or sqlite:///path)"
        )
        return ""
    if given == database_url:
        problems.append("COMMISSION_DATABASE_URL must name a database of its own, not DATABASE_URL's")
    return given


def _trusted_proxies(
    raw: str, problems: list[str]
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDR blocks; a block with host bits set (10.0.0.1/8) is refused
    as a likely typing mistake rather than widened silently."""
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError:
            problems.append(
                f"NCBNET_TRUSTED_PROXIES: {item!r} is not an IP address or a CIDR block (10.0.0.0/8)"
            )
    return tuple(networks)


def _nats_seed(env: Mapping[str, str], data_dir: Path) -> Path | None:
    """The node's NATS nkey seed: NCBNET_NATS_SEED, or `nats.nk` in the data directory if present."""
    if env.get("NCBNET_NATS_SEED"):
        return Path(env["NCBNET_NATS_SEED"])
    default = data_dir / "nats.nk"
    return default if default.exists() else None
