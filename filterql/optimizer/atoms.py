"""Conditions on one scalar field seen as sets of values, for range and list reasoning.

A condition on a single-valued field (see :func:`base.scalar_spec`) holds for a
set of values of that field; a missing or null field has the value NULL, which
only ``eq(f, null)`` accepts (docs/semantics.md "Logic and nulls"). Every answer here is
*proven* or ``False``: an incomparable pair of values is never assumed ordered.
"""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from .. import ast
from .base import scalar_spec

__all__ = ["Atom", "atom_of", "compare", "contains", "subset", "disjoint", "tighter", "field_groups"]

FINITE, LOWER, UPPER, NOTEQ, PRESENT = "finite", "lower", "upper", "noteq", "present"


@attrs.frozen
class Atom:
    """``kind`` is finite (one of ``consts``; ``Const(None)`` is NULL), lower/upper (a bound
    ``consts[0]``, ``strict`` for gt/lt), noteq (any value but ``consts[0]``) or present (any value)."""

    kind: str
    consts: tuple[ast.Const, ...]
    strict: bool = False

    @property
    def bound(self) -> Any:
        return self.consts[0].value


_BOUNDS = {"gt": (LOWER, True), "gte": (LOWER, False), "lt": (UPPER, True), "lte": (UPPER, False)}


def atom_of(node: ast.Node) -> Atom | None:
    """The value set of ``node``, or None when it is not a comparison or ``in`` on a scalar field."""
    if isinstance(node, ast.In) and scalar_spec(node) is not None:
        if all(isinstance(c, ast.Const) for c in node.values.items):
            return Atom(FINITE, node.values.items)  # type: ignore[arg-type]
        return None
    if not isinstance(node, ast.Compare) or not isinstance(node.value, ast.Const) or scalar_spec(node) is None:
        return None
    if node.op == "eq":
        return Atom(FINITE, (node.value,))
    if node.op == "neq":
        return Atom(PRESENT, ()) if node.value.value is None else Atom(NOTEQ, (node.value,))
    kind, strict = _BOUNDS[node.op]
    return Atom(kind, (node.value,), strict)


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1, or None when the values do not compare."""
    try:
        return (a > b) - (a < b)
    except TypeError:
        return None


def contains(atom: Atom, value: Any) -> bool | None:
    """Whether ``atom`` holds for ``value`` (None = NULL); None when it cannot be decided."""
    if atom.kind == FINITE:
        if value is None:
            return any(c.value is None for c in atom.consts)
        return any(c.value is not None and _same(c.value, value) for c in atom.consts)
    if value is None:
        return False
    if atom.kind == PRESENT:
        return True
    if atom.kind == NOTEQ:
        return not _same(atom.bound, value)
    c = compare(value, atom.bound)
    if c is None:
        return None
    if atom.kind == LOWER:
        return c > 0 or (c == 0 and not atom.strict)
    return c < 0 or (c == 0 and not atom.strict)


def _same(a: Any, b: Any) -> bool:
    return ast.Const(a, ast.Null()) == ast.Const(b, ast.Null())


def subset(x: Atom, y: Atom) -> bool:
    """Proven: every value ``x`` holds for, ``y`` holds for (so ``x`` implies ``y``)."""
    if x.kind == FINITE:
        return all(contains(y, c.value) is True for c in x.consts)
    if y.kind == PRESENT:
        return True  # x is not finite, so it excludes NULL
    if x.kind == NOTEQ:
        return y.kind == NOTEQ and _same(x.bound, y.bound)
    if x.kind in (LOWER, UPPER):
        if y.kind == NOTEQ:
            return contains(x, y.bound) is False
        if y.kind == x.kind:
            return tighter(x, y) is not None and not tighter(y, x)
    return False


def disjoint(x: Atom, y: Atom) -> bool:
    """Proven: no value satisfies both ``x`` and ``y``."""
    if x.kind == FINITE:
        return all(contains(y, c.value) is False for c in x.consts)
    if y.kind == FINITE:
        return disjoint(y, x)
    if {x.kind, y.kind} == {LOWER, UPPER}:
        lo, hi = (x, y) if x.kind == LOWER else (y, x)
        c = compare(lo.bound, hi.bound)
        return c is not None and (c > 0 or (c == 0 and (lo.strict or hi.strict)))
    return False


def tighter(x: Atom, y: Atom) -> bool | None:
    """For two bounds of one kind: whether ``x`` excludes strictly more than ``y``; None if incomparable."""
    c = compare(x.bound, y.bound)
    if c is None:
        return None
    if c == 0:
        return x.strict and not y.strict
    return c > 0 if x.kind == LOWER else c < 0


def field_groups(args: Iterable[ast.Node]) -> dict[str, list[tuple[int, Atom]]]:
    """Operand positions and atoms of ``args``, grouped by field name, for fields with two or more."""
    groups: dict[str, list[tuple[int, Atom]]] = {}
    for i, node in enumerate(args):
        atom = atom_of(node)
        if atom is not None:
            groups.setdefault(node.field.name, []).append((i, atom))  # type: ignore[attr-defined]
    return {name: g for name, g in groups.items() if len(g) > 1}
