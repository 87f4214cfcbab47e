"""Reading fields out of a run, as the docs/semantics.md defines them.

A run is a ``dict`` in LangSmith's run JSON (SPEC §4); a ``langsmith`` ``Run``
object (or any pydantic model) is normalised once through its JSON dict form by
:func:`as_dict`. Every accessor is tolerant of the types ``Run.dict()`` leaves
behind (``UUID``, ``datetime``, ``Decimal``) so a plain ``run.dict()`` works too.

Derived values that several conditions may need (flattened families, the search
haystack) are cached per run in a plain ``dict`` the compiled predicate creates
once per call; the evaluator's generated code calls these functions directly.
"""

from __future__ import annotations

import operator
import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from itertools import repeat
from typing import Any, Callable, Iterator

from .catalog import DECIMAL_DIGITS, RUN_FIELDS, FieldType
from .coerce import parse_iso, parse_isos

__all__ = [
    "MISSING", "as_dict", "as_dicts", "timestamp", "timestamp_us", "timestamps_us", "start_times_us", "latency_us", "number", "integer", "json_number", "family_number", "json_text",
    "metadata", "thread_id", "flatten", "key_values", "entries", "entry_index",
    "search_haystack", "search_found", "uuid_equal", "uuid_text", "own_uuid_texts", "REQUIRED", "TIMESTAMP_COLUMNS", "is_v2", "any_v2", "from_v2", "normalize",
]

#: Fields every run must have: the catalog's non-nullable run fields read straight from the run JSON.
REQUIRED = tuple(f.source for f in RUN_FIELDS.values() if not f.nullable and f.source is not None)
#: The run JSON's top-level timestamp fields.
TIMESTAMP_COLUMNS = tuple(f.source for f in RUN_FIELDS.values()
                          if f.type is FieldType.TIMESTAMP and f.source is not None and "." not in f.source)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: A key that is absent (distinct from JSON null).
MISSING: Any = _Missing()
_EMPTY: dict[str, Any] = {}
_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def as_dict(run: Any) -> dict[str, Any]:
    """The run JSON of ``run``: a dict as is, a pydantic model (``langsmith`` Run) via its JSON dump."""
    if type(run) is dict:
        return run
    if isinstance(run, dict):
        return dict(run)
    dump = getattr(run, "model_dump", None)
    if dump is not None:
        d = dump(mode="json")  # a v2 langsmith.types.Run dumps to the v2 shape
        return from_v2(d) if is_v2(d) else d
    as_legacy = getattr(run, "dict", None)
    if as_legacy is not None:
        return as_legacy()
    raise TypeError(f"a run must be a dict in LangSmith run JSON or a langsmith Run, not {type(run).__name__}")


def as_dicts(runs: list[Any]) -> list[dict[str, Any]]:
    """:func:`as_dict` of each run: ``runs`` itself when every one is a plain dict."""
    return runs if set(map(type, runs)) <= {dict} else list(map(as_dict, runs))


# ------------------------------------------------------------ v2 runs

#: Upper-case values of the v2 ``Run`` model (langsmith/types/run.py, run_type.py).
_V2_RUN_TYPES = frozenset({"TOOL", "CHAIN", "LLM", "RETRIEVER", "EMBEDDING", "PROMPT", "PARSER"})
_V2_STATUSES = frozenset({"SUCCESS", "ERROR", "PENDING", "INTERRUPTED"})
#: Keys only the v2 ``Run`` model has.
_V2_KEYS = frozenset({"latency_seconds", "project_id", "parent_run_ids", "is_in_dataset"})


def is_v2(run: dict[str, Any]) -> bool:
    """Whether ``run`` is in the v2 ``Run`` shape (upper-case run_type or status, or a v2-only key)."""
    return (_text_in(run.get("run_type"), _V2_RUN_TYPES) or _text_in(run.get("status"), _V2_STATUSES)
            or not _V2_KEYS.isdisjoint(run) or ("metadata" in run and "extra" not in run))


def _text_in(value: Any, texts: frozenset[str]) -> bool:
    return value.__class__ is str and value in texts  # a list or an object is no run_type, and unhashable


def any_v2(runs: list[dict[str, Any]]) -> bool:
    """Whether any of ``runs`` is in the v2 shape (:func:`is_v2`), tested in C loops."""
    try:
        return (not _V2_RUN_TYPES.isdisjoint(map(dict.get, runs, repeat("run_type")))
                or not _V2_STATUSES.isdisjoint(map(dict.get, runs, repeat("status")))
                or not all(map(_V2_KEYS.isdisjoint, runs))
                or any(map(operator.contains, runs, repeat("metadata"))) and any(map(is_v2, runs)))
    except TypeError:  # an unhashable run_type or status: the runs one by one
        return any(map(is_v2, runs))


def from_v2(run: dict[str, Any]) -> dict[str, Any]:
    """A v2 ``Run`` dict in the run JSON of SPEC §4 (a new dict; v1 keys already present win).

    Lower-case ``run_type``/``status``; top-level ``metadata`` → ``extra.metadata``;
    ``project_id`` → ``session_id``; the last of ``parent_run_ids`` → ``parent_run_id``;
    ``end_time`` from ``start_time + latency_seconds`` when absent; ``is_in_dataset`` →
    ``in_dataset``. The v2 keys stay, so a projection can still show them.
    """
    d = dict(run)
    for key in ("run_type", "status"):
        value = d.get(key)
        if value.__class__ is str:
            d[key] = value.lower()
    meta = d.get("metadata")
    if meta.__class__ is dict:
        extra = d.get("extra")
        extra = dict(extra) if extra.__class__ is dict else {}
        extra.setdefault("metadata", meta)
        d["extra"] = extra
    if d.get("session_id") is None and d.get("project_id") is not None:
        d["session_id"] = d["project_id"]
    parents = d.get("parent_run_ids")
    if "parent_run_id" not in d and parents.__class__ is list:
        d["parent_run_id"] = parents[-1] if parents else None
    if d.get("end_time") is None and d.get("latency_seconds") is not None:
        start = timestamp(d.get("start_time"))
        seconds = number(d["latency_seconds"])
        if start is not None and seconds is not None:
            try:
                d["end_time"] = (start + timedelta(microseconds=int(round(seconds * 1_000_000)))).isoformat()
            except OverflowError:  # an end past year 9999 (or before year 1): none a run can hold
                pass
    if "in_dataset" not in d and "is_in_dataset" in d:
        d["in_dataset"] = d["is_in_dataset"]
    return d


def normalize(run: Any) -> dict[str, Any]:
    """:func:`as_dict`, then :func:`from_v2` when the run is in the v2 shape (input boundaries only:
    the compiled predicate reads v1 run JSON and does not test each run)."""
    d = as_dict(run)
    return from_v2(d) if is_v2(d) else d


# ------------------------------------------------------------ timestamps

def timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime, or None for null, missing or unreadable values. No offset means UTC."""
    if value.__class__ is str:
        try:
            t = parse_iso(value)
        except ValueError:
            return None
    elif isinstance(value, datetime):
        t = value
    else:
        return None
    if t.tzinfo is None:
        return t.replace(tzinfo=timezone.utc)
    if t.tzinfo is not timezone.utc:
        try:
            return t.astimezone(timezone.utc)
        except OverflowError:  # the offset carries it out of years 1 to 9999
            return None
    return t


def timestamp_us(value: Any) -> int | None:
    """:func:`timestamp` as microseconds since the epoch, or None."""
    t = timestamp(value)
    return None if t is None else (t - _EPOCH) // _US


def timestamps_us(values: list[Any], parse: Callable[[list[Any]], list[datetime] | None] = parse_isos,
                  ) -> list[int] | None:
    """:func:`timestamp_us` of each value, in C loops, when every value is a text of a common shape
    (:func:`~filterql.coerce.parse_isos`, or ``parse``, which reads what it reads) and all or none of
    them say ``Z``; else None."""
    times = parse(values)
    if not times:
        return times
    zones = set(map(operator.attrgetter("tzinfo"), times))
    epoch = _NAIVE_EPOCH if zones == {None} else _EPOCH if zones == {timezone.utc} else None
    if epoch is None:
        return None
    return list(map(operator.floordiv, map(operator.sub, times, repeat(epoch)), repeat(_US)))


def start_times_us(values: list[Any], parse: Callable[[list[Any]], list[datetime] | None] = parse_isos,
                   ) -> list[int | None]:
    """:func:`timestamp_us` of each value: by :func:`timestamps_us` (with ``parse``) when it can."""
    fast = timestamps_us(values, parse)
    return fast if fast is not None else list(map(timestamp_us, values))


def latency_us(run: dict[str, Any]) -> int | None:
    """``end_time − start_time`` in whole microseconds (exact), or None while ``end_time`` is null."""
    end = timestamp(run.get("end_time"))
    if end is None:
        return None
    start = timestamp(run.get("start_time"))
    if start is None:
        return None
    return (end - start) // _US


# --------------------------------------------------------------- numbers


def json_number(value: Any) -> int | Decimal | None:
    """A JSON number leaf (never a bool, never a string), exactly: a float by its shortest text."""
    cls = value.__class__
    if cls is int:
        return value
    if cls is float:
        return Decimal(repr(value)) if value - value == 0 else None
    if cls is Decimal:
        return value if value.is_finite() else None
    return None


_FAMILY_LIMIT = 10 ** DECIMAL_DIGITS[0]


def family_number(value: Any) -> int | Decimal | None:
    """A family value as number comparisons read it: :func:`json_number`, when it has at most
    ``DECIMAL_DIGITS`` digits before and after the point, else None (its JSON text still matches)."""
    n = json_number(value)
    if n is None or abs(n) >= _FAMILY_LIMIT:
        return None
    if n.__class__ is not int and n and n.normalize().as_tuple().exponent < -DECIMAL_DIGITS[1]:  # type: ignore[union-attr]
        return None
    return n


def number(value: Any) -> int | Decimal | None:
    """A numeric run field (tokens, costs): a JSON number, or a numeric string (the API sends costs so)."""
    if value.__class__ is not str:
        return json_number(value)
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


_INT64_LOW, _INT64_HIGH = -(2**63), 2**63 - 1


def integer(value: Any) -> int | None:
    """An integer run field (token counts): a whole JSON number within signed 64 bits (``5``, ``5.0``,
    ``1e3``), as the server stores them; anything else (``1.5``, ``1e30``, a string) reads as null."""
    cls = value.__class__
    if cls is int:
        return value if _INT64_LOW <= value <= _INT64_HIGH else None
    if cls is float or cls is Decimal:
        whole = value.is_integer() if cls is float else value.is_finite() and value == value.to_integral_value()
        if not whole or not -9.3e18 < value < 9.3e18:  # before int(), which would expand a huge exponent
            return None
        n = int(value)
        return n if _INT64_LOW <= n <= _INT64_HIGH else None
    return None


def json_text(value: Any) -> str | None:
    """The text a leaf is indexed as: a string itself, ``true``/``false``, a number's shortest plain form."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is bool:
        return "true" if value else "false"
    n = json_number(value)
    if n is None:
        return None
    if n.__class__ is int:
        return str(n)
    text = format(n.normalize(), "f")
    return text


# -------------------------------------------------------------------- uuids


#: UUID texts every engine reads: 32 hex digits, any case, hyphens anywhere, optionally in braces.
_UUID_SPELLING = re.compile(r"\{[0-9A-Fa-f-]+\}|[0-9A-Fa-f-]+")


def uuid_text(value: Any) -> str | None:
    """The canonical (lowercase, hyphenated) text of a UUID value, or None."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if value.__class__ is str:
        if len(value) == 36 and value == value.lower():
            return value
        if not _UUID_SPELLING.fullmatch(value):  # e.g. "urn:uuid:...": the SQL engines do not read it
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return None
    return None


def own_uuid_texts(values: list[Any]) -> bool:
    """Whether every value is its own :func:`uuid_text` by its first rule (a lowercase text of 36
    characters), tested in C loops."""
    try:
        return set(map(len, values)) <= {36} and list(map(str.lower, values)) == values
    except TypeError:  # a value that is not a str
        return False


def uuid_equal(value: Any, canonical: str) -> bool:
    """``value`` (already known not to equal ``canonical`` as text) is the same UUID written differently."""
    if value is None:
        return False
    return uuid_text(value) == canonical


# ----------------------------------------------------------------- objects


def metadata(run: dict[str, Any]) -> dict[str, Any]:
    """``extra.metadata`` as a dict (empty when absent or not an object)."""
    extra = run.get("extra")
    if extra.__class__ is not dict:
        return _EMPTY
    meta = extra.get("metadata")
    return meta if meta.__class__ is dict else _EMPTY


def thread_id(run: dict[str, Any]) -> Any:
    """The first non-null of metadata ``thread_id``, ``session_id``, ``conversation_id``, then the
    run's own ``thread_id`` (a v2 run, or a thread summary, carries it at the top level)."""
    meta = metadata(run)
    if meta:
        for key in ("thread_id", "session_id", "conversation_id"):
            value = meta.get(key)
            if value is not None:
                return value
    return run.get("thread_id")


def flatten(obj: Any) -> list[tuple[str, Any]]:
    """(dotted key, leaf) entries of a JSON object; arrays collapse onto their parent key at any depth.

    Iterative, so a deeply nested document cannot exhaust the recursion limit.
    """
    out: list[tuple[str, Any]] = []
    if obj.__class__ is not dict:
        return out
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in reversed(obj.items())]
    while stack:
        key, value = stack.pop()
        cls = value.__class__
        if cls is dict:
            stack.extend((f"{key}.{k}", v) for k, v in reversed(value.items()))
        elif cls is list or cls is tuple:
            stack.extend((key, v) for v in reversed(value))
        else:
            out.append((key, value))
    return out


def key_values(obj: dict[str, Any], key: str) -> Iterator[Any]:
    """The leaves of entry ``key`` (no dot in it) of object ``obj``, without flattening the rest."""
    value = obj.get(key, MISSING)
    if value is MISSING or value.__class__ is dict:
        return
    if value.__class__ is not list and value.__class__ is not tuple:
        yield value
        return
    stack = [value]
    while stack:
        for item in stack.pop():
            if item.__class__ is list or item.__class__ is tuple:
                stack.append(item)
            elif item.__class__ is not dict:
                yield item


def _feedback(run: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    items = run.get("feedback")
    if items is not None:
        out = []
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                score = item.get("score")
                score = int(score) if score.__class__ is bool else number(score)
                key = item.get("key")
                out.append((key if key.__class__ is str else None, score, item.get("value")))
        return out
    stats = run.get("feedback_stats")
    if stats.__class__ is not dict:
        return []
    out = []
    for key, stat in stats.items():
        avg = stat.get("avg") if stat.__class__ is dict else None
        out.append((key, int(avg) if avg.__class__ is bool else number(avg), None))
    return out


def entries(run: dict[str, Any], cache: dict[Any, Any], family: str) -> list[tuple[Any, ...]]:
    """The entries of a key/value family: (key, value), or (key, score, value) for feedback. Cached."""
    found = cache.get(family)
    if found is None:
        if family == "metadata":
            found = flatten(metadata(run))
        elif family == "input":
            found = flatten(run.get("inputs"))
        elif family == "output":
            found = flatten(run.get("outputs"))
        elif family == "feedback":
            found = _feedback(run)
        else:
            raise ValueError(f"unknown family {family!r}")
        cache[family] = found
    return found


def entry_index(run: dict[str, Any], cache: dict[Any, Any], family: str) -> dict[Any, list[tuple[Any, ...]]]:
    """The family's entries grouped by key. Cached."""
    slot = (family, "index")
    found = cache.get(slot)
    if found is None:
        found = {}
        for entry in entries(run, cache, family):
            found.setdefault(entry[0], []).append(entry)
        cache[slot] = found
    return found


# ------------------------------------------------------------------ search

def _string_leaves(obj: Any, out: list[str]) -> None:
    """Append every string leaf of a JSON document (order irrelevant; iterative for deep documents)."""
    stack = [obj]
    pop, many, add = stack.pop, stack.extend, out.append
    while stack:
        value = pop()
        cls = value.__class__
        if cls is str:
            add(value)
        elif cls is dict:
            many(value.values())
        elif cls is list or cls is tuple:
            many(value)


def _object(value: Any) -> Any:
    """``inputs``/``outputs`` as searched: a JSON object, or nothing (as ``flatten`` and the SQL layout see them)."""
    return value if value.__class__ is dict else _EMPTY


def _search_groups(run: dict[str, Any], field: str | None) -> Iterator[list[str]]:
    """The searchable strings of ``run`` (or of one field), in groups, the cheapest to gather first."""
    if field is None:
        out = [value for value in (run.get("name"), run.get("error")) if value.__class__ is str]
        tags = run.get("tags")
        if tags.__class__ is list:
            out.extend(t for t in tags if t.__class__ is str)
        yield out
        for document in (_object(run.get("inputs")), _object(run.get("outputs")), metadata(run)):
            out = []
            _string_leaves(document, out)
            yield out
    elif field in ("name", "error", "thread_id"):
        value = thread_id(run) if field == "thread_id" else run.get(field)
        yield [value] if value.__class__ is str else []
    elif field == "tags":
        tags = run.get("tags")
        yield [t for t in tags if t.__class__ is str] if tags.__class__ is list else []
    else:
        out = []
        _string_leaves(metadata(run) if field == "metadata" else _object(run.get(field)), out)
        yield out


def _joined(values: list[str], limit: int | None) -> str:
    """``values`` (each cut to ``limit`` characters) lowercased and joined by newlines.

    A term never holds whitespace, so it cannot match across two values. Lowering the joined text
    equals joining lowered values: "\n" ends a word for final sigma too.
    """
    return "\n".join(values if limit is None else [v[:limit] for v in values]).lower()


def search_haystack(run: dict[str, Any], cache: dict[Any, Any], field: str | None, limit: int | None) -> str:
    """The searchable strings of ``run`` (or of one field), lowercased and joined by newlines; ``limit``
    keeps only the first characters of each value. Cached per run, for several searches to share."""
    slot = ("search", field, limit)
    found = cache.get(slot)
    if found is None:
        found = cache[slot] = _joined([v for group in _search_groups(run, field) for v in group], limit)
    return found


def search_found(run: dict[str, Any], terms: tuple[str, ...], field: str | None, limit: int | None) -> bool:
    """Whether every (lower-case) term is in :func:`search_haystack`, looked for one group of strings at
    a time, stopping once all are found: a run that names the term skips walking its documents."""
    if len(terms) == 1:  # the usual search: one term
        term = terms[0]
        return any(term in _joined(group, limit) for group in _search_groups(run, field))
    left = terms
    for group in _search_groups(run, field):
        hay = _joined(group, limit)
        left = tuple(t for t in left if t not in hay)
        if not left:
            return True
    return False


