"""Hypothesis strategies for random *untyped* syntax trees and filter texts.

``syntax_trees()`` draws any tree the parser can produce: typed nodes and
generic ``Call`` nodes (unknown names, wrong shapes), every literal kind,
lists, unknown field names. Calls are built with ``parser.make_call``, the
parser's own constructor, so a drawn tree is exactly what parsing its text
gives. ``scrambled_texts(tree)`` writes a tree the non-canonical ways the
language allows (single quotes, other escapes, random whitespace).

Strings exclude surrogate code points. A lone surrogate does round-trip (the
renderer writes it as ``\\uXXXX``), but a high surrogate followed by a low one
cannot: the language reads the escape pair ``\\ud83d\\ude00`` as the single
character it encodes, as JSON does, so a Python string holding the two halves
as separate code points has no text of its own. Such strings are not text
anyway (they cannot be encoded as UTF-8); ``test_render`` checks lone
surrogates separately.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from filterql import ast
from filterql.catalog import FIELDS
from filterql.ast import make_call

__all__ = ["names", "field_nodes", "scalars", "list_literals", "syntax_trees", "scrambled_texts", "STRING_CHARS"]

_RESERVED = {"true", "false", "null"}

#: Any code point but surrogates; control characters, quotes and backslashes included.
STRING_CHARS = st.characters(exclude_categories=("Cs",))

names = st.one_of(
    st.sampled_from(sorted(FIELDS)),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
).filter(lambda n: n not in _RESERVED)

field_nodes = names.map(ast.Field)

strings = st.text(STRING_CHARS, max_size=12).map(ast.String)
numbers = st.from_regex(r"-?(0|[1-9][0-9]{0,5}|0[0-9]{1,2})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?", fullmatch=True).map(
    ast.Number
)
bools = st.booleans().map(ast.Bool)
nulls = st.just(ast.Null())
scalars = st.one_of(strings, numbers, bools, nulls)
list_literals = st.lists(scalars, max_size=4).map(ast.ListLit)

_FUNCTIONS = st.one_of(
    st.sampled_from(ast.FUNCTION_NAMES),
    st.sampled_from(["AND", "Eq", "contains", "between", "match"]),
    names,
)


@st.composite
def _typed_leaf(draw: st.DrawFn) -> ast.Expr:
    """A well-shaped predicate (so typed nodes are common, not only generic calls)."""
    f = draw(field_nodes)
    kind = draw(st.sampled_from(["cmp", "has", "exists", "in", "like", "notlike", "search", "search_field"]))
    if kind == "cmp":
        return make_call(draw(st.sampled_from(ast.COMPARISON_OPS)), [f, draw(scalars)])
    if kind == "in":
        return make_call("in", [f, draw(list_literals)])
    if kind == "search":
        return make_call("search", [draw(scalars)])
    if kind == "search_field":
        return make_call("search", [f, draw(scalars)])
    return make_call(kind, [f, draw(scalars)])


@st.composite
def _odd_call(draw: st.DrawFn, args: st.SearchStrategy[Any]) -> ast.Expr:
    """Any name with any arguments: usually a generic ``Call``."""
    return make_call(draw(_FUNCTIONS), draw(st.lists(args, max_size=3)))


def syntax_trees(max_leaves: int = 12) -> st.SearchStrategy[ast.Expr]:
    """Random parser-shaped ASTs (no ``Const``), nested up to a few levels."""
    plain_args = st.one_of(field_nodes, scalars, list_literals)
    leaves = st.one_of(_typed_leaf(), _odd_call(plain_args))

    def extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
        return st.one_of(
            st.builds(lambda xs: make_call("and", xs), st.lists(children, min_size=1, max_size=4)),
            st.builds(lambda xs: make_call("or", xs), st.lists(children, min_size=1, max_size=4)),
            st.builds(lambda x: make_call("not", [x]), children),
            _odd_call(st.one_of(children, plain_args)),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


# ----------------------------------------------------------- scrambled text

_WS = st.sampled_from(["", " ", "  ", "\n", "\t", " \n  "])


def _scramble_string(draw: st.DrawFn, value: str) -> str:
    quote = draw(st.sampled_from(['"', "'"]))
    out = [quote]
    for c in value:
        if c == quote or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c in "\r\t" and draw(st.booleans()):
            out.append({"\r": "\\r", "\t": "\\t"}[c])
        elif c == "\r":
            out.append("\\r")
        elif c in "\"'" and draw(st.booleans()):
            out.append("\\" + c)  # an unneeded escape of the other quote
        elif draw(st.integers(0, 9)) == 0 and ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04{draw(st.sampled_from('xX'))}}")
        elif ord(c) >= 0x10000 and draw(st.booleans()):
            hi, lo = divmod(ord(c) - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + hi:04x}\\u{0xDC00 + lo:04x}")  # JSON-style surrogate pair
        else:
            out.append(c)
    out.append(quote)
    return "".join(out)


@st.composite
def scrambled_texts(draw: st.DrawFn, tree: ast.Node) -> str:
    """A non-canonical text of ``tree``: random quotes, escapes and whitespace."""
    def emit(node: ast.Node) -> str:
        ws = draw(_WS)
        if isinstance(node, ast.String):
            return ws + _scramble_string(draw, node.value)
        if isinstance(node, ast.ListLit):
            return ws + "[" + ",".join(emit(i) + draw(_WS) for i in node.items) + "]"
        parts = ast.call_parts(node)
        if parts is None:
            return ws + str(node)
        name, args = parts
        return ws + name + draw(_WS) + "(" + ",".join(emit(a) + draw(_WS) for a in args) + ")"

    return emit(tree) + draw(_WS)
