"""Canonical form and a cheap equivalence test.

``canonical(f)`` is ``optimize(f)`` with every ``and``/``or`` operand list and
every ``in`` list in one deterministic order (cheap operands first, then by a
text key built from coerced values, so ``gt(latency, 5)`` and
``gt(latency, "5s")`` sort alike). Two filters that differ only in operand
order, redundancy or literal spelling get equal canonical forms.

``equivalent(a, b)`` compares canonical forms. It is **sound but not
complete**: ``True`` means the filters match exactly the same runs; ``False``
only means the rules could not prove it (``or(gt(f, 1), gt(f, 5))`` vs
``gt(f, 1)`` is proved, but a semantic equivalence no rule captures, e.g. two
different ``like`` patterns that match the same strings, is not).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from . import ast
from .ast import call_parts
from .checked import mark
from .optimizer import FilterInput, Result, Verdict, optimize
from .optimizer.order import cost

__all__ = ["canonical", "equivalent", "sort_key"]


def _value_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "b:" + ("true" if value else "false")
    if isinstance(value, (int, Decimal)):
        return "n:" + format(Decimal(value).normalize(), "f")
    if isinstance(value, datetime):
        return "t:" + value.isoformat()
    if isinstance(value, (dict, list)):
        return "j:" + json.dumps(value, sort_keys=True, default=str)
    return f"{type(value).__name__}:{value}"


def sort_key(node: ast.Node) -> str:
    """A text that orders nodes deterministically; equal nodes get equal keys."""
    if isinstance(node, ast.Const):
        return _value_text(node.value)
    if isinstance(node, ast.Field):
        return node.name
    if isinstance(node, ast.ListLit):
        return "[" + ",".join(sorted(sort_key(i) for i in node.items)) + "]"
    parts = call_parts(node)
    if parts is None:
        return repr(node)
    name, args = parts
    return name + "(" + ",".join(sort_key(a) for a in args) + ")"


def _order(node: ast.Node) -> ast.Node:
    if isinstance(node, (ast.And, ast.Or)):
        args = [_order(a) for a in node.args]
        return type(node)(sorted(args, key=lambda a: (cost(a), sort_key(a))))  # type: ignore[arg-type]
    if isinstance(node, ast.Not):
        return ast.Not(_order(node.arg))  # type: ignore[arg-type]
    if isinstance(node, ast.In):
        items = sorted(node.values.items, key=sort_key)
        return attrs.evolve(node, values=ast.ListLit(items))
    return node


def canonical(filter: FilterInput, *, context: str = "filter") -> Result:
    """``optimize(filter)`` with operands and ``in`` lists in canonical order."""
    result = optimize(filter, context=context)
    if isinstance(result, Verdict):
        return result
    return mark(_order(result), result.context)  # type: ignore[arg-type]


def equivalent(a: FilterInput, b: FilterInput, *, context: str = "filter") -> bool:
    """True only when ``a`` and ``b`` provably match the same runs (sound, not complete)."""
    return canonical(a, context=context) == canonical(b, context=context)
