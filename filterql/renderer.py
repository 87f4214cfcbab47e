"""AST → filter text, on one line or laid out.

The one-line form is the canonical text :func:`filterql.ast.text` defines
(what ``str(node)`` gives). ``pretty=True`` breaks every call or list whose
one-line form would pass :data:`WIDTH` columns into one argument per line,
indented by two spaces; whatever fits stays on one line. Both forms parse back
to an equal AST.
"""

from __future__ import annotations

from . import ast

__all__ = ["render", "WIDTH"]

#: Column limit of the pretty layout.
WIDTH = 80
_INDENT = "  "


def render(node: ast.Node, pretty: bool = False) -> str:
    """The canonical text of ``node`` (a filter or any part of one).

    Raises ``TypeError`` for an object that is not a node, ``ValueError`` for a
    hand-built tree nested beyond Python's recursion limit (a parsed one never is).
    """
    if not pretty:
        return ast.text(node)
    try:
        return _pretty(node, "")
    except RecursionError:
        raise ValueError("render: the tree is nested too deeply to render") from None


def _pretty(node: ast.Node, indent: str, trail: int = 0) -> str:
    """``node`` at column ``len(indent)``, followed by ``trail`` characters (a comma);
    broken into lines when its flat form would not fit in :data:`WIDTH`."""
    flat = ast.text(node)
    if len(indent) + len(flat) + trail <= WIDTH:
        return flat
    if isinstance(node, ast.ListLit):
        opening, closing, items = "[", "]", node.items
    else:
        parts = ast.call_parts(node)
        if parts is None:  # a leaf
            return flat
        name, items = parts
        opening, closing = name + "(", ")"
    if not items:
        return flat
    inner = indent + _INDENT
    last = len(items) - 1
    body = ",\n".join([inner + _pretty(item, inner, int(i < last)) for i, item in enumerate(items)])
    return f"{opening}\n{body}\n{indent}{closing}"
