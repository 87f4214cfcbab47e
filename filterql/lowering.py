"""Lowering: a checked filter becomes a :mod:`filterql.plan`, every binding scope explicit.

This is the one place that reads SPEC §5's scopes and the derived fields. In
each ``and``, the positive key conditions of a family and that family's value
and score conditions bind to one entry: they become one
:class:`~filterql.plan.EntryExists`, placed where the first of them was. A
family condition that binds to nothing stands alone: "some entry has it", or,
for ``neq``/``notlike``, :class:`~filterql.plan.NoEntry` of its positive form.
An ``eq`` on the key with a string picks the entries by key; a dotless key of
metadata, inputs or outputs names one member of the object
(:class:`~filterql.plan.MemberEntries`). ``latency``, ``thread_id`` and
``is_root`` become their own readings. Work is linear in the size of the filter.
"""

from __future__ import annotations

from typing import Any, Callable

from . import ast, runs
from . import plan as p
from .ast import bound_family, scope_families
from .catalog import FIELDS, OBJECT_FAMILIES, FieldType
from .checked import plain

__all__ = ["lower", "RULES"]

#: Which part of an entry a family field tests.
_SLOT = {FieldType.FAMILY_KEY: "key", FieldType.FAMILY_VALUE: "value", FieldType.FAMILY_SCORE: "score"}
#: Fields read by a derived reading instead of a stored column.
_DERIVED_READINGS: dict[str, p.Reading] = {"latency": p.Latency(), "thread_id": p.ThreadKey()}


def _value(node: ast.Node) -> Any:
    if not isinstance(node, ast.Const):
        raise TypeError(f"lowering: expected a checked (typed) tree; found {type(node).__name__} "
                        "— call filterql.check first")
    return node.value


def _reading(name: str) -> p.Reading:
    return _DERIVED_READINGS.get(name) or p.Column(name, FIELDS[name].type)


# ------------------------------------------------------------ family conditions


def _entry_test(node: ast.Expr) -> p.EntryTest:
    """The family condition ``node`` as a test of one entry."""
    slot = _SLOT[FIELDS[node.field.name].type]  # type: ignore[attr-defined]
    if isinstance(node, ast.Compare):
        return p.EntryCompare(slot, node.op, _value(node.value))
    if isinstance(node, ast.In):
        return p.EntryIn(slot, tuple(_value(i) for i in node.values.items))
    if isinstance(node, ast.Like):
        return p.EntryLike(slot, _value(node.pattern), node.negated)
    raise TypeError(f"lowering: {type(node).__name__} is not a family condition")


def _bound_key(node: ast.Expr) -> str | None:
    """The key an ``eq(*_key, "k")`` picks, else None."""
    if isinstance(node, ast.Compare) and node.op == "eq" and FIELDS[node.field.name].type is FieldType.FAMILY_KEY:
        value = _value(node.value)
        return value if value.__class__ is str else None
    return None


def _scope(family: str, nodes: list[ast.Expr]) -> p.EntryExists:
    """Some entry of ``family`` satisfies every condition of ``nodes`` (their positive forms)."""
    for i, node in enumerate(nodes):
        key = _bound_key(node)
        if key is not None:
            rest = nodes[:i] + nodes[i + 1:]
            member = family != "feedback" and "." not in key
            source: p.EntrySource = p.MemberEntries(family, key) if member else p.KeyEntries(family, key)
            return p.EntryExists(source, [_entry_test(n) for n in rest])
    return p.EntryExists(p.Entries(family), [_entry_test(n) for n in nodes])


def _positive(node: ast.Expr) -> ast.Expr | None:
    """The positive form whose absence a lone ``neq``/``notlike`` asserts, else None."""
    if isinstance(node, ast.Compare) and node.op == "neq":
        return ast.Compare("eq", node.field, node.value)
    if isinstance(node, ast.Like) and node.negated:
        return ast.Like(node.field, node.pattern)
    return None


def _alone(node: ast.Expr, family: str) -> p.Plan:
    """A family condition alone in its scope."""
    positive = _positive(node)
    if positive is None:
        return _scope(family, [node])
    found = _scope(family, [positive])
    return p.NoEntry(found.source, found.tests)


# --------------------------------------------------------------------- rules


def _lower_and(node: ast.And) -> p.Plan:
    positive, _ = scope_families(node.args)
    groups: dict[str, list[ast.Expr]] = {}
    slots: list[str | ast.Expr] = []  # a family name marks where that family's scope goes
    for arg in node.args:
        family = bound_family(arg, positive)
        if family is not None:
            if family not in groups:
                groups[family] = []
                slots.append(family)
            groups[family].append(arg)
        else:
            slots.append(arg)
    return p.All([_scope(s, groups[s]) if isinstance(s, str) else lower(s) for s in slots])


def _lower_compare(node: ast.Compare) -> p.Plan:
    spec = FIELDS[node.field.name]
    if spec.family is not None:
        return _alone(node, spec.family)
    value = _value(node.value)
    if spec.name == "is_root":
        if value is None:  # is_root is never null
            return p.Constant(node.op == "neq")
        return p.IsRoot((node.op == "eq") == value)
    if value is None:
        return p.IsNull(_reading(spec.name), node.op == "eq")
    return p.Compare(_reading(spec.name), node.op, value)


def _lower_in(node: ast.In) -> p.Plan:
    spec = FIELDS[node.field.name]
    if spec.family is not None:
        return _alone(node, spec.family)
    values = tuple(_value(i) for i in node.values.items)
    if spec.type is FieldType.STRING_LIST:
        return p.TagsAny(values)
    return p.InSet(_reading(spec.name), values)


def _lower_like(node: ast.Like) -> p.Plan:
    spec = FIELDS[node.field.name]
    if spec.family is not None:
        return _alone(node, spec.family)
    if spec.type is FieldType.OBJECT:
        # like(inputs, p): some leaf matches, i.e. like(input_value, p) alone in its scope; notlike: no leaf does.
        family = OBJECT_FAMILIES[spec.name]
        return _alone(ast.Like(ast.Field(f"{family}_value"), node.pattern, node.negated), family)
    return p.Like(_reading(spec.name), _value(node.pattern), node.negated)


def _lower_has(node: ast.Has) -> p.Plan:
    value = _value(node.value)
    if node.field.name == "tags":
        return p.TagHas(value)
    leaves = tuple(runs.flatten(value))
    return p.HasLeaves(leaves) if leaves else p.Constant(True)


def _lower_exists(node: ast.Exists) -> p.Plan:
    return p.KeyPresent(OBJECT_FAMILIES[node.field.name], _value(node.key))


def _lower_search(node: ast.Search) -> p.Plan:
    return p.Search(tuple(_value(node.text).lower().split()), None if node.field is None else node.field.name)


def _lower_call(node: ast.Call) -> p.Plan:
    raise TypeError(f"lowering: an untyped Call {node.name}(...) has no plan; check the filter first")


#: One rule per checked node type.
RULES: dict[type, Callable[[Any], p.Plan]] = {
    ast.And: _lower_and,
    ast.Or: lambda node: p.AnyOf([lower(a) for a in node.args]),
    ast.Not: lambda node: p.Not(lower(node.arg)),
    ast.Compare: _lower_compare,
    ast.In: _lower_in,
    ast.Like: _lower_like,
    ast.Has: _lower_has,
    ast.Exists: _lower_exists,
    ast.Search: _lower_search,
    ast.Call: _lower_call,
}


def lower(expr: ast.Expr) -> p.Plan:
    """The plan of the checked filter ``expr`` (a :class:`~filterql.checked.Checked`, or a tree the
    caller knows to be checked: nothing is checked again here)."""
    expr = plain(expr)
    rule = RULES.get(type(expr))
    if rule is None:
        raise TypeError(f"lowering: no rule for node {type(expr).__name__}")
    return rule(expr)
