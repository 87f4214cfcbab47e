"""The whole ``list_runs`` query: filter, trace_filter, tree_filter and keyword arguments.

``build_query`` returns a sqlglot ``SELECT`` over the layout; ``to_sql`` renders
it for a dialect. ``trace_filter`` is a semi-join of ``trace_id`` on the ids of
matching runs (the root is the run whose ``id`` is the ``trace_id``);
``tree_filter`` a semi-join of ``trace_id`` on the trace ids of matching runs.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any, Iterable, Sequence, Union

from sqlglot import exp

from .. import ast
from ..coerce import parse_timestamp
from ..validator import check
from . import layout
from .compile import _micros, compile_where, run_alias
from .dialects import render

__all__ = ["build_query", "to_sql", "where_clause", "FilterArg"]

FilterArg = Union[str, ast.Expr, None]


def _typed(filter: FilterArg, context: str) -> ast.Expr | None:
    if filter is None:
        return None
    return check(filter, context)


def where_clause(filter: FilterArg, *, context: str = "filter", alias: str = "r",
                 search_limit: int | None = None, nested: bool = False) -> exp.Expression:
    """The filter as a sqlglot boolean over the ``runs`` row aliased ``alias``."""
    typed = _typed(filter, context)
    return exp.true() if typed is None else compile_where(typed, alias, search_limit=search_limit, nested=nested)


def _uuid_text(value: Any, name: str) -> str:
    """Canonical UUID text, or the value's own text (ids are compared as the evaluator does)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _keyword_conditions(alias: str, *, is_root: bool | None, run_type: str | None, error: bool | None,
                        start_time: str | _dt.datetime | None, trace_id: Any, parent_run_id: Any) -> list[exp.Expression]:
    col = lambda name: exp.column(name, table=alias)  # noqa: E731
    out: list[exp.Expression] = []
    if is_root is not None:
        out.append(exp.EQ(this=col("is_root"), expression=exp.Boolean(this=bool(is_root))))
    if run_type is not None:
        out.append(exp.EQ(this=col("run_type"), expression=exp.Literal.string(run_type)))
    if error is not None:
        test = exp.Is(this=col("error"), expression=exp.Null())
        out.append(exp.Not(this=test) if error else test)
    if start_time is not None:
        when = start_time if isinstance(start_time, _dt.datetime) else parse_timestamp(start_time)
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        out.append(exp.GTE(this=col("start_time_us"), expression=exp.Literal.number(str(_micros(when)))))
    if trace_id is not None:
        out.append(exp.EQ(this=col("trace_id"), expression=exp.Literal.string(_uuid_text(trace_id, "trace_id"))))
    if parent_run_id is not None:
        out.append(exp.EQ(this=col("parent_run_id"),
                          expression=exp.Literal.string(_uuid_text(parent_run_id, "parent_run_id"))))
    return out


def _semi_join(alias: str, outer: str, inner: str, typed: ast.Expr, depth: int,
               search_limit: int | None, nested: bool) -> exp.Expression:
    sub_alias = run_alias(depth)
    sub = (exp.select(exp.column(inner, table=sub_alias))
           .from_(exp.to_table(layout.RUNS).as_(sub_alias))
           .where(compile_where(typed, sub_alias, search_limit=search_limit, nested=nested)))
    return exp.In(this=exp.column(outer, table=alias), query=sub.subquery())


def build_query(filter: FilterArg = None, *, trace_filter: FilterArg = None, tree_filter: FilterArg = None,
                is_root: bool | None = None, run_type: str | None = None, error: bool | None = None,
                start_time: str | _dt.datetime | None = None, trace_id: Any = None, parent_run_id: Any = None,
                run_ids: Iterable[Any] | None = None, limit: int | None = None,
                columns: Sequence[str] = ("id",), search_limit: int | None = None, nested: bool = False) -> exp.Select:
    """``SELECT columns FROM runs`` for ``list_runs`` arguments, newest ``start_time`` first, ties by id.

    Filters are validated in their context first (:class:`FilterValidationError`
    on any error). ``run_ids`` ignores every other filtering argument (SPEC §1).
    ``nested`` targets DuckDB's nested layout (faster there); the default flat
    layout runs on every engine.
    """
    alias = run_alias(0)
    for c in columns:
        if c not in layout.RUN_COLUMNS:
            raise ValueError(f"unknown runs column {c!r}; columns are {', '.join(layout.RUN_COLUMNS)}")
    conds: list[exp.Expression]
    if run_ids is not None:
        ids = [exp.Literal.string(_uuid_text(i, "run_ids")) for i in run_ids]
        conds = [exp.In(this=exp.column("id", table=alias), expressions=ids)] if ids else [exp.false()]
    else:
        typed = _typed(filter, "filter")
        conds = [] if typed is None else [compile_where(typed, alias, search_limit=search_limit, nested=nested)]
        conds += _keyword_conditions(alias, is_root=is_root, run_type=run_type, error=error, start_time=start_time,
                                     trace_id=trace_id, parent_run_id=parent_run_id)
        trace = _typed(trace_filter, "trace_filter")
        if trace is not None:
            conds.append(_semi_join(alias, "trace_id", "id", trace, 1, search_limit, nested))
        tree = _typed(tree_filter, "tree_filter")
        if tree is not None:
            conds.append(_semi_join(alias, "trace_id", "trace_id", tree, 2, search_limit, nested))
    query = exp.select(*(exp.column(c, table=alias) for c in columns)).from_(exp.to_table(layout.RUNS).as_(alias))
    if conds:
        query = query.where(exp.and_(*(exp.paren(c) if isinstance(c, exp.Or) else c for c in conds)))
    query = query.order_by(exp.Ordered(this=exp.column("start_time_us", table=alias), desc=True),
                           exp.Ordered(this=exp.column("id", table=alias)))
    if limit is not None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        query = query.limit(limit)
    return query


def to_sql(filter: FilterArg = None, *, trace_filter: FilterArg = None, tree_filter: FilterArg = None,
           dialect: str = "duckdb", pretty: bool = False, **kwargs: Any) -> str:
    """The SQL text of :func:`build_query` in ``dialect`` (duckdb, clickhouse, datafusion, spark, postgres)."""
    query = build_query(filter, trace_filter=trace_filter, tree_filter=tree_filter, **kwargs)
    return render(query, dialect, pretty=pretty)
