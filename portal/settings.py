"""Steward settings: one module, driven by environment variables.

Nothing set gives the embedded development default (SQLite, file-system Celery broker,
mail printed to the console). Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL / REDIS_URL (Redis).
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str
from portal.lockout_limits import check_lockout_limits
from portal.sentry import sentry_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STEWARD_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "django-insecure-steward-development-only-never-use-in-production"  # noqa: S105 — development default, refused when DEBUG is off
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    # One-time codes after the password (portal.two_factor): an authenticator app, and backup codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "django_htmx",
    # Keeps every version of a customer record (vulnerability notes above all): see people.models.Customer.
    "simple_history",
    "people",
    "cases",
    "contractors",
    "api",
    "staff",
    "selfservice",
    "correspondence",
    # Figures for managers and heads of department (/staff/reports/).
    "reports",
    # Other systems hear of changes (docs/webhooks.md).
    "webhooks",
    # The project's own template filters (steward_time) and management commands (compile_catalogues).
    "portal",
]

MIDDLEWARE = [
    "portal.request_id.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    # Outermost after SecurityMiddleware, so that error pages get the headers too.
    "csp.middleware.CSPMiddleware",
    "portal.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the cookie or Accept-Language; PreferenceMiddleware overrides it for a signed-in person.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks a session whose one-time code was checked (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.PreferenceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the language is set, so the enrolment and code pages it sends people to speak theirs.
    "portal.two_factor.TwoFactorMiddleware",
    # Inside PreferenceMiddleware, so the 405 page speaks the person's language.
    "portal.middleware.FriendlyMethodNotAllowedMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Names the signed-in person on the versions django-simple-history keeps of changes made in the admin site.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.auth.EmailOrUsernameBackend",
    "guardian.backends.ObjectPermissionBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.header",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Short timeouts: a stopped Redis must cost a request little (every use of the cache carries on
    # without it, see portal/cache_safety.py).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail: SMTP when EMAIL_HOST is set; otherwise each e-mail is written as a file under var/mail/
# where a person can open it (the embedded default needs no mail server).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Steward <steward@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who the letters and e-mails come from.
COMPANY_NAME = env_str("COMPANY_NAME", "Steward customer relations")
COMPANY_POSTAL_ADDRESS = env_str("COMPANY_POSTAL_ADDRESS", "12 rue de la République\n69002 Lyon")
# Where customers' answers go: every e-mail about a case has Reply-To support+<reference>.<signature>@domain,
# so the mailbox behind this address must accept plus-addresses (most do).
MAIL_REPLY_ADDRESS = env_str("MAIL_REPLY_ADDRESS", "support@steward.localhost")
# Outbox: how often a failing e-mail is retried, and when a claim by a killed worker is taken back.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_RECLAIM_MINUTES = env_int("OUTBOX_RECLAIM_MINUTES", 15)

# Webhooks (docs/webhooks.md): endpoints on private, loopback or link-local addresses are refused
# unless this is on (tests reach a server on 127.0.0.1); an endpoint whose deliveries fail this many
# times in a row is turned off and the superusers are told.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10)
# Inbound mail: the biggest raw message kept whole, and the mailbox the poller reads (IMAP).
INBOUND_MAIL_MAX_BYTES = env_int("INBOUND_MAIL_MAX_BYTES", 25 * 1024 * 1024)
IMAP_HOST = env_str("IMAP_HOST", "")
IMAP_PORT = env_int("IMAP_PORT", 993)
IMAP_USER = env_str("IMAP_USER", "")
IMAP_PASSWORD = env_str("IMAP_PASSWORD", "")
IMAP_USE_SSL = env_bool("IMAP_USE_SSL", True)
IMAP_FOLDER = env_str("IMAP_FOLDER", "INBOX")
IMAP_DONE_FOLDER = env_str("IMAP_DONE_FOLDER", "")

# Security: strict whenever DEBUG is off; each switch can be relaxed by its variable
# (for example behind a TLS-terminating proxy that already redirects).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): scripts, styles and everything else from Steward's own origin
# only, and no inline script, style element or style attribute anywhere (the admin site and the API
# docs included). data: images are Swagger UI's and the admin's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no Steward page uses, refused to the page and anything it embeds
# (portal.security_headers.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
SESSION_COOKIE_HTTPONLY = True

# django-guardian: no anonymous user row; anonymous visitors get nothing.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: sign-in pauses for SIGN_IN_LOCKOUT_MINUTES after too many wrong passwords on one
# account, from whatever addresses (every spelling of the account counts: portal.lockout), or
# from one address, on whatever accounts (password spraying). The account's limit must keep
# within ASVS V2.2.1's 100 failures an hour; the settings refuse to load otherwise.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_ACCOUNT_FAILURE_LIMIT", 10)
SIGN_IN_ADDRESS_FAILURE_LIMIT = env_int("SIGN_IN_ADDRESS_FAILURE_LIMIT", 20)
_lockout_minutes = env_int("SIGN_IN_LOCKOUT_MINUTES", 15)
try:
    check_lockout_limits(
        account_limit=AXES_FAILURE_LIMIT, address_limit=SIGN_IN_ADDRESS_FAILURE_LIMIT, cooloff_minutes=_lockout_minutes
    )
except ValueError as wrong:
    raise ImproperlyConfigured(str(wrong)) from wrong
AXES_COOLOFF_TIME = _lockout_minutes / 60
# Two separate counts, in this order (portal.lockout.AccountAndAddressHandler reads them so).
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_USERNAME_CALLABLE = "portal.lockout.account_key"
AXES_HANDLER = "portal.lockout.AccountAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"

# Two-factor sign-in: administrators (anyone who may reach the admin site) always; staff whose
# role is listed here too (comma-separated StaffProfile roles: "agent", "manager").
TWO_FACTOR_ENFORCED = env_bool("TWO_FACTOR_ENFORCED", True)
TWO_FACTOR_STAFF_ROLES = env_list("TWO_FACTOR_STAFF_ROLES", [])
# The name the authenticator app shows beside the code.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Steward")

# --- The REST API (issue 7): tokens for integrations, the session (with CSRF) for the browser ---
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.StewardAutoSchema",
    # Session first: a request with neither gets 403, as the pages' role matrix expects.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # DRF's token authentication, which also follows the token user's language and time zone.
        "api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerUserThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPage",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per user (per address when not signed in); read on every request, so tests may change them.
API_THROTTLE_RATES = {
    "user": env_str("API_THROTTLE_USER_RATE", "600/minute"),
    "anon": env_str("API_THROTTLE_ANON_RATE", "60/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Steward API",
    "DESCRIPTION": "Cases, their conversation, promises, handoffs, jobs, claims, flags and service alerts, "
    "under the same rules as the pages. Authenticate with `Authorization: Token <key>` (integrations) "
    "or the portal's session cookie plus the `X-CSRFToken` header (the browser).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI's files come from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.CaseStatus",
        "JobStatusEnum": "contractors.models.JobStatus",
        "PromiseStatusEnum": "cases.models.PromiseStatus",
        "ClaimStatusEnum": "cases.models.InsuranceClaimStatus",
        "MessageChannelEnum": "cases.models.MessageChannel",
        "PrerequisiteStateEnum": "contractors.models.PrerequisiteState",
        "PromiseKindEnum": "cases.models.PromiseKind",
        "AlertKindEnum": "cases.models.ServiceAlertKind",
        "FlagKindEnum": "cases.models.FlagKind",
        "TimelineKindEnum": "cases.models.TimelineEventKind",
        "MessageKindEnum": "api.inputs.MessageInput.KINDS",
        "CancellationReasonEnum": "contractors.models.JobCancellationReason",
    },
}

# Celery: a broker that needs no server by default, Redis in production.
# The host part only silences kombu's "no hostname" warning; the transport ignores it.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    # Redis hands an unacknowledged message to another worker after visibility_timeout, and a
    # worker holds a message with an ETA unacknowledged until it runs it: the timeout must exceed
    # the longest delay any task is queued with, or the message runs twice. Today the longest is
    # an e-mail's retry (correspondence.services.outbox.MAX_RETRY_DELAY, 6 hours); the digest's
    # countdown is NOTIFICATION_DIGEST_DELAY_SECONDS. tests/ops_celery/test_queues.py checks both.
    # The price: a message of a killed acks_late worker waits this long before it runs again,
    # which is fine for tasks that beat queues afresh every minute or hour anyway.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7 * 3600)}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Four queues, so that a slow job or a hung mail server never holds up the watchers: each kind
# of work gets its own workers (README, "Queues and workers"). Routing is by task name, which
# also covers what beat sends (its periodic tasks name no queue). Every task must have a route:
# tests/ops_celery/test_queues.py fails on one that has none. Time limits sit on the tasks.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "cases.run_watcher": {"queue": "watchers"},
    "cases.send_flag_notifications": {"queue": "outbound"},
    "correspondence.send_email": {"queue": "outbound"},
    "correspondence.outbox_sweep": {"queue": "outbound"},
    "webhooks.deliver_due": {"queue": "outbound"},
    "cases.apply_retention": {"queue": "slow"},
    # Thousands of customers of one service may be told of an outage: long, and not to hold up the e-mail.
    "cases.tell_alert": {"queue": "slow"},
    "cases.tell_pending_alerts": {"queue": "slow"},
    "correspondence.poll_mailbox": {"queue": "slow"},
}
# The worker keeps the LOGGING below (JSON lines, request ids) instead of replacing the root
# logger's handlers with its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Case references look like CS-2026-000123.
CASE_REFERENCE_PREFIX = env_str("CASE_REFERENCE_PREFIX", "CS")
# Working days (of the owner's department, see cases/deadlines.py) a resolved case waits for the
# customer's confirmation before it may close; never shortened for a vulnerable customer.
CONFIRMATION_WINDOW_DAYS = env_int("CONFIRMATION_WINDOW_DAYS", 7)

# Uploads (message attachments, job and incident photos).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain"],
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# In development WhiteNoise serves straight from the finders; production serves collectstatic's output.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

# Logs go to standard error, one line per record: plain text in development, one JSON object
# per line in production (LOG_FORMAT), for a log collector to parse. Every line carries the id of
# the request, or of the task, it belongs to (portal.request_id).
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,  # ISO 8601 in UTC
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# Optional error reports (portal.sentry): nothing happens, nothing is imported, without SENTRY_DSN.
sentry_from_env()

# Reply targets per priority, in working hours of the owner's department, and tighter ones for
# customers with vulnerability notes. Vulnerable customers and urgent cases count round the clock.
RESPONSE_TARGET_HOURS = {
    "urgent": env_int("RESPONSE_TARGET_URGENT_HOURS", 4),
    "high": env_int("RESPONSE_TARGET_HIGH_HOURS", 8),
    "normal": env_int("RESPONSE_TARGET_NORMAL_HOURS", 24),
    "low": env_int("RESPONSE_TARGET_LOW_HOURS", 72),
}
VULNERABLE_RESPONSE_TARGET_HOURS = {
    "urgent": env_int("VULNERABLE_RESPONSE_TARGET_URGENT_HOURS", 2),
    "high": env_int("VULNERABLE_RESPONSE_TARGET_HIGH_HOURS", 4),
    "normal": env_int("VULNERABLE_RESPONSE_TARGET_NORMAL_HOURS", 8),
    "low": env_int("VULNERABLE_RESPONSE_TARGET_LOW_HOURS", 24),
}

# Working minutes an unacknowledged flag waits at a level before it goes up one (round the clock
# for vulnerable customers and urgent cases).
FLAG_ESCALATION_MINUTES = {
    1: env_int("FLAG_ESCALATE_TO_MANAGER_MINUTES", 240),
    2: env_int("FLAG_ESCALATE_TO_HEAD_MINUTES", 480),
}

# --- The watchers (issue 3): thresholds, batch sizes and notifications -----------------
# Rows a watcher reads and handles per transaction, and batches per run (bounds a run's length;
# what is left waits for the next run a minute later).
WATCHER_BATCH_SIZE = env_int("WATCHER_BATCH_SIZE", 500)
WATCHER_MAX_BATCHES_PER_RUN = env_int("WATCHER_MAX_BATCHES_PER_RUN", 20)
# Watchers that handle a batch with bulk statements cut it to this many rows per transaction, so
# that SQLite's single write lock is never held long (about 2 ms of Python per flag); a run still
# handles up to WATCHER_BATCH_SIZE × WATCHER_MAX_BATCHES_PER_RUN rows.
WATCHER_WRITE_BATCH_SIZE = env_int("WATCHER_WRITE_BATCH_SIZE", 50)
# Sweeps of append-only tables re-read rows younger than this, in case a slower transaction
# with a lower id commits after a higher one.
WATCHER_SETTLE_SECONDS = env_int("WATCHER_SETTLE_SECONDS", 120)
# Silent case: an open case with no outbound contact with the customer for this many working days
# (round the clock for vulnerable customers and urgent cases).
SILENT_CASE_DAYS = env_int("SILENT_CASE_DAYS", 5)
# Emerging incident: this many new cases in one service and area within the window.
EMERGING_INCIDENT_CASES = env_int("EMERGING_INCIDENT_CASES", 3)
EMERGING_INCIDENT_WINDOW_MINUTES = env_int("EMERGING_INCIDENT_WINDOW_MINUTES", 120)
# Handoff: the receiver acknowledges within this many working hours of their department, or is flagged.
HANDOFF_ACK_WORKING_HOURS = env_int("HANDOFF_ACK_WORKING_HOURS", 4)
# A survey score at or below this raises a follow-up flag for the owner, with the customer's comment.
SURVEY_FOLLOW_UP_AT_OR_BELOW = env_int("SURVEY_FOLLOW_UP_AT_OR_BELOW", 2)
# The department whose agents receive a customer who asked, in their survey, to talk about their services.
SALES_DEPARTMENT_CODE = env_str("SALES_DEPARTMENT_CODE", "sales")
# Watchers that have not finished a run for this long are "stale": managers see a banner and
# /health/watchers/ answers 503 (beat runs each of them every minute).
WATCHER_STALE_MINUTES = env_int("WATCHER_STALE_MINUTES", 5)
# Notifications: a digest waits this long after the first flag so that a burst makes one e-mail;
# an e-mail a sender claimed but never finished is retaken after the retry delay.
NOTIFICATION_DIGEST_DELAY_SECONDS = env_int("NOTIFICATION_DIGEST_DELAY_SECONDS", 30)
NOTIFICATION_EMAIL_RETRY_MINUTES = env_int("NOTIFICATION_EMAIL_RETRY_MINUTES", 10)

# --- Privacy: how long personal data is kept (cases.services.retention, run hourly by beat) ----
# 0 keeps it for ever. Raw inbound e-mails: the original file of each e-mail received (the text
# filed on the case stays). Outgoing e-mail bodies: the copy of each e-mail sent or given up on.
# Closed cases: once every case of a customer closed this many days ago, the customer is
# anonymised as by an erasure on request (docs/privacy.md).
RETENTION_INBOUND_RAW_DAYS = env_int("RETENTION_INBOUND_RAW_DAYS", 365)
RETENTION_OUTBOX_BODY_DAYS = env_int("RETENTION_OUTBOX_BODY_DAYS", 365)
RETENTION_CLOSED_CASE_DAYS = env_int("RETENTION_CLOSED_CASE_DAYS", 0)
# Rows handled per transaction and transactions per run, so a first run on years of data is
# spread over several hours rather than holding the database.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 100)
RETENTION_MAX_BATCHES_PER_RUN = env_int("RETENTION_MAX_BATCHES_PER_RUN", 20)

# --- Production on many machines (issue 16): health probes, file storage, database connections ---
# The load balancer's probes (/health/, /health/ready/) are answered before the Host check and
# without the HTTPS redirect: it asks each machine by its address, over plain HTTP
# (portal/health.py). After the security headers' middleware, so they carry them too.
MIDDLEWARE.insert(
    MIDDLEWARE.index("portal.security_headers.PermissionsPolicyMiddleware") + 1,
    "portal.health.HealthEndpointsMiddleware",
)
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^health/ready/$"]

# Uploaded files (attachments, photos, raw e-mails, letters) go through Django's storage API only
# and are served only by the policy-checked views, streamed (never a public media URL). On one
# machine: the local disk under MEDIA_ROOT. On several: an S3-compatible bucket, private, which
# every web process and worker shares. Credentials left empty fall back to boto3's own chain
# (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an instance role).
STORAGE_BUCKET = env_str("STORAGE_BUCKET", "") or env_str("AWS_STORAGE_BUCKET_NAME", "")
if STORAGE_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env_str("STORAGE_ENDPOINT_URL", "") or None,
            "region_name": env_str("STORAGE_REGION", "") or None,
            "access_key": env_str("STORAGE_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("STORAGE_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("STORAGE_PREFIX", ""),
            # Private objects (the bucket's own, which must block public access), and any URL
            # made for one is signed and short-lived.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("STORAGE_URL_EXPIRY_SECONDS", 60),
            "file_overwrite": False,
            "signature_version": "s3v4",
            # A file read back (to stream it) spills from memory to a temporary file past this.
            "max_memory_size": FILE_UPLOAD_MAX_MEMORY_SIZE,
        },
    }

# PostgreSQL: a dead server must cost a request seconds, not minutes. Either Django's own
# connection pool per process (DATABASE_POOL=true; persistent connections are then off, as the
# pool requires), or PgBouncer in transaction mode in front of the server, which needs
# server-side cursors off (DATABASE_DISABLE_SERVER_SIDE_CURSORS=true).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
if env_bool("DATABASE_POOL", False):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_POOL needs a PostgreSQL DATABASE_URL")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        # A sync web worker uses one connection at a time; a Celery prefork child too.
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 4),
        # Seconds a request waits for a free connection before failing.
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
    }
# --- end of the issue 16 block ---------------------------------------------------------------
