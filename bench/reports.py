"""Benchmark of the reports (issue 17): time and SQL queries of each report table, at a given
number of cases, on the database DATABASE_URL names.

    .venv/bin/python bench/reports.py --cases 100000
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_bench .venv/bin/python bench/reports.py --cases 100000

Without DATABASE_URL it builds a fresh SQLite file under var/bench/. With DATABASE_URL it
EMPTIES that database first (flush): point it at a scratch database, never a real one.

The data is the watchers' benchmark set (bench/dataset.py: ten messages and one promise per
case, a job per five cases with cancellations and incidents, flags), spread over the last 60
days, plus what only the reports read: replies to half the customer messages, a handoff per ten
cases (most acknowledged), resolution and confirmation events and a survey per closed case in three.
Each report is then read for a head of department (every agent in scope) and for a superuser
(no limit), grouped by owner and by contractor company (the costliest grouping), and the
drill-down of one figure, and the whole page through the test client; each is timed (median of
--runs), its SQL statements counted and the peak of Python memory it allocated traced (one more run).
--reuse keeps the data of an earlier run (migrating it first), which is how a schema change is
measured on the same rows.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.django_setup import count_statements as _counting  # noqa: E402 — needs the project on sys.path
from bench.django_setup import setup_django  # noqa: E402

SPREAD_DAYS = 60


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to build (messages are ten times more)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each report; the median is reported")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data a previous run built (migrating it) instead of rebuilding"
    )
    return parser.parse_args()


def _spread(model: type, field: str, now: object) -> None:
    """Move the rows' `field` back by 0–59 days (by id), in one UPDATE per day. Raw SQL: the
    timeline and incident reports refuse updates through the ORM (append-only)."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    with connection.cursor() as cursor:
        for day in range(SPREAD_DAYS):
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE id %% %s = %s",  # noqa: S608 — quoted names
                [now - timedelta(days=day, hours=day % 7), SPREAD_DAYS, day],
            )


def _report_extras(now: object) -> dict[str, int]:
    from django.contrib.auth.models import User
    from django.db.models import F, Q
    from django.db.models.functions import Mod

    from cases.models import Case, Flag, Handoff, Message, Promise, Survey, TimelineEvent
    from contractors.models import IncidentReport, JobCancellation

    _spread(Message, "created_at", now)
    inbound = Message.objects.filter(direction="inbound").annotate(slot=Mod("pk", 6))
    for slot in range(3):  # half the customer messages answered, after 1, 6 or 30 hours (past a 24-hour target)
        inbound.filter(slot=slot).update(
            answered_at=F("created_at") + timedelta(hours=(1, 6, 30)[slot]), answered_late=slot == 2
        )
    _spread(Promise, "created_at", now)
    Promise.objects.annotate(slot=Mod("pk", 10)).filter(slot=0, status="kept").update(
        status="broken", resolution_note="x"
    )
    _spread(JobCancellation, "cancelled_at", now)
    _spread(IncidentReport, "created_at", now)
    flags = Flag.objects.annotate(slot=Mod("pk", 2)).filter(slot=0)
    for day in range(0, SPREAD_DAYS, 5):
        flags.annotate(day=Mod("pk", SPREAD_DAYS)).filter(day__gte=day, day__lt=day + 5).update(
            raised_at=now - timedelta(days=day)
        )

    cases = list(Case.objects.order_by("pk").values_list("pk", "owner_id", "status"))
    agents = list(User.objects.filter(staff_profile__role="agent").order_by("pk").values_list("pk", flat=True))
    colleague = {agent: agents[(n + 1) % len(agents)] for n, agent in enumerate(agents)}
    handoffs = [
        Handoff(
            case_id=pk,
            from_user_id=colleague[owner],
            to_user_id=owner,
            created_by_id=owner,
            reason="Bench",
            summary="Bench handoff",
            acknowledged_at=None if n % 50 == 0 else now - timedelta(days=n % SPREAD_DAYS) + timedelta(hours=n % 9),
        )
        for n, (pk, owner, _status) in enumerate(cases[::10])
    ]
    Handoff.objects.bulk_create(handoffs, batch_size=2000)
    _spread(Handoff, "created_at", now)
    Handoff.objects.filter(acknowledged_at__isnull=False).update(acknowledged_at=F("created_at") + timedelta(hours=3))
    closed = [(pk, owner) for pk, owner, status in cases if status == "closed"]
    someone = User.objects.get(username="tech")
    Survey.objects.bulk_create(
        (Survey(case_id=pk, score=1 + n % 5, submitted_by=someone) for n, (pk, _owner) in enumerate(closed[::3])),
        batch_size=2000,
    )
    _spread(Survey, "submitted_at", now)
    events = []
    for n, (pk, owner) in enumerate(closed):
        common = {"case_id": pk, "department": "support", "actor_label": "Bench", "customer_visible": True}
        events.append(TimelineEvent(kind="resolved", actor_id=owner, summary="Resolved: bench", **common))
        events.append(TimelineEvent(kind="confirmed" if n % 8 else "closed", summary="Closed", **common))
        if n % 10 == 0:
            events.append(
                TimelineEvent(
                    kind="reopened",
                    summary="Reopened: the customer says it is not fixed: bench",
                    rejected_resolution=True,
                    **common,
                )
            )
    TimelineEvent.objects.bulk_create(events, batch_size=2000)
    _spread(TimelineEvent, "created_at", now)
    return {
        "handoffs": Handoff.objects.count(),
        "surveys": Survey.objects.count(),
        "timeline events": TimelineEvent.objects.count(),
        "flags in the last 30 days": Flag.objects.filter(Q(raised_at__gte=now - timedelta(days=30))).count(),
    }


def _measure(run: Callable[[], object], runs: int) -> tuple[float, int, float]:
    """Median milliseconds of `runs` runs, the SQL statements of one, and the peak of Python memory
    allocated during one more run (traced apart: tracemalloc slows what it watches)."""
    times, queries = [], 0
    for _ in range(runs):
        with _counting() as count:
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        queries = count[0]
    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), queries, peak / 1024 / 1024


def _superuser() -> object:
    from django.contrib.auth.models import User

    user, _created = User.objects.get_or_create(
        username="bench-superuser", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def main() -> None:
    args = _parse()
    # The page is read through the test client, as a browser would, without two-step sign-in.
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("TWO_FACTOR_ENFORCED", "false")
    setup_django(f"reports-{args.cases}", keep=args.reuse)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench.dataset import Dataset
    from cases import policies
    from cases.models import Case
    from reports import selectors
    from reports.period import Period
    from reports.tables import TABLES

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}: migrated in {time.perf_counter() - started:.0f} s")
    now = timezone.now()
    if args.reuse and Case.objects.exists():
        print(f"{connection.vendor}: reusing the data already built ({Case.objects.count():,} cases)")
    else:
        started = time.perf_counter()
        sizes = Dataset(args.cases * 10, now).build()
        sizes |= _report_extras(now)
        print(f"{connection.vendor}: data built in {time.perf_counter() - started:.0f} s")
        for name, count in sizes.items():
            print(f"  {name}: {count:,}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    period = Period.last_days()
    head = User.objects.select_related("staff_profile").get(username="head")
    readers = {"head of department": policies.report_owners_for(head), "superuser": None}
    print("\nrows in the period (superuser):")
    for table in TABLES.values():
        print(f"  {table.key}: {table.rows_in(since=period.since, until=period.until, now=now).count():,}")
    print(f"\n{'report':<14} {'reader':<19} {'grouping':<9} {'ms':>9} {'queries':>8} {'peak MiB':>9} {'rows':>6}")
    for reader, owners in readers.items():
        for by in ("owner", "company"):
            for table in TABLES.values():
                report = selectors.report_table(table, period=period, owners=owners, by=by, now=now)
                ms, queries, peak = _measure(
                    lambda table=table, owners=owners, by=by: selectors.report_table(
                        table, period=period, owners=owners, by=by, now=now
                    ),
                    args.runs,
                )
                print(
                    f"{table.key:<14} {reader:<19} {by:<9} {ms:>9.1f} {queries:>8} {peak:>9.1f} {len(report.rows):>6}"
                )
    # The whole page (/staff/reports/: every table, its chart and links, rendered), as a browser reads it.
    for reader, user in (("head of department", head), ("superuser", _superuser())):
        client = Client()
        client.force_login(user)
        for by in ("owner", "company"):

            def page(client: Client = client, by: str = by) -> object:
                response = client.get("/staff/reports/", {**period.query(), "by": by})
                assert response.status_code == 200, response.status_code
                return response

            page()  # templates compiled once, as on a running server
            ms, queries, peak = _measure(page, args.runs)
            print(f"{'whole page':<14} {reader:<19} {by:<9} {ms:>9.1f} {queries:>8} {peak:>9.1f}")
    owner = User.objects.get(username="agent0")
    for table, metric in (("promises", "broken"), ("responses", "late")):

        def drill(table: str = table, metric: str = metric) -> object:
            found = selectors.cases_behind(
                TABLES[table],
                metric=metric,
                period=period,
                owners=readers["head of department"],
                by="owner",
                group=str(owner.pk),
                dims={},
                now=now,
            )
            return found.count(), list(found[:50])

        ms, queries, peak = _measure(drill, args.runs)
        print(f"drill-down {table}.{metric}: {ms:.1f} ms, {queries} queries (count + first page), peak {peak:.1f} MiB")


if __name__ == "__main__":
    main()
