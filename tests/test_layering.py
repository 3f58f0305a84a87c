"""Imports flow one way, like the data (STYLE.md §13).

Every ``import`` of an ``ictal`` module in ``src/ictal`` — at module level, under
``TYPE_CHECKING`` or inside a function — must point to the same package or to a lower layer.
Module-level imports form no cycle, and no function-level import hides one (an import inside a
function whose target already reaches the importer at module level would be a cycle if hoisted).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Packages bottom -> top. A module may import from its own package and from lower ranks.
#: Single-file modules directly under ``ictal`` (errors, timebase, ...) are the core, rank 0,
#: except those named here.
LAYERS: dict[str, int] = {
    "io": 1,
    "manifest": 2,
    "phantom": 3,
    "landmarks": 3,
    "preprocess": 4,
    "backbones": 5,
    "features": 6,
    "models": 7,
    "training": 8,
    "evaluation": 9,
    "keypoints": 5,
    "demo": 10,
    "server": 10,
    "monitor": 10,
    "explain": 10,
    "cli": 11,
    "__main__": 12,
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported ictal module, dotted (the longest prefix that is a module)
    line: int
    kind: str  # "module", "type-checking" or "function"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "ictal").rglob("*.py"))}


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` refers to (``ictal.a.b.func`` -> ``ictal.a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, kind: str) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, "function")
                continue
            if isinstance(child, ast.If) and _is_type_checking(child) and kind == "module":
                for stmt in child.body:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), "type-checking")
                for stmt in child.orelse:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), kind)
                continue
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" for a in child.names] or [base]
            for target in targets:
                resolved = resolve(target, modules) if target.startswith("ictal") else None
                if resolved is not None and resolved != name:
                    yield Import(name, resolved, child.lineno, kind)
            if not isinstance(child, ast.Import | ast.ImportFrom):
                yield from visit(child, kind)

    yield from visit(tree, "module")


def layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    if len(parts) == 1:  # the ``ictal`` package itself
        return "ictal", 0
    top = parts[1]
    return top, LAYERS.get(top, 0)


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    modules = all_modules()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def test_the_scanner_sees_the_packages(graph: list[Import]) -> None:
    sources = {imp.source.split(".")[1] for imp in graph if "." in imp.source}
    assert {"io", "preprocess", "models", "server", "cli"} <= sources
    assert any(imp.kind == "function" for imp in graph)  # the CLI imports lazily


def test_every_import_points_down(graph: list[Import]) -> None:
    bad: list[str] = []
    for imp in graph:
        (src_pkg, src_rank), (dst_pkg, dst_rank) = layer(imp.source), layer(imp.target)
        if src_pkg == dst_pkg:
            continue
        if dst_rank > src_rank or (dst_rank == src_rank and dst_rank != 0):
            bad.append(f"{imp.source}:{imp.line} ({imp.kind}) imports {imp.target}: "
                       f"{src_pkg} (layer {src_rank}) may not import {dst_pkg} (layer {dst_rank})")
    assert not bad, "imports against the layering:\n" + "\n".join(dict.fromkeys(bad))


def _reach(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _with_parents(target: str) -> list[str]:
    """Importing ``ictal.a.b`` runs ``ictal/__init__``, ``ictal/a/__init__`` and ``ictal.a.b``."""
    parts = target.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _module_edges(graph: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in graph:
        if imp.kind == "module":
            for t in _with_parents(imp.target):
                if t != imp.source and not imp.source.startswith(t + "."):
                    edges.setdefault(imp.source, set()).add(t)
    return edges


def test_module_level_imports_form_no_cycle(graph: list[Import]) -> None:
    edges = _module_edges(graph)
    cycles = sorted(m for m in edges if m in _reach(edges, m))
    assert not cycles, "modules on an import cycle: " + ", ".join(cycles)


def test_no_function_level_import_hides_a_cycle(graph: list[Import]) -> None:
    edges = _module_edges(graph)
    hidden = [f"{imp.source}:{imp.line} imports {imp.target} inside a function, but "
              f"{imp.target} already imports {imp.source} at module level"
              for imp in graph if imp.kind == "function"
              if imp.source in _reach(edges, imp.target) | {imp.target}]
    assert not hidden, "\n".join(hidden)
