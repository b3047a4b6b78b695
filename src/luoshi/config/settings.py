"""Luoshi settings: one base module, switched by environment variables (see ``env.py``).

With no environment at all this is the embedded demo: SQLite in WAL mode under ``LUOSHI_DATA_DIR``.
``LUOSHI_PROFILE=production`` turns on everything ``manage.py check --deploy`` asks for.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from luoshi.config.env import ConfigError, data_dir, env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()
PROFILE = env_str("LUOSHI_PROFILE", "demo")
if PROFILE not in {"demo", "production", "test"}:
    raise ConfigError(f"LUOSHI_PROFILE must be demo, production or test, not {PROFILE!r}")
PRODUCTION = PROFILE == "production"


def _secret_key() -> str:
    """Production must set SECRET_KEY; the demo keeps a generated one in its data directory."""
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    if PRODUCTION:
        raise ConfigError("SECRET_KEY must be set in the production profile")
    key_file = DATA_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Listed so that the API's Swagger page uses the copies of swagger-ui shipped in the package (no CDN).
    "ninja",
    "axes",
    "django_otp",
    "luoshi.core",
    "luoshi.organizations",
    "luoshi.accounts",
    "luoshi.audit",
    "luoshi.duties",
    "luoshi.directives",
    "luoshi.tasks",
    "luoshi.search",
    # Summary tables of tasks and reports kept by triggers, read by the cockpit.
    "luoshi.summaries",
    "luoshi.evidence",
    "luoshi.notifications",
    "luoshi.indicators",
    "luoshi.lookbacks",
    "luoshi.supervision",
    # Evaluation (scores, league tables) and reports (bulletins).
    "luoshi.evaluation",
    "luoshi.reports",
    # Drafting help (clauses proposed from a directive's text).
    "luoshi.drafting",
    "luoshi.api",
    "luoshi.web",
    "luoshi.demo",
    # The benchmark command (`luoshi bench`); no models.
    "luoshi.bench",
    # Operations: health checks, access log, `luoshi backup` and `luoshi restore`; no models.
    "luoshi.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "luoshi.core.middleware.RequestIdMiddleware",
    "luoshi.ops.middleware.AccessLogMiddleware",
    "luoshi.core.dbdown.DatabaseDownMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "luoshi.accounts.middleware.SessionLifetimeMiddleware",
    "luoshi.core.middleware.UserLanguageMiddleware",
    "luoshi.core.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "luoshi.core.middleware.LoginRequiredMiddleware",
    "luoshi.accounts.middleware.SecondStepMiddleware",
    # Axes last, as its documentation asks, so that it sees the final authentication outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "luoshi.config.urls"
WSGI_APPLICATION = "luoshi.config.wsgi.application"
ASGI_APPLICATION = "luoshi.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "luoshi.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("LUOSHI_DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "luoshi.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN
                # so that two writers queue instead of failing half-way with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
# Luoshi's set-based SQL (roll-up, sweep, search) is written for these two; refuse any other at start-up
# rather than half-way through a request.
SUPPORTED_DATABASE_ENGINES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")
if DATABASES["default"]["ENGINE"] not in SUPPORTED_DATABASE_ENGINES:
    raise ConfigError(
        f"Luoshi runs on PostgreSQL (production) or SQLite (the embedded default); DATABASE_URL names "
        f"{DATABASES['default']['ENGINE']}."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The cookie outlives the idle timeout; SessionLifetimeMiddleware ends idle sessions, and sessions older
# than SESSION_COOKIE_AGE however busy, on the server side.
SESSION_COOKIE_AGE = env_int("LUOSHI_SESSION_MAX_HOURS", 12) * 3600
LUOSHI_IDLE_TIMEOUT = timedelta(minutes=env_int("LUOSHI_IDLE_TIMEOUT_MINUTES", 30))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Authentication -------------------------------------------------------------------------------
AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "luoshi.accounts.backends.AccountBackend",
]
# The rules themselves follow LUOSHI_PASSWORD (see "Accounts" below); the validators read it on each call.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "luoshi.accounts.validators.PolicyLengthValidator"},
    {"NAME": "luoshi.accounts.validators.CharacterClassesValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.CommonPasswordValidator",
        # A longer list of leaked passwords (one a line, optionally gzipped) can replace Django's 20,000.
        **(
            {"OPTIONS": {"password_list_path": env_str("LUOSHI_PASSWORD_COMMON_FILE")}}
            if env_str("LUOSHI_PASSWORD_COMMON_FILE")
            else {}
        ),
    },
    {"NAME": "luoshi.accounts.validators.PasswordHistoryValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Lockout: the same number of failures locks a name whether or not such a user exists.
AXES_FAILURE_LIMIT = env_int("LUOSHI_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LUOSHI_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by address too would lock out a whole bureau behind one intranet NAT address; the per-name
# lockout plus request rate limits guard against guessing instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "luoshi.web.views.auth.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# --- Accounts: second factor, password policy (luoshi.accounts) -----------------------------------
# "required": every account passes a second factor (TOTP or a recovery code) before it reaches anything;
# "optional": only people who enrolled one. Production requires it; the demo and the tests leave it to
# each person, so the demo accounts sign in with the published password alone.
LUOSHI_TWO_FACTOR = env_str("LUOSHI_TWO_FACTOR", "required" if PRODUCTION else "optional")
if LUOSHI_TWO_FACTOR not in {"required", "optional"}:
    raise ConfigError(f"LUOSHI_TWO_FACTOR must be required or optional, not {LUOSHI_TWO_FACTOR!r}")
# The name authenticator apps show next to the code.
LUOSHI_TOTP_ISSUER = env_str("LUOSHI_TOTP_ISSUER", "Luoshi")
# After n wrong codes in a row the next attempt waits factor * 2^(n-1) seconds (django-otp's back-off).
OTP_TOTP_THROTTLE_FACTOR = env_int("LUOSHI_TOTP_THROTTLE_FACTOR", 1)
LUOSHI_RECOVERY_CODES = env_int("LUOSHI_RECOVERY_CODES", 10)
# GB/T 22239-2019 level 3 asks for composition rules and periodic change; OWASP ASVS 5.0 advises
# against both. "level3" (the default) or "asvs" picks a set; each knob can still be set on its own.
LUOSHI_PASSWORD_POLICY = env_str("LUOSHI_PASSWORD_POLICY", "level3")
_PASSWORD_POLICIES = {
    "level3": {"min_length": 8, "min_classes": 3, "max_age_days": 90, "history": 5},
    "asvs": {"min_length": 12, "min_classes": 0, "max_age_days": 0, "history": 0},
}
if LUOSHI_PASSWORD_POLICY not in _PASSWORD_POLICIES:
    raise ConfigError(f"LUOSHI_PASSWORD_POLICY must be level3 or asvs, not {LUOSHI_PASSWORD_POLICY!r}")
_password_defaults = _PASSWORD_POLICIES[LUOSHI_PASSWORD_POLICY]
LUOSHI_PASSWORD = {
    "min_length": env_int("LUOSHI_PASSWORD_MIN_LENGTH", _password_defaults["min_length"]),
    "max_length": env_int("LUOSHI_PASSWORD_MAX_LENGTH", 128),
    # Of four classes: lower case, upper case, digits, other characters (0: no composition rule).
    "min_classes": env_int("LUOSHI_PASSWORD_MIN_CLASSES", _password_defaults["min_classes"]),
    # Days before a password must be changed at the next sign-in (0: never).
    "max_age_days": env_int("LUOSHI_PASSWORD_MAX_AGE_DAYS", _password_defaults["max_age_days"]),
    # How many previous passwords (the current one included) may not be chosen again (0: no rule).
    "history": env_int("LUOSHI_PASSWORD_HISTORY", _password_defaults["history"]),
    # A password someone else set (a new account's, or an administrator's reset) is changed by its owner
    # at the next sign-in. Off in the demo, whose personas share a published password.
    "change_after_reset": env_bool("LUOSHI_PASSWORD_CHANGE_AFTER_RESET", default=PRODUCTION),
}

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LUOSHI_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("LUOSHI_STATIC_ROOT", str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Evidence files (luoshi.evidence.storage): MEDIA_ROOT/evidence by default; swap for object storage here.
    "evidence": {"BACKEND": "luoshi.evidence.storage.EvidenceStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# The demo serves static files straight from the installed packages, so nothing needs collecting.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("LUOSHI_MEDIA_ROOT", str(DATA_DIR / "files")))
# Uploaded files are never served as static media: downloads go through a view that checks access.
MEDIA_URL = "/files/"

# --- Evidence files -------------------------------------------------------------------------------
LUOSHI_EVIDENCE_MAX_BYTES = env_int("LUOSHI_EVIDENCE_MAX_MB", 20) * 1024 * 1024
# Files per upload (one report or completion request, or one call of the service).
LUOSHI_EVIDENCE_MAX_FILES = env_int("LUOSHI_EVIDENCE_MAX_FILES", 10)
# Office documents are zip archives; these limits refuse archive bombs (luoshi.evidence.filetypes).
LUOSHI_EVIDENCE_ZIP_MAX_ENTRIES = env_int("LUOSHI_EVIDENCE_ZIP_MAX_ENTRIES", 2000)
LUOSHI_EVIDENCE_ZIP_MAX_BYTES = env_int("LUOSHI_EVIDENCE_ZIP_MAX_MB", 200) * 1024 * 1024
LUOSHI_EVIDENCE_ZIP_MAX_RATIO = env_int("LUOSHI_EVIDENCE_ZIP_MAX_RATIO", 100)

# --- Scale-out: read replica, shared evidence store, database outages (docs/deployment.md) -----------
# An optional streaming replica of the primary, read only by dashboards and exports through
# luoshi.config.routers.replica_reads(); everything else, and every write, uses the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        raise ConfigError("DATABASE_REPLICA_URL needs DATABASE_URL: the embedded SQLite has no replica")
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("LUOSHI_DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # Test runs read the replica alias from the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["luoshi.config.routers.ReplicaRouter"]
# While PostgreSQL is down or unreachable, a request gives up connecting after this many seconds and is
# answered 503 (luoshi.core.dbdown) instead of holding a server thread.
for _database in DATABASES.values():
    if "postgresql" in _database["ENGINE"]:
        _database.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("LUOSHI_DB_CONNECT_TIMEOUT", 3)
        )
# The Retry-After of those 503 answers, in seconds.
LUOSHI_DB_RETRY_AFTER = env_int("LUOSHI_DB_RETRY_AFTER_SECONDS", 5)
# Where evidence files live: "filesystem" (LUOSHI_MEDIA_ROOT/evidence, a directory every web machine
# mounts when there are several) or "s3" (an S3-compatible object store through django-storages).
LUOSHI_STORAGE = env_str("LUOSHI_STORAGE", "filesystem")
if LUOSHI_STORAGE not in {"filesystem", "s3"}:
    raise ConfigError(f"LUOSHI_STORAGE must be filesystem or s3, not {LUOSHI_STORAGE!r}")
if LUOSHI_STORAGE == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ConfigError("LUOSHI_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    _s3_options = {
        "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
        # e.g. https://minio.intranet.example:9000; empty means Amazon S3 itself.
        "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
        "region_name": env_str("AWS_S3_REGION_NAME"),
        "access_key": env_str("AWS_ACCESS_KEY_ID"),
        "secret_key": env_str("AWS_SECRET_ACCESS_KEY"),
        # "path" for most self-hosted stores (MinIO, Ceph), which have no per-bucket host names.
        "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE"),
        # A CA bundle for a store with a certificate of the data centre's own authority.
        "verify": env_str("AWS_CA_BUNDLE"),
        # Keys start with this prefix, so that the bucket may hold other things too.
        "location": env_str("LUOSHI_S3_PREFIX", "evidence"),
    }
    _s3_storage: dict[str, Any] = {
        "BACKEND": "luoshi.evidence.storage_s3.S3EvidenceStorage",
        # Unset values are left out, so that django-storages and boto3 use their own defaults (e.g. the
        # credentials of an instance role).
        "OPTIONS": {name: value for name, value in _s3_options.items() if value or name == "location"},
    }
    STORAGES["evidence"] = _s3_storage

# --- Audit trail ----------------------------------------------------------------------------------
LUOSHI_AUDIT_HASH = env_str("LUOSHI_AUDIT_HASH", "sha256")
if LUOSHI_AUDIT_HASH not in {"sha256", "sm3"}:
    raise ConfigError(f"LUOSHI_AUDIT_HASH must be sha256 or sm3, not {LUOSHI_AUDIT_HASH!r}")
# The checkpoint signing key lives outside the database: in the environment, or a file.
LUOSHI_AUDIT_KEY_FILE = Path(env_str("LUOSHI_AUDIT_KEY_FILE", str(DATA_DIR / "audit_checkpoint.key")))
# When set, the key itself (at least 32 characters) replaces the file, e.g. from a secrets manager.
LUOSHI_AUDIT_KEY = env_str("LUOSHI_AUDIT_KEY")
# How long audit events are kept before `luoshi audit purge` deletes them. The Cybersecurity Law (art. 21)
# asks for six months at least, so shorter is refused here and again by the purge (luoshi.audit.retention).
LUOSHI_AUDIT_RETENTION_DAYS = env_int("LUOSHI_AUDIT_RETENTION_DAYS", 365)
if LUOSHI_AUDIT_RETENTION_DAYS < 185:
    raise ConfigError(
        f"LUOSHI_AUDIT_RETENTION_DAYS is {LUOSHI_AUDIT_RETENTION_DAYS}: audit events must be kept at least "
        "185 days (six months). Set it to 185 or more."
    )
# Where the purge writes the checkpoint it signs at each cut; keep a copy away from the database server.
LUOSHI_AUDIT_CHECKPOINT_DIR = Path(
    env_str("LUOSHI_AUDIT_CHECKPOINT_DIR", str(DATA_DIR / "audit_checkpoints"))
)

# --- Sensitive fields (luoshi.core.crypto) --------------------------------------------------------
# Keys that encrypt phone and ID numbers, webhook secrets and second-factor seeds: never in the database.
# "id1:base64key,id2:base64key", the first encrypts and all decrypt (rotation: see docs/security.md).
LUOSHI_FIELD_KEYS = env_str("LUOSHI_FIELD_KEYS")
# Read when LUOSHI_FIELD_KEYS is empty: the same entries one a line. The demo and test profiles create it
# (mode 0600) on first use; production requires one of the two and refuses to start without.
LUOSHI_FIELD_KEY_FILE = Path(env_str("LUOSHI_FIELD_KEY_FILE", str(DATA_DIR / "field_keys")))
# aes-gcm (AES-256-GCM) or sm4 (SM4-GCM, or SM4-CBC with HMAC-SM3 where OpenSSL lacks SM4-GCM).
LUOSHI_FIELD_CIPHER = env_str("LUOSHI_FIELD_CIPHER", "aes-gcm")
if LUOSHI_FIELD_CIPHER not in {"aes-gcm", "sm4"}:
    raise ConfigError(f"LUOSHI_FIELD_CIPHER must be aes-gcm or sm4, not {LUOSHI_FIELD_CIPHER!r}")

# --- Tasks: deadlines, lights, working days -----------------------------------------------------
# The date lights and deadlines are judged against; empty means today (benchmarks freeze it, FORMAT.md).
LUOSHI_TODAY = env_str("LUOSHI_TODAY")
# Light thresholds (DESIGN §4; defaults from the glossary). "order" ranks lights from worst to best: a
# parent shows the worst of its children.
LUOSHI_LIGHTS = {
    "yellow_behind": env_int("LUOSHI_LIGHT_YELLOW_BEHIND", 10),
    "red_behind": env_int("LUOSHI_LIGHT_RED_BEHIND", 30),
    "blue_working_days": env_int("LUOSHI_LIGHT_BLUE_WORKING_DAYS", 3),
    "red_rejections": env_int("LUOSHI_LIGHT_RED_REJECTIONS", 2),
    "red_no_start_days": env_int("LUOSHI_LIGHT_RED_NO_START_DAYS", 90),
    "order": ["red", "yellow", "blue", "green", "closed"],
}
LUOSHI_TASKS = {
    "acknowledge_working_days": env_int("LUOSHI_ACKNOWLEDGE_WORKING_DAYS", 3),
    "public_notice_working_days": env_int("LUOSHI_PUBLIC_NOTICE_WORKING_DAYS", 5),
    # Monthly and quarterly reports are due by this day of the following month.
    "monthly_report_day": env_int("LUOSHI_MONTHLY_REPORT_DAY", 5),
    "quarterly_report_day": env_int("LUOSHI_QUARTERLY_REPORT_DAY", 5),
}
# --- Indicators (luoshi.indicators) -----------------------------------------------------------
# Barometer tolerances, per cent: red (level 1) when the value is worse than the baseline by more than
# worsened_tolerance; yellow (level 2) when behind the schedule to the target by more than behind_tolerance.
LUOSHI_INDICATORS = {
    "behind_tolerance": env_int("LUOSHI_INDICATOR_BEHIND_TOLERANCE", 2),
    "worsened_tolerance": env_int("LUOSHI_INDICATOR_WORSENED_TOLERANCE", 0),
}
# --- Look-backs (luoshi.lookbacks) ----------------------------------------------------------
# Closed rectifications get a look-back this many working days after closing (0: none by rule); other
# closed tasks only by hand or by a random sample (sample_percent of each unit's closed tasks).
LUOSHI_LOOKBACKS = {
    "working_days_after_closing": env_int("LUOSHI_LOOKBACK_WORKING_DAYS", 60),
    "sample_percent": env_int("LUOSHI_LOOKBACK_SAMPLE_PERCENT", 10),
}
# --- Supervision (luoshi.supervision): the daily sweep ----------------------------------------
# Reports are announced this many working days before they fall due; completion requests wait at most
# review_working_days for their verification before the deciders are reminded.
LUOSHI_SUPERVISION = {
    "report_due_working_days": env_int("LUOSHI_REPORT_DUE_NOTICE_WORKING_DAYS", 2),
    "review_working_days": env_int("LUOSHI_REVIEW_WORKING_DAYS", 5),
}
# Holidays of years the chinesecalendar package does not know yet (see luoshi.core.workdays).
LUOSHI_CALENDAR_FILE = env_str("LUOSHI_CALENDAR_FILE")
LUOSHI_EXTRA_HOLIDAYS: dict[str, dict[str, list[str]]] = {}

# --- Notifications and background work (luoshi.notifications, luoshi.config.celery) ---------------
LUOSHI_NOTIFICATIONS = {
    # Attempts per delivery before it is marked failed (an administrator can retry it by hand).
    "max_attempts": env_int("LUOSHI_NOTIFY_MAX_ATTEMPTS", 6),
    # Wait before the first retry; it doubles with each further attempt, up to backoff_max_seconds.
    "backoff_seconds": env_int("LUOSHI_NOTIFY_BACKOFF_SECONDS", 30),
    "backoff_max_seconds": env_int("LUOSHI_NOTIFY_BACKOFF_MAX_SECONDS", 3600),
    # How long a claimed delivery stays with its worker; if the worker dies, another takes it after this.
    "lease_seconds": env_int("LUOSHI_NOTIFY_LEASE_SECONDS", 120),
    "timeout_seconds": env_int("LUOSHI_NOTIFY_TIMEOUT_SECONDS", 10),
    # How often workers (and the demo's scheduler) deliver what is due.
    "interval_seconds": env_int("LUOSHI_NOTIFY_INTERVAL_SECONDS", 5),
    # Local hour of the daily supervision sweep.
    "sweep_hour": env_int("LUOSHI_SWEEP_HOUR", 1),
}
# Hosts that outgoing webhooks may reach. Deployments add their robots' hosts, e.g.
# LUOSHI_WEBHOOK_ALLOWLIST=oapi.dingtalk.com,qyapi.weixin.qq.com,hooks.intranet.example
LUOSHI_WEBHOOK_ALLOWLIST = env_list("LUOSHI_WEBHOOK_ALLOWLIST", ["127.0.0.1", "localhost", "::1"])
# The address people open Luoshi at, for links in emails and robot messages.
LUOSHI_BASE_URL = env_str("LUOSHI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "luoshi@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "redis://127.0.0.1:6379/0")
CELERY_TIMEZONE = TIME_ZONE

# --- Security -------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "luoshi.web.views.errors.csrf_failure"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("LUOSHI_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("LUOSHI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /health is asked over plain HTTP by load balancers inside the data centre.
    SECURE_REDIRECT_EXEMPT = [r"^health$"]

# Content-Security-Policy (django-csp): the pages load script and style from this origin only, with no
# inline script, handler or style attribute anywhere (tests/hardening checks the templates render so).
# Images may be data: URLs (the favicon and server-drawn charts); nothing may frame the pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
# Requests that cost a lot or guess secrets are counted in the shared cache (luoshi.core.ratelimit):
# each rule names URL names ("web:login", "api:search") or path prefixes ("/api/v1/search"), the methods
# counted, whom to count (django-ratelimit keys: "ip", "user_or_ip", or a dotted function) and the rate
# ("20/10m": 20 per ten minutes). Over the limit the answer is 429 with Retry-After.
LUOSHI_RATE_LIMITS_ENABLED = env_bool("LUOSHI_RATE_LIMITS", default=True)
LUOSHI_RATE_LIMITS = [
    # Guessing passwords: failed sign-ins (the page's and the API token's) per name, above the lockout
    # of django-axes at AXES_FAILURE_LIMIT failures, and per address. Successful sign-ins (302 from the
    # page, 201 from the API) do not count, so a bureau behind one NAT address signs in freely.
    {
        "group": "login-username",
        "match": ["web:login", "api:create_token"],
        "methods": ["POST"],
        "key": "luoshi.core.ratelimit.username_key",
        "rate": env_str("LUOSHI_RATE_LOGIN_USERNAME", "20/10m"),
        "successes": [201, 302],
    },
    {
        "group": "login-ip",
        "match": ["web:login", "api:create_token"],
        "methods": ["POST"],
        "key": "ip",
        "rate": env_str("LUOSHI_RATE_LOGIN_IP", "100/10m"),
        "successes": [201, 302],
    },
    # API tokens are for scripts, created rarely.
    {
        "group": "api-token",
        "match": ["api:create_token"],
        "methods": ["POST"],
        "key": "ip",
        "rate": env_str("LUOSHI_RATE_API_TOKEN", "30/h"),
    },
    # Every generated .xlsx, .docx and .pdf: each one builds a whole document on the server.
    {
        "group": "export",
        "match": [
            "web:ledger_export",
            "web:rectification_export",
            "web:bulletin_download",
            "web:organization_import_template",
            "api:download_bulletin",
        ],
        "methods": ["GET", "HEAD"],
        "key": "user_or_ip",
        "rate": env_str("LUOSHI_RATE_EXPORT", "30/5m"),
    },
    # Evidence files: generous for browsing task pages, a brake on copying a whole store out.
    {
        "group": "evidence-download",
        "match": ["evidence:download", "api:download_evidence"],
        "methods": ["GET", "HEAD"],
        "key": "user_or_ip",
        "rate": env_str("LUOSHI_RATE_EVIDENCE", "300/5m"),
    },
    {
        "group": "search",
        "match": ["web:search", "api:search"],
        "methods": ["GET"],
        "key": "user_or_ip",
        "rate": env_str("LUOSHI_RATE_SEARCH", "60/m"),
    },
]
# Counts live in the default cache: Redis in production, shared by every web process.
RATELIMIT_USE_CACHE = "default"
# A cache that cannot count lets requests through (logged) rather than refusing everyone; the sign-in
# lockout lives in the database and still applies.
RATELIMIT_FAIL_OPEN = True
# The client's address: REMOTE_ADDR, or, behind a reverse proxy, the header it sets (as a META key,
# e.g. LUOSHI_CLIENT_IP_HEADER=HTTP_X_REAL_IP). Only trust a header that the proxy always overwrites.
LUOSHI_CLIENT_IP_HEADER = env_str("LUOSHI_CLIENT_IP_HEADER")
RATELIMIT_IP_META_KEY = "luoshi.core.ratelimit.client_ip"
# A Django request refuses more files than this (400) before any is written to a temporary file; the
# evidence service's own limit (LUOSHI_EVIDENCE_MAX_FILES) gives the friendlier message below it.
DATA_UPLOAD_MAX_NUMBER_FILES = max(2 * LUOSHI_EVIDENCE_MAX_FILES, 20)

# --- Operations: health checks, logs, backups (docs/operations.md) ---------------------------------
# Each health check gives up after this long, so /health answers in about a second whatever is down.
LUOSHI_HEALTH_TIMEOUT_MS = env_int("LUOSHI_HEALTH_TIMEOUT_MS", 400)
# The disk check fails when a directory the application writes has less free space than this.
LUOSHI_HEALTH_MIN_FREE_MB = env_int("LUOSHI_HEALTH_MIN_FREE_MB", 512)
# "auto": check the broker in production, and elsewhere only when CELERY_BROKER_URL or REDIS_URL is set
# (the demo runs its jobs in-process, without a broker); "required": always; "off": never.
LUOSHI_HEALTH_BROKER = env_str("LUOSHI_HEALTH_BROKER", "auto")
if LUOSHI_HEALTH_BROKER not in {"auto", "required", "off"}:
    raise ConfigError(f"LUOSHI_HEALTH_BROKER must be auto, required or off, not {LUOSHI_HEALTH_BROKER!r}")
LUOSHI_BROKER_CONFIGURED = PRODUCTION or bool(env_str("CELERY_BROKER_URL") or REDIS_URL)
# Where pg_dump and pg_restore are (`luoshi backup`/`restore` on PostgreSQL); empty: found on PATH.
LUOSHI_PG_BINDIR = env_str("LUOSHI_PG_BINDIR")

# --- Logging --------------------------------------------------------------------------------------
# "json": one JSON object a line for a log collector; "plain": lines for people reading a terminal.
LUOSHI_LOG_FORMAT = env_str("LUOSHI_LOG_FORMAT", "json" if PRODUCTION else "plain")
if LUOSHI_LOG_FORMAT not in {"json", "plain"}:
    raise ConfigError(f"LUOSHI_LOG_FORMAT must be json or plain, not {LUOSHI_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "luoshi.core.logging.RequestLogFilter"},
        # Masks phone and ID numbers and secrets (luoshi.core.redaction); after "request", so that the
        # path it adds is masked too.
        "redact": {"()": "luoshi.core.redaction.RedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "luoshi.core.logging.JsonFormatter"},
    },
    "handlers": {
        # Filters on the handler (not a logger) see the records of every logger that propagates here.
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LUOSHI_LOG_FORMAT,
            "filters": ["request", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LUOSHI_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Luoshi ---------------------------------------------------------------------------------------
LUOSHI_PAGE_SIZE = env_int("LUOSHI_PAGE_SIZE", 50)
# Days an API token works after it is issued; 0 means until revoked.
LUOSHI_API_TOKEN_DAYS = env_int("LUOSHI_API_TOKEN_DAYS", 30)
LUOSHI_IMPORT_MAX_ROWS = env_int("LUOSHI_IMPORT_MAX_ROWS", 20000)
# Drafting help: the longest text analysed, the time one analysis may take (seconds), the largest
# .docx/.txt upload. Larger input is refused with a message rather than tying up a worker.
LUOSHI_DRAFTING_MAX_CHARS = env_int("LUOSHI_DRAFTING_MAX_CHARS", 200_000)
LUOSHI_DRAFTING_TIME_LIMIT = env_int("LUOSHI_DRAFTING_TIME_LIMIT", 10)
LUOSHI_DRAFTING_MAX_FILE_BYTES = env_int("LUOSHI_DRAFTING_MAX_FILE_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
