"""Build filters in Python instead of formatting strings.

``field("run_type") == "llm"`` gives the same AST as ``parse('eq(run_type, "llm")')``;
``&``, ``|`` and ``~`` combine expressions, and ``str(expr)`` renders the text.
Values go through :func:`lit`, so quotes, backslashes and unicode need no
escaping by hand. Nodes are built by :func:`filterql.ast.make_call`, the
parser's own constructor, so a builder tree and a parsed tree are equal;
``and_``, ``or_`` and ``not_`` are those of :mod:`filterql.ast`, which ``&``, ``|`` and ``~`` use.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import uuid
from decimal import Decimal
from typing import Any, Iterable, Union

from . import ast
from .ast import and_, make_call, not_, or_
from .lexicon import is_name, is_number
from .renderer import render

__all__ = [
    "quote",
    "FieldRef", "field", "lit", "and_", "or_", "not_", "has", "exists", "in_", "like", "notlike", "search",
]


FieldLike = Union["FieldRef", ast.Field, str]


class FieldRef:
    """A field in a builder expression. Comparison operators return AST nodes.

    Deliberately not an :class:`ast.Field`: ``==`` here builds ``eq(...)``, while
    AST nodes keep boolean equality.
    """

    __slots__ = ("node",)
    __hash__ = None  # type: ignore[assignment]  # == builds an expression, so no hashing

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not is_name(name) or "." in name or name in ("true", "false", "null"):
            raise ValueError(
                f"not a field name: {name!r}; names are letters, digits and _ "
                "(for a metadata key use field('metadata_key') == 'k')"
            )
        self.node = ast.Field(name)

    @property
    def name(self) -> str:
        return self.node.name

    def __repr__(self) -> str:
        return f"field({self.name!r})"

    def _op(self, op: str, value: Any) -> ast.Expr:
        return make_call(op, [self.node, lit(value)])

    def __eq__(self, value: Any) -> ast.Expr:  # type: ignore[override]
        return self._op("eq", value)

    def __ne__(self, value: Any) -> ast.Expr:  # type: ignore[override]
        return self._op("neq", value)

    def __gt__(self, value: Any) -> ast.Expr:
        return self._op("gt", value)

    def __ge__(self, value: Any) -> ast.Expr:
        return self._op("gte", value)

    def __lt__(self, value: Any) -> ast.Expr:
        return self._op("lt", value)

    def __le__(self, value: Any) -> ast.Expr:
        return self._op("lte", value)

    def in_(self, values: Iterable[Any]) -> ast.Expr:
        """``in(field, [values...])``."""
        return in_(self, values)

    def like(self, pattern: str) -> ast.Expr:
        """``like(field, pattern)``: SQL LIKE (``%``, ``_``, ``\\`` escapes)."""
        return like(self, pattern)

    def notlike(self, pattern: str) -> ast.Expr:
        """``notlike(field, pattern)``."""
        return notlike(self, pattern)

    def has(self, value: Any) -> ast.Expr:
        """``has(field, value)``; a dict value becomes its JSON text."""
        return has(self, value)

    def exists(self, key: str) -> ast.Expr:
        """``exists(field, key)``."""
        return exists(self, key)

    def search(self, text: str) -> ast.Expr:
        """``search(field, text)``."""
        return search(self, text)

    def is_null(self) -> ast.Expr:
        """``eq(field, null)``."""
        return self._op("eq", None)

    def is_not_null(self) -> ast.Expr:
        """``neq(field, null)``."""
        return self._op("neq", None)


def field(name: str) -> FieldRef:
    """A run field for building conditions: ``field("latency") > "5s"``."""
    return FieldRef(name)


def _field_node(f: FieldLike) -> ast.Field:
    if isinstance(f, FieldRef):
        return f.node
    if isinstance(f, ast.Field):
        return f
    return FieldRef(f).node


def _seconds(td: _dt.timedelta) -> str:
    micros = (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds
    text = format(Decimal(micros).scaleb(-6).normalize(), "f")
    return text + "s"


def quote(value: Any) -> str:
    """``value`` as a safe literal of the language, for building filter text by hand:
    ``f"eq(thread_id, {quote(tid)})"`` stays one string literal whatever ``tid`` holds."""
    return render(lit(value))


def lit(value: Any) -> ast.Node:
    """The literal node for a Python value.

    ``str`` → string; ``bool`` → ``true``/``false``; ``None`` → ``null``; ``int``,
    ``float`` (its ``repr``) and finite ``Decimal`` → number; ``datetime``/``date``
    → ISO-8601 string; ``timedelta`` → a duration string of seconds (``"1.5s"``);
    ``UUID`` → string; ``dict`` → its JSON text (for ``has(metadata, ...)``);
    ``list``/``tuple`` → list of literals. AST literals pass through unchanged.
    """
    if isinstance(value, (ast.String, ast.Number, ast.Bool, ast.Null, ast.ListLit, ast.Const)):
        return value
    if isinstance(value, str):
        return ast.String(value)
    if value is None:
        return ast.Null()
    if isinstance(value, bool):
        return ast.Bool(value)
    if isinstance(value, int):
        return ast.Number(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"the filter language has no literal for {value!r}")
        return _number(repr(value), value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"the filter language has no literal for {value!r}")
        return _number(str(value), value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return ast.String(value.isoformat())
    if isinstance(value, _dt.timedelta):
        return ast.String(_seconds(value))
    if isinstance(value, uuid.UUID):
        return ast.String(str(value))
    if isinstance(value, dict):
        return ast.String(json.dumps(value, ensure_ascii=False))
    if isinstance(value, (list, tuple)):
        items = [lit(v) for v in value]
        for v, item in zip(value, items):
            if isinstance(item, ast.ListLit):
                raise TypeError(f"lists hold only scalar literals, not {v!r}")
        return ast.ListLit(items)
    raise TypeError(f"no filter literal for a {type(value).__name__}: {value!r}")


def _number(text: str, value: object) -> ast.Number:
    if not is_number(text):  # defensive: write the value positionally
        text = format(Decimal(text), "f")
    return ast.Number(text)


# ------------------------------------------------------------- predicates


def has(f: FieldLike, value: Any) -> ast.Expr:
    """``has(tags, "x")`` or ``has(metadata, {...})`` (a dict becomes its JSON text)."""
    return make_call("has", [_field_node(f), lit(value)])


def exists(f: FieldLike, key: str) -> ast.Expr:
    """``exists(metadata, "dotted.key")``."""
    return make_call("exists", [_field_node(f), lit(key)])


def in_(f: FieldLike, values: Iterable[Any]) -> ast.Expr:
    """``in(field, [values...])``."""
    if isinstance(values, (str, bytes, dict)):
        raise TypeError(f"in_() takes a list of values, not a {type(values).__name__}")
    return make_call("in", [_field_node(f), lit(list(values))])


def like(f: FieldLike, pattern: str) -> ast.Expr:
    """``like(field, pattern)``."""
    return make_call("like", [_field_node(f), lit(pattern)])


def notlike(f: FieldLike, pattern: str) -> ast.Expr:
    """``notlike(field, pattern)``."""
    return make_call("notlike", [_field_node(f), lit(pattern)])


def search(f_or_text: FieldLike, text: str | None = None) -> ast.Expr:
    """``search("text")``, or ``search(field, "text")`` when given two arguments."""
    if text is None:
        if not isinstance(f_or_text, str):
            raise TypeError("search(text) takes a string")
        return make_call("search", [lit(f_or_text)])
    return make_call("search", [_field_node(f_or_text), lit(text)])
