"""No import circle: the project's modules import one another one way only.

Tasks and watchers use the services; services, never the other way round, queue work by
task name through portal.dispatch (docs/design.md, "Layout"). A circle makes every module in
it load (and break) with every other, and it hid for a long time behind function-level imports,
so both module-level and function-level imports count here.

Run as a script (`.venv/bin/python -m tests.test_import_graph`) to print every circle.
"""

import ast
from collections.abc import Iterable, Iterator, Mapping
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every package of the application itself (tests/ and bench/ use it, nothing uses them).
PACKAGES = ("api", "cases", "contractors", "correspondence", "people", "portal", "selfservice", "staff")

# Circles accepted on purpose, each a frozenset of module names, each with its reason. None today.
ALLOWED_CIRCLES: tuple[frozenset[str], ...] = ()

# The writers and what they must not reach: the tasks and watchers sit above them.
WRITERS = ("cases/services", "correspondence/services", "contractors/services.py", "cases/notifications.py")
ABOVE_THE_WRITERS = ("tasks", "watchers")

Graph = Mapping[str, Iterable[str]]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                modules[module_name(path, root)] = path
    return modules


def imported_names(source: str, module: str, *, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every dotted name `module` imports, anywhere in its body (module level, inside functions,
    under TYPE_CHECKING), with its line. `from a import b` gives both `a` and `a.b`: the caller
    keeps whichever is a module."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: max(len(parts) - (node.level - 1), 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def resolve(name: str, modules: Iterable[str]) -> str | None:
    """The project module an imported name lands in: itself, or the nearest enclosing module
    (`cases.tasks.send_email` is an attribute of cases.tasks). None outside the project."""
    known = set(modules)
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def import_edges(modules: Mapping[str, Path]) -> dict[str, dict[str, int]]:
    """module -> {imported project module: first line importing it}."""
    edges: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        targets: dict[str, int] = {}
        for line, name in imported_names(
            path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
        ):
            target = resolve(name, modules)
            if target is not None and target != module:
                targets.setdefault(target, line)
        edges[module] = targets
    return edges


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit on a deep chain)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    nodes = set(graph) | {target for targets in graph.values() for target in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def circles(graph: Graph) -> list[list[str]]:
    """The components of more than one module, i.e. every import circle."""
    return sorted(c for c in strongly_connected(graph) if len(c) > 1)


def one_loop(component: list[str], graph: Graph) -> list[str]:
    """The shortest closed path through a circle from its first module, to name it: a -> b -> ... -> a."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for here in frontier:
            for there in sorted(t for t in graph.get(here, ()) if t in members):
                if there == start:
                    path = [here]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if there not in came_from:
                    came_from[there] = here
                    following.append(there)
        frontier = following
    raise ValueError(f"{component} is not a circle")


def describe(component: list[str], edges: Mapping[str, Mapping[str, int]], modules: Mapping[str, Path]) -> str:
    loop = one_loop(component, edges)
    steps = [f"  {a} imports {b} ({modules[a].relative_to(ROOT)}:{edges[a][b]})" for a, b in pairwise(loop)]
    return f"circle of {len(component)} modules: {', '.join(component)}\n" + "\n".join(steps)


# --- the project -------------------------------------------------------------------------------


def test_the_project_has_no_import_circle() -> None:
    modules = project_modules()
    # A typo in PACKAGES or a broken walk must not leave the test checking nothing.
    assert {"cases.notifications", "cases.tasks", "correspondence.services.outbox", "portal.dispatch"} <= set(modules)
    edges = import_edges(modules)
    assert "cases.notifications" in edges["cases.tasks"]  # the walk sees real imports

    found = [c for c in circles(edges) if frozenset(c) not in ALLOWED_CIRCLES]

    assert not found, "\n".join(describe(c, edges, modules) for c in found)


def _writer_files() -> list[Path]:
    files: list[Path] = []
    for writer in WRITERS:
        path = ROOT / writer
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def test_the_writers_never_import_the_tasks_or_the_watchers() -> None:
    files = _writer_files()
    assert ROOT / "cases/services/flags.py" in files and ROOT / "correspondence/services/outbox.py" in files
    assert all(path.exists() for path in files)

    found = []
    for path in files:
        module = module_name(path, ROOT)
        for line, name in imported_names(
            path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
        ):
            parts = name.split(".")
            if parts[0] in PACKAGES and any(part in ABOVE_THE_WRITERS for part in parts):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")

    assert sorted(set(found)) == []


# --- the checker itself: it must catch what it is meant to catch ------------------------------


def test_the_cycle_finder_finds_a_circle_and_leaves_a_one_way_chain() -> None:
    graph = {
        "services": ["notifications", "models"],
        "notifications": ["tasks"],
        "tasks": ["watchers"],
        "watchers": ["services", "models"],
        "views": ["services"],
        "models": [],
        "a": ["a"],  # a module importing itself is no circle between modules
    }

    assert circles(graph) == [["notifications", "services", "tasks", "watchers"]]
    assert circles({**graph, "notifications": ["portal.dispatch"]}) == []
    assert one_loop(["notifications", "services", "tasks", "watchers"], graph) == [
        "notifications",
        "tasks",
        "watchers",
        "services",
        "notifications",
    ]


def test_the_cycle_finder_keeps_two_circles_apart() -> None:
    graph = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"], "e": ["a"]}

    assert circles(graph) == [["a", "b"], ["c", "d"]]


def test_a_function_level_import_closes_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    (package / "services").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "services" / "__init__.py").write_text("", encoding="utf-8")
    (package / "services" / "outbox.py").write_text(
        "def schedule():\n    from shop.tasks import send\n    send.delay()\n", encoding="utf-8"
    )
    (package / "tasks.py").write_text("from .services.outbox import schedule\n", encoding="utf-8")
    modules = project_modules(tmp_path, ["shop"])

    edges = import_edges(modules)

    assert edges["shop.services.outbox"] == {"shop.tasks": 2}
    assert edges["shop.tasks"] == {"shop.services.outbox": 1}
    assert circles(edges) == [["shop.services.outbox", "shop.tasks"]]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cases.tasks.send_flag_notifications", "cases.tasks"),
        ("cases.services", "cases.services"),
        ("cases.services.flag_raise", "cases.services"),
        ("django.db.transaction", None),
        ("casesx.tasks", None),
    ],
)
def test_an_imported_name_resolves_to_its_module(name: str, expected: str | None) -> None:
    assert resolve(name, ["cases", "cases.tasks", "cases.services", "cases.services.flags"]) == expected


if __name__ == "__main__":
    all_modules = project_modules()
    all_edges = import_edges(all_modules)
    for circle in circles(all_edges):
        print(describe(circle, all_edges, all_modules), end="\n\n")
    print(f"{len(all_modules)} modules, {len(circles(all_edges))} circle(s)")
