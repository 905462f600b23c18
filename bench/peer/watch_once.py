#!/usr/bin/env python
"""Run every Steward watcher on an existing database the way one periodic run does (the
production batch budget, WATCHER_MAX_BATCHES_PER_RUN untouched), repeatedly until a run finds
nothing new (at most --max-runs runs), then, only if it got there, time re-scans with nothing
new: stopped earlier, a re-scan would go on working through the backlog, and its time would not
be an idle scan's. Prints one JSON document.

Used on the `load_demo --volume 100000` database: it raises the flags the flags queue and the
worklist then show, and, under /usr/bin/time -v, gives the peak RSS of a watcher process.

  [STEWARD_REPO=<steward checkout>] <steward>/.venv/bin/python watch_once.py [--db PATH] [--max-runs 10]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True

from measure import setup_django  # noqa: E402
from serve import counting, maxrss_kb  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", default=os.environ.get("STEWARD_REPO", str(HERE.parent.parent)))
    ap.add_argument("--db", default=os.environ.get("STEWARD_DB"))
    ap.add_argument("--max-runs", type=int, default=10)
    ap.add_argument("--reruns", type=int, default=9)
    args = ap.parse_args(argv)
    args.db = args.db or str(Path(args.repo) / "db.sqlite3")
    setup_django(args.repo, args.db)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from cases import notifications
    from cases.watchers import WATCHERS

    notifications.schedule_digest = lambda: None  # no broker: the digest is not measured
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = {
        "db": Path(args.db).name,
        "budget_batches": getattr(settings, "WATCHER_MAX_BATCHES_PER_RUN", None),
        "runs": [],
        "idle": {},
    }
    for run in range(args.max_runs):
        now = timezone.now()
        rows, busy = {}, False
        for name, watcher in WATCHERS.items():
            with counting(connection) as qc:
                t0 = time.perf_counter()
                res = watcher(now=now)
                ms = (time.perf_counter() - t0) * 1000
            rows[name] = {
                "examined": res.examined,
                "raised": res.raised,
                "acted": res.acted,
                "ms": round(ms, 1),
                "queries": qc.n,
            }
            busy = busy or bool(res.raised or res.acted)
        out["runs"].append(rows)
        print(
            f"run {run + 1}: "
            + ", ".join(f"{k} {v['examined']}/{v['raised']}/{v['acted']} {v['ms']:.0f}ms" for k, v in rows.items()),
            file=sys.stderr,
        )
        if not busy:
            break
    if busy:
        print(f"still work to do after {args.max_runs} runs: no idle re-scans timed", file=sys.stderr)
        out["idle"] = None
    now = timezone.now()
    for name, watcher in WATCHERS.items() if not busy else ():
        times = []
        for _ in range(args.reruns):
            with counting(connection) as qc:
                t0 = time.perf_counter()
                watcher(now=now)
                times.append((time.perf_counter() - t0) * 1000)
        out["idle"][name] = {
            "median_ms": round(statistics.median(times), 2),
            "max_ms": round(max(times), 2),
            "queries": qc.n,
        }
    out["maxrss_kb"] = maxrss_kb()
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
