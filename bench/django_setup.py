"""Starting Django for a benchmark: on DATABASE_URL if set, else on a fresh SQLite file under var/bench/."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(sqlite_name: str, *, keep: bool = False) -> None:
    """`keep`: reuse the SQLite file a previous run built (its data is rebuilt otherwise)."""
    if not os.environ.get("DATABASE_URL"):
        path = ROOT / "var" / "bench" / f"{sqlite_name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(f"{path.name}*"):
            if not keep:
                leftover.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


@contextmanager
def count_statements() -> Iterator[list[int]]:
    """The SQL statements sent inside the block, counted in the list's one item."""
    from django.db import connection

    count = [0]

    def wrapper(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count
