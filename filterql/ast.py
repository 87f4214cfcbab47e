"""The typed abstract syntax tree.

Nodes are frozen, slotted ``attrs`` classes. Equality and hashing ignore the
source ``span`` so trees built by the parser, the builder and ``from_json``
compare equal. Stages (validate, evaluate, ...) are functions over these nodes.

Beside the classes live the facts every stage shares about a node's shape, so
that they depend on this module and it on nothing above it: :func:`make_call`
(the one constructor of a typed node from a call, used by the parser, the
builder and the JSON form) and its inverse :func:`call_parts`, the nesting
limit :data:`MAX_DEPTH`, the canonical one-line text (``str(node)``) and JSON
form (``node.to_json()``), and the key/value binding scopes of SPEC §5 with the
scope-preserving :func:`and_` that ``&`` builds.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence, Union

import attrs

from . import catalog
from .lexicon import is_name, is_number, quote

__all__ = [
    "Span", "Node", "Expr", "Value", "Literal",
    "And", "Or", "Not", "Compare", "Has", "Exists", "In", "Like", "Search", "Call",
    "Field", "String", "Number", "Bool", "Null", "ListLit", "Const",
    "COMPARISON_OPS", "BOOLEAN_OPS", "PREDICATE_NAMES", "FUNCTION_NAMES", "MAX_DEPTH",
    "walk", "children", "make_call", "call_parts", "text", "to_json",
    "family_of", "positive_key_family", "scope_families", "can_merge_scopes", "POSITIVE_KEY_OPS",
    "bindable", "bound_family", "scopes_join", "merge_scopes",
    "and_", "or_", "not_",
]

COMPARISON_OPS = ("eq", "neq", "gt", "gte", "lt", "lte")
BOOLEAN_OPS = ("and", "or", "not")
PREDICATE_NAMES = ("has", "exists", "in", "like", "notlike", "search")
FUNCTION_NAMES = BOOLEAN_OPS + COMPARISON_OPS + PREDICATE_NAMES

#: Deepest nesting of calls and lists accepted. Every later stage recurses on
#: the tree, so this bound is what keeps them clear of Python's recursion limit.
MAX_DEPTH = 128


@attrs.frozen
class Span:
    """Where a node came from: 0-based offsets, 1-based line and column."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int


def _tuple(value: Any) -> tuple[Any, ...]:
    # A Python function, not the builtin ``tuple``: attrs reads a converter's signature, and a
    # builtin's is parsed from text by the tokenizer, whose regex costs 15 ms at every start.
    return tuple(value)


# ------------------------------------------------------------ shapes
# Each node checks its own fields when built, so a hand-built tree has the shape the
# parser, the builder and from_json give (a TypeError or ValueError otherwise) and no
# later stage has to guard against, say, a Compare holding a list or a field as its value.


def _shape(what: str, test: Callable[[Any], bool]) -> Callable[[Any, Any, Any], None]:
    def validate(instance: Any, attribute: Any, value: Any) -> None:
        if not test(value):
            raise TypeError(f"{type(instance).__name__}.{attribute.name} must be {what}, not {value!r}")
    return validate


def _each(what: str, test: Callable[[Any], bool]) -> Callable[[Any, Any, Any], None]:
    def validate(instance: Any, attribute: Any, value: Any) -> None:
        for item in value:
            if not test(item):
                raise TypeError(f"{type(instance).__name__}.{attribute.name} holds only {what}, not {item!r}")
    return validate


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (String, Number, Bool, Null, Const))


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and v != ""


_SCALAR = _shape("a literal (String, Number, Bool, Null) or a Const", _is_scalar)
_FIELD = _shape("a Field", lambda v: isinstance(v, Field))
_EXPR = _shape("an Expr", lambda v: isinstance(v, Expr))
_EXPRS = _each("Exprs", lambda v: isinstance(v, Expr))


#: Node classes: equality, hashing and repr are Node's own (see "Deep trees"), so attrs generates neither.
_node = attrs.frozen(repr=False, eq=False)


def _span() -> Any:
    return attrs.field(default=None, eq=False, hash=False, repr=False, kw_only=True,
                       validator=_shape("a Span or None", lambda v: v is None or isinstance(v, Span)))


class Node:
    """Base of every node; ``str()`` renders the canonical filter text.

    Equality, hashing and ``repr`` never recurse through the tree (see "Deep trees" below), so a
    hand-built tree nested deeper than Python's recursion limit compares, hashes and prints.
    """

    __slots__ = ("_structure_hash",)  # computed on first use, children first (see "Deep trees")

    def __hash__(self) -> int:
        try:
            return self._structure_hash
        except AttributeError:
            _hash_tree(self)
            return self._structure_hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not type(self):
            return NotImplemented
        return _same_tree(self, other)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __str__(self) -> str:
        return text(self)

    def to_json(self) -> Any:
        """The JSON form of this node (see docs/python-api.md "JSON form" for the schema)."""
        return to_json(self)


class Expr(Node):
    """A boolean expression: something a filter can be."""

    __slots__ = ()

    def __and__(self, other: Expr) -> Expr:
        return and_(self, other)

    def __or__(self, other: Expr) -> Expr:
        return or_(self, other)

    def __invert__(self) -> Expr:
        return Not(self)


# ---------------------------------------------------------------- values


@_node
class Field(Node):
    """A bare name in argument position: a run field.

    ``quoted`` records a field written as a string (``has("metadata", ...)``, which the
    server accepts); it is style only, so equality ignores it and it renders bare.
    """

    name: str = attrs.field(validator=_shape("a non-empty str", _is_text))
    span: Span | None = _span()
    quoted: bool = attrs.field(default=False, eq=False, hash=False, repr=False, kw_only=True)

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


@_node
class String(Node):
    value: str = attrs.field(validator=_shape("a str", lambda v: isinstance(v, str)))
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"String({self.value!r})"


@_node
class Number(Node):
    """A number literal; ``text`` keeps its written form so ``0.0`` renders as ``0.0``."""

    text: str = attrs.field(validator=_shape("a number literal such as 5 or -1.5e3",
                                             lambda v: isinstance(v, str) and is_number(v)))
    span: Span | None = _span()

    @property
    def value(self) -> int | Decimal:
        """Exact value: an ``int`` when integral in form, else a ``Decimal``."""
        if any(c in self.text for c in ".eE"):
            return Decimal(self.text)
        return int(self.text)

    def __repr__(self) -> str:
        return f"Number({self.text!r})"


@_node
class Bool(Node):
    value: bool = attrs.field(validator=_shape("a bool", lambda v: isinstance(v, bool)))
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Bool({self.value!r})"


@_node
class Null(Node):
    span: Span | None = _span()

    def __repr__(self) -> str:
        return "Null()"


Scalar = Union[String, Number, Bool, Null]


@_node
class ListLit(Node):
    items: tuple[Value, ...] = attrs.field(converter=_tuple, validator=_each("literals", _is_scalar))
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"ListLit({list(self.items)!r})"


def _value_key(value: Any) -> Any:
    """What ``Const`` equality compares: ``true`` is not ``1`` (family values keep their JSON
    type), and a JSON object (``has(metadata, ...)``, not hashable itself) compares by its text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return (type(value) is bool, value)


@_node
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
    literal: Scalar = attrs.field(eq=False, hash=False, validator=_shape(
        "a String, Number, Bool or Null", lambda v: isinstance(v, (String, Number, Bool, Null))))
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




@_node
class And(Expr):
    """All operands true. Its direct children form one key/value binding scope (SPEC §5)."""

    args: tuple[Expr, ...] = attrs.field(converter=_tuple, validator=_EXPRS)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"And({list(self.args)!r})"


@_node
class Or(Expr):
    args: tuple[Expr, ...] = attrs.field(converter=_tuple, validator=_EXPRS)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Or({list(self.args)!r})"


@_node
class Not(Expr):
    arg: Expr = attrs.field(validator=_EXPR)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Not({self.arg!r})"


@_node
class Compare(Expr):
    """``op(field, value)`` for ``op`` in eq neq gt gte lt lte."""

    op: str = attrs.field(validator=_shape(f"one of {', '.join(COMPARISON_OPS)}", lambda v: v in COMPARISON_OPS))
    field: Field = attrs.field(validator=_FIELD)
    value: Value = attrs.field(validator=_SCALAR)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Compare({self.op!r}, {self.field!r}, {self.value!r})"


@_node
class Has(Expr):
    """``has(tags, "x")`` or ``has(metadata, '{"k": "v"}')``."""

    field: Field = attrs.field(validator=_FIELD)
    value: Value = attrs.field(validator=_SCALAR)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Has({self.field!r}, {self.value!r})"


@_node
class Exists(Expr):
    """``exists(metadata, "dotted.key")``."""

    field: Field = attrs.field(validator=_FIELD)
    key: Value = attrs.field(validator=_SCALAR)
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Exists({self.field!r}, {self.key!r})"


@_node
class In(Expr):
    """``in(field, [v1, v2, ...])``."""

    field: Field = attrs.field(validator=_FIELD)
    values: ListLit = attrs.field(validator=_shape("a ListLit", lambda v: isinstance(v, ListLit)))
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"In({self.field!r}, {self.values!r})"


@_node
class Like(Expr):
    """``like(field, pattern)``, or ``notlike`` when ``negated``."""

    field: Field = attrs.field(validator=_FIELD)
    pattern: Value = attrs.field(validator=_SCALAR)
    negated: bool = attrs.field(default=False, validator=_shape("a bool", lambda v: isinstance(v, bool)))
    span: Span | None = _span()

    def __repr__(self) -> str:
        name = "notlike" if self.negated else "like"
        return f"Like[{name}]({self.field!r}, {self.pattern!r})"


@_node
class Search(Expr):
    """``search("text")`` or, with ``field``, ``search(field, "text")``."""

    text: Value = attrs.field(validator=_SCALAR)
    field: Field | None = attrs.field(default=None, validator=_shape("a Field or None",
                                                                     lambda v: v is None or isinstance(v, Field)))
    span: Span | None = _span()

    def __repr__(self) -> str:
        return f"Search({self.text!r}, field={self.field!r})"


@_node
class Call(Expr):
    """A call the parser could not type: an unknown name or a wrong shape.

    Kept so the validator can report it with a position and a suggestion.
    """

    name: str = attrs.field(validator=_shape("a non-empty str", _is_text))
    args: tuple[Arg, ...] = attrs.field(converter=_tuple, validator=_each("nodes", lambda v: isinstance(v, Node)))
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


# ------------------------------------------------------------ calls

def make_call(name: str, args: Sequence[Any], span: Span | None = None) -> Expr:
    """Build the typed node for ``name(args...)``, or a generic :class:`Call`.

    Shared by the parser, the builder and :func:`filterql.from_json`, so all
    give the same tree. A call whose name or argument shapes do not fit a typed
    node stays a ``Call`` for the validator to report.
    """
    n = len(args)
    args = _unquote_field(name, args)
    kinds = [_kind(a) for a in args]
    if name in ("and", "or") and n >= 1 and all(k == "expr" for k in kinds):
        return (And if name == "and" else Or)(args, span=span)
    if name == "not" and kinds == ["expr"]:
        return Not(args[0], span=span)
    if name in COMPARISON_OPS and kinds == ["field", "scalar"]:
        return Compare(name, args[0], args[1], span=span)
    if name == "has" and kinds == ["field", "scalar"]:
        return Has(args[0], args[1], span=span)
    if name == "exists" and kinds == ["field", "scalar"]:
        return Exists(args[0], args[1], span=span)
    if name == "in" and kinds == ["field", "list"]:
        return In(args[0], args[1], span=span)
    if name in ("like", "notlike") and kinds == ["field", "scalar"]:
        return Like(args[0], args[1], negated=name == "notlike", span=span)
    if name == "search" and kinds == ["scalar"]:
        return Search(args[0], span=span)
    if name == "search" and kinds == ["field", "scalar"]:
        return Search(args[1], args[0], span=span)
    return Call(name, args, span=span)


#: Functions whose first argument is a field when they have two arguments.
_FIELD_FIRST = frozenset(COMPARISON_OPS) | {"has", "exists", "in", "like", "notlike", "search"}


def _unquote_field(name: str, args: Sequence[Any]) -> Sequence[Any]:
    """``has("metadata", v)`` -> ``has(metadata, v)`` with ``Field.quoted`` set: the server
    takes a quoted field name, so a string where only a field can stand is read as one."""
    if (len(args) == 2 and name in _FIELD_FIRST and type(args[0]) is String and _kind(args[1]) != "field"
            and is_name(args[0].value) and args[0].value not in ("true", "false", "null")):
        return [Field(args[0].value, span=args[0].span, quoted=True), args[1]]
    return args


def _kind(node: Any) -> str:
    if isinstance(node, Expr):
        return "expr"
    if isinstance(node, Field):
        return "field"
    if isinstance(node, ListLit):
        return "list"
    return "scalar"


# Call-shaped nodes: node -> (function name, arguments in source order); the inverse of make_call.
_CALLS: dict[type, Callable[[Any], "tuple[str, Sequence[Node]]"]] = {
    And: lambda n: ("and", n.args),
    Or: lambda n: ("or", n.args),
    Not: lambda n: ("not", (n.arg,)),
    Compare: lambda n: (n.op, (n.field, n.value)),
    Has: lambda n: ("has", (n.field, n.value)),
    Exists: lambda n: ("exists", (n.field, n.key)),
    In: lambda n: ("in", (n.field, n.values)),
    Like: lambda n: ("notlike" if n.negated else "like", (n.field, n.pattern)),
    Search: lambda n: ("search", (n.text,) if n.field is None else (n.field, n.text)),
    Call: lambda n: (n.name, n.args),
}


def call_parts(node: Node) -> tuple[str, Sequence[Node]] | None:
    """``(function name, arguments)`` of a call-shaped node, or None for a leaf or list."""
    for cls in type(node).__mro__:
        if cls in _CALLS:
            return _CALLS[cls](node)
    return None


# ------------------------------------------------------------ text and JSON forms

# Leaves: node -> canonical text. A checked literal is written as in the source.
_LEAF_TEXT: dict[type, Callable[[Any], str]] = {
    Field: lambda n: n.name,
    String: lambda n: quote(n.value),
    Number: lambda n: n.text,
    Bool: lambda n: "true" if n.value else "false",
    Null: lambda n: "null",
    Const: lambda n: _text(n.literal),
}


def text(node: Node) -> str:
    """The canonical one-line text of ``node`` (what ``str(node)`` gives).

    Lowercase function names (a generic :class:`Call` keeps its name as written),
    double-quoted strings with minimal escaping, ``", "`` between arguments,
    numbers as written. Raises ``TypeError`` for an object that is not a node and
    ``ValueError`` for a hand-built tree nested beyond Python's recursion limit.
    """
    try:
        return _text(node)
    except RecursionError:
        raise ValueError("render: the tree is nested too deeply to render") from None


def _text(node: Any) -> str:
    for cls in type(node).__mro__:
        if cls in _LEAF_TEXT:
            return _LEAF_TEXT[cls](node)
        if cls is ListLit:
            return "[" + ", ".join([_text(i) for i in node.items]) + "]"
        if cls in _CALLS:
            name, args = _CALLS[cls](node)
            return name + "(" + ", ".join([_text(a) for a in args]) + ")"
    raise TypeError(f"render: no rule for node type {type(node).__name__}")


_LEAF_JSON: dict[type, Callable[[Any], Any]] = {
    Field: lambda n: {"field": n.name},
    String: lambda n: {"string": n.value},
    Number: lambda n: {"number": n.text},
    Bool: lambda n: {"bool": n.value},
    Null: lambda n: {"null": None},
}


def _json_parts(node: Node) -> tuple[Callable[[list[Any]], Any], tuple[Node, ...]]:
    """How ``node``'s JSON form is built from its children's, and those children."""
    for cls in type(node).__mro__:
        if cls in _LEAF_JSON:
            return lambda _: _LEAF_JSON[cls](node), ()
    if isinstance(node, ListLit):
        return lambda items: {"list": items}, node.items
    if isinstance(node, Const):
        return lambda literal: literal[0], (node.literal,)
    parts = call_parts(node)
    if parts is None:
        raise TypeError(f"to_json: no rule for node type {type(node).__name__}")
    name, args = parts
    return lambda items: {"call": name, "args": items}, tuple(args)


def to_json(node: Node) -> Any:
    """The JSON form of ``node`` (docs/python-api.md "JSON form"): plain dicts, lists, strings and booleans.

    Built children first with an explicit stack, so a hand-built tree of any depth converts.
    """
    built: dict[int, Any] = {}
    stack: list[tuple[Node, Any]] = [(node, None)]
    while stack:
        current, parts = stack.pop()
        if parts is None:
            parts = _json_parts(current)
            stack.append((current, parts))
            stack.extend((child, None) for child in parts[1] if id(child) not in built)
            continue
        make, kids = parts
        built[id(current)] = make([built[id(k)] for k in kids])
    return built[id(node)]


# ------------------------------------------------------------ binding scopes
# A scope is the list of direct children of one ``and`` (SPEC §5, docs/semantics.md).
# Within it, the positive key conditions of a family and every condition of that
# family bind to one entry. Moving conditions between scopes (flattening a nested
# ``and``) therefore changes the meaning exactly when it brings a family condition
# into a scope holding a positive key condition of that family, or the reverse.
# These helpers read only field names, so they work on parsed and checked trees alike.

#: Comparisons that make a condition on a ``*_key`` field a positive key condition.
POSITIVE_KEY_OPS = frozenset({"eq", "gt", "gte", "lt", "lte"})


def _field_family(field: Any) -> str | None:
    if not isinstance(field, Field):
        return None
    spec = catalog.FIELDS.get(field.name)
    return spec.family if spec is not None else None


def family_of(node: Node) -> str | None:
    """The family a condition belongs to (``"metadata"``, ``"feedback"``, ...), or None.

    Only a leaf condition on a family field has one; ``and``, ``or`` and ``not``
    do not (they never bind their operands to the enclosing scope). A generic
    :class:`Call` counts by its first field argument, so that an untyped call
    is treated cautiously.
    """
    if isinstance(node, Call):
        for arg in node.args:
            if isinstance(arg, Field):
                return _field_family(arg)
        return None
    if isinstance(node, (And, Or, Not)):
        return None
    return _field_family(getattr(node, "field", None))


def positive_key_family(node: Node) -> str | None:
    """The family of ``node`` when it is a positive key condition, else None.

    Positive key conditions are ``eq``, ``in``, ``like``, ``gt``, ``gte``, ``lt`` and
    ``lte`` on a family's key field (``metadata_key``, ``input_key``, ...).
    """
    if isinstance(node, Compare):
        positive = node.op in POSITIVE_KEY_OPS
    elif isinstance(node, Like):
        positive = not node.negated
    else:
        positive = isinstance(node, In)
    if not positive:
        return None
    family = _field_family(node.field)  # type: ignore[attr-defined]
    if family is None or catalog.FAMILIES[family].key != node.field.name:  # type: ignore[attr-defined]
        return None
    return family


def scope_families(args: Iterable[Node]) -> tuple[frozenset[str], frozenset[str]]:
    """``(positive, any)`` for the direct children ``args`` of one ``and``.

    ``positive``: families with a positive key condition among ``args``;
    ``any``: families with any condition among ``args``.
    """
    positive: set[str] = set()
    anyf: set[str] = set()
    for node in args:
        fam = family_of(node)
        if fam is None:
            continue
        anyf.add(fam)
        if positive_key_family(node) is not None:
            positive.add(fam)
    return frozenset(positive), frozenset(anyf)


def bindable(node: Node) -> bool:
    """Whether ``node`` is a family condition a binding scope could tie to one entry.

    That is every family condition except a negative key condition (``neq``/``notlike``
    on ``*_key``), which always stands alone.
    """
    family = family_of(node)
    if family is None:
        return False
    key_field = catalog.FAMILIES[family].key
    return positive_key_family(node) is not None or getattr(node, "field", None) != Field(key_field)


def bound_family(node: Node, positive: frozenset[str] | set[str]) -> str | None:
    """The family whose one entry ``node`` binds to in a scope whose families with a positive key
    condition are ``positive`` (:func:`scope_families`), else None."""
    family = family_of(node)
    return family if family in positive and bindable(node) else None


ScopeFamilies = tuple[frozenset[str], frozenset[str]]


def scopes_join(a: ScopeFamilies, b: ScopeFamilies) -> bool:
    """The one scope-merging rule: conditions summarized by ``a`` and by ``b`` (:func:`scope_families`)
    may share one ``and`` unless some family has a positive key condition on one side and any
    condition on the other, since joining would then bind conditions that were independent."""
    return not (a[0] & b[1] or b[0] & a[1])


def can_merge_scopes(a_args: Iterable[Node], b_args: Iterable[Node]) -> bool:
    """Whether conditions ``a_args`` and ``b_args`` may share one ``and`` scope (:func:`scopes_join`)."""
    return scopes_join(scope_families(a_args), scope_families(b_args))


def merge_scopes(args: Sequence[Expr], lift: Callable[[Expr], Sequence[Expr] | None],
                 from_right: bool = False) -> list[Expr]:
    """The operands of one ``and`` with each ``lift(arg)`` spliced in place of ``arg`` where
    :func:`scopes_join` allows it against everything else in the scope, in linear time.

    ``lift`` gives what an operand would contribute if spliced (a nested ``and``'s operands), or
    None. Candidates are tried in order, or from the right with ``from_right``; one that would
    change a scope stays whole.
    """
    lifted = [lift(a) for a in args]
    summary = scope_families(a for a, g in zip(args, lifted) if g is None)
    keep = [g is None for g in lifted]
    for i in (reversed(range(len(args))) if from_right else range(len(args))):
        group = lifted[i]
        if group is None:
            continue
        families = scope_families(group)
        if scopes_join(summary, families):
            summary = (summary[0] | families[0], summary[1] | families[1])
        else:
            keep[i] = True
    out: list[Expr] = []
    for arg, group, whole in zip(args, lifted, keep):
        out.extend((arg,) if whole else group)  # type: ignore[arg-type]
    return out


# ------------------------------------------------------------ boolean constructors


def _operands(name: str, operands: tuple[Any, ...]) -> list[Expr]:
    if not operands:
        raise TypeError(f"{name}() needs at least one expression")
    for op in operands:
        if not isinstance(op, Expr):
            hint = " (did you compare two fields, or forget field(...)?)" if isinstance(op, bool) else ""
            raise TypeError(f"{name}() takes filter expressions, not {type(op).__name__}{hint}")
    return list(operands)


def and_(*operands: Expr) -> Expr:
    """``and(...)`` of ``operands`` (what ``a & b`` builds).

    An operand that is itself an ``and`` is spliced in only when that keeps every
    key/value binding scope (SPEC §5) as it was; otherwise it stays nested.
    """
    ops = _operands("and_", operands)
    # From the right, so ``pair1 & pair2`` keeps the left pair whole and splices the right one.
    return And(merge_scopes(ops, lambda op: op.args if isinstance(op, And) else None, from_right=True))


def or_(*operands: Expr) -> Expr:
    """``or(...)`` of ``operands`` (what ``a | b`` builds); nested ``or`` operands are
    flattened (``or`` never binds)."""
    out: list[Expr] = []
    stack = list(reversed(_operands("or_", operands)))
    while stack:
        op = stack.pop()
        if isinstance(op, Or):
            stack.extend(reversed(op.args))
        else:
            out.append(op)
    return Or(out)


def not_(operand: Expr) -> Expr:
    """``not(operand)``."""
    return Not(_operands("not_", (operand,))[0])


# ------------------------------------------------------------- deep trees
# attrs' generated __eq__/__hash__ and the __repr__s above recurse once per level; a hand-built tree
# deeper than Python's recursion limit would raise RecursionError in them. So every node class uses
# Node's hash (computed once per node, from its children's, by an explicit stack) and Node's iterative __eq__;
# each __repr__ is kept, with an iterative fallback when its recursion runs out (repr is pure, so
# the retry prints the same text).


def _attributes(cls: type) -> tuple[tuple[str, bool, bool, Any], ...]:
    """(name, compared, hashed, eq key function or None) of each attrs field equality or hashing reads."""
    rows = ((a.name, bool(a.eq), bool(a.eq if a.hash is None else a.hash), a.eq_key) for a in attrs.fields(cls))
    return tuple(row for row in rows if row[1] or row[2])


def _hashed_fields(node: Node) -> list[Any]:
    out = []
    for name, _, hashed, key in _FIELDS[type(node)]:
        if hashed:
            value = getattr(node, name)
            out.append(key(value) if key else value)
    return out


def _hash_tree(root: Node) -> None:
    """Give ``root`` and every node below it without one its structure hash, children first.

    A node's hash combines its class, its own fields and its children's (cached) hashes, so each
    node is hashed once, without recursion.
    """
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if ready:
            object.__setattr__(node, "_structure_hash", hash((type(node).__name__, *_hashed_fields(node))))
        elif not hasattr(node, "_structure_hash"):
            stack.append((node, True))
            stack.extend((k, False) for k in children(node))


def _same_tree(a: Node, b: Node) -> bool:
    """Structural equality of two nodes of one class, walking both trees with an explicit stack."""
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        if x is y:
            continue
        if type(x) is not type(y) or hash(x) != hash(y):
            return False
        for name, compared, _, key in _FIELDS[type(x)]:
            if not compared:
                continue
            vx, vy = getattr(x, name), getattr(y, name)
            if key is not None:
                vx, vy = key(vx), key(vy)
            if isinstance(vx, Node) and isinstance(vy, Node):
                pairs.append((vx, vy))
            elif isinstance(vx, tuple) and isinstance(vy, tuple) and any(isinstance(v, Node) for v in vx):
                if len(vx) != len(vy):
                    return False
                pairs.extend(zip(vx, vy))
            elif vx != vy:
                return False
    return True


@attrs.frozen
class _Shown:
    """Stands in for an already printed child while a deep tree prints."""

    text: str

    def __repr__(self) -> str:
        return self.text


def _iterative_repr(root: Node) -> str:
    """``repr(root)`` built bottom-up: each node prints with its children replaced by their text."""
    shown: dict[int, _Shown] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        fields = [a.name for a in attrs.fields(type(node)) if a.init and a.name != "span"]
        if not ready:
            stack.append((node, True))
            for name in fields:
                value = getattr(node, name)
                kids = value if isinstance(value, tuple) else (value,)
                stack.extend((k, False) for k in kids if isinstance(k, Node) and id(k) not in shown)
            continue
        changes = {}
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, Node):
                changes[name] = shown[id(value)]
            elif isinstance(value, tuple):
                changes[name] = tuple(shown[id(v)] if isinstance(v, Node) else v for v in value)
        stand_in = _shallow_copy(node, changes) if changes else node
        shown[id(node)] = _Shown(_OWN_REPR[type(node)](stand_in))
    return shown[id(root)].text


def _shallow_copy(node: Node, changes: dict[str, Any]) -> Node:
    """``node`` with some fields replaced, built without its validators (the stand-ins are not nodes)."""
    copy = object.__new__(type(node))
    for a in attrs.fields(type(node)):
        object.__setattr__(copy, a.name, changes.get(a.name, getattr(node, a.name)))
    return copy


def _safe_repr(self: Node) -> str:
    try:
        return _OWN_REPR[type(self)](self)
    except RecursionError:
        return _iterative_repr(self)


_NODE_CLASSES = (Field, String, Number, Bool, Null, ListLit, Const, And, Or, Not, Compare, Has, Exists, In, Like,
                 Search, Call)
_FIELDS = {cls: _attributes(cls) for cls in _NODE_CLASSES}
_OWN_REPR = {cls: cls.__repr__ for cls in _NODE_CLASSES}
for _cls in _NODE_CLASSES:
    _cls.__eq__, _cls.__ne__, _cls.__hash__ = Node.__eq__, Node.__ne__, Node.__hash__  # type: ignore[method-assign]
    _cls.__repr__ = _safe_repr  # type: ignore[method-assign]
del _cls
