"""Typed AST → sqlglot expression trees over the layout of :mod:`filterql.sql.layout`.

Values become sqlglot literals (quoted by sqlglot per dialect) and column
names come from the catalog, so no text from a filter is ever spliced into
SQL. SQL's three-valued logic is made two-valued (README "Semantics"): in a
positive position a NULL comparison already acts as false in WHERE, and under
a ``not`` every atom is wrapped in ``COALESCE(atom, FALSE)``.

Family conditions (:mod:`filterql.sql.families`) are ``runs.id IN (SELECT
run_id FROM run_entries ...)`` semi-joins over one entry row, which is the
binding scope of SPEC §5. The subqueries are uncorrelated so every engine
(DuckDB, ClickHouse, DataFusion) plans them as hash semi-joins, also under
``or`` and ``not``.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from typing import Any, Callable

from sqlglot import exp

from .. import ast
from ..catalog import FIELDS, OBJECT_FAMILIES, FieldType
from ..runs import flatten
from ..ast import family_of, positive_key_family
from . import layout
from .exprs import (
    EPOCH, _and, _cmp, _col, _Ctx, _int, _is_null, _like, _micros, _or, _paren, _safe, _scalar_literal, _str,
    _in_subquery, _like_literal_prefix, _tags, _value, like_pattern, run_alias,
)
from .families import _binds, _bound, _entries, _entry_typed_eq, _family_alone, _is_family_condition
from .lookup import typed_lookup
from .prefilter import text_exact, text_pattern, value_pattern

# EPOCH, _micros, like_pattern and run_alias are re-exported for query.py and the tests.
__all__ = ["compile_where", "compile_expr", "run_alias", "like_pattern", "EPOCH", "HANDLED", "_micros"]

#: Which family each object field's entries belong to.
_OBJECT_FAMILY = OBJECT_FAMILIES
#: Families searched by the global ``search("...")``.
_SEARCHED_FAMILIES = ("metadata", "input", "output")


# ------------------------------------------------------------ dispatch


def _compile_and(node: ast.And, ctx: _Ctx) -> exp.Expression:
    positive = {f for a in node.args if (f := positive_key_family(a)) is not None}
    bound: dict[str, list[ast.Expr]] = defaultdict(list)
    slots: list[str | ast.Expr] = []  # a family name marks where its bound subquery goes
    for arg in node.args:
        family = family_of(arg) if _is_family_condition(arg) else None
        if family in positive and _binds(arg, family):  # type: ignore[arg-type]
            if family not in bound:
                slots.append(family)  # type: ignore[arg-type]
            bound[family].append(arg)  # type: ignore[index]
        else:
            slots.append(arg)
    parts = []
    for slot in slots:
        if isinstance(slot, str):
            parts.append(_bound(ctx, slot, bound[slot]))
        else:
            parts.append(compile_expr(slot, ctx))
    return _and([_paren(p) for p in parts])


def _compile_or(node: ast.Or, ctx: _Ctx) -> exp.Expression:
    return _or([_paren(compile_expr(a, ctx)) for a in node.args])


def _compile_not(node: ast.Not, ctx: _Ctx) -> exp.Expression:
    return exp.Not(this=_paren(compile_expr(node.arg, ctx.under_not())))


def _compile_compare(node: ast.Compare, ctx: _Ctx) -> exp.Expression:
    if family_of(node) is not None:
        return _family_alone(node, ctx)
    spec = FIELDS[node.field.name]
    value = _value(node.value)
    col = _col(layout.column_of(spec.name), ctx.run)
    if ctx.nested and spec.type is FieldType.TIMESTAMP and value is not None:
        # The native timestamp column, so DuckDB can skip row groups by their statistics.
        naive = value.astimezone(_dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return _safe(_cmp(node.op, _col(spec.name, ctx.run), exp.cast(_str(naive), "TIMESTAMP")), ctx)
    present = _col(layout.THREAD_PRESENT, ctx.run) if spec.name == "thread_id" else None
    if value is None:
        if present is not None:
            return present if node.op == "neq" else exp.Not(this=present)
        return _is_null(col, node.op == "eq")
    if present is not None and node.op == "neq":
        # A thread that is not a string (a number) is present and unequal to every string.
        return _safe(exp.and_(present, exp.Coalesce(this=_cmp("neq", col, _str(value)), expressions=[exp.true()])), ctx)
    return _safe(_scalar_literal(spec.type, node.op, col, value), ctx)


def _compile_in(node: ast.In, ctx: _Ctx) -> exp.Expression:
    if family_of(node) is not None:
        return _family_alone(node, ctx)
    spec = FIELDS[node.field.name]
    values = [_value(i) for i in node.values.items]
    if spec.type is FieldType.STRING_LIST:
        if ctx.nested:
            overlap = exp.ArrayOverlaps(this=_col("tags", ctx.run), expression=exp.Array(expressions=[_str(v) for v in values]))
            return _safe(overlap, ctx)
        tag = _col("tag", "e")
        return _tags(ctx, exp.In(this=tag, expressions=[_str(v) for v in values]))
    col = _col(layout.column_of(spec.name), ctx.run)
    if spec.type in (FieldType.UUID, FieldType.STRING, FieldType.ENUM, FieldType.TIMESTAMP, FieldType.BOOLEAN) or (
            spec.type is FieldType.INTEGER and all(isinstance(v, int) for v in values)):
        rights = [_scalar_literal(spec.type, "eq", col, v).expression for v in values]
        return _safe(exp.In(this=col, expressions=rights), ctx)
    return _safe(_or([_paren(_scalar_literal(spec.type, "eq", col, v)) for v in values]), ctx)


def _compile_like(node: ast.Like, ctx: _Ctx) -> exp.Expression:
    if family_of(node) is not None:
        return _family_alone(node, ctx)
    col = _col(layout.column_of(node.field.name), ctx.run)
    match = _like(col, _value(node.pattern))
    if node.negated:
        # present and not matching: NOT of a NULL must stay false.
        return exp.and_(_is_null(col, False), exp.Not(this=_paren(match)))
    return _safe(match, ctx)


def _compile_has(node: ast.Has, ctx: _Ctx) -> exp.Expression:
    value = _value(node.value)
    if node.field.name == "tags":
        if ctx.nested:
            return _safe(exp.ArrayContains(this=_col("tags", ctx.run), expression=_str(value)), ctx)
        return _tags(ctx, exp.EQ(this=_col("tag", "e"), expression=_str(value)))
    leaves = flatten(value)  # the evaluator's flattening, so both backends test the same leaves
    return _and([typed_lookup(ctx, k, v) or
                 _entries(ctx, "metadata", [exp.EQ(this=_col("key", "e"), expression=_str(k)), _entry_typed_eq(v)], k)
                 for k, v in leaves])


def _compile_exists(node: ast.Exists, ctx: _Ctx) -> exp.Expression:
    key = _value(node.key)
    keycol = _col("key", "e")
    child = exp.Escape(this=exp.Like(this=keycol, expression=_str(_like_literal_prefix(key + ".") + "%")),
                       expression=_str("\\"))
    return _entries(ctx, _OBJECT_FAMILY[node.field.name],
                    [exp.or_(exp.EQ(this=keycol, expression=_str(key)), child)])


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
    if field in _OBJECT_FAMILY:
        return entry((_OBJECT_FAMILY[field],))
    return _safe(_contains(_col(layout.column_of(field), ctx.run), term, ctx), ctx)


_FAMILY_OBJECT_COLUMN = {family: column for column, family in _OBJECT_FAMILY.items()}
#: The nested layout's JSON text of each searched document, as read (possibly invalid JSON).
_FAMILY_TEXT_COLUMN = {"metadata": "metadata", "input": "inputs_text", "output": "outputs_text"}


def _doc_contains(family: str, term: str, ctx: _Ctx) -> exp.Expression:
    """Some string leaf of ``family``'s document contains ``term`` (nested layout)."""
    limit = exp.Null() if ctx.search_limit is None else _int(ctx.search_limit)
    if ctx.search_limit is None and text_exact(term):
        text = _col(_FAMILY_TEXT_COLUMN[family], ctx.run)
        return exp.Anonymous(this="filterql_doc_contains_ascii",
                             expressions=[text, _str(term), _str(text_pattern(term)), _str(value_pattern(term))])
    doc = _col(_FAMILY_OBJECT_COLUMN[family], ctx.run)
    # A term no JSON writer escapes can first be looked for in the document's text.
    plain = not any(c in '"\\/' or ord(c) < 0x20 for c in term)
    name = "filterql_doc_contains_plain" if plain else "filterql_doc_contains"
    return exp.Anonymous(this=name, expressions=[doc, _str(term), limit])


def _tags_contain(term: str, ctx: _Ctx) -> exp.Expression:
    t = exp.to_identifier("t")
    matching = exp.ArrayFilter(this=_col("tags", ctx.run),
                               expression=exp.Lambda(this=_contains(t, term, ctx), expressions=[t]))
    return exp.GT(this=exp.Length(this=matching), expression=_int(0))


def _compile_search(node: ast.Search, ctx: _Ctx) -> exp.Expression:
    terms = [t.lower() for t in _value(node.text).split()]
    field = node.field.name if node.field is not None else None
    return _and([_paren(_search_term(t, field, ctx)) for t in terms])


def _compile_call(node: ast.Call, ctx: _Ctx) -> exp.Expression:
    raise TypeError(f"sql: cannot compile the untyped call {node.name}(...); validate the filter first")


_DISPATCH: dict[type, Callable[[Any, _Ctx], exp.Expression]] = {
    ast.And: _compile_and,
    ast.Or: _compile_or,
    ast.Not: _compile_not,
    ast.Compare: _compile_compare,
    ast.In: _compile_in,
    ast.Like: _compile_like,
    ast.Has: _compile_has,
    ast.Exists: _compile_exists,
    ast.Search: _compile_search,
    ast.Call: _compile_call,
}

#: Node types the SQL backend handles (a test checks this covers every Expr class).
HANDLED = frozenset(_DISPATCH)


def compile_expr(node: ast.Expr, ctx: _Ctx) -> exp.Expression:
    rule = _DISPATCH.get(type(node))
    if rule is None:
        raise TypeError(f"sql: no rule for node {type(node).__name__}")
    return rule(node, ctx)


def compile_where(typed: ast.Expr, run: str = "r", *, search_limit: int | None = None,
                  nested: bool = False) -> exp.Expression:
    """The checked filter ``typed`` as a boolean over the ``runs`` row aliased ``run``.

    ``nested`` targets DuckDB's nested layout (README "SQL"); the default is the
    flat layout every engine has.
    """
    return compile_expr(typed, _Ctx(run=run, search_limit=search_limit, nested=nested))
