"""Page benchmark (issue 14): every staff, customer, contractor and API page timed at volume.

    .venv/bin/python bench/pages.py --volume 100000              # SQLite file under var/bench/
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_pages .venv/bin/python bench/pages.py --volume 1000000

The first run builds the data (the demo stories, `load_demo --volume N --seed 1`, and one heavy
case of 200 timeline events written through the services, then ANALYZE); later runs reuse it
(--rebuild starts again). On DATABASE_URL it builds only into an empty database, or one this
script built: point it at a scratch database.

Method (the same as the side-by-side harness we compared Steward with django-helpdesk by):
in-process Django test client, DEBUG off, a real database session per user (`force_login`),
--warmup rounds then --n timed rounds taken page by page in turn, so machine noise falls on
every page alike; per page the median, p95 and min of the wall time, the bytes, and from one
separate untimed request the SQL statement count and the time spent inside the database. Each
response is checked against figures read with the ORM, not through the page's own selectors,
so a page that is fast because it is empty or wrong fails. `bare` is a view that returns as many
bytes as the case page from a constant, after loading the session and user: the framework's
floor for a signed-in page, the yardstick of the issue's "≤ 10× the bare view" targets.
"""

import argparse
import json
import math
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape, unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = (
    "case",
    "case_older",
    "bare",
    "worklist",
    "team",
    "search",
    "flags",
    "reports",
    "my_cases",
    "my_case",
    "jobs",
    "api_cases",
    "api_case",
)
HEAVY_SUBJECT = "VPN drops every 20 minutes at the Lisbon office (heavy case)"
OWNER, COLLEAGUE, MANAGER, CUSTOMER, CONTRACTOR = "claire", "pierre", "marc", "jeanne", "thierry"
BODIES = (
    "The VPN to the Lisbon office dropped again at {t}. We lose every open session.",
    "Thank you for the details. The re-key at 20-minute intervals fails on the second peer; "
    "we change the lifetime tonight and watch it tomorrow morning.",
    "Internal: the peer runs firmware 4.2, a known issue with DPD timers.",
    "Internal: the network team can push the new profile remotely. No visit needed.",
    "Called the office manager: the drops still happen at {t}; she will send the next log.",
)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volume", type=int, default=100_000, help="customers added to the demo when building")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--n", type=int, default=20, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated subset of: " + ",".join(PAGES))
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--explain", metavar="PAGE", help="print the plans of that page's five slowest statements")
    return parser.parse_args()


def _setup_django(volume: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        path = ROOT / "var" / "bench" / f"pages-{volume}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    # The bench signs people in with force_login; a second factor would stop every staff page.
    os.environ["TWO_FACTOR_ENFORCED"] = "false"
    os.environ.setdefault("STATIC_ROOT", str(ROOT / "var" / "bench" / "static"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def _built() -> bool:
    from django.db import connection

    if "cases_case" not in connection.introspection.table_names():
        return False
    from cases.models import Case

    return Case.objects.filter(subject=HEAVY_SUBJECT).exists()


def _build(volume: int, rebuild: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if rebuild:
        if connection.vendor == "sqlite":
            connection.close()
            for leftover in Path(settings.DATABASES["default"]["NAME"]).parent.glob(f"pages-{volume}.sqlite3*"):
                leftover.unlink()
        else:
            call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    # Always: a later commit's migrations (and their back-fills) then run on the data built before.
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=0)
    if pending and not rebuild and _built():
        # A new index has no statistics yet: without them SQLite guesses, and may pick a plan
        # a database in service (analysed) would not.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if not rebuild and _built():
        return
    from cases.models import Case

    if Case.objects.exists() and not rebuild:
        raise SystemExit("The database holds cases but not this benchmark's: point DATABASE_URL at a scratch one.")
    call_command("load_demo", allow_without_debug=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"demo stories loaded in {time.perf_counter() - started:.0f} s", flush=True)
    call_command(
        "load_demo",
        volume=volume,
        seed=1,
        allow_without_debug=True,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    print(f"{volume:,} customers added in {time.perf_counter() - started:.0f} s", flush=True)
    _heavy_case()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"heavy case and ANALYZE done; built in {time.perf_counter() - started:.0f} s", flush=True)


def _heavy_case(events: int = 200) -> None:
    """One case with 200 events, written the way staff and the customer would: a status change
    every 20th, else in turn a customer message, a reply, two internal notes and a call."""
    from django.contrib.auth.models import User

    from cases.services import call_log, case_open, case_set_status, message_receive, message_reply, note_add

    owner, colleague = User.objects.get(username=OWNER), User.objects.get(username=COLLEAGUE)
    customer_user = User.objects.get(username=CUSTOMER)
    heavy = case_open(
        actor=owner,
        customer=customer_user.customer_profile,
        subject=HEAVY_SUBJECT,
        owner=owner,
        description="The site-to-site VPN drops every 20 minutes.",
        priority="high",
    )
    for i in range(1, events):
        heavy.refresh_from_db()
        if i % 20 == 0:
            wanted = next(s for s in ("in_progress", "waiting_customer") if s != heavy.status)
            case_set_status(actor=owner, case=heavy, status=wanted)
            continue
        step, body = i % 5, BODIES[i % 5].format(t=f"{8 + i % 10}:{i % 60:02d}") + f" (#{i})"
        if step == 0:
            message_receive(case=heavy, body=body, channel="portal", actor=customer_user)
        elif step == 1:
            message_reply(actor=owner, case=heavy, body=body, channel="email")
        elif step in (2, 3):
            note_add(actor=owner if step == 2 else colleague, case=heavy, body=body)
        else:
            call_log(actor=owner, case=heavy, summary=body, inbound=False)


class Counter:
    """connection.execute_wrapper: statements and the time spent inside execute()."""

    def __init__(self) -> None:
        self.n = 0
        self.seconds = 0.0
        self.timed: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.n += 1
            self.seconds += spent
            self.timed.append((spent * 1000, sql, params))


@contextmanager
def _counting() -> Iterator[Counter]:
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        yield counter


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _markers(events: Any) -> list[str]:
    """The "(#i)" ends of the message bodies among these events, first and last: message events
    show the body, and every body the heavy case was built with ends with its number."""
    from cases.models import Message

    ids = [int(e.subject_key.split(":")[1]) for e in events if e.subject_key.startswith("message:")]
    bodies = dict(Message.objects.filter(pk__in=ids).values_list("pk", "body"))
    found = [m.group(0) for i in ids if (m := re.search(r"\(#\d+\)", bodies.get(i, "")))]
    return [found[0], found[-1]] if found else []


class Site:
    """The pages, who asks for each, and what each must contain (read with the ORM)."""

    def __init__(self) -> None:
        from django.contrib.auth.models import User
        from django.db.models import Count
        from django.http import HttpResponse
        from django.test import Client
        from django.urls import clear_url_caches, path, reverse
        from django.utils import timezone

        import portal.urls
        from cases.models import Case, Flag, Promise, TimelineEvent
        from contractors.models import Job
        from people.models import Customer

        heavy = Case.objects.select_related("customer__user", "owner").get(subject=HEAVY_SUBJECT)
        busiest = (
            Case.objects.exclude(status=Case.Status.CLOSED)
            .values("owner")
            .annotate(n=Count("pk"))
            .order_by("-n", "owner")
            .first()
        )
        busy = User.objects.get(pk=busiest["owner"])
        contractor = User.objects.get(username=CONTRACTOR)
        users = {
            "owner": heavy.owner,
            "busy": busy,
            "manager": User.objects.get(username=MANAGER),
            "customer": heavy.customer.user,
            "contractor": contractor,
        }
        self.clients = {}
        for key, user in users.items():
            self.clients[key] = Client()
            self.clients[key].force_login(user)

        # As beat does every minute: the stored order counts the promises that fell due since.
        from cases.watchers import watch_attention_due

        watch_attention_due()
        # The busy owner's first and 50th case in attention order, computed here from plain rows:
        # highest open owner's flag level × 4 + an overdue promise × 2 + a message awaiting reply.
        now = timezone.now()
        rows = list(
            Case.objects.exclude(status=Case.Status.CLOSED)
            .filter(owner=busy)
            .values_list("pk", "reference", "last_activity_at", "awaiting_reply_since")
        )
        top_flag: dict[int, int] = {}
        open_flags = Flag.objects.filter(case__owner=busy, cleared_at__isnull=True).exclude(
            kind=Flag.Kind.HELP_REQUESTED
        )
        for case_id, level in open_flags.values_list("case_id", "level"):
            top_flag[case_id] = max(level, top_flag.get(case_id, 0))
        overdue = set(
            Promise.objects.filter(case__owner=busy, status=Promise.Status.OPEN, due_at__lt=now).values_list(
                "case_id", flat=True
            )
        )
        rows.sort(key=lambda r: (-(top_flag.get(r[0], 0) * 4 + 2 * (r[0] in overdue) + (r[3] is not None)), r[2], r[0]))
        events = TimelineEvent.objects.filter(case=heavy).order_by("-created_at", "-pk")
        searched = Customer.objects.filter(cases__isnull=False, email__contains="@volume.").order_by("pk")[1000:1001]
        searched_customer = searched.get() if searched.exists() else heavy.customer
        company = contractor.contractor_profile.company
        newest_case = Case.objects.order_by("-created_at", "-pk").first()

        self.urls = {
            "case": reverse("staff:case", args=[heavy.reference]),
            "bare": "/__bench_bare__/",
            "worklist": reverse("staff:worklist"),
            "team": reverse("staff:team"),
            "search": reverse("staff:search") + "?q=" + searched_customer.full_name.replace(" ", "+"),
            "flags": reverse("staff:flags"),
            "reports": reverse("reports:index"),
            "my_cases": reverse("my:cases"),
            "my_case": reverse("my:case", args=[heavy.reference]),
            "jobs": reverse("contractor:jobs"),
            "api_cases": reverse("api:case-list"),
            "api_case": reverse("api:case-detail", args=[heavy.reference]),
        }
        self.who = {
            "case": "owner",
            "case_older": "owner",
            "bare": "owner",
            "worklist": "busy",
            "team": "manager",
            "search": "owner",
            "flags": "busy",
            "reports": "manager",
            "my_cases": "customer",
            "my_case": "customer",
            "jobs": "contractor",
            "api_cases": "owner",
            "api_case": "owner",
        }
        self.expect = {
            "case": [heavy.subject, heavy.reference, "/timeline/?before="],
            "case_older": _markers(events[100:200]),
            "worklist": [rows[0][1], rows[min(49, len(rows) - 1)][1]] if rows else [],
            "team": [heavy.owner.get_full_name()],
            "search": [searched_customer.full_name, searched_customer.email],
            "flags": [],
            "reports": ["<svg"],
            "my_cases": [heavy.subject, heavy.reference],
            "my_case": [heavy.subject, *_markers(events.filter(customer_visible=True)[:100])[:1]],
            "jobs": [company.name],
            "api_cases": [f'"reference":"{newest_case.reference}"'] if newest_case else [],
            "api_case": [f'"reference":"{heavy.reference}"'],
            "bare": [],
        }
        self.headers = {"case_older": {"HX-Request": "true"}}
        first = self.clients["owner"].get(self.urls["case"], secure=True)
        if first.status_code != 200:
            raise SystemExit(f"the case page answered HTTP {first.status_code}")
        older = re.search(r'hx-get="([^"]*/timeline/\?before=[^"]+)"', first.content.decode())
        if not older:
            raise SystemExit("the case page has no link to its older events")
        self.urls["case_older"] = unescape(older.group(1))
        self.case_bytes = len(first.content)
        body = "x" * self.case_bytes

        def bare(request: Any) -> HttpResponse:
            request.user.is_authenticated  # noqa: B018 — loads the session and the user, as every page does
            return HttpResponse(body)

        portal.urls.urlpatterns.insert(0, path("__bench_bare__/", bare))
        clear_url_caches()
        self.sizes = {
            "cases": Case.objects.count(),
            "open cases": Case.objects.exclude(status=Case.Status.CLOSED).count(),
            "customers": Customer.objects.count(),
            "timeline events": TimelineEvent.objects.count(),
            "open flags": Flag.objects.filter(cleared_at__isnull=True).count(),
            "jobs": Job.objects.count(),
            "busy owner's open cases": len(rows),
            "heavy case events": events.count(),
        }

    def get(self, page: str) -> tuple[Any, float]:
        started = time.perf_counter()
        response = self.clients[self.who[page]].get(self.urls[page], secure=True, headers=self.headers.get(page))
        return response, (time.perf_counter() - started) * 1000

    def check(self, page: str, response: Any) -> None:
        if response.status_code != 200:
            raise SystemExit(f"{page}: HTTP {response.status_code} for {self.urls[page]}")
        text = response.content.decode("utf-8", "replace")
        for needle in self.expect[page]:
            spellings = (needle, escape(needle), escape(needle, quote=False), json.dumps(needle)[1:-1])
            if needle and not any(spelling in text for spelling in spellings):
                raise SystemExit(f"{page}: the response lacks {needle!r} ({self.urls[page]})")


def _explain(statements: list[tuple[float, str, Any]]) -> None:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        for ms, sql, params in sorted(statements, key=lambda s: -s[0])[:5]:
            cursor.execute(prefix + sql, params)
            print(f"\n{ms:.2f} ms: {sql[:500]}")
            for row in cursor.fetchall():
                print("   ", row)


def main() -> int:
    args = _parse()
    pages = [page for page in args.pages.split(",") if page]
    unknown = set(pages) - set(PAGES)
    if unknown:
        raise SystemExit(f"unknown pages {sorted(unknown)}; known: {', '.join(PAGES)}")
    _setup_django(args.volume)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    _build(args.volume, args.rebuild)
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    site = Site()
    samples: dict[str, list[float]] = {page: [] for page in pages}
    sizes: dict[str, int] = {}
    for round_ in range(args.warmup + args.n):
        for page in pages:
            response, ms = site.get(page)
            site.check(page, response)
            sizes[page] = len(response.content)
            if round_ >= args.warmup:
                samples[page].append(ms)
    counted = {}
    for page in pages:
        with _counting() as counter:
            site.check(page, site.get(page)[0])
        counted[page] = counter
        if page == args.explain:
            _explain(counter.timed)

    bare = statistics.median(samples["bare"]) if "bare" in samples else None
    vendor = connection.vendor
    print(
        f"\nSteward pages on {vendor}: "
        + ", ".join(f"{name} {value:,}" for name, value in site.sizes.items())
        + f"; n={args.n} after {args.warmup} warm-up rounds; "
        + f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    header = f"{'page':<11}{'median ms':>10}{'p95 ms':>9}{'min ms':>9}{'× bare':>8}"
    header += f"{'queries':>9}{'SQL ms':>9}{'bytes':>10}"
    print(header + "\n" + "-" * len(header))
    figures: dict[str, dict[str, Any]] = {}
    for page in pages:
        median = statistics.median(samples[page])
        figures[page] = {
            "median_ms": round(median, 2),
            "p95_ms": round(_p95(samples[page]), 2),
            "min_ms": round(min(samples[page]), 2),
            "queries": counted[page].n,
            "sql_ms": round(counted[page].seconds * 1000, 2),
            "bytes": sizes[page],
        }
        ratio = f"{median / bare:.1f}" if bare else "–"
        print(
            f"{page:<11}{median:>10.1f}{figures[page]['p95_ms']:>9.1f}{figures[page]['min_ms']:>9.1f}{ratio:>8}"
            f"{counted[page].n:>9}{figures[page]['sql_ms']:>9.1f}{sizes[page]:>10}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"database": vendor, "sizes": site.sizes, "pages": figures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
