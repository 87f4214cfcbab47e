"""Absorption: ``and(a, or(a, b))`` → ``a`` and ``or(a, and(a, b))`` → ``a``."""

from __future__ import annotations

from .. import ast
from .base import rebuild, scoped_implies_standalone

__all__ = ["absorption"]


def absorption(node: ast.Expr, in_and: bool) -> ast.Expr:
    """Drop an operand implied by (in ``or``) or implying (in ``and``) a sibling it contains.

    Needs the ``a`` inside an ``and`` scope to imply ``a`` standing alone, which fails
    only for a bound ``neq``/``notlike`` on a family value.
    """
    t = type(node)
    if t not in (ast.And, ast.Or) or len(node.args) < 2:  # type: ignore[attr-defined]
        return node
    args = node.args  # type: ignore[attr-defined]
    inner = ast.Or if t is ast.And else ast.And
    if not any(type(a) is inner for a in args):
        return node
    if t is ast.And:
        free = {a for a in args if scoped_implies_standalone(a, args)}
        out = [a for a in args if not (type(a) is ast.Or and any(b in free for b in a.args))]
    else:
        siblings = set(args)
        out = [a for a in args if not (type(a) is ast.And and any(
            b in siblings and scoped_implies_standalone(b, a.args) for b in a.args))]
    return rebuild(node, out)  # type: ignore[arg-type]
