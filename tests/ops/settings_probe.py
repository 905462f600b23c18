"""Loads portal.settings in a fresh interpreter with the given environment: settings are read
once per process, so a switch such as STORAGE_BUCKET can only be seen this way."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PRINT = """
import json, sys
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


class SettingsRefused(Exception):
    pass


def run_python(env: dict[str, str], code: str, *args: str) -> str:
    """Standard output of `code` run with portal.settings under this machine's environment,
    less any storage or database variable, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_", "DATABASE_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    result = subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", code, *args], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SettingsRefused(result.stderr.strip().splitlines()[-1])
    return result.stdout


def load_settings(env: dict[str, str], *names: str) -> dict:
    return json.loads(run_python(env, _PRINT, *names))


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-test-secret-that-is-long-enough-and-random-looking-0123456789",
    "ALLOWED_HOSTS": "steward.example.org",
}
