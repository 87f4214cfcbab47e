"""Range reasoning on scalar fields: merge bounds, drop implied conditions, find contradictions.

Works on :mod:`.atoms` (each condition on a single-valued field as a set of
values). The kept condition is always one of the input nodes, so the winning
literal is kept as written (``gt(latency, "5s")`` stays ``"5s"``).
"""

from __future__ import annotations

from .. import ast
from . import atoms
from .atoms import FINITE, LOWER, NOTEQ, PRESENT, UPPER, Atom
from .base import FALSE, NULL, TRUE, rebuild
from .lists import finite_node

__all__ = ["merge_ranges", "prune_implied"]

Group = list[tuple[int, Atom]]


def _apply(node: ast.Expr, replace: dict[int, ast.Expr | None]) -> ast.Expr:
    if not replace:
        return node
    out = [replace.get(i, a) for i, a in enumerate(node.args)]  # type: ignore[attr-defined]
    return rebuild(node, [a for a in out if a is not None])  # type: ignore[arg-type]


def _extreme(bounds: Group, tightest: bool) -> tuple[int, Atom] | None:
    """The tightest (or loosest) of same-kind bounds, first among equals; None if any pair is incomparable."""
    best = bounds[0]
    for cand in bounds[1:]:
        better = atoms.tighter(cand[1], best[1]) if tightest else atoms.tighter(best[1], cand[1])
        if better is None:
            return None
        if better:
            best = cand
    return best


def _field(node: ast.Expr, i: int) -> ast.Field:
    return node.args[i].field  # type: ignore[attr-defined, no-any-return]


def merge_ranges(node: ast.Expr, in_and: bool) -> ast.Expr:
    """Merge ``gt``/``gte``/``lt``/``lte`` on one scalar field.

    In ``and``: the tightest lower and upper bound stay (``and(gt(latency, 2), gt(latency,
    "5s"))`` → ``gt(latency, "5s")``); crossing bounds are false; ``gte(f, v)`` with
    ``lte(f, v)`` is ``eq(f, v)``. In ``or``: the loosest stay; overlapping bounds cover
    every value, which is ``neq(f, null)``.
    """
    t = type(node)
    if t not in (ast.And, ast.Or):
        return node
    replace: dict[int, ast.Expr | None] = {}
    for group in atoms.field_groups(node.args).values():  # type: ignore[attr-defined]
        kept = []
        for kind in (LOWER, UPPER):
            bounds = [(i, a) for i, a in group if a.kind == kind]
            best = _extreme(bounds, t is ast.And) if bounds else None
            if best is None:
                continue
            replace.update({i: None for i, _ in bounds if i != best[0]})
            kept.append(best)
        if len(kept) < 2:
            continue
        (i_lo, lo), (i_hi, hi) = kept
        if t is ast.And:
            if atoms.disjoint(lo, hi):
                return FALSE
            if not lo.strict and not hi.strict and atoms.compare(lo.bound, hi.bound) == 0:
                replace[min(i_lo, i_hi)] = ast.Compare("eq", _field(node, i_lo), lo.consts[0])
                replace[max(i_lo, i_hi)] = None
        elif atoms.contains(hi, lo.bound) or atoms.contains(lo, hi.bound):
            replace[min(i_lo, i_hi)] = ast.Compare("neq", _field(node, i_lo), NULL)
            replace[max(i_lo, i_hi)] = None
    return _apply(node, replace)


def prune_implied(node: ast.Expr, in_and: bool) -> ast.Expr:
    """Across kinds of condition on one scalar field: in ``and`` drop what another operand
    implies (``and(eq(f, 7), gt(f, 2))`` → ``eq(f, 7)``; ``neq(f, null)`` beside any
    comparison) and fold disjoint pairs to false; in ``or`` drop what another operand
    covers (``or(eq(f, 7), gt(f, 2))`` → ``gt(f, 2)``) and fold a cover of every value
    (``or(neq(f, 1), neq(f, 2))``) to ``neq(f, null)``, or true with ``eq(f, null)``.
    """
    t = type(node)
    if t not in (ast.And, ast.Or):
        return node
    replace: dict[int, ast.Expr | None] = {}
    for group in atoms.field_groups(node.args).values():  # type: ignore[attr-defined]
        result = (_prune_and if t is ast.And else _prune_or)(node, group, replace)
        if result is not None:
            return result
    return _apply(node, replace)


def _representatives(group: Group, tightest: bool) -> Group:
    """Operands that can imply (or cover) others: finite ones and the extreme bound of each side."""
    reps = [(i, a) for i, a in group if a.kind == FINITE]
    for kind in (LOWER, UPPER):
        bounds = [(i, a) for i, a in group if a.kind == kind]
        best = _extreme(bounds, tightest) if bounds else None
        reps.extend([best] if best is not None else bounds)
    return reps


def _prune_and(node: ast.Expr, group: Group, replace: dict[int, ast.Expr | None]) -> ast.Expr | None:
    reps = _representatives(group, tightest=True)
    for i, x in reps:
        if any(j != i and atoms.disjoint(x, y) for j, y in group):
            return FALSE
    dropped: set[int] = set()
    for i, y in group:
        # Only a list or the extreme bound can imply another operand, except that
        # neq(f, null) is implied by any operand that excludes null.
        candidates = group if y.kind == PRESENT else reps
        if any(j != i and j not in dropped and atoms.subset(x, y) for j, x in candidates):
            dropped.add(i)
    replace.update({i: None for i in dropped})
    return None


def _prune_or(node: ast.Expr, group: Group, replace: dict[int, ast.Expr | None]) -> ast.Expr | None:
    field = _field(node, group[0][0])
    others = [(i, a) for i, a in group if a.kind != FINITE]
    noteq = [(i, a) for i, a in others if a.kind == NOTEQ]
    covers_values = any(a.kind == PRESENT for _, a in others) or len({a.consts[0] for _, a in noteq}) > 1 or any(
        any(j != i and atoms.contains(y, x.bound) is True for j, y in group) for i, x in noteq)
    if covers_values:
        if any(a.kind == FINITE and atoms.contains(a, None) for _, a in group):
            return TRUE
        present = ast.Compare("neq", field, NULL)
        replace.update({i: None for i, a in group})
        replace[group[0][0]] = present
        return None
    covering = _representatives(group, tightest=False) + noteq
    dropped: set[int] = set()
    for i, y in group:
        if any(j != i and j not in dropped and atoms.subset(y, x) for j, x in covering):
            dropped.add(i)
        elif y.kind == FINITE:
            # Values of a list another operand already covers go: or(in(f, [1, 9]), gt(f, 5)) → or(eq(f, 1), gt(f, 5)).
            kept = [c for c in y.consts if not any(atoms.contains(x, c.value) is True for _, x in others)]
            if not kept:
                dropped.add(i)
            elif len(kept) < len(y.consts):
                replace[i] = finite_node(field, kept)
    replace.update({i: None for i in dropped})
    return None
