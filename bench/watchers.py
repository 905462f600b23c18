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

from bench.django_setup import setup_django  # noqa: E402 — needs the project on sys.path


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages to build (cases are a tenth)")
    parser.add_argument("--reruns", type=int, default=9, help="re-runs with nothing new; the median is reported")
    return parser.parse_args()


# --- measuring ------------------------------------------------------------------------------------


@contextmanager
def _counting() -> Iterator[list[int]]:
    from django.db import connection

    count = [0]

    def wrapper(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def measure(now: datetime, reruns: int) -> list[dict[str, object]]:
    from django.conf import settings

    from cases import notifications
    from cases.watchers import WATCHERS

    settings.WATCHER_MAX_BATCHES_PER_RUN = 1_000_000  # one run does all the work, to time all of it
    notifications.schedule_digest = lambda: None  # the digest is not measured here, and no broker is wanted
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # customer reminders stay in memory
    rows = []
    for name, watcher in WATCHERS.items():
        with _counting() as work_queries:
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
        "| watcher | rows handled | raised | acted | scan with work (ms) | queries | re-run, nothing new (ms) "
        "| queries |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in measure(now, args.reruns):
        print(
            f"| {row['watcher']} | {row['handled']:,} | {row['raised']:,} | {row['acted']:,} | {row['work_ms']:,.0f} "
            f"| {row['work_queries']:,} | {row['idle_ms']:.1f} | {row['idle_queries']} |"
        )


if __name__ == "__main__":
    main()
