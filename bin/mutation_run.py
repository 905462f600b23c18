"""Mutation testing of the rule modules with cosmic-ray (issue 18); run it through bin/mutation.

cosmic-ray writes each mutant into the source file itself, so every worker runs in its own copy
of the project under var/mutation/ and the working tree is never touched. Each module's mutants
run only the tests mutation.toml maps to it. Scores, survivors and the allow-list: docs/mutation.md.
"""

import argparse
import ast
import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "mutation"
PYTHON = ROOT / ".venv" / "bin" / "python"
COSMIC_RAY = ROOT / ".venv" / "bin" / "cosmic-ray"
NOT_SELECTED = "not selected (operator, annotation or sample)"
OTHER_SHARD = "run by another shard"
SAMPLE_SEED = 18


@dataclass
class Module:
    path: str
    tests: list[str]
    slug: str = ""
    timeout: float = 0.0
    selected: int = 0
    shards: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.slug = self.path.replace("/", "-").removesuffix(".py")


def main() -> int:
    global OUT  # the workers read it
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="rule modules (default: every module in mutation.toml)")
    parser.add_argument("--ci", action="store_true", help="the bounded CI run: changed modules, sampled")
    parser.add_argument("--sample", type=int, default=0, help="at most this many mutants per module")
    parser.add_argument("--jobs", type=int, default=1, help="workers at once (the machine is shared: keep it low)")
    parser.add_argument(
        "--retry-survivors",
        action="store_true",
        help="run the last run's surviving mutants again, with the tests as they are now (after adding one)",
    )
    parser.add_argument("--report", action="store_true", help="only print the last run's scores again")
    parser.add_argument("--out", type=Path, default=OUT, help="where the copies and sessions go (default var/mutation)")
    args = parser.parse_args()
    OUT = args.out.resolve()

    config = tomllib.loads((ROOT / "mutation.toml").read_text())
    settings, ci = config["settings"], config["ci"]
    known = {path: Module(path, spec["tests"]) for path, spec in config["modules"].items()}
    if args.ci:
        names = (changed_modules(ci["base"], known) or ci["fallback"])[: ci["max_modules"]]
        args.sample = args.sample or max(ci["min_per_module"], ci["max_mutants"] // len(names))
        args.jobs = max(args.jobs, ci["jobs"])
    else:
        names = args.modules or list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        parser.error(f"not in mutation.toml: {', '.join(unknown)}")
    modules = [known[name] for name in names]
    for module in modules:
        missing = [path for path in module.tests if not (ROOT / path).exists()]
        if missing:
            parser.error(f"{module.path}: test paths missing: {', '.join(missing)}")

    if args.report:
        for module in modules:
            module.shards = sorted((OUT / module.slug).glob("shard-*.sqlite"))
        return 0 if report(modules, settings["threshold"], equivalents(config)) else 1
    started = time.monotonic()
    if not args.retry_survivors:
        shutil.rmtree(OUT, ignore_errors=True)
        OUT.mkdir(parents=True)
    operators = re.compile("|".join(f"(?:{pattern})$" for pattern in settings["operators"]))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        failures = [f for f in pool.map(lambda module: baseline(module, settings), modules) if f]
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    for module in modules:
        if args.retry_survivors:
            reopen(module)
        else:
            select(module, operators, args.sample, args.jobs)
    units = [(module, shard) for module in modules for shard in module.shards]
    print(f"Running {sum(m.selected for m in modules)} mutants in {len(units)} worker(s), {args.jobs} at a time")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for failure in pool.map(lambda unit: execute(*unit), units):
            if failure:
                print(failure, file=sys.stderr)
                return 1
    ok = report(modules, settings["threshold"], equivalents(config))
    print(f"Mutation testing took {time.monotonic() - started:.0f}s")
    return 0 if ok else 1


def changed_modules(base: str, known: dict[str, Module]) -> list[str]:
    """The rule modules that differ from the merge-base with `base`, most changed lines first;
    none when git cannot tell (no such ref, shallow clone)."""
    merge_base = git("merge-base", base, "HEAD")
    if merge_base is None:
        print(f"No merge-base with {base}: mutating the fallback modules")
        return []
    changed = {}
    for row in (git("diff", "--numstat", merge_base) or "").splitlines():
        added, removed, path = row.split("\t", 2)
        if path in known and added != "-":
            changed[path] = int(added) + int(removed)
    names = sorted(changed, key=lambda path: -changed[path])
    print(f"Rule modules changed since {base} ({merge_base[:10]}): {', '.join(names) or 'none'}")
    return names


def git(*args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
    return result.stdout.strip() if result.returncode == 0 else None


def copy_project(target: Path) -> None:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")


def test_command(module: Module) -> list[str]:
    # The schema comes from the models (no migrations): the same tables in a fraction of the time;
    # the baseline run below proves the tests pass that way.
    return [str(PYTHON), "-m", "pytest", "-x", "-q", "--tb=no", "--no-migrations", *module.tests]


def baseline(module: Module, settings: dict) -> str | None:
    """The covering tests on unmutated code, in a fresh copy of the project: they must pass, and
    their time sets the timeout."""
    home = OUT / module.slug
    first = home / "src-0"
    shutil.rmtree(first, ignore_errors=True)
    copy_project(first)
    began = time.monotonic()
    result = subprocess.run(test_command(module), cwd=first, capture_output=True, text=True, check=False)  # noqa: S603
    took = time.monotonic() - began
    if result.returncode != 0:
        return f"{module.path}: the covering tests fail without any mutation:\n{result.stdout[-3000:]}"
    module.timeout = max(settings["timeout_minimum"], settings["timeout_factor"] * took)
    (home / "cosmic-ray.toml").write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module.path}"\n'
        f"timeout = {module.timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(' '.join(test_command(module)))}\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    print(f"{module.path}: baseline {took:.0f}s, timeout {module.timeout:.0f}s")
    return None


def reopen(module: Module) -> None:
    """The last run's shards, their survivors pending again, each in a fresh copy of the project."""
    home = OUT / module.slug
    module.shards = sorted(home.glob("shard-*.sqlite"))
    if not module.shards:
        raise SystemExit(f"{module.path}: no earlier run in {home}")
    for shard in module.shards:
        index = shard.stem.removeprefix("shard-")
        if index != "0":
            shutil.rmtree(home / f"src-{index}", ignore_errors=True)
            copy_project(home / f"src-{index}")
        with use_db(shard, WorkDB.Mode.open) as db:
            survivors = [i.job_id for i, r in db.completed_work_items if r.test_outcome == TestOutcome.SURVIVED]
        with sqlite3.connect(shard) as connection:
            connection.executemany("DELETE FROM work_results WHERE job_id = ?", [(job,) for job in survivors])
        module.selected += len(survivors)


def select(module: Module, operators: re.Pattern, sample: int, jobs: int) -> None:
    """The session, the mutants that count (operator, not in an annotation, the sample) and their
    split into shards, each with its own copy of the project."""
    home = OUT / module.slug
    session = home / "session.sqlite"
    subprocess.run(  # noqa: S603
        [str(COSMIC_RAY), "init", str(home / "cosmic-ray.toml"), str(session)], cwd=home / "src-0", check=True
    )

    annotations = annotation_spans((ROOT / module.path).read_text())
    with use_db(session, WorkDB.Mode.open) as db:
        items = sorted(db.work_items, key=lambda item: (item.mutations[0].start_pos, item.mutations[0].operator_name))
        kept = [
            item
            for item in items
            if operators.match(item.mutations[0].operator_name)
            and not in_spans(item.mutations[0].start_pos, annotations)
        ]
        if sample and len(kept) > sample:
            chosen = set(random.Random(SAMPLE_SEED).sample(range(len(kept)), sample))
            kept = [item for index, item in enumerate(kept) if index in chosen]
        keep_ids = {item.job_id for item in kept}
        skipped = WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=NOT_SELECTED)
        db.set_multiple_results([item.job_id for item in items if item.job_id not in keep_ids], skipped)
    module.selected = len(kept)
    print(f"{module.path}: {len(kept)} of {len(items)} mutants selected")

    shards = max(1, min(jobs, len(kept)))
    for index in range(shards):
        shard = home / f"shard-{index}.sqlite"
        shutil.copy2(session, shard)
        others = [item.job_id for position, item in enumerate(kept) if position % shards != index]
        with use_db(shard, WorkDB.Mode.open) as db:
            db.set_multiple_results(others, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=OTHER_SHARD))
        if index:
            copy_project(home / f"src-{index}")
        module.shards.append(shard)


def execute(module: Module, shard: Path) -> str | None:
    source = shard.parent / f"src-{shard.stem.removeprefix('shard-')}"
    with (shard.with_suffix(".log")).open("w") as log:
        result = subprocess.run(  # noqa: S603
            [str(COSMIC_RAY), "exec", str(shard.parent / "cosmic-ray.toml"), str(shard)],
            cwd=source,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        return f"{module.path}: cosmic-ray failed, see {shard.with_suffix('.log')}"
    return None


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the type annotations are: `User | AnonymousUser` is not a rule."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations = []
        if isinstance(node, ast.arg | ast.AnnAssign):
            annotations.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        spans += [((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset)) for a in annotations if a is not None]
    return spans


def in_spans(position: tuple[int, int], spans: list) -> bool:
    return any(start <= tuple(position) < end for start, end in spans)


def equivalents(config: dict) -> list[dict]:
    return config.get("equivalent", [])


def is_equivalent(module: str, operator: str, line: str, allowed: list[dict]) -> dict | None:
    for entry in allowed:
        if entry["module"] == module and entry["operator"] == operator and entry["line"] == line:
            return entry
    return None


def report(modules: list[Module], threshold: float, allowed: list[dict]) -> bool:
    ok = True
    summary = {}
    print(f"\n{'module':36} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} {'equiv.':>6} {'score':>6}")
    for module in modules:
        lines = (ROOT / module.path).read_text().splitlines()
        counts = {"killed": 0, "timeout": 0, "survived": 0, "equivalent": 0, "incompetent": 0}
        survivors = []
        for shard in module.shards:
            with use_db(shard, WorkDB.Mode.open) as db:
                done = [(i, r) for i, r in db.completed_work_items if r.worker_outcome != WorkerOutcome.SKIPPED]
            for item, result in done:
                mutation = item.mutations[0]
                if result.test_outcome == TestOutcome.SURVIVED:
                    line = lines[mutation.start_pos[0] - 1].strip()
                    if is_equivalent(module.path, mutation.operator_name, line, allowed):
                        counts["equivalent"] += 1
                    else:
                        counts["survived"] += 1
                        survivors.append((mutation, result.diff))
                elif result.test_outcome == TestOutcome.KILLED:
                    counts["timeout" if result.output == "timeout" else "killed"] += 1
                else:
                    counts["incompetent"] += 1
        judged = counts["killed"] + counts["timeout"] + counts["survived"] + counts["incompetent"]
        score = (judged - counts["survived"]) / judged if judged else 1.0
        below = score < threshold
        ok &= not below
        print(
            f"{module.path:36} {judged + counts['equivalent']:7} {counts['killed']:6} {counts['timeout']:7}"
            f" {counts['survived']:8} {counts['equivalent']:6} {score:6.1%}{'  BELOW ' if below else ''}"
            f"{f'{threshold:.0%}' if below else ''}"
        )
        summary[module.path] = {**counts, "score": round(score, 4)}
        for mutation, diff in survivors:
            print(f"  survived: {module.path}:{mutation.start_pos[0]} {mutation.operator_name}")
            changed = [
                line for line in (diff or "").splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
            ]
            print("    " + "\n    ".join(changed))
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nThreshold {threshold:.0%} of the non-equivalent mutants killed: {'met' if ok else 'NOT met'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
