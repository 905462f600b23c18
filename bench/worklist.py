"""Benchmark of the worklist's first page (issue 14): an owner with about 10,000 open cases, the
"needs me first" order counted per request (as before: correlated subqueries over each of the
owner's open cases, then a sort) against the stored attention read from its index (now).

    .venv/bin/python bench/worklist.py                       # SQLite file under var/bench/
    .venv/bin/python bench/worklist.py --open 10000 --others 40000 --runs 15
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_bench .venv/bin/python bench/worklist.py

With DATABASE_URL the script EMPTIES that database first (flush): point it at a scratch database.

The data is written with bulk inserts: the owner's open cases and a quarter as many closed, the
other agents' cases, an open flag (level 1 to 3) on 5% of the cases, an open promise on 20% (a
quarter of them overdue), a customer message waiting on 10%. The stored attention is counted by
the service, as the back-fill migration does. Both queries run the same number of times,
interleaved; the figures are the median time and the statements of one page.
"""

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.django_setup import count_statements as _counting  # noqa: E402 — needs the project on sys.path
from bench.django_setup import setup_django  # noqa: E402

CHUNK = 2000


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=10_000, help="open cases of the measured owner")
    parser.add_argument("--others", type=int, default=40_000, help="cases of the other agents")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each query; the median is reported")
    return parser.parse_args()


def build(open_cases: int, others: int, now: datetime) -> object:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from cases.models import Case, Flag, Promise
    from cases.services.attention import refresh_attention
    from people.models import Customer, Department, StaffProfile

    call_command("flush", interactive=False, verbosity=0)
    department = Department.objects.create(code="customer-relations", name="Customer relations")
    agents = []
    for n in range(20):
        agent = User.objects.create(username=f"agent{n}", email=f"agent{n}@example.test")
        StaffProfile.objects.create(user=agent, department=department)
        agents.append(agent)
    owner = agents[0]
    customers = Customer.objects.bulk_create(
        Customer(full_name=f"Customer {n}", email=f"c{n}@example.test") for n in range(5000)
    )
    closed = open_cases // 4
    total = open_cases + closed + others

    def case(n: int) -> Case:
        mine = n < open_cases + closed
        fields: dict[str, object] = {
            "reference": f"CS-W-{n:07d}",
            "customer": customers[n % len(customers)],
            "subject": "Bench case",
            "owner": owner if mine else agents[1 + n % 19],
            "last_activity_at": now - timedelta(minutes=n % 100_000),
            "status": "in_progress",
        }
        if open_cases <= n < open_cases + closed or (not mine and n % 2):
            fields |= {"status": "closed", "resolved_at": now, "closed_at": now, "close_reason": "confirmed"}
        elif n % 10 == 3:
            fields |= {"awaiting_reply_since": now - timedelta(hours=n % 30), "reply_due_at": now + timedelta(hours=5)}
        return Case(**fields)

    ids: list[int] = []
    for start in range(0, total, CHUNK):
        made = Case.objects.bulk_create(case(n) for n in range(start, min(start + CHUNK, total)))
        ids.extend(c.pk for c in made)
    flags, promises = [], []
    for n, pk in enumerate(ids):
        if n % 20 == 7:
            flags.append(
                Flag(
                    case_id=pk,
                    kind="silent_case",
                    subject_key=f"bench:{n}",
                    summary="Bench flag",
                    assignee=owner,
                    raised_at=now,
                    level=1 + n % 3,
                )
            )
        if n % 5 == 1:
            due = now - timedelta(hours=2) if n % 4 == 1 else now + timedelta(days=1 + n % 5)
            promises.append(Promise(case_id=pk, text="Call back", made_by=owner, made_by_label="Agent", due_at=due))
    Flag.objects.bulk_create(flags, batch_size=CHUNK)
    Promise.objects.bulk_create(promises, batch_size=CHUNK)
    refresh_attention(ids, now=now)
    return owner


def before_query(owner: object, now: datetime) -> list:
    """The first page as it was read before the attention was stored: counted per request."""
    return list(before_window(owner, now))


def before_window(owner: object, now: datetime) -> object:
    from django.db.models import Prefetch, Q

    from cases import policies
    from cases.attention import owners_flags
    from cases.models import Case
    from cases.selectors import WORKLIST_PAGE_SIZE, with_attention

    cases = (
        with_attention(policies.cases_visible_to(owner).filter(owner=owner).filter(~Q(status=Case.Status.CLOSED)), now)
        .select_related("customer")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=owners_flags().filter(cleared_at__isnull=True).order_by("-level"),
                to_attr="open_flags",
            )
        )
        .order_by("-attention_now", "last_activity_at", "pk")
    )
    return cases[: WORKLIST_PAGE_SIZE + 1]


def after_query(owner: object, now: datetime) -> list:
    from cases import selectors

    cases = selectors.worklist_for(owner, owner=owner, filters=selectors.WorklistFilters()).items
    selectors.open_flags_of(case.pk for case in cases)  # what the prefetch of `before_query` reads
    return cases


def after_window(owner: object, now: datetime) -> object:
    from cases import selectors

    return selectors.worklist_window(owner, owner=owner, filters=selectors.WorklistFilters())


def database_ms(window: object, runs: int) -> float:
    """The page's main statement alone, through a bare cursor: what the database spends."""
    from django.db import connection

    sql, params = window.query.sql_with_params()  # type: ignore[attr-defined]
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    args = _parse()
    setup_django("worklist")
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    now = timezone.now()
    started = time.perf_counter()
    owner = build(args.open, args.others, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    before_rows, after_rows = before_query(owner, now), after_query(owner, now)
    same = [c.pk for c in before_rows[: len(after_rows)]] == [c.pk for c in after_rows]
    timings: dict[str, list[float]] = {"before": [], "after": []}
    queries: dict[str, int] = {}
    for _ in range(args.runs):
        for name, read in (("before", before_query), ("after", after_query)):
            with _counting() as count:
                t0 = time.perf_counter()
                read(owner, now)
                timings[name].append((time.perf_counter() - t0) * 1000)
            queries[name] = count[0]
    backend = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
    print(f"# {backend.strip()}, built in {built:.0f} s: owner with {args.open:,} open cases, {args.others:,} others")
    print(f"# same first page both ways: {same}")
    windows = {"before": before_window(owner, now), "after": after_window(owner, now)}
    print("| worklist first page | median ms | p95 ms | statements | main statement alone, median ms |")
    print("|---|---:|---:|---:|---:|")
    for name in ("before", "after"):
        times = sorted(timings[name])
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        label = "counted per request (before)" if name == "before" else "stored attention, index (after)"
        alone = database_ms(windows[name], args.runs)
        print(f"| {label} | {statistics.median(times):.1f} | {p95:.1f} | {queries[name]} | {alone:.1f} |")


if __name__ == "__main__":
    main()
