"""filterql: LangSmith's filter query language, parsed, checked, optimized and run offline.

The public names load their module on first use (PEP 562), so ``import filterql``
and ``filterql check`` pay only for what they touch: checking a filter never
imports the evaluator, the optimizer or the SQL backend.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "Expr": "ast",
    "FilterError": "errors",
    "FilterJSONError": "errors",
    "FilterSyntaxError": "errors",
    "FilterValidationError": "errors",
    "FilterTranslationError": "errors",
    "from_ui": "ui_parser",
    "to_ui": "ui_renderer",
    "quote": "builder",
    "from_json": "jsonform",
    "parse": "parser",
    "render": "renderer",
    "QueryCheck": "query_check",
    "check_query": "endpoint_check",
    "Diagnostic": "diagnostics",
    "check": "validator",
    "Checked": "checked",
    "validate": "validator",
    "AlwaysFalse": "optimizer",
    "AlwaysTrue": "optimizer",
    "optimize": "optimizer",
    "canonical": "canonical_form",
    "equivalent": "canonical_form",
    "Predicate": "evaluate",
    "compile": "evaluate",
    "RunReader": "run_files",
    "RunSourceError": "run_files",
    "read_runs": "run_files",
    "select": "select_runs",
    "query_page": "pages",
    "Page": "pages",
    "QueryError": "pages",
    "migrate_query": "migration",
    "MigrationError": "migration",
    # The SQL backend needs the optional ``sql`` extra (sqlglot, duckdb).
    "to_sql": "sql",
    "select_sql": "sql",
    "open_engine": "sql",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'filterql' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .ast import Expr
    from .canonical_form import canonical, equivalent
    from .checked import Checked
    from .diagnostics import Diagnostic
    from .builder import quote
    from .errors import FilterError, FilterJSONError, FilterSyntaxError, FilterTranslationError, FilterValidationError
    from .evaluate import Predicate, compile
    from .jsonform import from_json
    from .optimizer import AlwaysFalse, AlwaysTrue, optimize
    from .parser import parse
    from .endpoint_check import check_query
    from .migration import MigrationError, migrate_query
    from .pages import Page, QueryError, query_page
    from .query_check import QueryCheck
    from .renderer import render
    from .run_files import RunReader, RunSourceError, read_runs
    from .select_runs import select
    from .sql import open_engine, select_sql, to_sql
    from .ui_parser import from_ui
    from .ui_renderer import to_ui
    from .validator import check, validate
