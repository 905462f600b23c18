"""Optional error reporting to Sentry, on when SENTRY_DSN is set (settings call `sentry_from_env`).

Without a DSN nothing of sentry_sdk is even imported. Personal data stays out
(send_default_pii=False: no user, cookies or request bodies); SENTRY_TRACES_SAMPLE_RATE (0 to 1,
default 0) sends that share of requests and tasks as performance traces.
"""

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured


def traces_sample_rate(raw: str) -> float:
    try:
        rate = float(raw or "0")
    except ValueError as exc:
        raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1, not {raw!r}") from exc
    if not 0 <= rate <= 1:
        raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be from 0 to 1, not {raw!r}")
    return rate


def sentry_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """Start the Sentry client when SENTRY_DSN is set; returns whether it did."""
    dsn = environ.get("SENTRY_DSN", "").strip()
    if not dsn:
        return False
    # Imported only when asked for, so an unset DSN costs nothing.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate(environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        environment=environ.get("SENTRY_ENVIRONMENT") or None,
    )
    return True
