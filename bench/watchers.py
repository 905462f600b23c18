"""Benchmark of the watchers (issue 3): time and SQL queries of a scan with work to do, and of
a re-run with nothing new, at a given scale, on the database DATABASE_URL names.

    .venv/bin/python bench/watchers.py --messages 100000
    .venv/bin/python bench/watchers.py --messages 1000000
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_bench .venv/bin/python bench/watchers.py --messages 100000

Without DATABASE_URL it builds a fresh SQLite file under var/bench/. With DATABASE_URL it
EMPTIES that database first (flush): point it at a scratch database, never a real one.

The data (bench/dataset.py) is written with bulk inserts: one case per ten messages, one
promise per case, a claim and a contractor job per five cases, history the sweeps have read,
open flags — and 5% of each kind of row due: overdue promises, late replies, silent cases,
stalled claims, resolutions past their window, new cancellations and incidents, flags past
their escalation time, plus a few bursts of new cases in one service and area. Each watcher
then runs once with that work to do (all of it: the per-run batch budget is lifted), then
again with nothing new; both are timed, and their SQL statements counted.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.django_setup import count_statements as _counting  # noqa: E402 — needs the project on sys.path
from bench.django_setup import setup_django  # noqa: E402


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages to build (cases are a tenth)")
    parser.add_argument("--reruns", type=int, default=9, help="re-runs with nothing new; the median is reported")
    return parser.parse_args()


# --- measuring ------------------------------------------------------------------------------------


class _WriteTransactions:
    """The longest write transaction while active: from the start of a transaction (SQLite
    takes its write lock at BEGIN IMMEDIATE, as portal/settings.py configures) to its commit
    or rollback; a write outside a transaction counts as a transaction of its own."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self.count = 0
        self._began: float | None = None
        self._wrote = False

    def _end(self) -> None:
        if self._began is not None and self._wrote:
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._began) * 1000)
            self.count += 1
        self._began, self._wrote = None, False

    @contextmanager
    def watching(self) -> Iterator["_WriteTransactions"]:
        from django.db import connection

        originals = {name: getattr(connection, name) for name in ("set_autocommit", "_commit", "_rollback")}

        def set_autocommit(autocommit: bool, *args: object, **kwargs: object) -> None:
            if not autocommit and self._began is None:
                self._began, self._wrote = time.perf_counter(), False
            originals["set_autocommit"](autocommit, *args, **kwargs)

        def commit() -> None:
            originals["_commit"]()
            self._end()

        def rollback() -> None:
            originals["_rollback"]()
            self._end()

        def wrapper(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
            write = sql.lstrip().upper().startswith(self.WRITES)
            if self._began is not None:
                self._wrote = self._wrote or write
                return execute(sql, params, many, context)
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                if write:  # autocommit: the statement is its own transaction
                    self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)
                    self.count += 1

        connection.set_autocommit, connection._commit, connection._rollback = set_autocommit, commit, rollback
        try:
            with connection.execute_wrapper(wrapper):
                yield self
        finally:
            for name in originals:
                delattr(connection, name)  # back to the class's methods


def measure(now: datetime, reruns: int) -> list[dict[str, object]]:
    from django.conf import settings

    from cases import notifications
    from cases.watchers import WATCHERS

    settings.WATCHER_MAX_BATCHES_PER_RUN = 1_000_000  # one run does all the work, to time all of it
    notifications.schedule_digest = lambda: None  # the digest is not measured here, and no broker is wanted
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # customer reminders stay in memory
    rows = []
    for name, watcher in WATCHERS.items():
        with _counting() as work_queries, _WriteTransactions().watching() as writes:
            started = time.perf_counter()
            result = watcher(now=now)
            work_ms = (time.perf_counter() - started) * 1000
        idle_times = []
        for _ in range(reruns):
            with _counting() as idle_queries:
                started = time.perf_counter()
                idle = watcher(now=now)
                idle_times.append((time.perf_counter() - started) * 1000)
            assert idle.raised == idle.acted == 0, f"{name} did something on a re-run: {idle}"
        rows.append(
            {
                "watcher": name,
                "handled": result.examined,
                "raised": result.raised,
                "acted": result.acted,
                "work_ms": work_ms,
                "work_queries": work_queries[0],
                "longest_write_ms": writes.longest_ms,
                "write_transactions": writes.count,
                "idle_ms": statistics.median(idle_times),
                "idle_queries": idle_queries[0],
            }
        )
    return rows


def main() -> None:
    args = _parse()
    setup_django(f"watchers-{args.messages}")
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.dataset import Dataset

    call_command("migrate", verbosity=0)
    now = timezone.now()
    started = time.perf_counter()
    sizes = Dataset(args.messages, now).build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does on a live database
    built = time.perf_counter() - started
    backend = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
    print(f"# {backend.strip()}, built in {built:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    print(
        "| watcher | rows handled | raised | acted | first pass (ms) | queries | write transactions "
        "| longest write transaction (ms) | re-run, nothing new (ms) | queries |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = measure(now, args.reruns)
    for row in rows:
        print(
            f"| {row['watcher']} | {row['handled']:,} | {row['raised']:,} | {row['acted']:,} | {row['work_ms']:,.0f} "
            f"| {row['work_queries']:,} | {row['write_transactions']:,} | {row['longest_write_ms']:,.0f} "
            f"| {row['idle_ms']:.1f} | {row['idle_queries']} |"
        )
    total = {key: sum(row[key] for row in rows) for key in ("handled", "raised", "acted", "work_ms", "work_queries")}
    print(
        f"| **total** | {total['handled']:,} | {total['raised']:,} | {total['acted']:,} | {total['work_ms']:,.0f} "
        f"| {total['work_queries']:,} | {sum(row['write_transactions'] for row in rows):,} "
        f"| {max(row['longest_write_ms'] for row in rows):,.0f} | | |"
    )
    print(
        f"# first pass over the backlog ({sizes['cases']:,} cases): {total['work_ms'] / 1000:.1f} s; "
        f"longest write transaction: {max(row['longest_write_ms'] for row in rows):,.0f} ms"
    )


if __name__ == "__main__":
    main()
