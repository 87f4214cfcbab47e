"""The JSON form of the syntax tree, for tools in other languages.

One object per node, with exactly one tag key (docs/python-api.md "JSON form")::

    {"call": "eq", "args": [{"field": "run_type"}, {"string": "llm"}]}
    {"number": "0.0"}   {"bool": true}   {"null": null}   {"list": [{"string": "a"}]}

``from_json`` rebuilds calls with :func:`filterql.ast.make_call`, the
parser's own constructor, so ``from_json(to_json(e)) == e`` and the result is
what ``parse`` gives for the same text. ``to_json`` is :func:`filterql.ast.to_json`
(what ``node.to_json()`` gives); a checked literal (``Const``) is written as its
source literal.
"""

from __future__ import annotations

from typing import Any, Callable

from . import ast
from .errors import FilterJSONError
from .ast import MAX_DEPTH, make_call, to_json
from .lexicon import is_name, is_number

__all__ = ["to_json", "from_json"]

_RESERVED = ("true", "false", "null")

# ---------------------------------------------------------------- from_json


def from_json(obj: Any) -> ast.Node:
    """The node described by JSON form ``obj`` (a filter is a ``call`` object).

    Raises :class:`FilterJSONError`, with a JSON-pointer path, on malformed input.
    """
    return _node(obj, "", 0, in_list=False)


def _fail(path: str, message: str) -> Any:
    raise FilterJSONError(message, path)


def _tag(obj: Any, path: str) -> str:
    if not isinstance(obj, dict):
        _fail(path, f"expected a node object such as {{\"call\": ...}}, found {_describe(obj)}")
    tags = [k for k in obj if k in _BUILDERS]
    if len(tags) != 1:
        what = "no node key" if not tags else "several node keys " + ", ".join(map(repr, tags))
        _fail(path, f"{what}; a node has exactly one of {', '.join(map(repr, _BUILDERS))}")
    tag = tags[0]
    allowed = {"call", "args"} if tag == "call" else {tag}
    extra = sorted(str(k) for k in obj if k not in allowed)
    if extra:
        _fail(path, f"unexpected key(s) {', '.join(map(repr, extra))} in a {tag!r} node")
    return tag


def _describe(obj: Any) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, (int, float)):
        return "a number"
    if isinstance(obj, str):
        return "a string"
    if isinstance(obj, (list, tuple)):
        return "an array"
    if isinstance(obj, dict):
        return "an object"
    return f"a {type(obj).__name__}"


def _node(obj: Any, path: str, depth: int, in_list: bool) -> ast.Node:
    tag = _tag(obj, path)
    if in_list and tag not in ("string", "number", "bool", "null"):
        _fail(path, f"a list holds only string, number, bool or null nodes, not {tag!r}")
    return _BUILDERS[tag](obj, path, depth)


def _call(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    name = obj["call"]
    if not isinstance(name, str) or not is_name(name):
        _fail(path + "/call", f"a function name is letters, digits and _, found {name!r}")
    if depth >= MAX_DEPTH:
        _fail(path, f"nesting deeper than {MAX_DEPTH} levels")
    args = obj.get("args")
    if not isinstance(args, list):
        _fail(path + "/args", f"expected an array of argument nodes, found {_describe(args)}")
    nodes = [_node(a, f"{path}/args/{i}", depth + 1, in_list=False) for i, a in enumerate(args)]
    return make_call(name, nodes)


def _field(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    name = obj["field"]
    if not isinstance(name, str) or not is_name(name) or name in _RESERVED:
        _fail(path + "/field", f"a field name is letters, digits and _ (not true/false/null), found {name!r}")
    return ast.Field(name)


def _string(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    value = obj["string"]
    if not isinstance(value, str):
        _fail(path + "/string", f"expected a string, found {_describe(value)}")
    return ast.String(value)


def _number(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    text = obj["number"]
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)  # an integer is exact; a float is refused, its text is ambiguous
    if not isinstance(text, str) or not is_number(text):
        _fail(path + "/number", f'expected the number as text, e.g. "0.0" or "-1.5e3", found {text!r}')
    return ast.Number(text)


def _bool(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    value = obj["bool"]
    if not isinstance(value, bool):
        _fail(path + "/bool", f"expected true or false, found {_describe(value)}")
    return ast.Bool(value)


def _null(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    if obj["null"] is not None:
        _fail(path + "/null", f"expected null, found {_describe(obj['null'])}")
    return ast.Null()


def _list(obj: dict[str, Any], path: str, depth: int) -> ast.Node:
    items = obj["list"]
    if not isinstance(items, list):
        _fail(path + "/list", f"expected an array of literal nodes, found {_describe(items)}")
    if depth >= MAX_DEPTH:
        _fail(path, f"nesting deeper than {MAX_DEPTH} levels")
    return ast.ListLit([_node(v, f"{path}/list/{i}", depth + 1, in_list=True) for i, v in enumerate(items)])


_BUILDERS: dict[str, Callable[[dict[str, Any], str, int], ast.Node]] = {
    "call": _call,
    "field": _field,
    "string": _string,
    "number": _number,
    "bool": _bool,
    "null": _null,
    "list": _list,
}
