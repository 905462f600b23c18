"""One migrated SQLite schema per set of migrations, copied into each test process's database.

Running every migration takes 15-40 s of CPU; a test process that only runs a few tests (a
mutant's run in bin/mutation, `bin/test tests/one_file.py`) spent most of its time there, and
the suite paid it once per worker. The first process migrates as usual and saves the result in
a file named after a digest of everything the migrations write; the others, and later runs,
copy that file into their in-memory test database with SQLite's backup API (what Django's own
parallel runner does for its clones), which takes a few milliseconds.

The digest covers the migration files of every installed app, the installed apps themselves,
Django's and SQLite's versions and the day the suite's clock is set to (tests/conftest.py): a
new or edited migration, an upgraded package or another week each make a new file.
"""

import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
# bin/mutation points its project copies at the checkout's folder, so its mutants share one file.
FOLDER_VARIABLE = "STEWARD_TEST_SQLITE_TEMPLATES"


def use_templates(alias: str, clock_day: str) -> None:
    """Make the test database of `alias` (SQLite, in memory) come from the saved schema."""
    connection = connections[alias]
    if connection.vendor != "sqlite" or connection.settings_dict.get("TEST", {}).get("NAME"):
        return  # a file-backed test database is kept or named by someone else: leave it alone
    creation = connection.creation
    folder = Path(os.environ.get(FOLDER_VARIABLE) or ROOT / "var" / "test-db")
    create: Callable[..., str] = creation.create_test_db

    def create_test_db(
        verbosity: int = 1, autoclobber: bool = False, serialize: bool = True, keepdb: bool = False
    ) -> str:
        if keepdb:
            return create(verbosity, autoclobber, serialize, keepdb)
        folder.mkdir(parents=True, exist_ok=True)
        saved = folder / f"{alias}-{_schema_source()}-{_digest(clock_day)}.sqlite3"
        with _locked(folder / f"{alias}.lock"):
            if not saved.exists():
                name = create(verbosity, autoclobber, serialize, keepdb)
                _save(connection.connection, saved)
                return name
        return _restore(saved, serialize)

    def _restore(saved: Path, serialize: bool) -> str:
        name = creation._get_test_db_name()
        connection.close()
        settings.DATABASES[alias]["NAME"] = name
        connection.settings_dict["NAME"] = name
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{saved}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        if serialize:
            connection._test_serialized_contents = creation.serialize_db_to_string()
        call_command("createcachetable", database=alias)
        return name

    creation.create_test_db = create_test_db


def _schema_source() -> str:
    """pytest-django's --no-migrations replaces the dict with an object that disables them all:
    the schema then comes from the models, and is saved apart."""
    return "migrations" if isinstance(settings.MIGRATION_MODULES, dict) else "models"


def _digest(clock_day: str) -> str:
    digest = hashlib.sha256()
    for part in (django.get_version(), sqlite3.sqlite_version, clock_day, *settings.INSTALLED_APPS):
        digest.update(part.encode() + b"\0")
    for app in apps.get_app_configs():
        folder = Path(app.path) / "migrations"
        for path in sorted(folder.glob("*.py")):
            digest.update(f"{app.label}/{path.name}".encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _save(source: sqlite3.Connection, saved: Path) -> None:
    """Write the file under another name first: a process that dies half-way leaves no file that
    looks whole. Older schemas of the same alias and source are removed."""
    partial = saved.with_suffix(f".{os.getpid()}.partial")
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
    for old in saved.parent.glob(saved.name.rsplit("-", 1)[0] + "-*.sqlite3"):
        old.unlink(missing_ok=True)
    partial.replace(saved)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Test processes start together: one migrates while the others wait for its file."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
