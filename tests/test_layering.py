"""The layout's one rule, checked on the source: the domain never imports a surface, and the
surfaces (staff pages, self-service, contractors' pages, the API) never import one another.

The domain is cases/, people/, correspondence/ and the domain modules of contractors/; each
surface is a sibling that depends on it (docs/design.md, "Layout"). A surface reaching into the
domain is the point; the domain reaching into a surface would tie the rules to one door.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DOMAIN_PACKAGES = ("cases", "people", "correspondence")
# contractors/ holds both its domain and its pages; only these modules (or packages) are domain.
CONTRACTOR_DOMAIN = ("models", "services", "selectors", "policies", "tasks")
CONTRACTOR_PAGES = ("contractors.views", "contractors.forms", "contractors.urls")
SURFACES: dict[str, tuple[str, ...]] = {
    "staff": ("staff",),
    "selfservice": ("selfservice",),
    "api": ("api",),
    "contractor pages": CONTRACTOR_PAGES,
    "reports": ("reports",),
}
ALL_SURFACES = tuple(module for modules in SURFACES.values() for module in modules)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """Every module `source` (the text of `module`) imports, with its line: plain and relative
    imports, the names taken from a package (`from contractors import views` imports
    contractors.views), imports under TYPE_CHECKING, and import_module("...") with a literal."""
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
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def is_within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == module or name.startswith(f"{module}.") for module in modules)


def forbidden_imports(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in paths:
        module = module_name(path)
        for line, name in imported(path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"):
            if is_within(name, forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


def python_files(*roots: Path) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        files += [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))
    return files


def domain_files() -> list[Path]:
    contractors = [ROOT / "contractors" / name for name in CONTRACTOR_DOMAIN]
    contractors = [path if path.is_dir() else path.with_suffix(".py") for path in contractors]
    return python_files(*(ROOT / package for package in DOMAIN_PACKAGES), *(p for p in contractors if p.exists()))


def surface_files(surface: str) -> list[Path]:
    roots = [ROOT.joinpath(*module.split(".")) for module in SURFACES[surface]]
    return python_files(*(root if root.is_dir() else root.with_suffix(".py") for root in roots))


def test_the_domain_imports_no_surface() -> None:
    files = domain_files()
    # A typo in the lists above must not leave the test checking nothing.
    for expected in ("cases/services/inbound.py", "people/models.py", "correspondence/services/inbound.py"):
        assert ROOT / expected in files
    assert {ROOT / "contractors/models.py", ROOT / "contractors/services.py"} <= set(files)
    assert not any(path.parent.name == "views" or path.name in ("forms.py", "urls.py") for path in files)

    assert forbidden_imports(files, ALL_SURFACES) == []


@pytest.mark.parametrize("surface", SURFACES)
def test_surfaces_are_siblings(surface: str) -> None:
    files = surface_files(surface)
    assert files, f"no module found for {surface}"
    others = tuple(module for name, modules in SURFACES.items() if name != surface for module in modules)

    assert forbidden_imports(files, others) == []


# --- the checker itself: it must catch what it is meant to catch ------------------------------


def _names(source: str, module: str = "cases.services.inbound", *, is_package: bool = False) -> set[str]:
    return {name for _line, name in imported(source, module, is_package=is_package)}


@pytest.mark.parametrize(
    ("source", "module", "is_package", "caught"),
    [
        ("from api.models import InboundDelivery", "cases.services.inbound", False, "api.models"),
        ("import staff.views", "cases.services.inbound", False, "staff.views"),
        ("import selfservice as s", "people.models", False, "selfservice"),
        ("from contractors import views", "contractors.services", False, "contractors.views"),
        ("from . import urls", "contractors.services", False, "contractors.urls"),
        ("from .views.jobs import job_page", "contractors", True, "contractors.views.jobs"),
        ("from ...api import outputs", "cases.services.inbound", False, "api.outputs"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from api.views import base\n",
            "cases.policies",
            False,
            "api.views.base",
        ),
        (
            "from importlib import import_module\nviews = import_module('staff.views')",
            "cases.tasks",
            False,
            "staff.views",
        ),
    ],
)
def test_the_checker_catches_an_import_of_a_surface(source: str, module: str, is_package: bool, caught: str) -> None:
    names = _names(source, module, is_package=is_package)

    assert caught in names
    assert any(is_within(name, ALL_SURFACES) for name in names)


@pytest.mark.parametrize(
    "source",
    [
        "from cases.services.staff import staff_deactivate",
        "from .staff import staff_deactivate",
        "from .selfservice import delegate_grant",
        "from contractors.models import Job\nfrom contractors import services",
        "import apiary\nimport staffing.rota",
        "text = 'from api.models import InboundDelivery'",
    ],
)
def test_the_checker_lets_the_domain_be(source: str) -> None:
    """Modules named like a surface inside the domain (cases.services.staff), look-alike names
    and mere strings are not imports of a surface."""
    assert not any(is_within(name, ALL_SURFACES) for name in _names(source))


def test_a_forbidden_import_is_named_with_its_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.test_layering.ROOT", tmp_path)
    domain = tmp_path / "cases" / "services"
    domain.mkdir(parents=True)
    (domain / "inbound.py").write_text('"""Filing."""\n\nfrom api.models import InboundDelivery\n', encoding="utf-8")

    assert forbidden_imports([domain / "inbound.py"], ALL_SURFACES) == [
        "cases/services/inbound.py:3 imports api.models",
        "cases/services/inbound.py:3 imports api.models.InboundDelivery",
    ]
