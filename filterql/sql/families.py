"""Key/value family conditions (SPEC §5) as semi-joins over one ``run_entries`` row.

A bound scope's conditions become the WHERE clause of one subquery over
``run_entries`` (alias ``e``), so they hold on the same entry; a condition
alone is "some entry has it" or, for ``neq``/``notlike``, "no entry has it".
Every per-entry test is two-valued (never NULL), following the evaluator's
rules in README "Semantics".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import attrs
from sqlglot import exp

from .. import ast
from ..catalog import FIELDS, FieldType
from ..ast import family_of, positive_key_family
from . import layout
from .lookup import key_lookup
from .exprs import (
    _DEC_LIMIT, _Ctx, _and, _cmp, _col, _dec, _grid, _in_subquery, _is_null, _like, _or, _paren, _str, _value,
)

__all__: list[str] = []  # internal to filterql.sql.compile

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
        sub = exp.select(_col("run_id", "e")).from_(source).where(_and([_paren(w) for w in where]))
        return exp.In(this=_col("id", ctx.run), query=sub.subquery())
    fam = exp.EQ(this=_col("family", "e"), expression=_str(family))
    return _in_subquery(ctx, layout.ENTRIES, _and([fam, *map(_paren, where)]))


def _bound(ctx: _Ctx, family: str, nodes: list[ast.Expr]) -> exp.Expression:
    """Some entry of ``family`` satisfies every condition of ``nodes`` (one binding scope)."""
    direct = key_lookup(ctx, family, nodes)
    if direct is not None:
        return direct
    return _entries(ctx, family, [_entry_pred(c) for c in nodes], _eq_key(nodes))


def _eq_key(nodes: list[ast.Expr]) -> str | None:
    """The literal of an ``eq`` condition on a family key among ``nodes``, if any."""
    for n in nodes:
        if (isinstance(n, ast.Compare) and n.op == "eq" and FIELDS[n.field.name].type is FieldType.FAMILY_KEY
                and isinstance(_value(n.value), str)):
            return _value(n.value)
    return None


# --------------------------------------------------------- family entries


def _entry_value_eq(value: Any, column: str = "vnum") -> exp.Expression:
    """One entry's value equals ``value`` (README "Family values"); never NULL."""
    vtype, vstr = _col("vtype", "e"), _col("vstr", "e")
    if value is None:
        return exp.EQ(this=vtype, expression=_str("null"))
    if isinstance(value, bool):
        return exp.and_(exp.EQ(this=vtype, expression=_str("boolean")),
                        exp.EQ(this=vstr, expression=_str("true" if value else "false")))
    if isinstance(value, (int, Decimal)):
        return exp.and_(exp.EQ(this=vtype, expression=_str("number")), _num_cmp("eq", _col(column, "e"), value))
    # A string matches a string, or the JSON text of a number or boolean.
    return exp.Coalesce(this=exp.EQ(this=vstr, expression=_str(value)), expressions=[exp.false()])


def _num_cmp(op: str, col: exp.Expression, value: int | Decimal) -> exp.Expression:
    return exp.Coalesce(this=_paren(_grid(op, col, value, layout.DECIMAL_SCALE, _dec, _DEC_LIMIT - 1)),
                        expressions=[exp.false()])


def _entry_typed_eq(value: Any) -> exp.Expression:
    """Same JSON type and equal value (``has(metadata, ...)``): strings only match strings."""
    if isinstance(value, str):
        return exp.and_(exp.EQ(this=_col("vtype", "e"), expression=_str("string")),
                        exp.EQ(this=_col("vstr", "e"), expression=_str(value)))
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
        return exp.and_(_not_null_value(), exp.Not(this=_paren(_entry_value_eq(value))))
    vtype = _col("vtype", "e")
    if isinstance(value, bool) or value is None:
        return exp.false()  # ordering applies to numbers and strings only
    if isinstance(value, (int, Decimal)):
        return exp.and_(exp.EQ(this=vtype, expression=_str("number")), _num_cmp(op, _col("vnum", "e"), value))
    return exp.and_(exp.EQ(this=vtype, expression=_str("string")),
                    exp.Coalesce(this=_cmp(op, _col("vstr", "e"), _str(value)), expressions=[exp.false()]))


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


def _entry_pred(node: ast.Expr) -> exp.Expression:
    """The condition ``node`` (on a family field) as a test of one ``run_entries`` row ``e``."""
    spec = FIELDS[node.field.name]  # type: ignore[attr-defined]
    if isinstance(node, ast.In):
        items = [_value(i) for i in node.values.items]
        return _or([_paren(_entry_atom(spec.type, "eq", v)) for v in items])
    if isinstance(node, ast.Like):
        if spec.type is FieldType.FAMILY_SCORE:
            raise TypeError("sql: like() does not apply to feedback_score")
        is_key = spec.type is FieldType.FAMILY_KEY
        test = exp.Coalesce(this=_like(_col("key" if is_key else "vstr", "e"), _value(node.pattern)),
                            expressions=[exp.false()])
        if not node.negated:
            return test
        # notlike needs something present: a key, or a value that is not JSON null.
        present = _is_null(_col("key", "e"), False) if is_key else _not_null_value()
        return exp.and_(present, exp.Not(this=_paren(test)))
    if isinstance(node, ast.Compare):
        return _entry_atom(spec.type, node.op, _value(node.value))
    raise TypeError(f"sql: {type(node).__name__} is not a family condition")


def _entry_atom(field_type: FieldType, op: str, value: Any) -> exp.Expression:
    if field_type is FieldType.FAMILY_KEY:
        return _entry_key(op, value)
    if field_type is FieldType.FAMILY_SCORE:
        return _entry_score(op, value)
    return _entry_value(op, value)


def _is_negative(node: ast.Expr) -> bool:
    """``neq`` / ``notlike``: standing alone, these mean "no entry has it"."""
    return isinstance(node, ast.Compare) and node.op == "neq" or isinstance(node, ast.Like) and node.negated


def _positive_form(node: ast.Expr) -> ast.Expr:
    if isinstance(node, ast.Compare):
        return attrs.evolve(node, op="eq")
    return attrs.evolve(node, negated=False)


def _family_alone(node: ast.Expr, ctx: _Ctx) -> exp.Expression:
    """A family condition with no positive key condition in its scope."""
    family = family_of(node)
    assert family is not None
    if _is_negative(node):
        positive = _positive_form(node)
        return exp.Not(this=_bound(ctx, family, [positive]))
    return _bound(ctx, family, [node])


def _is_family_condition(node: ast.Expr) -> bool:
    return isinstance(node, (ast.Compare, ast.In, ast.Like)) and family_of(node) is not None


def _binds(node: ast.Expr, family: str) -> bool:
    """Whether ``node`` binds to the entry of ``family``'s positive key condition in its scope."""
    if family_of(node) != family:
        return False
    is_key = FIELDS[node.field.name].type is FieldType.FAMILY_KEY  # type: ignore[attr-defined]
    return not is_key or positive_key_family(node) is not None
