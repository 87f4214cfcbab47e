"""``in`` lists: ``or`` of ``eq`` on one field → ``in``, merging lists, one-value lists → ``eq``."""

from __future__ import annotations

from typing import Sequence

from .. import ast, catalog
from ..catalog import FieldType
from . import atoms
from ..ast import scope_families
from .base import FALSE, rebuild

__all__ = ["finite_node", "or_eq_to_in", "merge_in_lists", "in_to_eq"]


def finite_node(field: ast.Field, consts: Sequence[ast.Const]) -> ast.Expr:
    """The smallest condition "``field`` is one of ``consts``" (``Const(None)`` only alone: ``eq(f, null)``)."""
    if len(consts) == 1:
        if field.name == "tags":
            return ast.Has(field, consts[0])
        return ast.Compare("eq", field, consts[0])
    return ast.In(field, ast.ListLit(tuple(consts)))


def _unique(consts: Sequence[ast.Const]) -> list[ast.Const]:
    return list(dict.fromkeys(consts))


def _members(node: ast.Node) -> tuple[ast.Field, tuple[ast.Const, ...]] | None:
    """``(field, values)`` when ``node`` says "field (any entry / tag) is one of values", else None.

    Only fields that take ``in``; never null (an ``in`` list cannot hold it).
    """
    field = getattr(node, "field", None)
    if not isinstance(field, ast.Field):
        return None
    spec = catalog.FIELDS.get(field.name)
    if spec is None or "in" not in spec.operators:
        return None
    if type(node) is ast.In and all(isinstance(c, ast.Const) for c in node.values.items):  # type: ignore[attr-defined]
        return field, node.values.items  # type: ignore[attr-defined, return-value]
    single = type(node) is ast.Compare and node.op == "eq" or (  # type: ignore[attr-defined]
        type(node) is ast.Has and spec.type is FieldType.STRING_LIST)
    value = getattr(node, "value", None)
    if single and isinstance(value, ast.Const) and value.value is not None:
        return field, (value,)
    return None


def or_eq_to_in(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``or(eq(f, a), eq(f, b), in(f, [c]))`` → ``or(in(f, [a, b, c]))``, at the first one's place.

    Exact on family fields too: each operand of an ``or`` stands alone, and "some
    entry has value a, or some has b" is "some entry has value a or b".
    """
    if type(node) is not ast.Or or len(node.args) < 2:  # type: ignore[attr-defined]
        return node
    groups: dict[str, list[int]] = {}
    members = [_members(a) for a in node.args]  # type: ignore[attr-defined]
    for i, m in enumerate(members):
        if m is not None:
            groups.setdefault(m[0].name, []).append(i)
    replace: dict[int, ast.Expr | None] = {}
    for positions in groups.values():
        if len(positions) < 2:
            continue
        values = _unique([c for i in positions for c in members[i][1]])  # type: ignore[index]
        replace[positions[0]] = finite_node(members[positions[0]][0], values)  # type: ignore[index]
        replace.update({i: None for i in positions[1:]})
    if not replace:
        return node
    out = [replace.get(i, a) for i, a in enumerate(node.args)]  # type: ignore[attr-defined]
    return rebuild(node, [a for a in out if a is not None])  # type: ignore[arg-type]


def merge_in_lists(node: ast.Expr, in_and: bool) -> ast.Expr:
    """In an ``and``, ``eq``/``in`` on one scalar field intersect: ``and(in(f, [a, b]), in(f, [b, c]))``
    → ``eq(f, b)``; an empty intersection is false. So do the key conditions of a family bound
    in this scope, which all test one entry's key: ``and(eq(metadata_key, "a"),
    eq(metadata_key, "b"), ...)`` is false. Duplicate list values go anywhere."""
    if type(node) is ast.In and len(set(node.values.items)) < len(node.values.items):  # type: ignore[attr-defined]
        return ast.In(node.field, ast.ListLit(_unique(node.values.items)))  # type: ignore[attr-defined, arg-type]
    if type(node) is not ast.And:
        return node
    replace: dict[int, ast.Expr | None] = {}
    for group in atoms.field_groups(node.args).values():  # type: ignore[attr-defined]
        finite = [(i, a) for i, a in group if a.kind == atoms.FINITE]
        if len(finite) < 2:
            continue
        first = finite[0][1]
        kept = [c for c in first.consts if all(atoms.contains(a, c.value) is True for _, a in finite[1:])]
        if not kept:
            return FALSE
        replace[finite[0][0]] = finite_node(node.args[finite[0][0]].field, _unique(kept))  # type: ignore[attr-defined]
        replace.update({i: None for i, _ in finite[1:]})
    for family in scope_families(node.args)[0]:  # type: ignore[attr-defined]
        key = catalog.FAMILIES[family].key
        lists = [(i, m[1]) for i, a in enumerate(node.args)  # type: ignore[attr-defined]
                 if type(a) in (ast.Compare, ast.In) and (m := _members(a)) is not None and m[0].name == key]
        if len(lists) < 2:
            continue
        kept = [c for c in lists[0][1] if all(c in other for _, other in lists[1:])]
        if not kept:
            return FALSE
        replace[lists[0][0]] = finite_node(ast.Field(key), _unique(kept))
        replace.update({i: None for i, _ in lists[1:]})
    if not replace:
        return node
    out = [replace.get(i, a) for i, a in enumerate(node.args)]  # type: ignore[attr-defined]
    return rebuild(node, [a for a in out if a is not None])  # type: ignore[arg-type]


def in_to_eq(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``in(f, [a])`` → ``eq(f, a)`` (``has(tags, a)`` on tags): the same test, smaller."""
    if type(node) is not ast.In or len(node.values.items) != 1:  # type: ignore[attr-defined]
        return node
    value = node.values.items[0]  # type: ignore[attr-defined]
    spec = catalog.FIELDS.get(node.field.name)  # type: ignore[attr-defined]
    if not isinstance(value, ast.Const) or spec is None:
        return node
    if spec.type is not FieldType.STRING_LIST and "eq" not in spec.operators:
        return node
    return finite_node(node.field, (value,))  # type: ignore[attr-defined]
