"""The whole ``list_runs`` query in SQL: a :class:`~filterql.query.RunQuery` over the layout.

``query_sql`` returns a sqlglot ``SELECT`` over the layout; ``to_sql`` renders
it for a dialect. ``where`` (the filter and the keyword conditions, defined
once in :mod:`filterql.query`) compiles like any filter; ``trace_filter`` is a
semi-join of ``trace_id`` on the ids of matching runs (the root is the run
whose ``id`` is the ``trace_id``); ``tree_filter`` a semi-join of ``trace_id``
on the trace ids of matching runs.
"""

from __future__ import annotations

from typing import Any, Sequence, Union

from sqlglot import exp

from .. import ast
from ..query import RunQuery, list_runs_query
from ..validator import check
from . import layout
from .compile import compile_where, run_alias
from .dialects import render
from .exprs import positive

__all__ = ["build_query", "query_sql", "to_sql", "where_clause", "FilterArg"]

FilterArg = Union[str, ast.Expr, None]


def where_clause(filter: FilterArg, *, context: str = "filter", alias: str = "r",
                 search_limit: int | None = None, nested: bool = False) -> exp.Expression:
    """The filter as a sqlglot boolean over the ``runs`` row aliased ``alias``."""
    typed = None if filter is None else check(filter, context)
    return exp.true() if typed is None else compile_where(typed, alias, search_limit=search_limit, nested=nested)


def _semi_join(alias: str, outer: str, inner: str, typed: ast.Expr, depth: int,
               search_limit: int | None, nested: bool, tag_array: bool) -> exp.Expression:
    sub_alias = run_alias(depth)
    sub = (exp.select(exp.column(inner, table=sub_alias))
           .from_(exp.to_table(layout.RUNS).as_(sub_alias))
           .where(positive(compile_where(typed, sub_alias, search_limit=search_limit, nested=nested,
                                         tag_array=tag_array))))
    return exp.In(this=exp.column(outer, table=alias), query=sub.subquery())


def query_sql(query: RunQuery, *, columns: Sequence[str] = ("id",), nested: bool = False,
               ordered: bool = True, tag_array: bool = False) -> exp.Select:
    """``SELECT columns FROM runs`` answering ``query``, newest ``start_time`` first, ties by id.

    ``nested`` targets DuckDB's nested layout (faster there); the default flat
    layout runs on every engine; ``tag_array`` is the flat layout with ``runs.tags``, an array
    (Spark's). ``ordered=False`` leaves out ``ORDER BY`` and
    ``LIMIT``: the caller orders (``filterql match`` does, in bounded memory).
    """
    alias = run_alias(0)
    for c in columns:
        if c not in layout.RUN_COLUMNS:
            raise ValueError(f"unknown runs column {c!r}; columns are {', '.join(layout.RUN_COLUMNS)}")
    limit = query.search_limit
    conds: list[exp.Expression] = []
    if query.where is not None:
        conds.append(compile_where(query.where, alias, search_limit=limit, nested=nested, tag_array=tag_array))
    if query.trace_filter is not None:
        conds.append(_semi_join(alias, "trace_id", "id", query.trace_filter, 1, limit, nested, tag_array))
    if query.tree_filter is not None:
        conds.append(_semi_join(alias, "trace_id", "trace_id", query.tree_filter, 2, limit, nested, tag_array))
    sql = exp.select(*(exp.column(c, table=alias) for c in columns)).from_(exp.to_table(layout.RUNS).as_(alias))
    if conds:
        sql = sql.where(positive(exp.and_(*(exp.paren(c) if isinstance(c, exp.Or) else c for c in conds))))
    if not ordered:
        return sql
    sql = sql.order_by(exp.Ordered(this=exp.column("start_time_us", table=alias), desc=True),
                       exp.Ordered(this=exp.column("id", table=alias)))
    return sql if query.limit is None else sql.limit(query.limit)


def build_query(filter: FilterArg = None, *, columns: Sequence[str] = ("id",), nested: bool = False,
                **arguments: Any) -> exp.Select:
    """:func:`query_sql` for ``list_runs`` keyword arguments (read by :func:`filterql.query.list_runs_query`).

    Filters are validated in their context first (:class:`FilterValidationError`
    on any error). ``run_ids`` ignores every other filtering argument (SPEC §1).
    """
    return query_sql(list_runs_query(filter=filter, **arguments), columns=columns, nested=nested)


def to_sql(filter: FilterArg = None, *, trace_filter: FilterArg = None, tree_filter: FilterArg = None,
           dialect: str = "duckdb", pretty: bool = False, **kwargs: Any) -> str:
    """The SQL text of :func:`build_query` in ``dialect`` (duckdb, clickhouse, datafusion, spark, postgres)."""
    query = build_query(filter, trace_filter=trace_filter, tree_filter=tree_filter, **kwargs)
    return render(query, dialect, pretty=pretty)
