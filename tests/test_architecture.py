"""The layers import one way (docs/architecture.md, "What may import what"), and nothing imports in a
circle except Celery's pair: a service queues a task, and the task calls the service.

The import graph is read from the source (every import, also those inside functions, except under
`if TYPE_CHECKING:`), so a new module is checked without being listed here."""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mentorship", "programs", "matching")
# What pure code may import besides the standard library and its own package (openpyxl: the
# roster reader opens spreadsheets; dateutil: calendar months; ortools: the min-cost flow the
# exact solver re-solves large repairs with).
PURE_THIRD_PARTY = {"numpy", "scipy", "numba", "openpyxl", "dateutil", "ortools"}
PURE_PACKAGES = ("programs.domain", "matching.engine")
SERVICES = ("programs.services", "matching.services", "mentorship.notifications.services")
VIEWS = ("programs.views", "matching.views", "mentorship.notifications.views")
FORMS = ("programs.forms", "matching.forms", "mentorship.notifications.forms")
DEMO = "programs.demo"
DEMO_USERS = {"programs.management.commands.seed_demo"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        _name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@cache
def imported_names(module: str) -> frozenset[str]:
    """Every dotted name `module` imports (for `from a import b`, both `a` and `a.b`)."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    source = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    source = child.module or ""
                names.add(source)
                names.update(f"{source}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return frozenset(names)


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module → the project modules it imports."""
    known = modules()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    return {
        module: frozenset(
            target
            for name in imported_names(module)
            if (target := resolve(name)) is not None and target != module
        )
        for module in known
    }


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _is_celery_pair_edge(source: str, target: str) -> bool:
    """A task module calling its service: the half of the pair the cycle check allows."""
    return source.rpartition(".")[2] == "tasks" and _within(target, *SERVICES)


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(edges)))
    try:
        for v in edges:
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_the_graph_sees_the_whole_tree():
    assert {"programs.services.relationships", "matching.engine.scoring", "mentorship.log"} <= set(
        graph()
    )
    assert "programs.services.guards" in graph()["programs.services.meetings"]


def test_no_import_cycles_except_service_and_task():
    edges = {
        source: frozenset(t for t in targets if not _is_celery_pair_edge(source, t))
        for source, targets in graph().items()
    }
    assert cycles(edges) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}) == [
        ["a", "b", "c"]
    ]


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_code_imports_no_django_and_no_app(package):
    stdlib = sys.stdlib_module_names
    offenders = {}
    for module in modules():
        if not _within(module, package):
            continue
        for name in imported_names(module):
            top = name.partition(".")[0]
            if top == "__future__" or top in stdlib or top in PURE_THIRD_PARTY:
                continue
            if _within(name, package):
                continue
            offenders.setdefault(module, set()).add(name)
    assert offenders == {}


def _violations(sources: tuple[str, ...], forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    return {
        module: {t for t in targets if _within(t, *forbidden)}
        for module, targets in graph().items()
        if _within(module, *sources) and any(_within(t, *forbidden) for t in targets)
    }


def test_models_import_no_services_selectors_views_or_forms():
    models = ("programs.models", "matching.models", "mentorship.notifications.models")
    above = (*SERVICES, "programs.selectors", "matching.selectors", *VIEWS, *FORMS)
    assert _violations(models, above) == {}


def test_services_import_no_views_or_forms():
    assert _violations(SERVICES, (*VIEWS, *FORMS)) == {}


def test_only_the_seed_command_imports_the_demo():
    importers = {
        module
        for module, targets in graph().items()
        if not _within(module, DEMO) and any(_within(t, DEMO) for t in targets)
    }
    assert importers <= DEMO_USERS
