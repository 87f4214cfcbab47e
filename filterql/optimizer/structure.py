"""Structural rules: flatten, unwrap, double negation, duplicates.

Each moves operands between ``and`` scopes only when SPEC §5's key/value
binding is unchanged (:func:`filterql.ast.scopes_join`); operands of
``or`` and ``not`` always stand alone, so ``or`` flattens freely.
"""

from __future__ import annotations

from .. import ast
from ..ast import family_of, merge_scopes
from .base import rebuild

__all__ = ["flatten_and", "flatten_or", "unwrap_single", "double_negation", "dedupe"]


def _wrapped(node: ast.Expr) -> ast.Expr | None:
    """The operand of a wrapper that means the same as it: ``or(x)``, ``and(x)``, ``not(not(x))``."""
    if type(node) in (ast.Or, ast.And) and len(node.args) == 1:  # type: ignore[attr-defined]
        return node.args[0]  # type: ignore[attr-defined]
    if type(node) is ast.Not and type(node.arg) is ast.Not:  # type: ignore[attr-defined]
        return node.arg.arg  # type: ignore[attr-defined]
    return None


def _lift(node: ast.Expr) -> tuple[ast.Expr, ...] | None:
    """What ``node`` would contribute to an enclosing ``and`` if spliced into it, or None."""
    if type(node) is ast.And:
        return node.args  # type: ignore[attr-defined]
    inner = _wrapped(node)
    if inner is None:
        return None
    lifted = _lift(inner)
    return (inner,) if lifted is None else lifted


def flatten_and(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``and(a, and(b, c))`` → ``and(a, b, c)`` where no family condition changes scope.

    Also splices ``or(x)`` and ``not(not(x))`` operands. The builder's rule
    (:func:`filterql.ast.merge_scopes`), tried left to right: the first of two
    conflicting scopes joins the enclosing one.
    """
    if type(node) is not ast.And or not any(_lift(a) is not None for a in node.args):  # type: ignore[attr-defined]
        return node
    return rebuild(node, merge_scopes(node.args, _lift))  # type: ignore[arg-type,attr-defined]


def flatten_or(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``or(a, or(b, c))`` → ``or(a, b, c)``: always exact, ``or`` never binds."""
    if type(node) is not ast.Or or not any(type(a) is ast.Or for a in node.args):  # type: ignore[attr-defined]
        return node
    out: list[ast.Expr] = []
    for arg in node.args:  # type: ignore[attr-defined]
        out.extend(arg.args if type(arg) is ast.Or else (arg,))  # type: ignore[attr-defined]
    return rebuild(node, out)  # type: ignore[arg-type]


def unwrap_single(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``and(x)`` / ``or(x)`` → ``x``.

    Not when the node sits in an ``and`` and ``x`` is a family condition: there ``x``
    would join the enclosing scope, which :func:`flatten_and` decides.
    """
    if type(node) not in (ast.And, ast.Or) or len(node.args) != 1:  # type: ignore[attr-defined]
        return node
    inner = node.args[0]  # type: ignore[attr-defined]
    if in_and and family_of(inner) is not None:
        return node
    return inner


def double_negation(node: ast.Expr, in_and: bool) -> ast.Expr:
    """``not(not(x))`` → ``x`` (with the same scope caution as :func:`unwrap_single`)."""
    if type(node) is not ast.Not or type(node.arg) is not ast.Not:  # type: ignore[attr-defined]
        return node
    inner = node.arg.arg  # type: ignore[attr-defined]
    if in_and and family_of(inner) is not None:
        return node
    return inner


def dedupe(node: ast.Expr, in_and: bool) -> ast.Expr:
    """Drop structurally equal operands of ``and``/``or``, keeping the first.

    Exact in a binding scope too: two copies of a condition bound to one entry say
    the same as one.
    """
    if type(node) not in (ast.And, ast.Or):
        return node
    seen: set[ast.Expr] = set()
    out = []
    for arg in node.args:  # type: ignore[attr-defined]
        if arg not in seen:
            seen.add(arg)
            out.append(arg)
    return rebuild(node, out)  # type: ignore[arg-type]
