#!/usr/bin/env python
"""Time Steward's pages in-process with Django's test Client (DEBUG off).

Same method as hd_worker.py uses for django-helpdesk: each user is logged in with
Client.force_login (a real DB-backed session, so every request pays the session
and user lookups as in production); pages are requested round-robin, W warm-up
rounds then N timed rounds; per page the median / p95 (nearest rank) / min of the
wall time of client.get(); the SQL query count and the time inside
cursor.execute() from a separate untimed pass (connection.execute_wrapper); the
response size; and a content check computed with the ORM independently of the
view, so a page that renders fast because it is empty or an error page fails.

Pages (user in brackets; the heavy case is the one prepare.py builds, ~200 events):
  case          staff case page, heavy case, newest 100 events    [its owner]
  case_older    the page's "Show older events" htmx fragment (events 101-200)
  case_full     case + case_older per round: all 200 events shown (computed)
  bare          trivial view returning as many bytes as `case` from a constant
                string, through the same middleware, after touching request.user
                (the framework floor of a logged-in page)                   [owner]
  worklist      /staff/ first page (50 rows)                  [busiest owner]
  team          /staff/team/ manager's team load               [a manager]
  search        /staff/search/?q=<customer full name>         [owner]
  flags         /staff/flags/ first page                      [busiest owner]
  my_cases      /my/  customer's cases                        [the heavy case's customer]
  my_case       /my/cases/<heavy>/ customer case page         [that customer]
  jobs          /contractor/ jobs list, first page            [a contractor user]
  api_cases     /api/v1/cases/ first page (50)                [owner, session auth]
  api_case      /api/v1/cases/<heavy>/                        [owner]

Usage (from anywhere; the Steward checkout's own venv python):
  [STEWARD_REPO=<steward checkout>] <steward>/.venv/bin/python measure.py [--db PATH]
      [--n 20] [--warmup 3] [--pages case,worklist,...] [--json] [--dump-queries PAGE]
      [--explain PAGE]  (EXPLAIN QUERY PLAN of that page's slowest statements)
  ... measure.py --serve        (driven by interleave.py; see serve.py)

Environment set here before Django starts: DEBUG=false, a throwaway SECRET_KEY,
ALLOWED_HOSTS=testserver, DATABASE_URL=sqlite:///<db>, TWO_FACTOR_ENFORCED=false (as
bench/pages.py: force_login gives no second factor; none of the users here is an
administrator, whom alone it would ask by default). Requests are made with
secure=True (production redirects plain HTTP to HTTPS). Static files need
`manage.py collectstatic` (DEBUG off uses the manifest storage).
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True

from serve import CheckFailed, counting, maxrss_kb, p95, serve  # noqa: E402

PAGES = (
    "case",
    "case_older",
    "bare",
    "worklist",
    "team",
    "search",
    "flags",
    "my_cases",
    "my_case",
    "jobs",
    "api_cases",
    "api_case",
)
HEAVY_SUBJECT = "VPN drops every 20 minutes at the Lisbon office (heavy case)"
OWNER, MANAGER, CUSTOMER, CONTRACTOR = "claire", "marc", "jeanne", "thierry"


def setup_django(repo, db):
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["TWO_FACTOR_ENFORCED"] = "false"
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(db).resolve()}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(Path(repo).resolve()))
    import django

    django.setup()


class Steward:
    """The pages, their users, URLs and checks, built once from the database."""

    def __init__(self, args):
        from django.contrib.auth.models import User
        from django.db import connection
        from django.db.models import Count, Q
        from django.http import HttpResponse
        from django.test import Client
        from django.urls import clear_url_caches, path, reverse

        import portal.urls
        from cases.models import Case, Flag, Promise, TimelineEvent
        from contractors.models import Job
        from people.models import Customer

        self.connection = connection
        self.args = args
        heavy = Case.objects.select_related("customer__user", "owner").get(subject=HEAVY_SUBJECT)
        self.heavy = heavy
        owner = heavy.owner
        # The busiest owner: most cases not closed.
        busy_row = (
            Case.objects.exclude(status=Case.Status.CLOSED)
            .values("owner")
            .annotate(n=Count("pk"))
            .order_by("-n", "owner")
            .first()
        )
        busy = User.objects.get(pk=args.worklist_user_id or busy_row["owner"])
        self.busy_open = Case.objects.exclude(status=Case.Status.CLOSED).filter(owner=busy).count()
        manager = User.objects.get(username=args.manager)
        customer_user = heavy.customer.user
        contractor = User.objects.get(username=args.contractor)
        self.users = {
            "owner": owner,
            "busy": busy,
            "manager": manager,
            "customer": customer_user,
            "contractor": contractor,
        }
        self.clients = {}
        for key, user in self.users.items():
            client = Client()
            client.force_login(user)
            self.clients[key] = client

        # --- independent expectations (ORM, not the views' selectors) ---
        events = TimelineEvent.objects.filter(case=heavy).order_by("-created_at", "-pk")
        self.heavy_events = events.count()
        # Message events show the message body, not the summary: check the "(#i)" marker prepare.py
        # puts at the end of every body, for the newest and the 100th event (first page) and the oldest.
        from cases.models import Message

        def markers(evs):
            ids = [int(e.subject_key.split(":")[1]) for e in evs if e.subject_key.startswith("message:")]
            bodies = dict(Message.objects.filter(pk__in=ids).values_list("pk", "body"))
            return [re.search(r"\(#\d+\)", bodies[i]).group(0) for i in ids]

        first_page = markers(list(events[:100]))
        older_page = markers(list(events[100:200]))
        visible = events.filter(customer_visible=True)
        self.heavy_visible = visible.count()
        visible_markers = markers(list(visible[:100]))

        # The worklist's order is the attention stored on the case (top open flag level*4 +
        # overdue promise*2 + awaiting reply*1), kept by the services and, for promises falling
        # due while nobody touches the case, by the attention watcher beat runs every minute:
        # run it once here, as beat would have. The expectation below does not read the stored
        # number: it counts the attention again from the flags and promises themselves (the
        # owner's flags only: a help request asks a colleague, not the owner), then sorts by
        # attention desc, last activity asc, pk asc, in Python from plain rows.
        from django.utils import timezone

        from cases.watchers import watch_attention_due

        watch_attention_due()
        now = timezone.now()
        rows = list(
            Case.objects.exclude(status=Case.Status.CLOSED)
            .filter(owner=busy)
            .values_list("pk", "reference", "last_activity_at", "awaiting_reply_since")
        )
        top_flag = {}
        owners_flags = Flag.objects.filter(case__owner=busy, cleared_at__isnull=True).exclude(
            kind=Flag.Kind.HELP_REQUESTED
        )
        for case_id, level in owners_flags.values_list("case_id", "level"):
            top_flag[case_id] = max(level, top_flag.get(case_id, 0))
        overdue = set(
            Promise.objects.filter(case__owner=busy, status=Promise.Status.OPEN, due_at__lt=now).values_list(
                "case_id", flat=True
            )
        )

        def attention(r):
            return top_flag.get(r[0], 0) * 4 + (2 if r[0] in overdue else 0) + (1 if r[3] is not None else 0)

        rows.sort(key=lambda r: (-attention(r), r[2], r[0]))
        worklist_first = rows[0][1]
        worklist_50th = rows[min(49, len(rows) - 1)][1]
        self.worklist_attention = [attention(rows[0]), attention(rows[min(49, len(rows) - 1)])]

        flag_first = (
            Flag.objects.filter(assignee=busy, cleared_at__isnull=True).order_by("-level", "raised_at", "pk").first()
        )
        # search: the full name of a volume customer with a case (a name shared by a few customers)
        search_customer = (
            Customer.objects.filter(pk=args.search_customer_id).first()
            if args.search_customer_id
            else Customer.objects.filter(cases__isnull=False, email__contains="@volume.")
            .order_by("pk")[1000:1001]
            .get()
        )
        self.search_customer = search_customer
        self.search_hits = Customer.objects.filter(full_name__icontains=search_customer.full_name).count()
        team_names = [owner.get_full_name()]
        self.own_open = list(
            Case.objects.filter(customer__user=customer_user, merged_into__isnull=True)
            .exclude(status=Case.Status.CLOSED)
            .values_list("reference", flat=True)
        )
        # The heavy case's owner's row on the manager's team view: their open cases, counted here.
        self.owner_open = Case.objects.exclude(status=Case.Status.CLOSED).filter(owner=owner).count()
        company = contractor.contractor_profile.company
        job_count = Job.objects.filter(company=company).count()
        self.job_count = job_count
        newest_case = Case.objects.order_by("-created_at", "-pk").first()

        case_url = reverse("staff:case", args=[heavy.reference])
        self.urls = {
            "case": case_url,
            "bare": "/__bench_bare__/",
            "worklist": reverse("staff:worklist"),
            "team": reverse("staff:team"),
            "search": reverse("staff:search") + "?q=" + search_customer.full_name.replace(" ", "+"),
            "flags": reverse("staff:flags"),
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
            "my_cases": "customer",
            "my_case": "customer",
            "jobs": "contractor",
            "api_cases": "owner",
            "api_case": "owner",
        }
        self.headers = {"case_older": {"HX-Request": "true"}}
        self.expect = {
            "case": [heavy.subject, first_page[0], first_page[-1], "/timeline/?before="],
            # The oldest event, "case opened", by its id: its label is in the reader's language
            # (claire reads French), so the English words would not be there.
            "case_older": [older_page[0], older_page[-1], f'id="event-{events.last().pk}"'],
            "worklist": [worklist_first, worklist_50th],
            "team": team_names,
            "search": [search_customer.full_name, search_customer.email],
            # The row shows the flag's text in the reader's language, not the stored summary: check
            # the top flag's row and its case instead (the row order is checked in verify).
            "flags": [f'id="flag-{flag_first.pk}"', flag_first.case.reference if flag_first.case else ""]
            if flag_first
            else [],
            # Every open case of the customer's own (not merged into another): the heavy one among them.
            "my_cases": [heavy.subject, *self.own_open],
            "my_case": [heavy.subject, visible_markers[0]],
            "jobs": [company.name],
            "api_cases": [f'"reference":"{newest_case.reference}"'],
            "api_case": [f'"reference":"{heavy.reference}"', heavy.subject],
        }
        self.check_label = {
            "case": "subject + newest and 100th event (their message bodies) + older-events link",
            "case_older": "101st and oldest message bodies + the oldest event ('case opened') by its id",
            "bare": "same byte count as case",
            "worklist": "1st and 50th case of the busy owner, in that order, by attention counted again from "
            "the flags and promises (computed in Python)",
            "team": "the heavy case owner's row, with their open cases counted with the ORM",
            "search": "customer's name and e-mail",
            "flags": "busy owner's top open flag (level desc, raised asc, id) is the first row, with its case",
            "my_cases": "heavy case subject + the reference of every open case of the customer's own",
            "my_case": "heavy case subject + newest customer-visible message body",
            "jobs": "contractor company name",
            "api_cases": "newest case's reference first",
            "api_case": "heavy case reference + subject",
        }

        # The older-events URL comes from the case page itself, as htmx would follow it.
        r = self.clients["owner"].get(case_url, secure=True)
        if r.status_code != 200:
            raise SystemExit(f"case page answered HTTP {r.status_code}")

        m = re.search(r'hx-get="([^"]*/timeline/\?before=[^"]+)"', r.content.decode())
        if not m:
            raise SystemExit("case page has no htmx older-events URL")
        from html import unescape

        self.urls["case_older"] = unescape(m.group(1))
        self.case_bytes = len(r.content)

        body = "x" * self.case_bytes  # constant string, as long as the case page

        def bare(request):
            request.user.is_authenticated  # noqa: B018  (loads session + user like every page)
            return HttpResponse(body)

        portal.urls.urlpatterns.insert(0, path("__bench_bare__/", bare))
        clear_url_caches()
        self.expect["bare"] = []
        self.pages = [p for p in args.pages.split(",") if p]
        bad = set(self.pages) - set(PAGES)
        if bad:
            raise SystemExit(f"unknown pages {sorted(bad)}; known: {','.join(PAGES)}")
        self.counts = {
            "cases": Case.objects.count(),
            "open_cases": Case.objects.exclude(status=Case.Status.CLOSED).count(),
            "timeline_events": TimelineEvent.objects.count(),
            "customers": Customer.objects.count(),
            "open_flags": Flag.objects.filter(cleared_at__isnull=True).count(),
            "jobs": Job.objects.count(),
        }
        self.q = Q

    def get(self, page):
        client = self.clients[self.who[page]]
        t0 = time.perf_counter()
        resp = client.get(self.urls[page], secure=True, headers=self.headers.get(page))
        dt = time.perf_counter() - t0
        return resp, dt

    def verify(self, page, resp):
        if resp.status_code != 200:
            raise CheckFailed(f"{page}: HTTP {resp.status_code} for {self.urls[page]}")
        body = resp.content.decode("utf-8", "replace")
        if page == "bare":
            if len(resp.content) != self.case_bytes:
                raise CheckFailed("bare: byte count differs from case")
            return
        for needle in self.expect[page]:
            if not needle:
                continue
            if (
                needle not in body
                and escape(needle) not in body
                and escape(needle, quote=False) not in body
                and json.dumps(needle)[1:-1] not in body
            ):
                raise CheckFailed(f"{page}: response lacks {needle!r} ({self.urls[page]})")
        if page == "team":
            name = self.expect["team"][0]
            row = body[body.index(name) : body.index("</tr>", body.index(name))]
            shown = re.search(r"<td[^>]*>(\d+)</td>", row)
            if not shown or int(shown.group(1)) != self.owner_open:
                raise CheckFailed(f"team: {name}'s open cases are not {self.owner_open}")
        if page == "flags" and self.expect["flags"]:
            first_row = re.search(r'id="flag-\d+"', body)
            if first_row.group(0) != self.expect["flags"][0]:
                raise CheckFailed(f"flags: the first row is {first_row.group(0)}, not {self.expect['flags'][0]}")
        if page == "worklist":
            first, fiftieth = self.expect["worklist"]
            if first != fiftieth and body.index(first) > body.index(fiftieth):
                raise CheckFailed(f"worklist: {fiftieth} is shown before {first}")

    def timed(self, page):
        resp, dt = self.get(page)
        self.verify(page, resp)
        return dt * 1000.0, len(resp.content)

    def count(self, page, keep=False):
        runs = []
        for _ in range(2):
            with counting(self.connection) as qc:
                resp, _dt = self.get(page)
            self.verify(page, resp)
            runs.append(qc)
        qc = runs[-1]
        out = {
            "queries": qc.n,
            "sql_ms": round(qc.seconds * 1000.0, 2),
            "shapes": [[c, s] for s, c in qc.shapes.most_common(40)],
            "slowest": [[round(ms, 2), sql[:600]] for ms, sql, _p in sorted(qc.timed, key=lambda t: -t[0])[:8]],
        }
        if runs[0].n != runs[1].n:
            out["note"] = f"query count varied {runs[0].n} -> {runs[1].n}"
        if keep:
            out["_timed"] = qc.timed
        return out

    def meta(self):
        from importlib.metadata import version as pkg_version

        import django
        from django.conf import settings

        with self.connection.cursor() as cur:
            cur.execute("select sqlite_version()")
            sqlite_version = cur.fetchone()[0]
        return {
            "product": "steward",
            "django_version": django.get_version(),
            "drf_version": pkg_version("djangorestframework"),
            "python": platform.python_version(),
            "sqlite": sqlite_version,
            "debug": settings.DEBUG,
            "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
            "db": Path(self.args.db).name,
            **self.counts,
            "heavy_case": self.heavy.reference,
            "heavy_events": self.heavy_events,
            "heavy_customer_visible_events": self.heavy_visible,
            "users": {k: u.username for k, u in self.users.items()},
            "busy_owner_open_cases": self.busy_open,
            "search_term": self.search_customer.full_name,
            "search_name_matches": self.search_hits,
            "contractor_company_jobs": self.job_count,
            "urls": self.urls,
            "checks": self.check_label,
            "pages": self.pages,
            "maxrss_kb_at_start": self.rss_start,
        }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--repo",
        default=os.environ.get("STEWARD_REPO", str(HERE.parent.parent)),
        help="Steward checkout to import and time (STEWARD_REPO; default: the one holding this file)",
    )
    ap.add_argument("--db", default=os.environ.get("STEWARD_DB"), help="SQLite file (default <repo>/db.sqlite3)")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--manager", default=MANAGER)
    ap.add_argument("--contractor", default=CONTRACTOR)
    ap.add_argument("--worklist-user-id", type=int, help="default: the owner with the most open cases")
    ap.add_argument("--search-customer-id", type=int, help="default: the 1001st volume customer with a case")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dump-queries", metavar="PAGE")
    ap.add_argument("--explain", metavar="PAGE", help="EXPLAIN QUERY PLAN of the page's 5 slowest statements")
    ap.add_argument("--serve", action="store_true", help="line protocol for interleave.py")
    args = ap.parse_args(argv)
    args.db = args.db or str(Path(args.repo) / "db.sqlite3")
    if not Path(args.db).exists():
        ap.error(f"{args.db} does not exist")
    rss0 = maxrss_kb()
    setup_django(args.repo, args.db)
    portal = Steward(args)
    portal.rss_start = rss0
    if args.serve:
        serve(portal)
        return 0

    out = sys.stderr if args.json else sys.stdout
    pages = portal.pages
    samples = {p: [] for p in pages}
    sizes = {}
    for it in range(args.warmup + args.n):
        for page in pages:
            ms, size = portal.timed(page)
            sizes[page] = size
            if it >= args.warmup:
                samples[page].append(ms)
    if "case" in pages and "case_older" in pages:
        samples["case_full"] = [a + b for a, b in zip(samples["case"], samples["case_older"], strict=True)]
    counts = {p: portal.count(p) for p in pages}
    if "case_full" in samples:
        counts["case_full"] = {k: counts["case"][k] + counts["case_older"][k] for k in ("queries", "sql_ms")}
        sizes["case_full"] = sizes["case"] + sizes["case_older"]
    result = {"meta": portal.meta(), "pages": {}}
    result["meta"].update(
        n=args.n, warmup=args.warmup, when=time.strftime("%Y-%m-%dT%H:%M:%S%z"), maxrss_kb_at_end=maxrss_kb()
    )
    for page, s in samples.items():
        result["pages"][page] = {
            "median_ms": round(statistics.median(s), 2),
            "p95_ms": round(p95(s), 2),
            "min_ms": round(min(s), 2),
            "max_ms": round(max(s), 2),
            "queries": counts[page]["queries"],
            "sql_ms": counts[page]["sql_ms"],
            "bytes": sizes[page],
            "samples_ms": [round(x, 2) for x in s],
        }
    m = result["meta"]
    print(
        f"Steward / Django {m['django_version']} / Python {m['python']} / SQLite {m['sqlite']} / "
        f"DEBUG={m['debug']}; {m['cases']:,} cases ({m['open_cases']:,} open), {m['timeline_events']:,} events; "
        f"heavy case {m['heavy_case']} has {m['heavy_events']} events; n={args.n} after {args.warmup} warm-up; "
        f"peak RSS {m['maxrss_kb_at_end'] / 1024:.0f} MiB",
        file=out,
    )
    hdr = f"{'page':<11}{'median_ms':>10}{'p95_ms':>9}{'min_ms':>9}{'queries':>9}{'sql_ms':>9}{'bytes':>10}"
    print(hdr + "\n" + "-" * len(hdr), file=out)
    for page, d in result["pages"].items():
        print(
            f"{page:<11}{d['median_ms']:>10.1f}{d['p95_ms']:>9.1f}{d['min_ms']:>9.1f}{d['queries']:>9}"
            f"{d['sql_ms']:>9.1f}{d['bytes']:>10}",
            file=out,
        )
    if args.dump_queries:
        c = portal.count(args.dump_queries)
        print(
            f"\nquery shapes for {args.dump_queries} ({c['queries']} queries, {c['sql_ms']} ms in execute):", file=out
        )
        for n, sql in c["shapes"]:
            print(f"{n:>5} x {sql[:300]}", file=out)
        print("\nslowest statements:", file=out)
        for ms, sql in c["slowest"]:
            print(f"{ms:>8.2f} ms  {sql[:400]}", file=out)
    if args.explain:
        c = portal.count(args.explain, keep=True)
        with portal.connection.cursor() as cur:
            for ms, sql, params in sorted(c["_timed"], key=lambda t: -t[0])[:5]:
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                print(f"\n{ms:.2f} ms: {sql[:500]}", file=out)
                for row in cur.fetchall():
                    print("   ", row, file=out)
    if args.json:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
