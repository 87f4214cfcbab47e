"""Constant folding: true/false propagation, null tests on non-nullable fields, ``x`` with ``not x``."""

from __future__ import annotations

from .. import ast
from .base import FALSE, TRUE, is_false, is_true, rebuild, scalar_spec, scoped_implies_standalone
from .negation import negate

__all__ = ["fold_constants", "fold_complements"]


def fold_constants(node: ast.Expr, in_and: bool) -> ast.Expr:
    """Fold true/false: ``and(x, false)`` → false, ``or(x, true)`` → true, drop neutral operands,
    ``not(true)`` → false; ``eq(f, null)`` → false and ``neq(f, null)`` → true on a field every
    run has (catalog ``nullable=False``)."""
    t = type(node)
    if t in (ast.And, ast.Or) and node.args:  # type: ignore[attr-defined]
        absorbing, neutral = (is_false, is_true) if t is ast.And else (is_true, is_false)
        if any(absorbing(a) for a in node.args):  # type: ignore[attr-defined]
            return FALSE if t is ast.And else TRUE
        return rebuild(node, [a for a in node.args if not neutral(a)])  # type: ignore[arg-type, attr-defined]
    if t is ast.Not and (is_true(node.arg) or is_false(node.arg)):  # type: ignore[attr-defined]
        return FALSE if is_true(node.arg) else TRUE  # type: ignore[attr-defined]
    if t is ast.Compare and isinstance(node.value, ast.Const) and node.value.value is None:  # type: ignore[attr-defined]
        spec = scalar_spec(node)
        if spec is not None and not spec.nullable:
            return FALSE if node.op == "eq" else TRUE  # type: ignore[attr-defined]
    return node


def fold_complements(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``or(x, not(x))`` → true; ``and(x, not(x))`` → false.

    Also with an exact negation in place of ``not(x)`` (``or(lt(start_time, t),
    gte(start_time, t))``). In an ``and``, ``x`` must mean at least what it means alone:
    ``and(eq(metadata_key, "k"), neq(metadata_value, 1), not(neq(metadata_value, 1)))``
    is satisfiable.
    """
    t = type(node)
    if t not in (ast.And, ast.Or) or len(node.args) < 2:  # type: ignore[attr-defined]
        return node
    args = node.args  # type: ignore[attr-defined]
    present = set(args)
    for arg in args:
        if type(arg) is ast.Not:
            other = arg.arg
        elif type(arg) not in (ast.And, ast.Or) and (t is ast.Or or scalar_spec(arg) is not None):
            other = negate(arg)
            if other is None:
                continue
        else:
            continue
        if other in present and (t is ast.Or or scoped_implies_standalone(other, args)):
            return TRUE if t is ast.Or else FALSE
    return node
