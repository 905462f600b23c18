"""LOG_FORMAT=json: one JSON object per line with the request id and the record's own fields;
the watchers log one such line per run."""

import json
import logging
import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from cases.services import promise_make
from cases.watchers import run_watcher
from portal.request_id import RequestIdFilter, forget_request_id, use_request_id

ROOT = Path(settings.BASE_DIR)
WATCHER_FIELDS = {"watcher", "examined", "raised", "acted", "failed", "batches", "duration_ms"}


def json_formatter() -> logging.Formatter:
    """The formatter LOGGING names "json", built as logging.config builds it."""
    config = dict(settings.LOGGING["formatters"]["json"])
    factory = config.pop("()")
    module, _, name = factory.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)(**config)


def as_json(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    return json.loads(json_formatter().format(record))


def test_a_record_becomes_one_json_object_with_its_fields():
    record = logging.LogRecord("steward.test", logging.WARNING, __file__, 1, "Sent %s e-mails", (3,), None)
    record.mailbox = "support"
    token = use_request_id("req-json")
    try:
        line = as_json(record)
    finally:
        forget_request_id(token)

    assert line["message"] == "Sent 3 e-mails"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "steward.test", "req-json")
    assert line["mailbox"] == "support"
    assert line["timestamp"].endswith("+00:00")


def test_an_exception_is_in_the_same_line():
    try:
        raise ValueError("bad value")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    line = as_json(record)
    assert "ValueError: bad value" in line["exc_info"]
    assert line["request_id"] == "-"


def settings_with(monkeypatch, **environ: str) -> dict:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "portal/settings.py"))


def test_production_logs_json_and_development_plain(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    production = settings_with(monkeypatch, DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="steward.example.org")
    assert production["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    development = settings_with(monkeypatch, DEBUG="true")
    assert development["LOGGING"]["handlers"]["console"]["formatter"] == "plain"
    chosen = settings_with(monkeypatch, DEBUG="true", LOG_FORMAT="json")
    assert chosen["LOGGING"]["handlers"]["console"]["formatter"] == "json"


def test_an_unknown_log_format_is_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be plain or json"):
        settings_with(monkeypatch, LOG_FORMAT="xml")


def test_each_watcher_run_logs_one_line_with_its_numbers(case, owner, caplog):
    due = timezone.now() + timedelta(hours=1)
    for n in range(2):
        promise_make(actor=owner, case=case, text=f"Call back {n}", due_at=due)
    caplog.set_level(logging.INFO, logger="steward.watchers")

    run_watcher("stale_promises", now=due + timedelta(minutes=1))

    (record,) = [r for r in caplog.records if r.name == "steward.watchers"]
    assert record.levelno == logging.INFO
    line = as_json(record)
    assert line.keys() >= WATCHER_FIELDS
    assert (line["watcher"], line["examined"], line["raised"], line["failed"]) == ("stale_promises", 2, 2, 0)
    assert line["batches"] >= 1
    assert isinstance(line["duration_ms"], int) and line["duration_ms"] >= 0
    assert line["out_of_time"] is False
    assert line["message"].startswith("Watcher stale_promises: examined 2, raised 2")


def test_a_watcher_with_nothing_due_still_logs_its_run(db, caplog):
    caplog.set_level(logging.INFO, logger="steward.watchers")
    run_watcher("escalations")
    (record,) = [r for r in caplog.records if r.name == "steward.watchers"]
    assert (record.watcher, record.examined, record.batches) == ("escalations", 0, 0)
