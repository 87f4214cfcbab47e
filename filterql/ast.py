"""The typed abstract syntax tree.

Nodes are frozen, slotted ``attrs`` classes. Equality and hashing ignore the
source ``span`` so trees built by the parser, the builder and ``from_json``
compare equal. Stages (render, validate, evaluate, ...) are functions over these
nodes; the few methods here only delegate to them.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Union

import attrs

__all__ = [
    "Span", "Node", "Expr", "Value", "Literal",
    "And", "Or", "Not", "Compare", "Has", "Exists", "In", "Like", "Search", "Call",
    "Field", "String", "Number", "Bool", "Null", "ListLit", "Const",
    "COMPARISON_OPS", "BOOLEAN_OPS", "PREDICATE_NAMES", "FUNCTION_NAMES",
]

COMPARISON_OPS = ("eq", "neq", "gt", "gte", "lt", "lte")
BOOLEAN_OPS = ("and", "or", "not")
PREDICATE_NAMES = ("has", "exists", "in", "like", "notlike", "search")
FUNCTION_NAMES = BOOLEAN_OPS + COMPARISON_OPS + PREDICATE_NAMES


@attrs.frozen
class Span:
    """Where a node came from: 0-based offsets, 1-based line and column."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int


def _span() -> Any:
    return attrs.field(default=None, eq=False, hash=False, repr=False, kw_only=True)


class Node:
    """Base of every node; ``str()`` renders the canonical filter text."""

    __slots__ = ()

    def __str__(self) -> str:
        from .renderer import render

        return render(self)  # type: ignore[arg-type]

    def to_json(self) -> Any:
        """The JSON form of this node (see the README for the schema)."""
        from .jsonform import to_json

        return to_json(self)  # type: ignore[arg-type]


class Expr(Node):
    """A boolean expression: something a filter can be."""

    __slots__ = ()

    def __and__(self, other: Expr) -> Expr:
        from .builder import and_

        return and_(self, other)

    def __or__(self, other: Expr) -> Expr:
        from .builder import or_

        return or_(self, other)

    def __invert__(self) -> Expr:
        return Not(self)


# ---------------------------------------------------------------- values


@attrs.frozen(repr=False)
class Field(Node):
    """A bare name in argument position: a run field."""

    name: str
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


@attrs.frozen(repr=False)
class String(Node):
    value: str
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"String({self.value!r})"


@attrs.frozen(repr=False)
class Number(Node):
    """A number literal; ``text`` keeps its written form so ``0.0`` renders as ``0.0``."""

    text: str
    span: Span | None = _span()

    @property
    def value(self) -> int | Decimal:
        """Exact value: an ``int`` when integral in form, else a ``Decimal``."""
        if any(c in self.text for c in ".eE"):
            return Decimal(self.text)
        return int(self.text)

    def __repr__(self) -> str:
        return f"Number({self.text!r})"


@attrs.frozen(repr=False)
class Bool(Node):
    value: bool
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Bool({self.value!r})"


@attrs.frozen(repr=False)
class Null(Node):
    span: Span | None = _span()

    def __repr__(self) -> str:
        return "Null()"


Scalar = Union[String, Number, Bool, Null]


@attrs.frozen(repr=False)
class ListLit(Node):
    items: tuple[Value, ...] = attrs.field(converter=tuple)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"ListLit({list(self.items)!r})"


def _value_key(value: Any) -> Any:
    """What ``Const`` equality compares: ``true`` is not ``1`` (family values keep their JSON
    type), and a JSON object (``has(metadata, ...)``, not hashable itself) compares by its text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return (type(value) is bool, value)


@attrs.frozen(repr=False)
class Const(Node):
    """A literal after validation: ``value`` is coerced to the field's type.

    Produced only by :func:`filterql.check`. ``value`` is an aware UTC
    ``datetime`` for timestamps, a ``Decimal`` number of seconds for latency, a
    ``Decimal`` for costs, an ``int`` for integers, a ``uuid.UUID``, a ``bool``,
    ``None`` for null, a ``str``, or for family values and ``has(metadata, ...)``
    the JSON value. ``literal`` is the source literal, used when rendering and
    ignored by equality (``gt(latency, 5)`` equals ``gt(latency, "5s")``).
    """

    value: Any = attrs.field(hash=False, eq=_value_key)
    literal: Scalar = attrs.field(eq=False, hash=False)
    _hash_key: Any = attrs.field(init=False, eq=False, hash=True, repr=False)

    @_hash_key.default
    def _hashable_value(self) -> Any:
        return _value_key(self.value)

    @property
    def span(self) -> Span | None:
        return self.literal.span

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


Literal = Union[String, Number, Bool, Null, ListLit]
Value = Union[String, Number, Bool, Null, ListLit, Const]
Arg = Union["Expr", Field, Value]

# ----------------------------------------------------------- expressions


def _exprs(value: Any) -> tuple[Expr, ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class And(Expr):
    """All operands true. Its direct children form one key/value binding scope (SPEC §5)."""

    args: tuple[Expr, ...] = attrs.field(converter=_exprs)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"And({list(self.args)!r})"


@attrs.frozen(repr=False)
class Or(Expr):
    args: tuple[Expr, ...] = attrs.field(converter=_exprs)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Or({list(self.args)!r})"


@attrs.frozen(repr=False)
class Not(Expr):
    arg: Expr
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Not({self.arg!r})"


@attrs.frozen(repr=False)
class Compare(Expr):
    """``op(field, value)`` for ``op`` in eq neq gt gte lt lte."""

    op: str
    field: Field
    value: Value
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Compare({self.op!r}, {self.field!r}, {self.value!r})"


@attrs.frozen(repr=False)
class Has(Expr):
    """``has(tags, "x")`` or ``has(metadata, '{"k": "v"}')``."""

    field: Field
    value: Value
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Has({self.field!r}, {self.value!r})"


@attrs.frozen(repr=False)
class Exists(Expr):
    """``exists(metadata, "dotted.key")``."""

    field: Field
    key: Value
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Exists({self.field!r}, {self.key!r})"


@attrs.frozen(repr=False)
class In(Expr):
    """``in(field, [v1, v2, ...])``."""

    field: Field
    values: ListLit
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"In({self.field!r}, {self.values!r})"


@attrs.frozen(repr=False)
class Like(Expr):
    """``like(field, pattern)``, or ``notlike`` when ``negated``."""

    field: Field
    pattern: Value
    negated: bool = False
    span: Span | None = _span()

    def __repr__(self) -> str:
        name = "notlike" if self.negated else "like"
        return f"Like[{name}]({self.field!r}, {self.pattern!r})"


@attrs.frozen(repr=False)
class Search(Expr):
    """``search("text")`` or, with ``field``, ``search(field, "text")``."""

    text: Value
    field: Field | None = None
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Search({self.text!r}, field={self.field!r})"


@attrs.frozen(repr=False)
class Call(Expr):
    """A call the parser could not type: an unknown name or a wrong shape.

    Kept so the validator can report it with a position and a suggestion.
    """

    name: str
    args: tuple[Arg, ...] = attrs.field(converter=tuple)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Call({self.name!r}, {list(self.args)!r})"


def walk(node: Node):  # noqa: ANN201 - generator of Node
    """Yield ``node`` and every node below it, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def children(node: Node) -> tuple[Node, ...]:
    """The direct child nodes of ``node``, in source order."""
    if isinstance(node, (And, Or)):
        return node.args
    if isinstance(node, Not):
        return (node.arg,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Search):
        return (node.text,) if node.field is None else (node.field, node.text)
    if isinstance(node, In):
        return (node.field, node.values)
    if isinstance(node, Like):
        return (node.field, node.pattern)
    if isinstance(node, Exists):
        return (node.field, node.key)
    if isinstance(node, (Compare, Has)):
        return (node.field, node.value)
    return ()
