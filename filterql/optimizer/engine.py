"""The fixed-point driver: apply the rules bottom-up, pass after pass, until nothing changes.

A rule is a pure function ``rule(node, in_and) -> node`` that rewrites one node
(returning the very same object when it does not apply). ``in_and`` tells it
whether the node is a direct operand of an ``and``, i.e. part of a binding
scope (SPEC §5).
"""

from __future__ import annotations

import enum
from typing import Callable, Iterable, Union

import attrs

from .. import ast
from ..checked import plain
from ..renderer import render
from .base import is_false, is_true

__all__ = ["Rule", "Step", "Verdict", "AlwaysTrue", "AlwaysFalse", "Result", "rewrite", "verdict", "size"]

Rule = Callable[[ast.Expr, bool], ast.Expr]

#: Bound on passes; every rule shrinks the tree or sorts it, so real filters need a handful.
MAX_PASSES = 100


class Verdict(enum.Enum):
    """A filter that matches every run, or none. The language has no literal for either."""

    ALWAYS_TRUE = True
    ALWAYS_FALSE = False

    def __str__(self) -> str:
        return "always true" if self.value else "always false"

    def __repr__(self) -> str:
        return "AlwaysTrue" if self.value else "AlwaysFalse"


AlwaysTrue = Verdict.ALWAYS_TRUE
AlwaysFalse = Verdict.ALWAYS_FALSE

Result = Union[ast.Expr, Verdict]


def verdict(node: ast.Expr) -> Result:
    """``node``, or the verdict when it is the internal true (``and()``) or false (``or()``)."""
    if is_true(node):
        return AlwaysTrue
    if is_false(node):
        return AlwaysFalse
    return node


def _show(node: ast.Expr) -> str:
    v = verdict(node)
    return str(v) if isinstance(v, Verdict) else render(node)


@attrs.frozen
class Step:
    """One applied rewrite: ``rule`` turned the sub-filter ``before`` into ``after``.

    Inside a step ``and()`` reads "true" and ``or()`` "false".
    """

    rule: str
    before: ast.Expr
    after: ast.Expr

    def __str__(self) -> str:
        return f"{self.rule}: {_show(self.before)}  =>  {_show(self.after)}"


def _visit(node: ast.Expr, in_and: bool, rules: tuple[Rule, ...], record: Callable[[Step], None] | None) -> ast.Expr:
    t = type(node)
    if t in (ast.And, ast.Or):
        args = node.args  # type: ignore[attr-defined]
        new = tuple(_visit(a, t is ast.And, rules, record) for a in args)
        if any(a is not b for a, b in zip(new, args)):
            node = t(new)
    elif t is ast.Not:
        arg = _visit(node.arg, False, rules, record)  # type: ignore[attr-defined]
        if arg is not node.arg:  # type: ignore[attr-defined]
            node = ast.Not(arg)
    for _ in range(MAX_PASSES):
        start = node
        for rule in rules:
            new = rule(node, in_and)
            if new is node or new == node:
                continue
            if record is not None:
                record(Step(rule.__name__, node, new))
            node = new
        if node is start:
            break
    return node


def rewrite(expr: ast.Expr, rules: Iterable[Rule], record: Callable[[Step], None] | None = None) -> ast.Expr:
    """``expr`` with ``rules`` applied everywhere until none applies (the fixed point)."""
    expr = plain(expr)  # rules dispatch on the plain node classes
    rules = tuple(rules)
    for _ in range(MAX_PASSES):
        new = _visit(expr, False, rules, record)
        if new is expr:
            return expr
        expr = new
    return expr


def size(node: ast.Node | Verdict) -> int:
    """Node count of a filter (a verdict counts as one)."""
    if isinstance(node, Verdict):
        return 1
    return sum(1 for _ in ast.walk(node))
