"""Deterministic cost-based operand order: cheap scalar tests first, then scans, ``like``, ``search``.

Order within an ``and`` never changes a binding scope (SPEC §5 scopes are sets),
and evaluation short-circuits, so cheap operands first decide most runs early.
"""

from __future__ import annotations

from .. import ast, catalog
from ..catalog import FieldType
from ..ast import family_of
from .base import rebuild

__all__ = ["cost", "order_by_cost"]

#: Relative cost of testing one condition on one run (a rough count of values touched).
COSTS = {
    "scalar": 1,       # one field compared with a constant
    "tags": 2,         # a short list scan
    "exists": 3,       # flattened keys of one object
    "has": 4,          # flattened entries of metadata
    "family": 5,       # every entry of a key/value family
    "like": 6,         # pattern match on one value
    "family_like": 8,  # pattern match on every entry
    "search": 10,      # every string in the run, case-folded
}


def _field_type(node: ast.Node) -> FieldType | None:
    field = getattr(node, "field", None)
    spec = catalog.FIELDS.get(field.name) if isinstance(field, ast.Field) else None
    return spec.type if spec is not None else None


def cost(node: ast.Node) -> int:
    """The estimated cost of evaluating ``node`` on one run; and/or cost the sum of their operands."""
    t = type(node)
    if t in (ast.And, ast.Or):
        return sum(cost(a) for a in node.args)  # type: ignore[attr-defined]
    if t is ast.Not:
        return cost(node.arg)  # type: ignore[attr-defined]
    if t is ast.Search:
        return COSTS["search"]
    if t is ast.Exists:
        return COSTS["exists"]
    if family_of(node) is not None:
        return COSTS["family_like"] if t is ast.Like else COSTS["family"]
    if t is ast.Like:
        return COSTS["like"]
    kind = _field_type(node)
    if kind is FieldType.STRING_LIST:
        return COSTS["tags"]
    if kind is FieldType.OBJECT:
        return COSTS["has"]
    if t in (ast.Compare, ast.In):
        return COSTS["scalar"]
    return COSTS["search"]  # an untyped call: assume the worst


def order_by_cost(node: ast.Expr, in_and: bool) -> ast.Expr:
    """Stable-sort the operands of ``and``/``or`` by :func:`cost` (ties keep their order)."""
    if type(node) not in (ast.And, ast.Or) or len(node.args) < 2:  # type: ignore[attr-defined]
        return node
    costs = [cost(a) for a in node.args]  # type: ignore[attr-defined]
    if all(a <= b for a, b in zip(costs, costs[1:])):
        return node
    order = sorted(range(len(costs)), key=costs.__getitem__)
    return rebuild(node, [node.args[i] for i in order])  # type: ignore[arg-type, attr-defined]
