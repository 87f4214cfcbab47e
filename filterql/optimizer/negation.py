"""``not`` push-down, only where the result means exactly the same.

Under the null rules of docs/semantics.md ``not(eq(error, "x"))`` is true for a run without
an error while ``neq(error, "x")`` is false, so a comparison is negated only on a
field the catalog marks non-nullable, or against ``null`` itself. De Morgan is
exact in two-valued logic but not across a binding scope: ``not(and(eq(K, a),
eq(V, 1)))`` is "no entry a with value 1", not "no entry a or no value 1".
"""

from __future__ import annotations

from .. import ast
from .base import FALSE, TRUE, is_false, is_true, scalar_spec, separable

__all__ = ["negate", "push_not"]

_FLIP = {"eq": "neq", "neq": "eq", "gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}


def negate(node: ast.Expr) -> ast.Expr | None:
    """The exact negation of ``node`` written without a new ``not``, or None.

    The result is never larger than ``node``.
    """
    if is_true(node):
        return FALSE
    if is_false(node):
        return TRUE
    t = type(node)
    if t is ast.Not:
        return node.arg  # type: ignore[attr-defined]
    if t is ast.Compare and isinstance(node.value, ast.Const):  # type: ignore[attr-defined]
        spec = scalar_spec(node)
        if spec is None:
            return None
        if node.value.value is None or not spec.nullable:  # type: ignore[attr-defined]
            return ast.Compare(_FLIP[node.op], node.field, node.value)  # type: ignore[attr-defined]
        return None
    if t is ast.Like:
        spec = scalar_spec(node)
        if spec is None or spec.nullable:
            return None
        return ast.Like(node.field, node.pattern, not node.negated)  # type: ignore[attr-defined]
    if t in (ast.And, ast.Or):
        args = node.args  # type: ignore[attr-defined]
        if t is ast.And and not separable(args):
            return None
        parts = [negate(a) for a in args]
        if any(p is None for p in parts):
            return None
        if t is ast.Or:
            return ast.And(parts) if separable(parts) else None  # type: ignore[arg-type]
        return ast.Or(parts)  # type: ignore[arg-type]
    return None


def push_not(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``not(x)`` → the exact negation of ``x`` when every part of it can be negated exactly.

    ``not(not(x))`` is left to :func:`double_negation`, which knows about scopes.
    """
    if type(node) is not ast.Not or type(node.arg) is ast.Not:  # type: ignore[attr-defined]
        return node
    negated = negate(node.arg)  # type: ignore[attr-defined]
    return node if negated is None else negated
