"""The saved SQLite schema (tests/sqlite_template.py): a new migration or another day makes a new
file, and saving replaces the older file of the same source without leaving a half-written one."""

import sqlite3
from pathlib import Path

import pytest
from django.apps import apps

from tests import sqlite_template


def test_the_digest_follows_the_day_and_every_migration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = sqlite_template._digest("2026-12-08")
    assert sqlite_template._digest("2026-12-08") == today
    assert sqlite_template._digest("2026-12-15") != today

    # An app whose migrations folder gains a file: the same app, its files copied and one added.
    cases = apps.get_app_config("cases")
    copy = tmp_path / "cases"
    (copy / "migrations").mkdir(parents=True)
    for path in (Path(cases.path) / "migrations").glob("*.py"):
        (copy / "migrations" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(cases, "path", str(copy))
    assert sqlite_template._digest("2026-12-08") == today
    (copy / "migrations" / "9999_new.py").write_text("operations = []\n")
    assert sqlite_template._digest("2026-12-08") != today


def test_saving_replaces_the_older_schema_of_its_source_only(tmp_path: Path) -> None:
    older = tmp_path / "default-migrations-0000000000000000.sqlite3"
    other_source = tmp_path / "default-models-0000000000000000.sqlite3"
    older.write_bytes(b"")
    other_source.write_bytes(b"")
    source = sqlite3.connect(":memory:")
    source.execute("CREATE TABLE kept (name TEXT)")
    source.execute("INSERT INTO kept VALUES ('row')")
    source.commit()

    saved = tmp_path / "default-migrations-1111111111111111.sqlite3"
    sqlite_template._save(source, saved)

    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([saved.name, other_source.name])
    assert sqlite3.connect(saved).execute("SELECT name FROM kept").fetchall() == [("row",)]
