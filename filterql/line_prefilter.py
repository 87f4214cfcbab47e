"""A necessary condition on a JSONL line's bytes, derived from a plan: a line that fails it cannot match.

Most tests a filter makes are on strings of the run: ``eq(name, "x")`` needs
the string ``x``, ``search("timeout")`` needs ``timeout`` in some string,
lowercased. A string of the run is in its line's bytes as itself (UTF-8),
except for the characters written as escapes (:mod:`filterql.json_spelling`).
So each such test gives a :class:`Needle`: bytes that are in the line, or the
line holds ``\\u`` (any character may be so escaped; the needle never holds the
other escaped characters ``"``, ``\\``, ``/`` or controls). A folded needle is
looked for in the line with its ASCII letters lowered, for a case-insensitive
test (``search``; ``run_type`` and ``status``, which a v2 run spells in upper
case); a line holding one of the two other characters that lower into ASCII
passes too.

``and`` needs every part's condition, ``or`` some part's; every other node
(``not``, ``neq``, numbers, times, ids, null tests, ``exists`` absence...)
needs nothing, so the condition is only ever weaker than the filter.
:func:`line_condition` derives it; :func:`line_test` builds the byte test.
Numbers never give a needle: a number has many spellings (``1``, ``1.0``,
``10E-1``). Neither does a string that could be a number's or a boolean's text
where the filter compares it with JSON text (family values).
"""

from __future__ import annotations

import builtins
import re
from typing import Any, Callable, Optional, Union

import attrs

from . import plan as p
from .catalog import FieldType
from .json_spelling import LOWERS_INTO_ASCII, verbatim_runs
from .like import parse_like

__all__ = ["Needle", "Both", "Either", "Condition", "both", "either", "line_condition", "line_test", "RULES"]


@attrs.frozen
class Needle:
    """``text`` is in the line (in the line lowered, when ``folded``), or the line holds ``\\u``."""

    text: bytes
    folded: bool = False


@attrs.frozen
class Both:
    """Every part holds."""

    parts: tuple[Condition, ...]


@attrs.frozen
class Either:
    """Some part holds (no parts: the line cannot match)."""

    parts: tuple[Condition, ...]


Condition = Union[Needle, Both, Either]
#: None: nothing is known about the line (every line passes).
MaybeCondition = Optional[Condition]
NEVER = Either(())

# ---------------------------------------------------------------- combining


def both(parts: list[MaybeCondition]) -> MaybeCondition:
    """Every one of ``parts`` holds."""
    known = [c for c in parts if c is not None]
    if NEVER in known:
        return NEVER
    flat: list[Condition] = []
    for c in known:
        flat.extend(c.parts if isinstance(c, Both) else (c,))
    return None if not flat else flat[0] if len(flat) == 1 else Both(tuple(dict.fromkeys(flat)))


def either(parts: list[MaybeCondition]) -> MaybeCondition:
    """Some one of ``parts`` holds."""
    if any(c is None for c in parts):
        return None
    flat: list[Condition] = []
    for c in parts:
        flat.extend(c.parts if isinstance(c, Either) else (c,))  # type: ignore[union-attr]
    return flat[0] if len(flat) == 1 else Either(tuple(dict.fromkeys(flat)))


# ------------------------------------------------------------------ needles


def _longest(text: str, ascii_only: bool) -> tuple[int, int] | None:
    runs = verbatim_runs(text, ascii_only)
    return max(runs, key=lambda r: r[1] - r[0]) if runs else None


def whole_string(text: str, folded: bool = False) -> MaybeCondition:
    """A string of the run equals ``text``: its longest verbatim run, with the quote on each side
    where the run reaches that end of the string (so ``"llm"`` for ``llm``)."""
    if folded:
        text = text.lower()
    if text == "":
        return Needle(b'""', folded)
    run = _longest(text, folded)
    if run is None:
        return None
    start, end = run
    needle = ('"' if start == 0 else "") + text[start:end] + ('"' if end == len(text) else "")
    return Needle(needle.encode("utf-8"), folded)


def inside_string(text: str, folded: bool = False) -> MaybeCondition:
    """A string of the run holds ``text``: its longest verbatim run (ASCII only when ``folded``)."""
    if folded:
        text = text.lower()
    run = _longest(text, folded)
    if run is None:
        return None
    return Needle(text[run[0]:run[1]].encode("utf-8"), folded)


def _like_pieces(pattern: str) -> list[str]:
    """The literal pieces every value matching LIKE ``pattern`` holds."""
    return [item for segment in parse_like(pattern).segments for item in segment if item]


def _longest_needle(conditions: list[MaybeCondition]) -> MaybeCondition:
    needles = [c for c in conditions if isinstance(c, Needle)]
    return max(needles, key=lambda n: len(n.text)) if needles else None


def _in_some_string(texts: list[str], folded: bool = False) -> MaybeCondition:
    """Every one of ``texts`` is inside some string of the run: the longest needle among them (one suffices)."""
    return _longest_needle([inside_string(t, folded) for t in texts])


# ------------------------------------------------------------------ readings
#: Readings whose string value is a string of the line: ``(folded)``. ``run_type`` and ``status``
#: are lowered when the run is in the v2 shape.
_FOLDED_COLUMNS = frozenset({"run_type", "status"})


def _string_reading(reading: p.Reading) -> bool | None:
    """Whether ``reading`` needs folding when it is a string of the line; None: not a string of the line."""
    if isinstance(reading, p.ThreadKey):
        return False
    if isinstance(reading, p.Column) and reading.type in (FieldType.STRING, FieldType.ENUM):
        return reading.name in _FOLDED_COLUMNS
    return None


def _compare(node: p.Compare) -> MaybeCondition:
    folded = _string_reading(node.reading)
    if folded is None or node.op != "eq" or node.value.__class__ is not str:
        return None
    return whole_string(node.value, folded)


def _in_set(node: p.InSet) -> MaybeCondition:
    folded = _string_reading(node.reading)
    if folded is None or not all(v.__class__ is str for v in node.values):
        return None
    return either([whole_string(v, folded) for v in node.values])


def _like(node: p.Like) -> MaybeCondition:
    folded = _string_reading(node.reading)
    if folded is None or node.negated:
        return None
    return _in_some_string(_like_pieces(node.pattern), folded)


# ------------------------------------------------------------ key/value families

#: A string that may be the JSON text of a number or a boolean (which a family value is compared as).
_MAYBE_JSON_TEXT = re.compile(r"[-+.0-9eE]*|true|false")


def _key(family: str, key: str) -> MaybeCondition:
    """An entry of ``family`` has exactly ``key``. A feedback key is one string; an object family's
    key joins the keys on the path with dots, so each dot-free piece lies inside one of them, and a
    dotless key is a whole key."""
    if family == "feedback" or "." not in key:
        return whole_string(key)
    return _in_some_string(key.split("."))


def _key_holds(family: str, pieces: list[str]) -> MaybeCondition:
    """An entry key of ``family`` holds each of ``pieces`` (split at dots unless feedback)."""
    if family != "feedback":
        pieces = [part for piece in pieces for part in piece.split(".")]
    return _in_some_string(pieces)


def _value_equals(value: Any) -> MaybeCondition:
    """A family value equals ``value`` (a string meets a number's or boolean's JSON text too)."""
    if value.__class__ is not str or _MAYBE_JSON_TEXT.fullmatch(value):
        return None
    return whole_string(value)


def _entry_compare(family: str, test: p.EntryCompare) -> MaybeCondition:
    if test.op != "eq" or test.value is None:
        return None
    if test.slot == "key":
        return _key(family, test.value) if test.value.__class__ is str else None
    return _value_equals(test.value) if test.slot == "value" else None


def _entry_in(family: str, test: p.EntryIn) -> MaybeCondition:
    if test.slot == "key":
        return either([_key(family, v) if v.__class__ is str else None for v in test.values])
    return either([_value_equals(v) for v in test.values]) if test.slot == "value" else None


def _entry_like(family: str, test: p.EntryLike) -> MaybeCondition:
    if test.negated:
        return None
    pieces = _like_pieces(test.pattern)
    if test.slot == "key":
        return _key_holds(family, pieces)
    # A value is matched by its JSON text: a piece with a character no number's text has is in a
    # string, or in true/false, which the line spells as is.
    return _in_some_string([t for t in pieces if not _MAYBE_JSON_TEXT.fullmatch(t)])


_ENTRY_TESTS: dict[type, Callable[[str, Any], MaybeCondition]] = {
    p.EntryCompare: _entry_compare,
    p.EntryIn: _entry_in,
    p.EntryLike: _entry_like,
}


def _source(source: p.EntrySource) -> MaybeCondition:
    return None if isinstance(source, p.Entries) else _key(source.family, source.key)


def _entry_exists(node: p.EntryExists) -> MaybeCondition:
    family = node.source.family
    return both([_source(node.source)] + [_ENTRY_TESTS[type(t)](family, t) for t in node.tests])


def _has_leaves(node: p.HasLeaves) -> MaybeCondition:
    parts: list[MaybeCondition] = []
    for key, value in node.leaves:  # the value's JSON type must match: a string is a string
        parts.append(_key("metadata", key))
        parts.append(whole_string(value) if value.__class__ is str else None)
    return both(parts)


def _search(node: p.Search) -> MaybeCondition:
    return both([inside_string(term, folded=True) for term in node.terms])


def _nothing(node: Any) -> MaybeCondition:
    return None


#: One rule per plan node type (a test checks it covers :data:`filterql.plan.PLAN_NODES`).
RULES: dict[type, Callable[[Any], MaybeCondition]] = {
    p.All: lambda node: both([line_condition(part) for part in node.parts]),
    p.AnyOf: lambda node: either([line_condition(part) for part in node.parts]),
    p.Not: _nothing,
    p.Constant: lambda node: None if node.value else NEVER,
    p.Compare: _compare,
    p.IsNull: _nothing,
    p.InSet: _in_set,
    p.Like: _like,
    p.IsRoot: _nothing,
    p.TagsAny: lambda node: either([whole_string(v) for v in node.values]),
    p.TagHas: lambda node: whole_string(node.value),
    p.HasLeaves: _has_leaves,
    p.KeyPresent: lambda node: _key_holds(node.family, [node.key]),
    p.Search: _search,
    p.EntryExists: _entry_exists,
    p.NoEntry: _nothing,
}


def line_condition(node: p.Plan) -> MaybeCondition:
    """What the bytes of a run's JSONL line must hold for the run to match ``node``; None: nothing."""
    rule = RULES.get(type(node))
    if rule is None:
        raise TypeError(f"line_prefilter: no rule for node {type(node).__name__}")
    return rule(node)


# --------------------------------------------------------------------- build


def _needles(condition: Condition) -> list[Needle]:
    if isinstance(condition, Needle):
        return [condition]
    return [n for part in condition.parts for n in _needles(part)]


def _source_of(condition: Condition, names: dict[bytes, str]) -> str:
    if isinstance(condition, Needle):
        return f"{names[condition.text]} in {'low' if condition.folded else 'raw'}"
    if not condition.parts:
        return "False"
    joiner = " and " if isinstance(condition, Both) else " or "
    return "(" + joiner.join(_source_of(part, names) for part in condition.parts) + ")"


def _anchor_choices(condition: Condition) -> list[list[Needle]]:
    """Sets of needles, each such that every line meeting ``condition`` holds one of its needles: all of
    an ``or``'s (one set from each part), or any part's set for an ``and``."""
    if isinstance(condition, Needle):
        return [[condition]]
    if isinstance(condition, Either):
        return [[n for part in condition.parts for n in _anchor_choices(part)[0]]]
    return [choice for part in condition.parts for choice in _anchor_choices(part)][:_MAX_CHOICES]


#: How many anchor sets a reader may compare on the first block.
_MAX_CHOICES = 4


def line_test(condition: MaybeCondition) -> Callable[[bytes], bool] | None:
    """``test(raw) -> bool`` (a :data:`filterql.run_files.LineTest`), false only for a line that cannot
    meet ``condition``; None when every line may (no condition).

    ``test.anchor_choices`` lists pairs ``(anchors, folded_anchors)`` (for an ``and``, one per part):
    every line the test passes holds one of ``anchors``, or one of ``folded_anchors`` once lowered
    (the escapes that let a line pass are anchors), so a reader may look for the pair rarest in its
    data. ``test.anchors_decide``: every line holding an anchor passes (no need to call the test).
    """
    if condition is None:
        return None
    needles = _needles(condition)
    names = {text: f"_n{i}" for i, text in enumerate(dict.fromkeys(n.text for n in needles))}
    namespace: dict[str, Any] = {name: text for text, name in names.items()}
    # A line with an escape, or with a character that lowers into ASCII a folded needle holds, passes.
    escapes = ["(b'\\\\' in raw and b'\\\\u' in raw)"]
    anchors = [b"\\u"]
    folded = "".join(n.text.decode() for n in needles if n.folded)
    for char, lowered in LOWERS_INTO_ASCII.items():
        if lowered in folded:
            escapes.append(f"{char.encode('utf-8')!r} in raw")
            anchors.append(char.encode("utf-8"))
    lines = ["def _test(raw):"]
    if folded:
        lines.append("    low = raw.lower()")
    lines.append(f"    return {_source_of(condition, names)} or {' or '.join(escapes)}")
    exec(builtins.compile("\n".join(lines) + "\n", "<filterql-prefilter>", "exec"), namespace)  # noqa: S102
    test: Callable[[bytes], bool] = namespace["_test"]
    test.source = "\n".join(lines)  # type: ignore[attr-defined]
    test.anchor_choices = tuple(  # type: ignore[attr-defined]
        (tuple(dict.fromkeys([n.text for n in choice if not n.folded] + anchors)),
         tuple(dict.fromkeys(n.text for n in choice if n.folded)))
        for choice in _anchor_choices(condition))
    # A needle, or an or of needles: a line holding an anchor passes, no need to test it again.
    test.anchors_decide = isinstance(condition, Needle) or isinstance(condition, Either) and all(  # type: ignore[attr-defined]
        isinstance(part, Needle) for part in condition.parts)
    return test
