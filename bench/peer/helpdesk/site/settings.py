"""Minimal Django project hosting django-helpdesk 2.6.1 for benchmarking.

Follows the package's documented integration (docs/install.rst, docs/teams.rst,
docs/configuration.rst): contrib apps auth/contenttypes/sessions/sites/admin/
humanize/messages/staticfiles, rest_framework (the ticket list's data endpoint
and the API are DRF views), then helpdesk. 2.6.1 ships its own bootstrap5_form
template tags, so the old `bootstrap4form` app is no longer needed.

Teams mode is switched off (HELPDESK_TEAMS_MODE_ENABLED = False), the
documented way to run without pinax-teams, which is not a dependency of the
package and is not installed.

Environment knobs (all optional):
  HDPEER_DB     path of the SQLite file       (default $HDPEER_DIR/db.sqlite3)
  HDPEER_DEBUG  "1" turns DEBUG on (never for timing runs; default off)
"""

import os
from pathlib import Path

HDPEER_DIR = os.environ.get("HDPEER_DIR", os.path.join(__import__("tempfile").gettempdir(), "hdpeer"))

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "hdpeer-benchmark-only-not-secret"  # noqa: S105 — a local benchmark site, never served
DEBUG = os.environ.get("HDPEER_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",  # required by helpdesk (admin links, maintenance)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # required: domain for links in e-mails
    "django.contrib.humanize",  # required: elapsed-time formatting
    "rest_framework",  # required: ticket-list data endpoint + API
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,  # with DEBUG off Django wraps these in the cached loader
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("HDPEER_DB", os.path.join(HDPEER_DIR, "db.sqlite3")),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(HDPEER_DIR, "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = os.path.join(HDPEER_DIR, "media")

LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"

# --- django-helpdesk ------------------------------------------------------
HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams not installed (docs/teams.rst)
HELPDESK_KB_ENABLED = True
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_DEFAULT_SETTINGS = {
    "login_view_ticketlist": True,
    "email_on_ticket_change": True,
    "email_on_ticket_assign": True,
    "tickets_per_page": 25,  # the package default, stated for the record
    "use_email_as_submitter": True,
}

# Keep stray log output away from the timing loop (DEBUG off: 4xx/5xx are
# still reported by measure.py itself through the status check).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
