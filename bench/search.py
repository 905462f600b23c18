"""Benchmark of the staff search (issue 14): median time and SQL statements of the search page
for a name, a phone number and a claim number, at a given scale, on the database DATABASE_URL
names.

    .venv/bin/python bench/search.py --volume 100000              # SQLite file var/bench/search.sqlite3
    .venv/bin/python bench/search.py --reuse                      # the same file again, migrated first
    DATABASE_URL=postgres://steward:…@127.0.0.1/steward_bench_search .venv/bin/python bench/search.py

The data is the demo's: the stories, then `load_demo --volume N --seed 1` (realistic names with
accents, French mobile numbers, claims). Without --reuse a PostgreSQL database is EMPTIED first
(flush): point DATABASE_URL at a scratch database. With --reuse the data already there is kept
and only migrated, so the same rows are measured before and after a change of the search.

Each term is searched once to warm the caches, then timed `--runs` times through the page
(Django's test client, signed in as the demo agent claire): the median, and the statements one
page sent.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.django_setup import count_statements as _counting  # noqa: E402 — needs the project on sys.path
from bench.django_setup import setup_django  # noqa: E402

SQLITE_FILE = ROOT / "var" / "bench" / "search.sqlite3"


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volume", type=int, default=100_000, help="customers to build (cases are about 1.3×)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each search; the median is reported")
    parser.add_argument("--reuse", action="store_true", help="keep the data already in the database")
    return parser.parse_args()


def _build(volume: int) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("load_demo", allow_without_debug=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("load_demo", volume=volume, seed=1, allow_without_debug=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"built {volume:,} customers in {time.perf_counter() - started:.0f} s")


def _terms() -> list[tuple[str, str]]:
    """A surname as staff type it (lower case, no accent), a mobile number spelled the national
    way while it is stored +33, and the start of a claim number: each from the data itself."""
    import unicodedata

    from cases.models import InsuranceClaim
    from people.models import Customer

    total = Customer.objects.count()
    someone = Customer.objects.order_by("pk")[total // 2]
    surname = someone.full_name.split()[-1]
    folded = "".join(c for c in unicodedata.normalize("NFKD", surname) if not unicodedata.combining(c)).lower()
    digits = "".join(c for c in someone.phone if c.isdigit())
    national = "0" + digits[2:] if digits.startswith("33") else digits
    spelled = " ".join(national[i : i + 2] for i in range(0, len(national), 2))
    claim = InsuranceClaim.objects.order_by("pk")[InsuranceClaim.objects.count() // 2].claim_number
    return [("name", folded), ("phone", spelled), ("claim number", claim.lower()[:-1])]


def main() -> None:
    args = _parse()
    if args.reuse and not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    setup_django("search")
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from people.models import Customer

    call_command("migrate", verbosity=0)
    if not args.reuse:
        if connection.vendor != "sqlite":
            call_command("flush", interactive=False, verbosity=0)
        _build(args.volume)
    elif not Customer.objects.exists():
        _build(args.volume)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(username="claire"))
    url = reverse("staff:search")
    print(f"{connection.vendor}: {Customer.objects.count():,} customers; median of {args.runs} runs")
    print(f"{'search':<14} {'term':<18} {'median ms':>10} {'queries':>8} {'status':>7}")
    for label, term in _terms():
        client.get(url, {"q": term})
        times = []
        for _ in range(args.runs):
            with _counting() as count:
                started = time.perf_counter()
                response = client.get(url, {"q": term})
                times.append((time.perf_counter() - started) * 1000)
        print(f"{label:<14} {term:<18} {statistics.median(times):>10.1f} {count[0]:>8} {response.status_code:>7}")


if __name__ == "__main__":
    main()
