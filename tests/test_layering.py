"""The package's import graph has no cycle, and the analysis stages stay below the report.

Every module under grontur/ is parsed with ``ast`` (nothing is imported). An edge ``a -> b``
is any import of grontur module ``b`` in ``a``, at module level or inside a function or class,
except imports under ``if TYPE_CHECKING:``. Importing ``grontur.x.y`` also runs the package
``grontur.x``, so that is an edge too (unless ``a`` is inside ``grontur.x`` itself).
"""

from __future__ import annotations

import ast
import functools
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

import grontur

PACKAGE_DIR = Path(grontur.__file__).resolve().parent

#: Analysis stages: they return data; phrasing and drawing belong to the report.
ANALYSIS_MODULES = (
    "describe", "compare", "pilots", "rank", "segment", "potential", "emissions", "geo",
    "anchoring", "evidence", "catalogue", "clean", "mapping", "importing", "privacy",
)
FORBIDDEN_AT_MODULE_LEVEL = ("grontur.report", "matplotlib")


@dataclass(frozen=True)
class Import:
    target: str  # dotted name as written (resolved for relative imports)
    line: int
    module_level: bool


@functools.cache
def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``)."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path, is_package: bool) -> list[Import]:
    """Every import statement in the file, with its dotted names, outside ``if TYPE_CHECKING:``."""
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.orelse:
                    visit_one(stmt, module_level)
                continue
            visit_one(child, module_level)

    def visit_one(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, module_level) for alias in node.names)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.append(Import(source, node.lineno, module_level))
            # "from grontur import x" may import the submodule grontur.x
            found.extend(Import(f"{source}.{alias.name}", node.lineno, module_level) for alias in node.names)
            return
        inner = module_level and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        visit(node, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), True)
    return found


def _resolve(name: str, modules: dict[str, tuple[Path, bool]]) -> str | None:
    """The grontur module a dotted name loads (``grontur.x.func`` -> ``grontur.x``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _loaded(target: str, importer: str) -> list[str]:
    """``target`` and the parent packages importing it runs, less ``importer`` and its enclosing
    packages (those are already being run when ``importer`` runs)."""
    parts = target.split(".")
    loaded = [".".join(parts[:i]) for i in range(2, len(parts) + 1)]
    return [m for m in loaded if not (importer == m or importer.startswith(m + "."))]


@functools.cache
def import_graph(*, module_level_only: bool = False) -> dict[str, dict[str, int]]:
    """``{module: {imported grontur module: line of the first import}}``."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in modules.items():
        edges: dict[str, int] = {}
        for imp in _imports(name, path, is_package):
            if module_level_only and not imp.module_level:
                continue
            target = _resolve(imp.target, modules) if imp.target.startswith("grontur") else None
            if target is None:
                continue
            for dep in _loaded(target, name):
                edges.setdefault(dep, imp.line)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the graph, or ``None`` (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = walk(start)
            if found:
                return found
    return None


def _describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    steps = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in itertools.pairwise(cycle)]
    return "import cycle:\n  " + "\n  ".join(steps)


def test_the_import_graph_sees_every_module_and_known_edges() -> None:
    graph = import_graph()
    # the parser must see what is there, or an empty graph would pass the cycle test
    assert len(graph) > 40
    assert "grontur.stats" in graph["grontur.compare"]
    assert "grontur.stats" in graph["grontur.pilots"]
    assert "grontur.report.comparison" in graph["grontur.report.build"]
    assert "grontur.report._text" in graph["grontur.report.comparison"]
    # a function-level import is an edge too
    assert "grontur.report.build" in graph["grontur.report.network"]


def test_find_cycle_reports_a_cycle_through_function_level_imports() -> None:
    graph = {"a": {"b": 3}, "b": {"c": 7}, "c": {"a": 12}, "d": {"a": 1}}
    cycle = find_cycle(graph)
    assert cycle is not None
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert "a (line 3) -> b" in _describe(cycle, graph)
    assert find_cycle({"a": {"b": 1}, "b": {}}) is None


def test_a_function_level_import_is_an_edge_and_type_checking_is_not(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from grontur.report import build\n"
        "def f():\n    from grontur.pilots import evaluate_pilots\n    return evaluate_pilots\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source, encoding="utf-8")
    found = _imports("grontur.mod", path, False)
    targets = {(imp.target, imp.module_level) for imp in found}
    assert ("grontur.pilots", False) in targets
    assert not any(imp.target.startswith("grontur.report") for imp in found)


def test_no_import_cycle_in_grontur() -> None:
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, _describe(cycle, graph)


@pytest.mark.parametrize("name", ANALYSIS_MODULES)
def test_analysis_modules_do_not_import_the_report_or_matplotlib_at_module_level(name: str) -> None:
    """Neither directly nor through another grontur module imported at module level."""
    modules = _modules()
    graph = import_graph(module_level_only=True)
    module = f"grontur.{name}"
    assert module in modules
    seen, todo = {module}, [module]
    offending: dict[tuple[str, int], str] = {}
    while todo:
        current = todo.pop()
        path, is_package = modules[current]
        for imp in _imports(current, path, is_package):
            if imp.module_level and any(imp.target == f or imp.target.startswith(f + ".") for f in FORBIDDEN_AT_MODULE_LEVEL):
                offending.setdefault((current, imp.line), imp.target)
        for dep in graph[current]:
            if dep not in seen and not dep.startswith("grontur.report"):
                seen.add(dep)
                todo.append(dep)
    lines = [f"{where} line {line}: import {target}" for (where, line), target in sorted(offending.items())]
    assert not lines, f"{module} loads the report or matplotlib at import time:\n  " + "\n  ".join(lines)
