"""Query plan (:mod:`filterql.plan`) → sqlglot expression trees over the layout of :mod:`filterql.sql.layout`.

Values become sqlglot literals (quoted by sqlglot per dialect) and column
names come from the catalog, so no text from a filter is ever spliced into
SQL. SQL's three-valued logic is made two-valued (docs/semantics.md): in a
positive position a NULL comparison already acts as false in WHERE, and under
a ``not`` every atom is wrapped in ``COALESCE(atom, FALSE)``.

A checked filter is lowered first (:func:`filterql.lowering.lower`); each plan
node has one rule here. Entry scopes (:mod:`filterql.sql.families`) are
``runs.id IN (SELECT run_id FROM run_entries ...)`` semi-joins over one entry
row, which is the binding scope of SPEC §5. The subqueries are uncorrelated so every engine
(DuckDB, ClickHouse, DataFusion) plans them as hash semi-joins, also under
``or`` and ``not``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from sqlglot import exp

from .. import ast, plan
from ..catalog import OBJECT_FAMILIES, FieldType
from ..lowering import lower
from . import layout
from .exprs import (
    EPOCH, _and, _cmp, _col, _Ctx, _int, _is_null, _like, _micros, _or, _paren, _safe, _scalar_literal, _str,
    _in_subquery, _like_literal_prefix, _tags, like_pattern, run_alias,
)
from .families import ENTRY_HANDLED, _bound, _entries, _entry_typed_eq
from .lookup import typed_lookup
from .prefilter import text_exact, text_pattern, value_pattern

# EPOCH, _micros, like_pattern and run_alias are re-exported for query.py and the tests.
__all__ = ["compile_where", "compile_plan", "run_alias", "like_pattern", "EPOCH", "HANDLED", "_micros"]

#: Families searched by the global ``search("...")``.
_SEARCHED_FAMILIES = ("metadata", "input", "output")


# ------------------------------------------------------------ readings
#: The catalog field whose ``runs`` column holds each reading (the loader stores the derived ones).
_READING_FIELD: dict[type, Callable[[Any], str]] = {
    plan.Column: lambda r: r.name,
    plan.Latency: lambda r: "latency",
    plan.ThreadKey: lambda r: "thread_id",
}


def _column(reading: plan.Reading, ctx: _Ctx) -> exp.Column:
    return _col(layout.column_of(_READING_FIELD[type(reading)](reading)), ctx.run)


def _thread_present(ctx: _Ctx) -> exp.Expression:
    return _col(layout.THREAD_PRESENT, ctx.run)


# ------------------------------------------------------------ dispatch


def _compile_all(node: plan.All, ctx: _Ctx) -> exp.Expression:
    return _and([_paren(compile_plan(p, ctx)) for p in node.parts], copy=False)


def _compile_any(node: plan.AnyOf, ctx: _Ctx) -> exp.Expression:
    return _or([_paren(compile_plan(p, ctx)) for p in node.parts], copy=False)


def _compile_not(node: plan.Not, ctx: _Ctx) -> exp.Expression:
    return exp.Not(this=_paren(compile_plan(node.part, ctx.under_not())))


def _compile_constant(node: plan.Constant, ctx: _Ctx) -> exp.Expression:
    return exp.true() if node.value else exp.false()


def _compile_compare(node: plan.Compare, ctx: _Ctx) -> exp.Expression:
    reading, value = node.reading, node.value
    if ctx.nested and reading.type is FieldType.TIMESTAMP:
        # The native timestamp column, so DuckDB can skip row groups by their statistics.
        naive = value.astimezone(_dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return _safe(_cmp(node.op, _col(reading.name, ctx.run), exp.cast(_str(naive), "TIMESTAMP")), ctx)  # type: ignore[union-attr]
    col = _column(reading, ctx)
    if isinstance(reading, plan.ThreadKey) and node.op == "neq":
        # A thread that is not a string (a number) is present and unequal to every string.
        return _safe(exp.and_(_thread_present(ctx),
                              exp.Coalesce(this=_cmp("neq", col, _str(value)), expressions=[exp.true()]),
                              copy=False), ctx)
    return _safe(_scalar_literal(reading.type, node.op, col, value), ctx)


def _compile_is_null(node: plan.IsNull, ctx: _Ctx) -> exp.Expression:
    if isinstance(node.reading, plan.ThreadKey):
        present = _thread_present(ctx)
        return exp.Not(this=present) if node.null else present
    return _is_null(_column(node.reading, ctx), node.null)


def _compile_in_set(node: plan.InSet, ctx: _Ctx) -> exp.Expression:
    t, values, col = node.reading.type, node.values, _column(node.reading, ctx)
    if t in (FieldType.UUID, FieldType.STRING, FieldType.ENUM, FieldType.TIMESTAMP, FieldType.BOOLEAN) or (
            t is FieldType.INTEGER and all(isinstance(v, int) for v in values)):
        rights = [_scalar_literal(t, "eq", col, v).expression for v in values]
        return _safe(exp.In(this=col, expressions=rights), ctx)
    return _safe(_or([_paren(_scalar_literal(t, "eq", col, v)) for v in values]), ctx)


def _compile_like(node: plan.Like, ctx: _Ctx) -> exp.Expression:
    col = _column(node.reading, ctx)
    match = _like(col, node.pattern)
    if node.negated:
        # present and not matching: NOT of a NULL must stay false.
        return exp.and_(_is_null(col, False), exp.Not(this=_paren(match)), copy=False)
    return _safe(match, ctx)


def _compile_is_root(node: plan.IsRoot, ctx: _Ctx) -> exp.Expression:
    return _safe(exp.EQ(this=_col("is_root", ctx.run), expression=exp.Boolean(this=node.root)), ctx)


def _compile_tags_any(node: plan.TagsAny, ctx: _Ctx) -> exp.Expression:
    if ctx.tag_array:
        return _safe(_or([exp.ArrayContains(this=_col("tags", ctx.run), expression=_str(v)) for v in node.values]), ctx)
    return _tags(ctx, exp.In(this=_col("tag", "e"), expressions=[_str(v) for v in node.values]))


def _compile_tag_has(node: plan.TagHas, ctx: _Ctx) -> exp.Expression:
    if ctx.tag_array:
        return _safe(exp.ArrayContains(this=_col("tags", ctx.run), expression=_str(node.value)), ctx)
    return _tags(ctx, exp.EQ(this=_col("tag", "e"), expression=_str(node.value)))


def _compile_has_leaves(node: plan.HasLeaves, ctx: _Ctx) -> exp.Expression:
    return _and([typed_lookup(ctx, k, v) or
                 _entries(ctx, "metadata", [exp.EQ(this=_col("key", "e"), expression=_str(k)), _entry_typed_eq(v)], k)
                 for k, v in node.leaves])


def _compile_key_present(node: plan.KeyPresent, ctx: _Ctx) -> exp.Expression:
    keycol = _col("key", "e")
    child = exp.Escape(this=exp.Like(this=keycol, expression=_str(_like_literal_prefix(node.key + ".") + "%")),
                       expression=_str("\\"))
    return _entries(ctx, node.family, [exp.or_(exp.EQ(this=keycol, expression=_str(node.key)), child, copy=False)])


def _compile_entry_exists(node: plan.EntryExists, ctx: _Ctx) -> exp.Expression:
    return _bound(ctx, node.source, node.tests)


def _compile_no_entry(node: plan.NoEntry, ctx: _Ctx) -> exp.Expression:
    return exp.Not(this=_bound(ctx, node.source, node.tests))


def _contains(col: exp.Expression, term: str, ctx: _Ctx) -> exp.Expression:
    if ctx.search_limit is not None:
        col = exp.Substring(this=col, start=_int(1), length=_int(ctx.search_limit))
    return exp.GT(this=exp.StrPosition(this=exp.Lower(this=col), substr=_str(term)), expression=_int(0))


def _search_term(term: str, field: str | None, ctx: _Ctx) -> exp.Expression:
    entry = lambda fams: _in_subquery(ctx, layout.ENTRIES, _and([  # noqa: E731
        exp.In(this=_col("family", "e"), expressions=[_str(f) for f in fams]),
        exp.EQ(this=_col("vtype", "e"), expression=_str("string")),
        _contains(_col("vstr", "e"), term, ctx)]))
    tags = lambda: _tags(ctx, _contains(_col("tag", "e"), term, ctx))  # noqa: E731
    if ctx.nested:
        entry = lambda fams: _or([  # noqa: E731
            _paren(_safe(_doc_contains(f, term, ctx), ctx)) for f in fams])
    if ctx.tag_array:
        tags = lambda: _safe(_tags_contain(term, ctx), ctx)  # noqa: E731
    if field is None:
        return _or([
            _paren(_safe(_contains(_col("name", ctx.run), term, ctx), ctx)),
            _paren(_safe(_contains(_col("error", ctx.run), term, ctx), ctx)),
            tags(),
            entry(_SEARCHED_FAMILIES),
        ])
    if field == "tags":
        return tags()
    if field in OBJECT_FAMILIES:
        return entry((OBJECT_FAMILIES[field],))
    return _safe(_contains(_col(layout.column_of(field), ctx.run), term, ctx), ctx)


_FAMILY_OBJECT_COLUMN = {family: column for column, family in OBJECT_FAMILIES.items()}


#: The nested layout's JSON text of each searched document, as read (possibly invalid JSON), or the JSON
#: text holding it and its path there. Metadata is extracted from ``extra`` in the filter, not read from
#: ``runs.metadata``: DuckDB computes a column for every row it reaches, and the text test on ``extra``
#: spares most rows that parse.
_FAMILY_TEXT = {"metadata": ("extra", "$.metadata"), "input": ("inputs_text", None), "output": ("outputs_text", None)}


def _ascii_contains(family: str, term: str, ctx: _Ctx) -> exp.Expression:
    """Some string leaf of ``family``'s document contains ``term`` (a :func:`text_exact` term), from its text."""
    column, path = _FAMILY_TEXT[family]
    text = _col(column, ctx.run)
    patterns = [_str(term), _str(text_pattern(term)), _str(value_pattern(term))]
    if path is None:
        return exp.Anonymous(this="filterql_doc_contains_ascii", expressions=[text, *patterns])
    part = exp.Anonymous(this="TRY", expressions=[exp.Anonymous(this="json_extract", expressions=[text, _str(path)])])
    return exp.Anonymous(this="filterql_part_contains_ascii", expressions=[text, part, *patterns])


def _doc_contains(family: str, term: str, ctx: _Ctx) -> exp.Expression:
    """Some string leaf of ``family``'s document contains ``term`` (nested layout)."""
    limit = exp.Null() if ctx.search_limit is None else _int(ctx.search_limit)
    if ctx.search_limit is None and text_exact(term):
        return _ascii_contains(family, term, ctx)
    doc = _col(_FAMILY_OBJECT_COLUMN[family], ctx.run)
    # A term no JSON writer escapes can first be looked for in the document's text.
    plain = not any(c in '"\\/' or ord(c) < 0x20 for c in term)
    name = "filterql_doc_contains_plain" if plain else "filterql_doc_contains"
    return exp.Anonymous(this=name, expressions=[doc, _str(term), limit])


def _tags_contain(term: str, ctx: _Ctx) -> exp.Expression:
    t = exp.to_identifier("t")
    matching = exp.ArrayFilter(this=_col("tags", ctx.run),
                               expression=exp.Lambda(this=_contains(t, term, ctx), expressions=[t]))
    return exp.GT(this=exp.ArraySize(this=matching), expression=_int(0))


def _compile_search(node: plan.Search, ctx: _Ctx) -> exp.Expression:
    return _and([_paren(_search_term(t, node.field, ctx)) for t in node.terms])


_DISPATCH: dict[type, Callable[[Any, _Ctx], exp.Expression]] = {
    plan.All: _compile_all,
    plan.AnyOf: _compile_any,
    plan.Not: _compile_not,
    plan.Constant: _compile_constant,
    plan.Compare: _compile_compare,
    plan.IsNull: _compile_is_null,
    plan.InSet: _compile_in_set,
    plan.Like: _compile_like,
    plan.IsRoot: _compile_is_root,
    plan.TagsAny: _compile_tags_any,
    plan.TagHas: _compile_tag_has,
    plan.HasLeaves: _compile_has_leaves,
    plan.KeyPresent: _compile_key_present,
    plan.Search: _compile_search,
    plan.EntryExists: _compile_entry_exists,
    plan.NoEntry: _compile_no_entry,
}

#: Plan node types the SQL backend prints (a test checks this covers :data:`filterql.plan.PLAN_NODES`).
HANDLED = frozenset(_DISPATCH) | ENTRY_HANDLED | frozenset(_READING_FIELD)


def compile_plan(node: plan.Plan, ctx: _Ctx) -> exp.Expression:
    rule = _DISPATCH.get(type(node))
    if rule is None:
        raise TypeError(f"sql: no rule for node {type(node).__name__}")
    return rule(node, ctx)


def compile_where(typed: ast.Expr, run: str = "r", *, search_limit: int | None = None,
                  nested: bool = False, tag_array: bool = False) -> exp.Expression:
    """The checked filter ``typed`` as a boolean over the ``runs`` row aliased ``run``.

    ``nested`` targets DuckDB's nested layout (docs/sql.md); the default is the
    flat layout every engine has; ``tag_array``, the flat layout with ``runs.tags`` as an array.
    """
    return compile_plan(lower(typed), _Ctx(run=run, search_limit=search_limit, nested=nested,
                                           tag_array=nested or tag_array))
