"""Render a filter as Python source that builds it with :mod:`filterql.builder`.

``to_builder_code(parse(text))`` is the builder expression a user would write for
``text``; evaluating it (with the names in :data:`IMPORTS` in scope) gives a tree
that means the same filter (numbers may be respelled: ``1e3`` becomes
``Decimal("1e3")``, whose literal reads back as ``1E+3``).
"""

from __future__ import annotations

from typing import Callable

from . import ast

__all__ = ["to_builder_code", "IMPORTS"]

#: The import lines the generated code needs.
IMPORTS = (
    "from decimal import Decimal\n"
    "from filterql.builder import and_, exists, field, has, in_, like, not_, notlike, or_, search"
)

_OPERATORS = {"eq": "==", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _value(node: ast.Node) -> str:
    if isinstance(node, ast.Const):
        return _value(node.literal)
    if isinstance(node, ast.String):
        return repr(node.value)
    if isinstance(node, ast.Number):
        return node.text if node.text.lstrip("-").isdigit() else f'Decimal("{node.text}")'
    if isinstance(node, ast.Bool):
        return repr(node.value)
    if isinstance(node, ast.Null):
        return "None"
    if isinstance(node, ast.ListLit):
        return "[" + ", ".join(_value(item) for item in node.items) + "]"
    raise TypeError(f"not a literal: {node!r}")


def _field(node: ast.Field) -> str:
    return f"field({node.name!r})"


def _compare(node: ast.Compare) -> str:
    return f"({_field(node.field)} {_OPERATORS[node.op]} {_value(node.value)})"


def _boolean(name: str) -> Callable[[ast.And | ast.Or], str]:
    return lambda node: f"{name}(" + ", ".join(to_builder_code(a) for a in node.args) + ")"


def _search(node: ast.Search) -> str:
    if node.field is None:
        return f"search({_value(node.text)})"
    return f"search({node.field.name!r}, {_value(node.text)})"


def _like(node: ast.Like) -> str:
    return f"{'notlike' if node.negated else 'like'}({node.field.name!r}, {_value(node.pattern)})"


_RENDER: dict[type, Callable[..., str]] = {
    ast.And: _boolean("and_"),
    ast.Or: _boolean("or_"),
    ast.Not: lambda node: f"not_({to_builder_code(node.arg)})",
    ast.Compare: _compare,
    ast.Has: lambda node: f"has({node.field.name!r}, {_value(node.value)})",
    ast.Exists: lambda node: f"exists({node.field.name!r}, {_value(node.key)})",
    ast.In: lambda node: f"in_({node.field.name!r}, {_value(node.values)})",
    ast.Like: _like,
    ast.Search: _search,
}


def to_builder_code(expr: ast.Expr) -> str:
    """Python source of a builder expression for ``expr`` (a parsed or checked tree).

    Raises ``TypeError`` for an untyped :class:`ast.Call` (an unknown function has no builder).
    """
    render = _RENDER.get(type(expr))
    if render is None:
        raise TypeError(f"no builder expression for {expr!r}")
    return render(expr)
