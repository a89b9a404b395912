"""Tandem's settings, read from the environment.

The embedded default (nothing set) is a development setup: DEBUG on, SQLite in the project folder,
Celery tasks run eagerly in the web process, e-mail printed to the console. Production sets DEBUG=0,
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL and the e-mail settings.
"""

import datetime
import hashlib
import os
import tempfile
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY: it has a development default only while DEBUG is on.")
    SECRET_KEY = "tandem-development-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_NAME = "Tandem"
# Where Tandem is reached; e-mails sent by background jobs (no request to ask) link here.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "guardian",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "partners",
    "network",
    "metrics",
    "goals",
    "equity",
    "scorecard",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.PermissionsPolicyMiddleware",
    "config.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "network.middleware.AddressValuesMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# A month's report form has a field per measure and category: three measures times the counties of the
# largest state (Texas: 254) is past Django's default of 1,000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Tandem's form templates (templates/django/forms/) render fields the U.S. Web Design System way.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "network.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'tandem.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take SQLite's one write lock when their transaction starts, and wait for it, so two
    # submissions of the same month queue up instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # Tests run on a file too (not SQLite's in-memory shared cache, which refuses a second writer at
    # once instead of queueing it), so concurrent submissions are tested as Tandem runs them.
    # One file per test run, so that two runs side by side do not share it.
    test_file = Path(tempfile.gettempdir()) / f"tandem-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME") or str(test_file)}
else:
    DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out client before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Tandem grants nothing to anonymous visitors, so guardian need not create its anonymous user.
ANONYMOUS_USER_NAME = None
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # At least 12 characters (OWASP ASVS 2.1.1); passwords set before keep working.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "network:home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in that resists guessing (django-axes): after LOGIN_FAILURE_LIMIT failed sign-ins for one
# account, or from one client address, within LOGIN_COOLOFF_SECONDS, signing in (the page, the admin and
# the API's token endpoint alike) is refused with a 429 until LOGIN_COOLOFF_SECONDS after the last try.
# Failures are counted in the database, so every web process sees them.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = datetime.timedelta(seconds=env_float("LOGIN_COOLOFF_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "accounts.clients.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.limits.lockout_response"
AXES_RESET_ON_SUCCESS = False  # one known password must not wipe a client's failures on other accounts
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # each failure kept for the admin, up to 1,000 an account
AXES_VERBOSE = False
# How many proxies in front of Tandem append to X-Forwarded-For. 0 trusts no header (a client could
# write any address in it); behind one proxy that sets it, 1.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Password reset e-mails: at most this many to one address, and requests from one client, a window.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 10)
PASSWORD_RESET_WINDOW_SECONDS = env_int("PASSWORD_RESET_WINDOW_SECONDS", 3600)
# API tokens work this many days; all of a user's end when their password changes.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
# An invitation to a role (the People page of a network) can be accepted this many days after it was sent.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)

# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after signing in
# (OWASP ASVS 3.3.2, NIST SP 800-63B at AAL2: 30 minutes idle, 12 hours in all).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# The shared cache, for what every web process must see (password reset limits, the dashboards' cached
# figures, `metrics.figure_cache`): Redis at CACHE_URL, else a table in the database (made by a
# migration).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tandem_cache"},
    # What the publication layer solved, by what it was given (`metrics.publication`): right in any
    # process, so without Redis each process keeps its own.
    "solved": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "solved",
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20_000}},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "config.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Uploaded files until they are read: in the database, where every web process and worker can
    # open them whatever machine it runs on (`metrics.storage`); or django-storages' backend for an
    # object store, e.g. storages.backends.s3.S3Storage with its AWS_* settings.
    "uploads": {"BACKEND": env_str("UPLOAD_STORAGE", "metrics.storage.DatabaseStorage")},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: JSON only, time limits on every task; no broker means eager, in-process execution.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Monthly reporting files (metrics.uploads): the largest file taken, the number of rows above which a
# file is read by a background job (with a progress bar) instead of in the request, and that job's
# soft and hard time limits in seconds.
REPORT_UPLOAD_MAX_BYTES = env_int("REPORT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
REPORT_UPLOAD_BACKGROUND_ROWS = env_int("REPORT_UPLOAD_BACKGROUND_ROWS", 2000)
REPORT_UPLOAD_SOFT_TIME_LIMIT = env_int("REPORT_UPLOAD_SOFT_TIME_LIMIT", 600)
REPORT_UPLOAD_TIME_LIMIT = env_int("REPORT_UPLOAD_TIME_LIMIT", 660)
# The most rows a file may have: counted before anything is read, so a larger file is refused at once
# (100,000 rows is 20 years of the template's months, or a DPRP file of some 4,000 participants' year).
REPORT_UPLOAD_MAX_ROWS = env_int("REPORT_UPLOAD_MAX_ROWS", 100_000)
# Bytes above which a file is read by the background job whatever its rows: the web request reads only
# small files.
REPORT_UPLOAD_BACKGROUND_BYTES = env_int("REPORT_UPLOAD_BACKGROUND_BYTES", 1024 * 1024)
# Seconds a queued or reading upload may show no sign of life (being queued, claimed, or its progress)
# before the sweep sends it to the background job again (once the reader has died twice, it is refused).
REPORT_UPLOAD_STALLED_SECONDS = env_int("REPORT_UPLOAD_STALLED_SECONDS", 180)
# Days a preview that was neither saved nor discarded is kept (a DPRP preview holds hashed sessions).
REPORT_UPLOAD_KEEP_DAYS = env_int("REPORT_UPLOAD_KEEP_DAYS", 7)
# The key of the one-way hash (HMAC-SHA256) kept instead of each DPRP participant ID. Changing it, or
# SECRET_KEY while this is unset, breaks de-duplication: every participant already stored looks new, so
# the next DPRP file would count them again. Set it once in production and never change it.
PARTICIPANT_HASH_KEY = (
    env_str("PARTICIPANT_HASH_KEY")
    or hashlib.sha256(f"tandem-participant-hash:{SECRET_KEY}".encode()).hexdigest()
)

# A message taken by a worker that dies before acknowledging it (killed, out of memory) goes back to
# the queue after this many seconds (Redis has no acknowledgements of its own). Longer than any task
# may run (the largest hard time limit), or a task still running would be handed out twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int(
        "CELERY_VISIBILITY_TIMEOUT", max(CELERY_TASK_TIME_LIMIT, REPORT_UPLOAD_TIME_LIMIT) + 240
    ),
}

CELERY_BEAT_SCHEDULE: dict = {
    # Close self-assessment rounds past their last day and remind partners that have not answered.
    "assessment-reminders": {
        "task": "network.tasks.send_assessment_reminders",
        "schedule": crontab(hour=7, minute=0),
        "kwargs": {"base_url": SITE_URL},
    },
    # Rebuild every rollup from the approved reports: repairs anything a lost message missed.
    "rollup-rebuild": {
        "task": "metrics.tasks.rollup_rebuild",
        "schedule": crontab(hour=2, minute=30),
    },
    # Run again, within minutes, the rollups whose message was lost (a broker down, a worker killed).
    # A sweep not started before the next one is due is dropped: the next one does its work.
    "rollup-sweep": {
        "task": "metrics.tasks.rollup_sweep",
        "schedule": datetime.timedelta(minutes=3),
        "options": {"expires": 170},
    },
    # E-mail partner staff about monthly reports due in three days, and about missing ones.
    "report-reminders": {
        "task": "metrics.tasks.send_report_reminders",
        "schedule": crontab(hour=7, minute=15),
        "kwargs": {"base_url": SITE_URL},
    },
    # Uploads: send again those whose message was lost (the broker was down) or whose reader died,
    # refuse those a worker never read within a day, discard previews not saved within
    # REPORT_UPLOAD_KEEP_DAYS, remove files no upload needs. A few indexed queries a minute.
    "upload-sweep": {
        "task": "metrics.tasks.upload_sweep",
        "schedule": 60.0,
    },
}

REST_FRAMEWORK = {
    # Token first, so a client without credentials gets 401 and a `WWW-Authenticate: Token` header
    # (with the session first DRF answers 403); the session serves the browsable API and the docs.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's, listing every refusal an operation can give in the problem format.
    "DEFAULT_SCHEMA_CLASS": "core.api.TandemSchema",
    # Every refusal in the problem format: {"detail": ..., "problems": [...]}.
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "Monthly reporting and progress figures for diabetes prevention partner networks.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Path parameters as Tandem's URLs take them: rows' ids and networks' slugs.
    "PATH_CONVERTER_OVERRIDES": {
        "int": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        "slug": {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"},
    },
}
# Under /api/, a CSRF failure is answered in the API's problem format (pages get Django's page).
CSRF_FAILURE_VIEW = "core.api.csrf_failure"

# Production hardening: on whenever DEBUG is off, so `check --deploy` passes.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No page needs a camera, microphone, location or the like; config.headers sends this.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)

# Content-Security-Policy (django-csp): everything from Tandem itself, no inline script or style without
# the page's nonce, no plugins, no framing. Pages that draw plotly charts also allow inline styles
# (config.headers.ContentSecurityPolicyMiddleware says why).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
