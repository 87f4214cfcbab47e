"""filterql: LangSmith's filter query language, parsed, checked, optimized and run offline."""

from __future__ import annotations

from .ast import Expr
from .errors import FilterError, FilterJSONError, FilterSyntaxError, FilterValidationError
from .jsonform import from_json
from .parser import parse
from .renderer import render
from .query_check import QueryCheck, check_query
from .diagnostics import Diagnostic
from .validator import check, validate
from .optimizer import AlwaysFalse, AlwaysTrue, optimize
from .canonical_form import canonical, equivalent
from .evaluate import Predicate, compile
from .run_files import RunReader, RunSourceError, read_runs
from .select_runs import select

__all__ = [
    "AlwaysFalse",
    "AlwaysTrue",
    "Diagnostic",
    "Expr",
    "FilterError",
    "FilterJSONError",
    "FilterSyntaxError",
    "FilterValidationError",
    "equivalent",
    "from_json",
    "QueryCheck",
    "canonical",
    "compile",
    "Predicate",
    "read_runs",
    "RunReader",
    "RunSourceError",
    "select",
    "select_sql",
    "open_engine",
    "to_sql",
    "check",
    "check_query",
    "optimize",
    "parse",
    "render",
    "validate",
]
__version__ = "0.1.0"

#: The SQL backend, loaded on first use (it needs the optional ``sql`` extra: sqlglot, duckdb).
_SQL_EXPORTS = ("to_sql", "select_sql", "open_engine")


def __getattr__(name: str):  # noqa: ANN202 - module attribute hook
    if name in _SQL_EXPORTS:
        from . import sql

        return getattr(sql, name)
    raise AttributeError(f"module 'filterql' has no attribute {name!r}")
