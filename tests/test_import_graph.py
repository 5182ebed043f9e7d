"""The house's rooms and the rules between them, read from every module's imports (ast, so
imports inside functions count too): no cycle between packages, none between files, and
dependencies point one way (web -> jobs -> use-case rooms -> data -> geo -> textmatch;
matching and textmatch import nothing of ours; nobody imports web)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "data", "geo", "jobs", "matching", "network", "planning", "referral",
            "textmatch", "web")
# What each package may import of ours (besides itself); anything else is a wrong direction.
ALLOWED = {
    "app": {"data", "geo", "jobs", "matching", "network", "planning", "referral", "textmatch",
            "web"},
    "web": {"data", "geo", "jobs", "matching", "network", "planning", "referral", "textmatch"},
    "jobs": {"data", "geo", "matching", "network", "planning", "referral", "textmatch"},
    "network": {"data", "geo", "matching", "referral", "textmatch"},
    "planning": {"data", "geo", "matching", "referral", "textmatch"},
    "referral": {"data", "geo", "matching", "textmatch"},
    "data": {"geo", "matching", "textmatch"},
    "geo": {"textmatch"},
    "matching": set(),
    "textmatch": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of ours (migrations excluded: Alembic loads them by path), by dotted name."""
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES[1:]:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ours that module ``name`` imports, at top level or inside functions."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            targets = [node.args[0].value]  # web.lazy: imported on first use, still a dependency
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    # importing "a.b.c" runs "a" and "a.b" first: those are the package, not a dependency
    return {t for t in out if not name.startswith(t + ".")}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _package(module: str) -> str:
    return module.split(".")[0]


def package_graph() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, targets in graph().items():
        for target in targets:
            if _package(target) != _package(module):
                out[_package(module)].add(_package(target))
    return out


def test_the_walker_sees_lazy_and_relative_imports():
    edges = graph()
    assert "data.db" in edges["app"]  # imported inside create_app
    assert "web.api.body" in edges["web.api.forum"]  # from .body import json_body
    assert "planning.gaps" in edges["web.api.gaps"]  # lazy_module("planning.gaps")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_cycle_between_packages():
    assert _cycles(package_graph()) == []


def test_no_cycle_between_files():
    assert _cycles(graph()) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_dependencies_point_one_way(package):
    assert package_graph()[package] - ALLOWED[package] == set()
