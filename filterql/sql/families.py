"""Entry scopes of the plan (SPEC §5) as semi-joins over one ``run_entries`` row.

An :class:`~filterql.plan.EntryExists`'s tests become the WHERE clause of one
subquery over ``run_entries`` (alias ``e``), so they hold on the same entry;
:class:`~filterql.plan.NoEntry` is its negation.
Every per-entry test is two-valued (never NULL), following the evaluator's
rules in docs/semantics.md.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Callable

from sqlglot import exp

from .. import plan
from . import layout
from .lookup import key_lookup
from .exprs import (
    _DEC_LIMIT, _Ctx, _and, _cmp, _col, _dec, _grid, _in_subquery, _is_null, _like, _or, _paren, _str, positive,
)

__all__ = ["ENTRY_HANDLED"]  # the rest is internal to filterql.sql.compile

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def _entries(ctx: _Ctx, family: str, where: list[exp.Expression], key: str | None = None) -> exp.Expression:
    """``run.id IN (SELECT run_id FROM run_entries AS e WHERE family AND where)``.

    ``key``: every row must have this key. On the nested layout a plain
    (dotless) key of metadata, inputs or outputs is read straight from the
    document with ``filterql_key_entries`` instead of flattening every run.
    """
    if ctx.nested and key is not None and family != "feedback" and _PLAIN_KEY.fullmatch(key):
        source = exp.Table(this=exp.Anonymous(this="filterql_key_entries", expressions=[_str(family), _str(key)]),
                           alias=exp.TableAlias(this=exp.to_identifier("e")))
        sub = (exp.select(_col("run_id", "e")).from_(source)
               .where(positive(_and([_paren(w) for w in where])), copy=False))
        return exp.In(this=_col("id", ctx.run), query=sub.subquery())
    fam = exp.EQ(this=_col("family", "e"), expression=_str(family))
    return _in_subquery(ctx, layout.ENTRIES, _and([fam, *map(_paren, where)]))


def _bound(ctx: _Ctx, source: plan.EntrySource, tests: tuple[plan.EntryTest, ...]) -> exp.Expression:
    """Some entry of ``source`` passes every test of ``tests`` (one binding scope)."""
    return _SOURCES[type(source)](ctx, source, tests)


def _all_entries(ctx: _Ctx, source: plan.Entries, tests: tuple[plan.EntryTest, ...]) -> exp.Expression:
    return _entries(ctx, source.family, [_entry_pred(t) for t in tests])


def _key_entries(ctx: _Ctx, source: plan.KeyEntries, tests: tuple[plan.EntryTest, ...]) -> exp.Expression:
    return _entries(ctx, source.family, [_entry_key("eq", source.key), *map(_entry_pred, tests)])


def _member_entries(ctx: _Ctx, source: plan.MemberEntries, tests: tuple[plan.EntryTest, ...]) -> exp.Expression:
    direct = key_lookup(ctx, source, tests)
    if direct is not None:
        return direct
    return _entries(ctx, source.family, [_entry_key("eq", source.key), *map(_entry_pred, tests)], source.key)


# --------------------------------------------------------- family entries


def _entry_value_eq(value: Any, column: str = "vnum") -> exp.Expression:
    """One entry's value equals ``value`` (docs/semantics.md "Family values"); never NULL."""
    vtype, vstr = _col("vtype", "e"), _col("vstr", "e")
    if value is None:
        return exp.EQ(this=vtype, expression=_str("null"))
    if isinstance(value, bool):
        return exp.and_(exp.EQ(this=vtype, expression=_str("boolean")),
                        exp.EQ(this=vstr, expression=_str("true" if value else "false")), copy=False)
    if isinstance(value, (int, Decimal)):
        return exp.and_(exp.EQ(this=vtype, expression=_str("number")), _num_cmp("eq", _col(column, "e"), value),
                        copy=False)
    # A string matches a string, or the JSON text of a number or boolean.
    return exp.Coalesce(this=exp.EQ(this=vstr, expression=_str(value)), expressions=[exp.false()])


def _num_cmp(op: str, col: exp.Expression, value: int | Decimal) -> exp.Expression:
    return exp.Coalesce(this=_paren(_grid(op, col, value, layout.DECIMAL_SCALE, _dec, _DEC_LIMIT - 1)),
                        expressions=[exp.false()])


def _entry_typed_eq(value: Any) -> exp.Expression:
    """Same JSON type and equal value (``has(metadata, ...)``): strings only match strings."""
    if isinstance(value, str):
        return exp.and_(exp.EQ(this=_col("vtype", "e"), expression=_str("string")),
                        exp.EQ(this=_col("vstr", "e"), expression=_str(value)), copy=False)
    if isinstance(value, float):
        value = Decimal(repr(value))
    return _entry_value_eq(value)


def _not_null_value() -> exp.Expression:
    return exp.NEQ(this=_col("vtype", "e"), expression=_str("null"))


def _entry_value(op: str, value: Any) -> exp.Expression:
    """``op`` (eq, gt, ...) between one entry's value and ``value``; never NULL."""
    if op == "eq":
        return _entry_value_eq(value)
    if op == "neq":
        # A JSON null value is "not equal" to nothing: neq needs a value (as in the evaluator).
        if value is None:
            return _not_null_value()
        return exp.and_(_not_null_value(), exp.Not(this=_paren(_entry_value_eq(value))), copy=False)
    vtype = _col("vtype", "e")
    if isinstance(value, bool) or value is None:
        return exp.false()  # ordering applies to numbers and strings only
    if isinstance(value, (int, Decimal)):
        return exp.and_(exp.EQ(this=vtype, expression=_str("number")), _num_cmp(op, _col("vnum", "e"), value),
                        copy=False)
    return exp.and_(exp.EQ(this=vtype, expression=_str("string")),
                    exp.Coalesce(this=_cmp(op, _col("vstr", "e"), _str(value)), expressions=[exp.false()]), copy=False)


def _entry_score(op: str, value: Any) -> exp.Expression:
    col = _col("score", "e")
    if value is None:
        return _is_null(col, op == "eq")
    return _num_cmp(op, col, value)


def _entry_key(op: str, value: str | None) -> exp.Expression:
    col = _col("key", "e")
    if value is None:  # only a feedback entry may lack a key
        return _is_null(col, op == "eq")
    return exp.Coalesce(this=_cmp(op, col, _str(value)), expressions=[exp.false()])


def _entry_compare(test: plan.EntryCompare) -> exp.Expression:
    return _SLOT_ATOM[test.slot](test.op, test.value)


def _entry_in(test: plan.EntryIn) -> exp.Expression:
    atom = _SLOT_ATOM[test.slot]
    return _or([_paren(atom("eq", v)) for v in test.values])


def _entry_like(test: plan.EntryLike) -> exp.Expression:
    if test.slot == "score":
        raise TypeError("sql: like() does not apply to feedback_score")
    is_key = test.slot == "key"
    match = exp.Coalesce(this=_like(_col("key" if is_key else "vstr", "e"), test.pattern), expressions=[exp.false()])
    if not test.negated:
        return match
    # notlike needs something present: a key, or a value that is not JSON null.
    present = _is_null(_col("key", "e"), False) if is_key else _not_null_value()
    return exp.and_(present, exp.Not(this=_paren(match)), copy=False)


#: The test of one ``run_entries`` row ``e`` for each slot and each entry test.
_SLOT_ATOM: dict[str, Callable[[str, Any], exp.Expression]] = {
    "key": _entry_key, "score": _entry_score, "value": _entry_value}
_ENTRY_TESTS: dict[type, Callable[[Any], exp.Expression]] = {
    plan.EntryCompare: _entry_compare,
    plan.EntryIn: _entry_in,
    plan.EntryLike: _entry_like,
}
_SOURCES: dict[type, Callable[..., exp.Expression]] = {
    plan.Entries: _all_entries,
    plan.KeyEntries: _key_entries,
    plan.MemberEntries: _member_entries,
}
#: Entry tests and sources this module prints.
ENTRY_HANDLED = frozenset(_ENTRY_TESTS) | frozenset(_SOURCES)


def _entry_pred(test: plan.EntryTest) -> exp.Expression:
    """``test`` as a test of one ``run_entries`` row ``e``."""
    return _ENTRY_TESTS[type(test)](test)
