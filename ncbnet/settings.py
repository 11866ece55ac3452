"""Django settings for one ncbnet node; everything node-specific comes from ncbnet.config."""

from __future__ import annotations

from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ncbnet import config

try:
    NODE = config.load()
except config.ConfigError as exc:
    raise ImproperlyConfigured(
        "ncbnet configuration is invalid:\n  - " + "\n  - ".join(exc.problems)
    ) from exc

BASE_DIR = config.PACKAGE_DIR
NCBNET_ROLE = NODE.role
NCBNET_COUNTRY = NODE.country
NCBNET_MODE = NODE.mode
DATA_DIR = NODE.data_dir

SECRET_KEY = NODE.secret_key
DEBUG = False
ALLOWED_HOSTS = NODE.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "ncbnet.core",
    "ncbnet.security",
    "ncbnet.audit",
    "ncbnet.network",
    "ncbnet.messaging",
    "ncbnet.records",
    "ncbnet.notices",
    "ncbnet.holdings",  # after records and notices, whose holdings it reads
    "ncbnet.screening",
    "ncbnet.hits",
    "ncbnet.cooperation",
    "ncbnet.analytics",
    "ncbnet.training",
    "ncbnet.conference",
    "ncbnet.public",
    "ncbnet.commission",
    "ncbnet.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the session, CSRF and locale middleware: the public notices API reads no cookie and
    # answers with none (public.middleware).
    "ncbnet.public.middleware.PublicApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ncbnet.security.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads a form's body: a body beyond the page's limit is refused
    # before it is read (base.uploads).
    "ncbnet.base.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ncbnet.security.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ncbnet.security.middleware.PolicyMiddleware",
]

ROOT_URLCONF = "ncbnet.urls"
WSGI_APPLICATION = "ncbnet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ncbnet.web.context.node",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    """One database's settings from its URL, tuned for its engine."""
    _db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["OPTIONS"] = {
            # Writers queue instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # The write-ahead log is copied back into the database by the network worker every few
            # seconds (network.storage), not by whichever request happens to pass 1,000 pages (SQLite's
            # default), which made that request the slowest 1%; past 10,000 pages a writer still does.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;"
            ),
        }
    else:
        # No JIT compilation: it pays for long analytical queries, and cost a screening half a second
        # to compile a plan that then ran in a quarter of that (a manifest chunk's batch of names,
        # `screening.index.candidates_many`, whose estimate passes `jit_above_cost`).
        _options = _db.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
    return _db


DATABASES = {
    "default": _database(NODE.database_url),
    # The Commission for the Control of Files: its own database (commission.router sends its
    # tables there and nothing else).
    "commission": _database(NODE.commission_database_url),
}
DATABASE_ROUTERS = ["ncbnet.commission.router.CommissionRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "security:login"
LOGIN_REDIRECT_URL = "web:home"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lock-out: this many failed password or second-factor attempts within the window lock the account.
NCBNET_LOCKOUT_ATTEMPTS = 5
NCBNET_LOCKOUT_MINUTES = 15
# Lasting lock-out, lifted only by an administrator (security.services): this many failures since
# the last sign-in, or this many wrong second-factor codes since the password was last set.
NCBNET_LOCKOUT_HARD_ATTEMPTS = 20
NCBNET_LOCKOUT_CODE_ATTEMPTS = 10
# Anonymous failures (passwords, bearer tokens) from one address within the period block it for
# as long, before any hash or audit entry (security.throttle).
NCBNET_THROTTLE_FAILURES = 30
NCBNET_THROTTLE_MINUTES = 10
# Reverse proxies whose X-Forwarded-For names the client (base.http.client_ip).
NCBNET_TRUSTED_PROXIES = NODE.trusted_proxies
# Processes screening a manifest's chunks side by side (screening.manifests.processes).
NCBNET_SCREENING_PROCESSES = NODE.screening_processes
NCBNET_WEB_PRELOAD = NODE.web_preload
NCBNET_NETWORK_KEEP_DAYS = NODE.network_keep_days
# The hub's public notices API (public.notices_api): requests a minute from one client address,
# counted in the "public_api" cache, and its answers kept in "public_answers" until the public data
# change. Both are bounded and per web process, unless NCBNET_CACHE_URL names a Redis server that
# every process (and every server of the hub) shares: then the limit holds across them.
NCBNET_PUBLIC_API_PER_MINUTE = NODE.public_api_per_minute


def _shared(local: dict[str, Any], prefix: str) -> dict[str, Any]:
    if not NODE.cache_url:
        return local
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": NODE.cache_url,
        "KEY_PREFIX": f"ncbnet:{NODE.node_id}:{prefix}",
    }


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ncbnet"},
    "public_api": _shared(
        {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ncbnet-public-api",
            "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 4},
        },
        "rate",
    ),
    # Its answers, until the public data change (at most 160 notices a page: about 60 KB each).
    "public_answers": _shared(
        {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ncbnet-public-answers",
            "OPTIONS": {"MAX_ENTRIES": 2000, "CULL_FREQUENCY": 4},
        },
        "answers",
    ),
}

AUTHENTICATION_BACKENDS = ["ncbnet.security.backends.UserBackend"]  # ModelBackend, the user read faster

# Idle expiry: use pushes the expiry forward (written at most once a minute,
# security.middleware.IdleSessionMiddleware); background polls do not; an idle session dies.
SESSION_ENGINE = "ncbnet.security.sessions"  # database sessions expiring on the node's clock
SESSION_COOKIE_AGE = NODE.session_idle_minutes * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Each node on localhost gets cookies of its own name, so demo nodes on one host don't clash.
SESSION_COOKIE_NAME = f"ncbnet_{NODE.node_id.lower()}_session"
CSRF_COOKIE_NAME = f"ncbnet_{NODE.node_id.lower()}_csrf"
LANGUAGE_COOKIE_NAME = "ncbnet_language"

if NODE.production:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# Request bodies: each page and API operation reads at most its own limit (base.uploads: 1 MB
# and no file unless it declares more); these are the outer bounds. Messages carry up to 50 MB
# of attachments, which through the JSON API arrive base64-encoded: the largest body read whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = 72 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 50
# Files arrive through BoundedUploadHandler, which counts them against the limit as they stream;
# up to this size a file is kept in memory, beyond it in a temporary file.
FILE_UPLOAD_HANDLERS = [
    "ncbnet.base.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"ncbnet": {"level": "INFO"}},
}

# Used in templates and messages; not a secret.
NCBNET_NODE_NAME = _("General Secretariat") if NODE.role == "hub" else NODE.country
