"""Benchmark of the watchers (issue 3): time and SQL queries of a scan with work to do, and of
a re-run with nothing new, at a given scale, on the database DATABASE_URL names.

    .venv/bin/python bench/watchers.py --messages 100000
    .venv/bin/python bench/watchers.py --messages 1000000
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_bench .venv/bin/python bench/watchers.py --messages 100000

Without DATABASE_URL it builds a fresh SQLite file under var/bench/. With DATABASE_URL it
EMPTIES that database first (flush): point it at a scratch database, never a real one.

The data is written with bulk inserts, not the services (a million messages through the
services would take an hour): one case per ten messages, one promise per case, a claim and a
contractor job per five cases, history of cancellations and incidents already swept, open
flags — and 5% of each kind of row due: overdue promises, late replies, silent cases, stalled
claims, resolutions past their window, new cancellations and incidents, flags past their
escalation time, plus a few bursts of new cases in one service and area.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHUNK = 5_000
DUE_SHARE = 0.05


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages to build (cases are a tenth)")
    parser.add_argument("--reruns", type=int, default=5, help="re-runs with nothing new; the median is reported")
    return parser.parse_args()


def _setup_django(messages: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        path = ROOT / "var" / "bench" / f"watchers-{messages}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


# --- building the data ----------------------------------------------------------------------


def _chunks(rows: Iterator, size: int = CHUNK) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bulk(model: type, rows: Iterator) -> list:
    created = []
    for batch in _chunks(rows):
        created.extend(model.objects.bulk_create(batch))
    return created


def _is_due(n: int) -> bool:
    return n % int(1 / DUE_SHARE) == 0


def build(messages: int, now: datetime) -> dict[str, int]:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from cases.models import Case, Flag, InsuranceClaim, Message, Promise, WatcherCursor
    from contractors.models import ContractorCompany, IncidentReport, Job, JobCancellation
    from people.models import Customer, Department, Service, StaffProfile

    call_command("flush", interactive=False, verbosity=0)
    department = Department.objects.create(code="customer-relations", name="Customer relations")
    head = User.objects.create(username="head", email="head@example.test")
    StaffProfile.objects.create(user=head, department=department, role="manager")
    department.head = head
    department.save()
    manager = User.objects.create(username="manager", email="manager@example.test")
    StaffProfile.objects.create(user=manager, department=department, role="manager", manager=head)
    agents = []
    for n in range(20):
        agent = User.objects.create(username=f"agent{n}", email=f"agent{n}@example.test")
        StaffProfile.objects.create(user=agent, department=department, manager=manager)
        agents.append(agent)
    services = [Service.objects.create(code=c, name=c.capitalize()) for c in ("fibre", "mail", "mobile")]
    company = ContractorCompany.objects.create(name="FibreCo")
    tech = User.objects.create(username="tech")

    n_cases = messages // 10
    customers = _bulk(
        Customer,
        (Customer(full_name=f"Customer {n}", email=f"c{n}@example.test", service_area=f"{69000 + n % 300}")
         for n in range(n_cases // 2)),
    )
    long_ago = now - timedelta(days=200)

    def case_row(n: int) -> Case:
        opened = now - timedelta(days=1 + (n % 180), minutes=n % 1440)
        fields = dict(reference=f"CS-B-{n:07d}", customer=customers[n % len(customers)], subject="Bench case",
                      owner=agents[n % len(agents)], service=services[n % 3], created_at=opened,
                      last_activity_at=opened, last_outbound_at=now - timedelta(hours=n % 48))
        kind = n % 20
        if kind < 11:  # closed: most of a real table
            fields |= dict(status="closed", resolved_at=opened, closed_at=opened, close_reason="confirmed")
        elif kind == 11:  # due: resolved, confirmation window over
            fields |= dict(status="resolved", resolved_at=long_ago, confirmation_due_at=now - timedelta(hours=1))
        elif kind == 12:  # due: a customer message past its reply target
            fields |= dict(status="in_progress", awaiting_reply_since=now - timedelta(days=2),
                           reply_due_at=now - timedelta(days=1))
        elif kind == 13:  # due: silent for longer than SILENT_CASE_DAYS
            fields |= dict(status="in_progress", last_outbound_at=now - timedelta(days=20))
        elif kind == 14:  # waiting for a reply, not due yet
            fields |= dict(status="in_progress", awaiting_reply_since=now, reply_due_at=now + timedelta(hours=8))
        elif kind == 15:  # resolved, window still running
            fields |= dict(status="resolved", resolved_at=now, confirmation_due_at=now + timedelta(days=6))
        else:
            fields |= dict(status="in_progress")
        case = Case(**fields)
        case._intended = opened
        return case

    cases = _bulk(Case, (case_row(n) for n in range(n_cases)))
    # created_at is auto_now_add: bulk_create overwrote it with now; put the history back.
    _restore_created_at(Case, cases)

    _bulk(
        Message,
        (Message(case=cases[n // 10], direction="inbound" if n % 2 else "outbound", channel="email",
                 author_label="Bench", body="Hello", body_html="<p>Hello</p>")
         for n in range(n_cases * 10)),
    )

    def promise_row(n: int) -> Promise:
        case = cases[n]
        if _is_due(n):
            return Promise(case=case, text="Call back", made_by=case.owner, made_by_label="Agent",
                           due_at=now - timedelta(hours=3))
        if n % 5 == 1:
            return Promise(case=case, text="Call back", made_by=case.owner, made_by_label="Agent",
                           due_at=now + timedelta(days=2))
        return Promise(case=case, text="Call back", made_by=case.owner, made_by_label="Agent",
                       due_at=long_ago, status="kept", resolved_at=long_ago)

    _bulk(Promise, (promise_row(n) for n in range(n_cases)))

    def claim_row(n: int) -> InsuranceClaim:
        case = cases[n * 5]
        due = (now - timedelta(days=3)).date() if _is_due(n) else (now + timedelta(days=5)).date()
        status = "filed" if n % 3 else "closed"
        return InsuranceClaim(case=case, insurer="Insurer", policy_holder="customer", status=status,
                              filed_at=long_ago, next_action="Call the adjuster", next_action_due=due,
                              created_by=case.owner, last_update_at=long_ago)

    _bulk(InsuranceClaim, (claim_row(n) for n in range(n_cases // 5)))

    jobs = _bulk(
        Job,
        (Job(case=cases[n * 5], company=company, title="Install", status="cancelled",
             last_cancellation_reason="no_access", cancellation_count=2 if _is_due(n) else 1, created_by=agents[0])
         for n in range(n_cases // 5)),
    )
    history = _bulk(JobCancellation, (JobCancellation(job=job, reason="no_access", cancelled_by=tech) for job in jobs))
    old_incidents = _bulk(
        IncidentReport, (IncidentReport(job=jobs[n], reported_by=tech, what="Scratch", location="Hall")
                         for n in range(0, len(jobs), 10))
    )
    # The sweeps have read all history; what follows is new since their last run.
    WatcherCursor.objects.create(name="job_cancellations", last_id=history[-1].pk, last_at=now)
    WatcherCursor.objects.create(name="incident_reports", last_id=old_incidents[-1].pk, last_at=now)
    WatcherCursor.objects.create(name="emerging_incidents", last_at=now - timedelta(minutes=1))
    new_cancellations = _bulk(
        JobCancellation, (JobCancellation(job=jobs[n], reason="no_access", cancelled_by=tech)
                          for n in range(len(jobs)) if _is_due(n))
    )
    _restore_created_at(JobCancellation, new_cancellations, field="cancelled_at", moment=now - timedelta(hours=1))
    new_incidents = _bulk(
        IncidentReport, (IncidentReport(job=jobs[n], reported_by=tech, what="Pipe", location="Hall")
                         for n in range(len(jobs)) if _is_due(n * 7))
    )
    _restore_created_at(IncidentReport, new_incidents, moment=now - timedelta(hours=1))

    # Open flags from earlier runs: most acknowledged or at the top; 5% past their escalation time.
    def flag_row(n: int) -> Flag:
        case = cases[n]
        fields = dict(case=case, kind="silent_case", subject_key=f"bench:{n}", summary="Earlier flag",
                      assignee=case.owner, raised_at=long_ago)
        if _is_due(n):
            return Flag(**fields, level=1, escalate_at=now - timedelta(minutes=5))
        if n % 2:
            return Flag(**fields, level=1, escalate_at=long_ago, acknowledged_at=long_ago)
        return Flag(**fields, level=3, escalate_at=None)

    _bulk(Flag, (flag_row(n) for n in range(0, n_cases, 2)))

    # Emerging incidents: five bursts of four cases, and scattered single cases, in the last hour.
    recent = []
    for burst in range(25):
        size = 4 if burst < 5 else 1
        for k in range(size):
            customer = Customer.objects.create(full_name=f"Recent {burst}-{k}", service_area=f"{75000 + burst}")
            recent.append(Case(reference=f"CS-R-{burst:03d}-{k}", customer=customer, subject="Outage?",
                               owner=agents[k], service=services[1], last_activity_at=now, status="new"))
    recent = Case.objects.bulk_create(recent)
    _restore_created_at(Case, recent, moment=now - timedelta(minutes=30))

    return {
        "messages": Message.objects.count(),
        "cases": Case.objects.count(),
        "promises": Promise.objects.count(),
        "claims": InsuranceClaim.objects.count(),
        "jobs": Job.objects.count(),
        "flags": Flag.objects.count(),
    }


def _restore_created_at(model: type, rows: list, field: str = "created_at", moment: datetime | None = None) -> None:
    """auto_now_add ignores the value given to bulk_create; write the intended one back."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field)
    with connection.cursor() as cursor:
        params = [(moment or getattr(row, "_intended", None) or getattr(row, field), row.pk) for row in rows]
        for batch in _chunks(iter(params)):
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", batch)  # noqa: S608 — names quoted


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

    from cases.watchers import WATCHERS

    settings.WATCHER_MAX_BATCHES_PER_RUN = 1_000_000  # one run does all the work, to time all of it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
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
        rows.append({"watcher": name, "handled": result.examined, "raised": result.raised, "acted": result.acted,
                     "work_ms": work_ms, "work_queries": work_queries[0],
                     "idle_ms": statistics.median(idle_times), "idle_queries": idle_queries[0]})
    return rows


def main() -> None:
    args = _parse()
    _setup_django(args.messages)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    now = timezone.now()
    started = time.perf_counter()
    sizes = build(args.messages, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does on a live database
    built = time.perf_counter() - started
    backend = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
    print(f"# {backend.strip()}, built in {built:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    print("| watcher | rows handled | raised | acted | scan with work (ms) | queries | re-run, nothing new (ms) "
          "| queries |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in measure(now, args.reruns):
        print(f"| {row['watcher']} | {row['handled']:,} | {row['raised']:,} | {row['acted']:,} | {row['work_ms']:,.0f} "
              f"| {row['work_queries']:,} | {row['idle_ms']:.1f} | {row['idle_queries']} |")


if __name__ == "__main__":
    main()
