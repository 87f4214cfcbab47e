"""Rendering sqlglot trees for each supported SQL dialect.

Dialect differences are sqlglot's transpilation; the only rewrite here swaps
functions whose meaning differs, as expression trees: ClickHouse's ``lower``
folds ASCII only, its ``lowerUTF8`` folds Unicode like the others, and its
``substring`` counts bytes where ``substringUTF8`` counts characters.
DataFusion has no sqlglot dialect of its own; its SQL is PostgreSQL's.
"""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

__all__ = ["DIALECTS", "render", "sqlglot_dialect"]

#: filterql dialect name → sqlglot dialect name.
DIALECTS = {
    "duckdb": "duckdb",
    "clickhouse": "clickhouse",
    "datafusion": "postgres",
    "spark": "spark",
    "postgres": "postgres",
}


def _clickhouse(tree: exp.Expression) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Lower):
            return exp.Anonymous(this="lowerUTF8", expressions=[node.this])
        if isinstance(node, exp.Substring):
            return exp.Anonymous(this="substringUTF8",
                                 expressions=[node.this, node.args["start"], node.args["length"]])
        return node

    return tree.transform(swap)


_REWRITES: dict[str, Callable[[exp.Expression], exp.Expression]] = {"clickhouse": _clickhouse}


def sqlglot_dialect(dialect: str) -> str:
    try:
        return DIALECTS[dialect]
    except KeyError:
        raise ValueError(f"unknown SQL dialect {dialect!r}; choose one of {', '.join(DIALECTS)}") from None


def render(tree: exp.Expression, dialect: str, *, pretty: bool = False) -> str:
    """``tree`` as SQL text in ``dialect``."""
    target = sqlglot_dialect(dialect)
    rewrite = _REWRITES.get(dialect)
    if rewrite is not None:
        tree = rewrite(tree.copy())
    return tree.sql(dialect=target, pretty=pretty)
