"""The query plan: a checked filter with every binding scope and derived reading spelled out.

:func:`filterql.lowering.lower` builds it; the backends (the Python evaluator,
the SQL compiler) only print it. Nothing downstream regroups a key/value scope
(SPEC §5) or re-derives a field: a scope is one :class:`EntryExists` ("one entry
of this source passes every test") or :class:`NoEntry` ("no entry passes"),
and ``latency``, ``thread_id`` and ``is_root`` are their own readings.

Values are the checked ones (:class:`filterql.ast.Const` values: ``datetime``,
``Decimal`` seconds, ``uuid.UUID``, JSON values ...). Nodes are frozen attrs
classes; ``parts`` of :class:`All`/:class:`AnyOf` keep the filter's order.
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterator, Union

import attrs

from .catalog import FieldType

__all__ = [
    "Column", "Latency", "ThreadKey", "Reading",
    "Entries", "KeyEntries", "MemberEntries", "EntrySource",
    "EntryCompare", "EntryIn", "EntryLike", "EntryTest",
    "All", "AnyOf", "Not", "Constant", "Compare", "IsNull", "InSet", "Like", "IsRoot", "TagsAny", "TagHas",
    "HasLeaves", "KeyPresent", "Search", "EntryExists", "NoEntry", "Plan",
    "PLAN_NODES", "ENTRY_TESTS", "READINGS", "SOURCES", "walk",
]

# ----------------------------------------------------------------- readings


@attrs.frozen
class Column:
    """A stored field of the run, read as is (``name`` is a catalog field with a ``source``)."""

    name: str
    type: FieldType


@attrs.frozen
class Latency:
    """``end_time - start_time`` (null without ``end_time``)."""

    type: ClassVar[FieldType] = FieldType.SECONDS


@attrs.frozen
class ThreadKey:
    """The run's thread: the first of metadata ``thread_id``, ``session_id``, ``conversation_id``
    (:data:`filterql.catalog.THREAD_KEYS`), then the run's own ``thread_id`` (a v2 run or a thread
    summary carries it at the top level), when it is a string."""

    type: ClassVar[FieldType] = FieldType.STRING


Reading = Union[Column, Latency, ThreadKey]
READINGS: tuple[type, ...] = (Column, Latency, ThreadKey)

# ----------------------------------------------------------- entry sources


@attrs.frozen
class Entries:
    """Every flattened entry of ``family`` (SPEC §5). Feedback entries come from the run's
    ``feedback`` list when present, else one per key of ``feedback_stats`` (score = ``avg``)."""

    family: str


@attrs.frozen
class KeyEntries:
    """The entries of ``family`` whose key is exactly ``key``."""

    family: str
    key: str


@attrs.frozen
class MemberEntries:
    """The entries with the dotless ``key`` of an object family: they all come from the object's
    member ``key`` (the member when it is a leaf, the leaves reached through arrays when it is an
    array), so a backend may read that member instead of flattening the object."""

    family: str
    key: str


EntrySource = Union[Entries, KeyEntries, MemberEntries]
SOURCES: tuple[type, ...] = (Entries, KeyEntries, MemberEntries)

# ------------------------------------------------------------- entry tests
# ``slot`` is "key", "value" or "score" (feedback only). Tests are two-valued on every entry.


@attrs.frozen
class EntryCompare:
    """``op`` (eq neq gt gte lt lte) between the entry's ``slot`` and ``value`` (``None``: null)."""

    slot: str
    op: str
    value: Any


@attrs.frozen
class EntryIn:
    """The entry's ``slot`` equals one of ``values``."""

    slot: str
    values: tuple[Any, ...]


@attrs.frozen
class EntryLike:
    """The entry's ``slot`` (key, or a value's JSON text) matches the LIKE ``pattern``; ``negated``:
    present and not matching."""

    slot: str
    pattern: str
    negated: bool = False


EntryTest = Union[EntryCompare, EntryIn, EntryLike]
ENTRY_TESTS: tuple[type, ...] = (EntryCompare, EntryIn, EntryLike)

# ------------------------------------------------------------------ nodes


@attrs.frozen
class All:
    """Every part holds (``and``; no parts: true)."""

    parts: tuple[Plan, ...] = attrs.field(converter=tuple)


@attrs.frozen
class AnyOf:
    """Some part holds (``or``; no parts: false)."""

    parts: tuple[Plan, ...] = attrs.field(converter=tuple)


@attrs.frozen
class Not:
    """The plain negation of ``part`` (every plan node is two-valued)."""

    part: Plan


@attrs.frozen
class Constant:
    """Always ``value``, whatever the run."""

    value: bool


@attrs.frozen
class Compare:
    """``reading op value`` for a non-null ``value``; false when the reading is null."""

    reading: Reading
    op: str
    value: Any


@attrs.frozen
class IsNull:
    """The reading is null (or missing); ``null=False``: it is present."""

    reading: Reading
    null: bool = True


@attrs.frozen
class InSet:
    """The reading equals one of ``values``."""

    reading: Reading
    values: tuple[Any, ...]


@attrs.frozen
class Like:
    """The (string) reading matches the LIKE ``pattern``; ``negated``: present and not matching."""

    reading: Reading
    pattern: str
    negated: bool = False


@attrs.frozen
class IsRoot:
    """The run is a root (``parent_run_id`` is null) when ``root``, else it has a parent."""

    root: bool


@attrs.frozen
class TagsAny:
    """Some tag is one of ``values``."""

    values: tuple[str, ...]


@attrs.frozen
class TagHas:
    """``value`` is one of the tags."""

    value: str


@attrs.frozen
class HasLeaves:
    """``has(metadata, {...})``: for each (dotted key, JSON leaf) some metadata entry has that key and
    a value of the same JSON type and equal (numbers numerically)."""

    leaves: tuple[tuple[str, Any], ...]


@attrs.frozen
class KeyPresent:
    """``exists(...)``: ``family`` has an entry with ``key`` or below it (``key.…``)."""

    family: str
    key: str


@attrs.frozen
class Search:
    """Every lower-cased term is a case-insensitive substring of some string of the run (``field``
    None: name, error, tags and the string leaves of metadata, inputs, outputs; else that field)."""

    terms: tuple[str, ...]
    field: str | None = None


@attrs.frozen
class EntryExists:
    """One entry of ``source`` passes every test of ``tests`` (one binding scope of SPEC §5)."""

    source: EntrySource
    tests: tuple[EntryTest, ...] = attrs.field(converter=tuple)


@attrs.frozen
class NoEntry:
    """No entry of ``source`` passes every test of ``tests`` (a lone ``neq``/``notlike``)."""

    source: EntrySource
    tests: tuple[EntryTest, ...] = attrs.field(converter=tuple)


Plan = Union[All, AnyOf, Not, Constant, Compare, IsNull, InSet, Like, IsRoot, TagsAny, TagHas, HasLeaves,
             KeyPresent, Search, EntryExists, NoEntry]
#: Every plan node type; each backend has a rule for each (a test checks it).
PLAN_NODES: tuple[type, ...] = (All, AnyOf, Not, Constant, Compare, IsNull, InSet, Like, IsRoot, TagsAny, TagHas,
                                HasLeaves, KeyPresent, Search, EntryExists, NoEntry)


def walk(node: Plan) -> Iterator[Plan]:
    """``node`` and every plan node below it, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (All, AnyOf)):
            stack.extend(reversed(n.parts))
        elif isinstance(n, Not):
            stack.append(n.part)
