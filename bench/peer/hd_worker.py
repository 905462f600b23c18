#!/usr/bin/env python
"""django-helpdesk 2.6.1 pages as a worker for interleave.py (line protocol in serve.py).

Logged in as staff01 with force_login (a real database session), on the data of
helpdesk/seed.py:
  detail     /helpdesk/tickets/<heavy id>/: the heavy ticket with its 200 follow-ups;
             must show the ticket's title
  list       /helpdesk/tickets/: the ticket list with its default filter (Open + Reopened),
             an HTML shell whose rows come from the next request; must hold the data
             table and the data URL
  list_data  that data URL, first 25 rows (what the shell's DataTables script asks for);
             must hold the oldest open ticket's title and the exact open count
             (recordsFiltered), both read with the ORM
  dashboard  /helpdesk/dashboard/: staff01's home; must show staff01's newest open
             ticket (the heavy one)
The driver (interleave.py) adds list_total = list + list_data per round. Run it with the
helpdesk venv's python:

  <helpdesk venv>/bin/python hd_worker.py --db <helpdesk sqlite file> --serve
"""

import argparse
import os
import platform
import re
import sys
import time
import warnings
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
HD = HERE / "helpdesk"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HD))
sys.dont_write_bytecode = True

from serve import CheckFailed, counting, maxrss_kb, serve  # noqa: E402

PAGES = ("detail", "list", "list_data", "dashboard")
DT_PARAMS = "draw=1&start=0&length=25&search%5Bvalue%5D=&search%5Bregex%5D=false"


class Helpdesk:
    def __init__(self, args):
        warnings.filterwarnings("ignore", message=r"DateTimeField .* received a naive datetime")
        from seed import HEAVY_TITLE, MEASURE_USER, setup_django

        setup_django(args.db)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.urls import reverse
        from helpdesk.models import FollowUp, Ticket

        self.connection, self.args = connection, args
        user = get_user_model().objects.get(username=MEASURE_USER)
        heavy = Ticket.objects.get(title=HEAVY_TITLE)
        open_q = Ticket.objects.filter(status__in=(Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS))
        first_open = open_q.order_by("created", "id").first()
        dash_first = open_q.filter(assigned_to=user).order_by("-created").first()
        self.client = Client()
        self.client.force_login(user)
        list_url = reverse("helpdesk:list")
        r = self.client.get(list_url)
        m = re.search(r'"(/helpdesk/datatables_ticket_list/[^"]+)"', r.content.decode())
        if r.status_code != 200 or not m:
            raise SystemExit("helpdesk list page has no datatables_ticket_list URL")
        self.urls = {
            "detail": reverse("helpdesk:view", args=[heavy.id]),
            "list": list_url,
            "list_data": m.group(1) + "?" + DT_PARAMS,
            "dashboard": reverse("helpdesk:dashboard"),
        }
        self.expect = {
            "detail": [heavy.title],
            "list": ['id="ticketTable"', m.group(1)],
            "list_data": [first_open.title, f'"recordsFiltered": {open_q.count()}'],
            "dashboard": [dash_first.title],
        }
        self.pages = list(PAGES)
        self.info = {
            "product": "django-helpdesk",
            "tickets": Ticket.objects.count(),
            "open_tickets": open_q.count(),
            "followups": FollowUp.objects.count(),
            "heavy_ticket_id": heavy.id,
            "heavy_followups": heavy.followup_set.count(),
            "user": user.username,
        }

    def timed(self, page):
        t0 = time.perf_counter()
        resp = self.client.get(self.urls[page])
        dt = time.perf_counter() - t0
        self.verify(page, resp)
        return dt * 1000.0, len(resp.content)

    def verify(self, page, resp):
        if resp.status_code != 200:
            raise CheckFailed(f"{page}: HTTP {resp.status_code}")
        body = resp.content.decode("utf-8", "replace")
        for needle in self.expect[page]:
            if needle not in body and escape(needle) not in body:
                raise CheckFailed(f"{page}: response lacks {needle!r}")

    def count(self, page):
        runs = []
        for _ in range(2):
            with counting(self.connection) as qc:
                resp = self.client.get(self.urls[page])
            self.verify(page, resp)
            runs.append(qc)
        qc = runs[-1]
        return {
            "queries": qc.n,
            "sql_ms": round(qc.seconds * 1000.0, 2),
            "shapes": [[c, s] for s, c in qc.shapes.most_common(15)],
        }

    def meta(self):
        from importlib.metadata import version as pkg_version

        import django
        from django.conf import settings

        with self.connection.cursor() as cur:
            cur.execute("select sqlite_version()")
            sqlite_version = cur.fetchone()[0]
        return {
            **self.info,
            "helpdesk_version": pkg_version("django-helpdesk"),
            "django_version": django.get_version(),
            "python": platform.python_version(),
            "sqlite": sqlite_version,
            "debug": settings.DEBUG,
            "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE", 0),
            "db": Path(self.args.db).name,
            "urls": self.urls,
            "pages": self.pages,
            "maxrss_kb_at_start": self.rss_start,
        }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=os.environ.get("HDPEER_DB"), required="HDPEER_DB" not in os.environ)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args(argv)
    rss0 = maxrss_kb()
    portal = Helpdesk(args)
    portal.rss_start = rss0
    serve(portal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
