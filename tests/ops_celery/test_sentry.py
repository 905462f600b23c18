"""Sentry only with SENTRY_DSN: initialised with the Django and Celery integrations and no
personal data; without it, sentry_sdk is not even imported."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import sentry_sdk
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from portal.sentry import sentry_from_env

DSN = "https://public@sentry.example.invalid/1"


def test_without_a_dsn_nothing_is_initialised():
    with mock.patch.object(sentry_sdk, "init") as init:
        assert sentry_from_env({}) is False
        assert sentry_from_env({"SENTRY_DSN": "  "}) is False
    init.assert_not_called()


def test_without_a_dsn_sentry_sdk_is_not_even_imported():
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    probe = (
        "import django, sys; django.setup(); "
        "from django.test import Client; Client().get('/health/watchers/'); "
        "print('sentry_sdk' in sys.modules)"
    )
    done = subprocess.run(  # noqa: S603 — our own interpreter and a fixed program
        [sys.executable, "-c", probe],
        cwd=Path(settings.BASE_DIR),
        env={**environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_with_a_dsn_it_starts_with_django_and_celery_and_no_personal_data():
    with mock.patch.object(sentry_sdk, "init") as init:
        assert sentry_from_env({"SENTRY_DSN": DSN, "SENTRY_TRACES_SAMPLE_RATE": "0.25"}) is True
    options = init.call_args.kwargs
    assert options["dsn"] == DSN
    assert options["send_default_pii"] is False
    assert options["traces_sample_rate"] == 0.25
    kinds = {type(integration) for integration in options["integrations"]}
    assert kinds == {DjangoIntegration, CeleryIntegration}


def test_traces_are_off_unless_asked_for():
    with mock.patch.object(sentry_sdk, "init") as init:
        sentry_from_env({"SENTRY_DSN": DSN})
    assert init.call_args.kwargs["traces_sample_rate"] == 0


@pytest.mark.parametrize("rate", ["often", "1.5", "-0.1"])
def test_a_bad_sample_rate_is_refused(rate):
    with mock.patch.object(sentry_sdk, "init") as init, pytest.raises(ImproperlyConfigured):
        sentry_from_env({"SENTRY_DSN": DSN, "SENTRY_TRACES_SAMPLE_RATE": rate})
    init.assert_not_called()
