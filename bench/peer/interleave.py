#!/usr/bin/env python3
"""Time Steward and django-helpdesk in ONE run, turn by turn, so machine noise hits both.

Starts two workers, each in its own product's venv and Django process:
  Steward:          <steward python> measure.py --serve  (this folder)
  django-helpdesk:  <hdpeer python>  hd_worker.py --serve (this folder; pages of ../helpdesk/measure.py)
Each round requests every page of both products once, alternating product page by
page (S, H, S, H, ...; helpdesk first on odd rounds). Only one worker works at a
time (the other waits on its stdin). W warm-up rounds, then N timed rounds; then an
untimed pass per page for query counts. Times are measured inside the workers
(perf_counter around client.get), so the pipe between processes is not in them.

  python3 interleave.py --steward-python S/.venv/bin/python --steward-repo S --steward-db S/db.sqlite3 \
      --hd-python HD/bin/python --hd-db HD/db.sqlite3 [--n 20] [--warmup 3] [--out results/run1.json]

Ratios (Steward / helpdesk, of medians): case / detail, case_full / detail, worklist / list_total,
team / dashboard.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from itertools import zip_longest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True
from serve import p95  # noqa: E402

PAIRS = [
    ("case", "detail", "staff case page (newest 100 of 200 events) / ticket page (all 200 follow-ups)"),
    ("case_full", "detail", "case page + older-events fragment (all 200 events) / ticket page"),
    ("worklist", "list_total", "worklist first page (50 rows) / ticket list shell + first 25 rows"),
    ("team", "dashboard", "manager team view / helpdesk staff dashboard"),
    ("bare", "detail", "framework floor (bare view, case-page bytes) / ticket page"),
]


class Worker:
    def __init__(self, name, cmd):
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)  # noqa: S603 — our own workers

    def ask(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.name} worker died (see its stderr above)")
        reply = json.loads(line)
        if "error" in reply:
            raise SystemExit(f"{self.name}: {reply['error']}")
        return reply

    def close(self):
        try:
            self.ask(op="rss")
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
        finally:
            self.proc.wait(timeout=60)


def stats(s):
    return {
        "median_ms": round(statistics.median(s), 2),
        "p95_ms": round(p95(s), 2),
        "min_ms": round(min(s), 2),
        "max_ms": round(max(s), 2),
        "samples_ms": [round(x, 2) for x in s],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steward-python", required=True)
    ap.add_argument("--steward-repo", required=True)
    ap.add_argument("--steward-db", required=True)
    ap.add_argument("--hd-python", required=True)
    ap.add_argument("--hd-db", required=True)
    ap.add_argument("--steward-pages", default="", help="comma list (default: all of measure.py)")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", help="write the JSON document here")
    args = ap.parse_args(argv)

    s_cmd = [
        args.steward_python,
        str(HERE / "measure.py"),
        "--serve",
        "--repo",
        args.steward_repo,
        "--db",
        args.steward_db,
    ]
    if args.steward_pages:
        s_cmd += ["--pages", args.steward_pages]
    started = time.time()
    steward = Worker("steward", s_cmd)
    helpdesk = Worker("helpdesk", [args.hd_python, str(HERE / "hd_worker.py"), "--serve", "--db", args.hd_db])
    s_meta, h_meta = steward.ask(op="meta"), helpdesk.ask(op="meta")
    s_pages, h_pages = s_meta["pages"], h_meta["pages"]
    samples = {("steward", p): [] for p in s_pages} | {("helpdesk", p): [] for p in h_pages}
    sizes = {}
    for it in range(args.warmup + args.n):
        order = []
        for sp, hp in zip_longest(s_pages, h_pages):
            pair = [(steward, "steward", sp), (helpdesk, "helpdesk", hp)]
            if it % 2:
                pair.reverse()
            order += [x for x in pair if x[2]]
        for worker, product, page in order:
            r = worker.ask(op="time", page=page)
            sizes[(product, page)] = r["bytes"]
            if it >= args.warmup:
                samples[(product, page)].append(r["ms"])
        print(f"round {it + 1}/{args.warmup + args.n} done ({time.time() - started:.0f} s)", file=sys.stderr)
    counts = {}
    for worker, product, pages in ((steward, "steward", s_pages), (helpdesk, "helpdesk", h_pages)):
        for page in pages:
            counts[(product, page)] = worker.ask(op="count", page=page)
    s_meta["maxrss_kb_at_end"] = steward.ask(op="rss")["maxrss_kb"]
    h_meta["maxrss_kb_at_end"] = helpdesk.ask(op="rss")["maxrss_kb"]
    steward.close()
    helpdesk.close()

    def combine(product, name, parts):
        if all((product, p) in samples for p in parts):
            samples[(product, name)] = [sum(x) for x in zip(*(samples[(product, p)] for p in parts), strict=True)]
            sizes[(product, name)] = sum(sizes[(product, p)] for p in parts)
            counts[(product, name)] = {
                k: round(sum(counts[(product, p)][k] for p in parts), 2) for k in ("queries", "sql_ms")
            }

    combine("steward", "case_full", ["case", "case_older"])
    combine("helpdesk", "list_total", ["list", "list_data"])

    result = {
        "meta": {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started),
            "n": args.n,
            "warmup": args.warmup,
            "method": "one round = every page of both products once, alternating product page by page "
            "(helpdesk first on odd rounds); wall ms of client.get inside each worker",
            "steward": s_meta,
            "helpdesk": h_meta,
        },
        "pages": {},
        "ratios": [],
    }
    for (product, page), s in samples.items():
        result["pages"][f"{product}:{page}"] = {
            **stats(s),
            "queries": counts[(product, page)]["queries"],
            "sql_ms": counts[(product, page)]["sql_ms"],
            "bytes": sizes[(product, page)],
            "shapes": counts[(product, page)].get("shapes", [])[:15],
            "slowest": counts[(product, page)].get("slowest", []),
        }
    for s_page, h_page, label in PAIRS:
        a, b = result["pages"].get(f"steward:{s_page}"), result["pages"].get(f"helpdesk:{h_page}")
        if a and b:
            result["ratios"].append(
                {
                    "steward": s_page,
                    "helpdesk": h_page,
                    "what": label,
                    "steward_median_ms": a["median_ms"],
                    "helpdesk_median_ms": b["median_ms"],
                    "ratio_median": round(a["median_ms"] / b["median_ms"], 3),
                    "ratio_min": round(a["min_ms"] / b["min_ms"], 3),
                    "steward_queries": a["queries"],
                    "helpdesk_queries": b["queries"],
                }
            )

    out = sys.stderr
    print(f"\n{'product:page':<22}{'median':>9}{'p95':>9}{'min':>9}{'queries':>9}{'sql_ms':>9}{'bytes':>10}", file=out)
    for key, d in result["pages"].items():
        print(
            f"{key:<22}{d['median_ms']:>9.1f}{d['p95_ms']:>9.1f}{d['min_ms']:>9.1f}{d['queries']:>9}"
            f"{d['sql_ms']:>9.1f}{d['bytes']:>10}",
            file=out,
        )
    print("\nratios Steward/helpdesk (median; min):", file=out)
    for r in result["ratios"]:
        print(
            f"  {r['steward']:>10} / {r['helpdesk']:<10} {r['ratio_median']:>6.3f}  {r['ratio_min']:>6.3f}   "
            f"({r['steward_median_ms']:.0f} vs {r['helpdesk_median_ms']:.0f} ms; "
            f"{r['steward_queries']} vs {r['helpdesk_queries']} queries)",
            file=out,
        )
    print(
        f"peak RSS: steward {s_meta['maxrss_kb_at_end'] / 1024:.0f} MiB, "
        f"helpdesk {h_meta['maxrss_kb_at_end'] / 1024:.0f} MiB",
        file=out,
    )
    doc = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(doc + "\n")
    else:
        print(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
