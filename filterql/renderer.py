"""AST → canonical filter text.

One line by default: lowercase function names (a generic :class:`ast.Call`
keeps its name as written), double-quoted strings with minimal escaping,
``", "`` between arguments, numbers as written. ``pretty=True`` breaks every
call or list whose one-line form would pass :data:`WIDTH` columns into one
argument per line, indented by two spaces; whatever fits stays on one line.
Both forms parse back to an equal AST.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from . import ast

__all__ = ["render", "quote", "call_parts", "WIDTH"]

#: Column limit of the pretty layout.
WIDTH = 80
_INDENT = "  "


def render(node: ast.Node, pretty: bool = False) -> str:
    """The canonical text of ``node`` (a filter or any part of one).

    Raises ``TypeError`` for an object that is not a node, ``ValueError`` for a
    hand-built tree nested beyond Python's recursion limit (a parsed one never is).
    """
    try:
        return _pretty(node, "") if pretty else _flat(node)
    except RecursionError:
        raise ValueError("render: the tree is nested too deeply to render") from None


# ------------------------------------------------------------------ strings

# Backslash, double quote and every control character (C0, DEL, C1), plus
# lone surrogates, which have no UTF-8 form. Everything else is written as is.
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\ud800-\udfff]')
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return _SHORT_ESCAPES.get(c) or f"\\u{ord(c):04x}"


def quote(value: str) -> str:
    """``value`` as a double-quoted string literal of the language (SPEC §2)."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


# ------------------------------------------------------------- dispatch

# Call-shaped nodes: node -> (function name, arguments in source order).
_CallParts = Callable[[ast.Node], "tuple[str, Sequence[ast.Node]]"]
_CALLS: dict[type, _CallParts] = {
    ast.And: lambda n: ("and", n.args),  # type: ignore[attr-defined]
    ast.Or: lambda n: ("or", n.args),  # type: ignore[attr-defined]
    ast.Not: lambda n: ("not", (n.arg,)),  # type: ignore[attr-defined]
    ast.Compare: lambda n: (n.op, (n.field, n.value)),  # type: ignore[attr-defined]
    ast.Has: lambda n: ("has", (n.field, n.value)),  # type: ignore[attr-defined]
    ast.Exists: lambda n: ("exists", (n.field, n.key)),  # type: ignore[attr-defined]
    ast.In: lambda n: ("in", (n.field, n.values)),  # type: ignore[attr-defined]
    ast.Like: lambda n: ("notlike" if n.negated else "like", (n.field, n.pattern)),  # type: ignore[attr-defined]
    ast.Search: lambda n: ("search", (n.text,) if n.field is None else (n.field, n.text)),  # type: ignore[attr-defined]
    ast.Call: lambda n: (n.name, n.args),  # type: ignore[attr-defined]
}

# Leaves: node -> text.
_LEAVES: dict[type, Callable[[ast.Node], str]] = {
    ast.Field: lambda n: n.name,  # type: ignore[attr-defined]
    ast.String: lambda n: quote(n.value),  # type: ignore[attr-defined]
    ast.Number: lambda n: n.text,  # type: ignore[attr-defined]
    ast.Bool: lambda n: "true" if n.value else "false",  # type: ignore[attr-defined]
    ast.Null: lambda n: "null",
    # A checked literal renders as written in the source, not as its coerced value.
    ast.Const: lambda n: _flat(n.literal),  # type: ignore[attr-defined]
}


def call_parts(node: ast.Node) -> tuple[str, Sequence[ast.Node]] | None:
    """``(function name, arguments)`` of a call-shaped node, or None for a leaf or list."""
    for cls in type(node).__mro__:
        if cls in _CALLS:
            return _CALLS[cls](node)
    return None


def _kind(node: ast.Node) -> type:
    """The dispatch key of ``node``: its class, or the nearest handled base class."""
    for cls in type(node).__mro__:
        if cls in _CALLS or cls in _LEAVES or cls is ast.ListLit:
            return cls
    raise TypeError(f"render: no rule for node type {type(node).__name__}")


def _flat(node: ast.Node) -> str:
    cls = _kind(node)
    if cls in _LEAVES:
        return _LEAVES[cls](node)
    if cls is ast.ListLit:
        return "[" + ", ".join([_flat(i) for i in node.items]) + "]"  # type: ignore[attr-defined]
    name, args = _CALLS[cls](node)
    return name + "(" + ", ".join([_flat(a) for a in args]) + ")"


def _pretty(node: ast.Node, indent: str, trail: int = 0) -> str:
    """``node`` at column ``len(indent)``, followed by ``trail`` characters (a comma);
    broken into lines when its flat form would not fit in :data:`WIDTH`."""
    flat = _flat(node)
    cls = _kind(node)
    if len(indent) + len(flat) + trail <= WIDTH or cls in _LEAVES:
        return flat
    if cls is ast.ListLit:
        opening, closing, items = "[", "]", node.items  # type: ignore[attr-defined]
    else:
        name, items = _CALLS[cls](node)
        opening, closing = name + "(", ")"
    if not items:
        return flat
    inner = indent + _INDENT
    last = len(items) - 1
    body = ",\n".join([inner + _pretty(item, inner, int(i < last)) for i, item in enumerate(items)])
    return f"{opening}\n{body}\n{indent}{closing}"
