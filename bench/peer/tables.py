#!/usr/bin/env python3
"""Markdown tables for RESULTS.md from interleave.py's JSON files (run 1 / run 2 side by side).

python3 tables.py results/interleaved-100k-run1.json results/interleaved-100k-run2.json
"""

import json
import sys
from pathlib import Path


def main(paths):
    runs = [json.loads(Path(p).read_text()) for p in paths]
    sep = " / "
    print(
        "| ratio (Steward / helpdesk, medians) | "
        + sep.join(f"run {i + 1}" for i in range(len(runs)))
        + " | Steward ms | helpdesk ms | ratio of minimums | queries S vs H |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for k, r0 in enumerate(runs[0]["ratios"]):
        rs = [run["ratios"][k] for run in runs]
        print(
            f"| {r0['steward']} / {r0['helpdesk']} | "
            + sep.join(f"{r['ratio_median']:.3f}" for r in rs)
            + " | "
            + sep.join(f"{r['steward_median_ms']:.0f}" for r in rs)
            + " | "
            + sep.join(f"{r['helpdesk_median_ms']:.0f}" for r in rs)
            + " | "
            + sep.join(f"{r['ratio_min']:.3f}" for r in rs)
            + f" | {r0['steward_queries']} vs {r0['helpdesk_queries']} |"
        )
    print()
    bare = [run["pages"]["steward:bare"]["median_ms"] for run in runs]
    print("| page | median ms | p95 ms | min ms | × bare (median) | queries | sql_ms | bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key in runs[0]["pages"]:
        ds = [run["pages"][key] for run in runs]
        xbare = (
            sep.join(f"{d['median_ms'] / b:.0f}" for d, b in zip(ds, bare, strict=True))
            if key.startswith("steward:")
            else "-"
        )
        print(
            f"| {key} | "
            + sep.join(f"{d['median_ms']:.0f}" for d in ds)
            + " | "
            + sep.join(f"{d['p95_ms']:.0f}" for d in ds)
            + " | "
            + sep.join(f"{d['min_ms']:.0f}" for d in ds)
            + f" | {xbare} | {ds[0]['queries']} | "
            + sep.join(f"{d['sql_ms']:.0f}" for d in ds)
            + f" | {ds[0]['bytes']:,} |"
        )
    for i, run in enumerate(runs):
        m = run["meta"]
        print(
            f"\nrun {i + 1}: {m['when']}, {m['seconds']} s, n={m['n']} after {m['warmup']} warm-up rounds; "
            f"peak RSS steward worker {m['steward']['maxrss_kb_at_end'] / 1024:.0f} MiB, "
            f"helpdesk worker {m['helpdesk']['maxrss_kb_at_end'] / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
