"""The package's module graph: every submodule imports as a module, imports point one way.

Read from the sources with :mod:`ast`, so the test sees every import, taken or not.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

import filterql

PACKAGE = Path(filterql.__file__).resolve().parent

#: The only imports allowed inside a function, and why: start-up time, or an optional extra.
LAZY_IMPORTS = {
    # Each command imports what it needs, so `filterql check` does not load the SQL and evaluation stacks.
    ("filterql.cli", "filterql"): "start-up: per-command imports",
    ("filterql.cli", "difflib"): "start-up: only check --fix prints a diff",
    # What `filterql check` needs only when a filter is wrong.
    ("filterql.validator", "filterql"): "start-up: only a filter that does not parse is read as UI syntax",
    ("filterql.lint", "filterql"): "start-up: the UI search bar's grammar loads only for a term written in it",
    ("filterql.hints", "difflib"): "start-up: only a misspelt name needs close matches",
    # Optional extras, imported where they are used (the core needs only lark and attrs).
    ("filterql.sql.load", "duckdb"): "optional extra: filterql[sql]",
    ("filterql.sql.load", "pyarrow"): "optional extra: filterql[sql]",
    ("filterql.sql.engines", "pyarrow"): "optional extra: filterql[sql]",
    ("filterql.sql.engines", "chdb"): "optional extra: filterql[clickhouse]",
    ("filterql.sql.engines", "datafusion"): "optional extra: filterql[datafusion]",
    ("filterql.sql.spark_engine", "pyspark"): "optional extra: filterql[spark]",
    ("filterql.sql.postgres_engine", "psycopg"): "optional extra: filterql[postgres]",
    ("filterql.sql.postgres_engine", "pyarrow"): "optional extra: filterql[sql]",
    ("filterql.sql.spark_engine", "pyarrow"): "optional extra: filterql[sql]",
    ("filterql.run_files", "pyarrow"): "optional extra: filterql[parquet]",
    ("filterql.cli", "tqdm"): "optional extra: filterql[progress]",
    ("filterql.server.launch", "tqdm"): "optional extra: filterql[progress]",
    # query(engine="duckdb") loads the SQL backend (sqlglot, duckdb) only when asked for.
    ("filterql.pages", "filterql"): "optional extra: filterql[sql]",
}


def _module_name(path: Path) -> str:
    parts = ["filterql", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return SOURCES[name].name == "__init__.py"


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement in ``module`` loads (absolute names)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".")
        base = base[: len(base) - node.level + _is_package(module)]
        parent = ".".join(base + ([node.module] if node.module else []))
    else:
        parent = node.module or ""
    # `from pkg import sub` loads pkg.sub when sub is a module, else just pkg.
    return [f"{parent}.{a.name}" if f"{parent}.{a.name}" in SOURCES else parent for a in node.names]


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(module: str) -> tuple[set[str], list[tuple[str, int]]]:
    """(modules imported when ``module`` loads, imports inside functions as (target, line))."""
    tree = ast.parse(SOURCES[module].read_text("utf-8"))
    top: set[str] = set()
    nested: list[tuple[str, int]] = []
    ancestors = set(_with_parents(module))

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # never executed
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, child):
                    if in_function:
                        nested.append((target, child.lineno))
                    else:  # importing a.b.c loads a and a.b too, except the packages `module` is in
                        top.update(t for t in _with_parents(target) if t in SOURCES and t not in ancestors)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return top, nested


GRAPH = {m: _imports(m)[0] for m in SOURCES}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_submodule_imports_as_a_module(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module, ModuleType)
    if "." in name:  # not shadowed by a same-named attribute of its package
        parent, _, last = name.rpartition(".")
        assert getattr(sys.modules[parent], last) is module


def test_no_module_level_import_cycle() -> None:
    """Tarjan's strongly connected components over the module-level imports: all of size one.

    A package's ``__init__`` re-exporting its submodules is not counted as a
    cycle with them (a submodule loading its own package is Python's doing).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
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
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            connect(v)
    assert cycles == []


def test_the_graph_test_sees_edges() -> None:
    """Guard against a graph reader that finds nothing (and so no cycle)."""
    assert "filterql.ast" in GRAPH["filterql.parser"] and "filterql.catalog" in GRAPH["filterql.ast"]
    assert "filterql.sql.load" in GRAPH["filterql.sql.engines"]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_function_level_imports_are_only_the_documented_lazy_ones(name: str) -> None:
    undocumented = [(target, line) for target, line in _imports(name)[1]
                    if (name, target.split(".")[0]) not in LAZY_IMPORTS]
    assert undocumented == [], f"{SOURCES[name]}: import inside a function (add it to LAZY_IMPORTS with a reason?)"


def test_lark_is_imported_only_where_parsing_happens() -> None:
    users = sorted(m for m in SOURCES if "lark" in {t.split(".")[0] for t in _top_level_names(m)})
    assert users == ["filterql.parser", "filterql.ui_parser"]  # the API language and the UI search bar


def _top_level_names(module: str) -> set[str]:
    tree = ast.parse(SOURCES[module].read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names
