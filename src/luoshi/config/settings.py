"""Luoshi settings: one base module, switched by environment variables (see ``env.py``).

With no environment at all this is the embedded demo: SQLite in WAL mode under ``LUOSHI_DATA_DIR``.
``LUOSHI_PROFILE=production`` turns on everything ``manage.py check --deploy`` asks for.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

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
    "luoshi.core",
    "luoshi.organizations",
    "luoshi.audit",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "luoshi.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "luoshi.core.middleware.IdleTimeoutMiddleware",
    "luoshi.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "luoshi.core.middleware.LoginRequiredMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# The cookie outlives the idle timeout: IdleTimeoutMiddleware ends idle sessions on the server side.
SESSION_COOKIE_AGE = env_int("LUOSHI_SESSION_MAX_HOURS", 12) * 3600
LUOSHI_IDLE_TIMEOUT = timedelta(minutes=env_int("LUOSHI_IDLE_TIMEOUT_MINUTES", 30))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Authentication -------------------------------------------------------------------------------
AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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

# --- Audit trail ----------------------------------------------------------------------------------
LUOSHI_AUDIT_HASH = env_str("LUOSHI_AUDIT_HASH", "sha256")
if LUOSHI_AUDIT_HASH not in {"sha256", "sm3"}:
    raise ConfigError(f"LUOSHI_AUDIT_HASH must be sha256 or sm3, not {LUOSHI_AUDIT_HASH!r}")
# The checkpoint signing key lives outside the database: in the environment, or a file.
LUOSHI_AUDIT_KEY_FILE = Path(env_str("LUOSHI_AUDIT_KEY_FILE", str(DATA_DIR / "audit_checkpoint.key")))
# When set, the key itself (at least 32 characters) replaces the file, e.g. from a secrets manager.
LUOSHI_AUDIT_KEY = env_str("LUOSHI_AUDIT_KEY")

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

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "luoshi.core.logging.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
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
