"""The field catalog: every run field, its type, and what may be done with it.

This is a table, not logic. To add a field, add one :class:`FieldSpec` row to
``FIELDS``; the validator, evaluator and SQL backends all read it from here.
Facts about what the LangSmith servers reject live in ``SERVER_RULES`` with
the source of each.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Mapping

import attrs

__all__ = [
    "FieldType", "FieldSpec", "FIELDS", "FAMILIES", "Family", "OBJECT_FAMILIES", "OPERATORS", "CONTEXTS",
    "RUN_CONTEXTS", "RUN_FIELDS", "THREAD_FIELDS",
    "RUN_TYPES", "STATUSES", "lookup", "field_names",
    "PROFILES", "ServerRule", "SERVER_RULES", "MAX_LIST_RUNS_LIMIT", "DECIMAL_DIGITS",
]

#: Contexts whose filter is evaluated against a run.
RUN_CONTEXTS = ("filter", "trace_filter", "tree_filter")
#: Every filter context: the run contexts, and ``thread_filter`` (threads.query, SPEC §10), evaluated
#: against a thread summary (the SDK's ``Thread`` model, langsmith/types/thread.py).
CONTEXTS = RUN_CONTEXTS + ("thread_filter",)
_ALL = CONTEXTS
_THREAD = ("thread_filter",)


class FieldType(enum.Enum):
    UUID = "uuid"
    STRING = "string"
    ENUM = "enum"
    TIMESTAMP = "timestamp"
    SECONDS = "seconds"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    STRING_LIST = "list of strings"
    OBJECT = "object"
    FAMILY_KEY = "key"            # a key of a key/value family (string)
    FAMILY_VALUE = "value"        # a JSON value of a family entry
    FAMILY_SCORE = "score"        # a feedback score (number)


_ORDER = frozenset({"eq", "neq", "gt", "gte", "lt", "lte"})
_EQ = frozenset({"eq", "neq"})
_TEXT = frozenset({"eq", "neq", "in", "like", "notlike", "search"})

#: Which functions apply to a field of each type (``search`` means ``search(field, text)``).
OPERATORS: Mapping[FieldType, frozenset[str]] = MappingProxyType({
    FieldType.UUID: _EQ | {"in"},
    FieldType.STRING: _TEXT,
    FieldType.ENUM: _TEXT - {"search"},
    FieldType.TIMESTAMP: _ORDER,
    FieldType.SECONDS: _ORDER,
    FieldType.INTEGER: _ORDER | {"in"},
    FieldType.DECIMAL: _ORDER | {"in"},
    FieldType.BOOLEAN: _EQ,
    FieldType.STRING_LIST: frozenset({"has", "in", "search"}),
    FieldType.OBJECT: frozenset({"has", "exists", "search"}),
    FieldType.FAMILY_KEY: frozenset({"eq", "neq", "in", "like", "notlike"}),
    FieldType.FAMILY_VALUE: _ORDER | {"in", "like", "notlike"},
    FieldType.FAMILY_SCORE: _ORDER | {"in"},
})

RUN_TYPES = ("llm", "chain", "tool", "retriever", "embedding", "prompt", "parser")
STATUSES = ("success", "error", "pending", "interrupted")

#: The exact numbers of costs, family values and feedback scores, on every engine: at most 20 digits
#: before the point and 18 after, what DECIMAL(38, 18) holds (docs/semantics.md, Numbers).
DECIMAL_DIGITS = (20, 18)


#: A catalog row: one object per field, family or rule, so identity is its equality (and attrs
#: generates no __eq__/__hash__, a third of this module's import time).
_row = attrs.frozen(eq=False)


@_row
class FieldSpec:
    """One run field.

    ``source`` is the dotted path of the field in LangSmith's run JSON, or
    ``None`` for a derived field (latency, is_root, thread_id, families).
    ``nullable`` is False only for fields every run has (a run source rejects
    runs without them), which is what lets the optimizer push ``not`` inward.
    ``family`` names the key/value family a family member belongs to.
    """

    name: str
    type: FieldType
    source: str | None
    nullable: bool = True
    family: str | None = None
    choices: tuple[str, ...] = ()
    contexts: tuple[str, ...] = RUN_CONTEXTS
    doc: str = ""
    #: Functions that take this field; by default those of its type.
    operators: frozenset[str] = attrs.field()

    @operators.default
    def _type_operators(self) -> frozenset[str]:
        return OPERATORS[self.type]


@_row
class Family:
    """A key/value family (SPEC §5): entries are (key, value) or (key, score, value).

    ``source`` is where the entries are in LangSmith's run JSON; ``object`` is the
    filter field holding the same document (``inputs`` for the ``input`` family),
    None when there is none (feedback).
    """

    name: str
    key: str
    values: tuple[str, ...]
    source: str
    object: str | None = None


def _f(name: str, type_: FieldType, source: str | None, **kw: object) -> FieldSpec:
    return FieldSpec(name, type_, source, **kw)  # type: ignore[arg-type]


T = FieldType
_ROWS = [
    _f("id", T.UUID, "id", nullable=False, doc="the run's id"),
    _f("trace_id", T.UUID, "trace_id", nullable=False, contexts=_ALL,
       doc="the id of the trace's root run; in a thread summary its last trace"),
    _f("parent_run_id", T.UUID, "parent_run_id", doc="null for a root run"),
    _f("reference_example_id", T.UUID, "reference_example_id"),
    _f("session_id", T.UUID, "session_id", doc="the tracing project"),
    _f("name", T.STRING, "name", nullable=False),
    _f("run_type", T.ENUM, "run_type", nullable=False, choices=RUN_TYPES),
    _f("status", T.ENUM, "status", choices=STATUSES),
    _f("start_time", T.TIMESTAMP, "start_time", nullable=False, contexts=_ALL,
       doc="in a thread summary: its latest trace's start_time (the threads.query sort key)"),
    _f("end_time", T.TIMESTAMP, "end_time", doc="null while the run is in progress"),
    _f("first_token_time", T.TIMESTAMP, "first_token_time"),
    _f("latency", T.SECONDS, None, doc="end_time - start_time, null without end_time"),
    _f("total_tokens", T.INTEGER, "total_tokens", contexts=_ALL, doc="in a thread summary: the sum over its traces"),
    _f("prompt_tokens", T.INTEGER, "prompt_tokens"),
    _f("completion_tokens", T.INTEGER, "completion_tokens"),
    _f("total_cost", T.DECIMAL, "total_cost", contexts=_ALL, doc="in a thread summary: the sum over its traces"),
    _f("prompt_cost", T.DECIMAL, "prompt_cost"),
    _f("completion_cost", T.DECIMAL, "completion_cost"),
    _f("error", T.STRING, "error", doc="null unless the run errored"),
    _f("execution_order", T.INTEGER, "execution_order", doc="deprecated"),
    _f("tags", T.STRING_LIST, "tags"),
    _f("is_root", T.BOOLEAN, None, nullable=False, doc="parent_run_id is null"),
    _f("in_dataset", T.BOOLEAN, "in_dataset"),
    _f("thread_id", T.STRING, None, contexts=_ALL,
       doc="first of metadata thread_id, session_id, conversation_id, then the run's own thread_id (v2)"),
    _f("metadata", T.OBJECT, "extra.metadata"),
    # has(...) takes tags or metadata only (SPEC §3).
    # like/notlike on inputs/outputs: some (no) leaf matches, as like(input_value, ...) alone (issue 15).
    _f("inputs", T.OBJECT, "inputs", operators=OPERATORS[T.OBJECT] - {"has"} | {"like", "notlike"}),
    _f("outputs", T.OBJECT, "outputs", operators=OPERATORS[T.OBJECT] - {"has"} | {"like", "notlike"}),
    _f("metadata_key", T.FAMILY_KEY, None, family="metadata"),
    _f("metadata_value", T.FAMILY_VALUE, None, family="metadata"),
    _f("input_key", T.FAMILY_KEY, None, family="input"),
    _f("input_value", T.FAMILY_VALUE, None, family="input"),
    _f("output_key", T.FAMILY_KEY, None, family="output"),
    _f("output_value", T.FAMILY_VALUE, None, family="output"),
    _f("feedback_key", T.FAMILY_KEY, None, family="feedback", contexts=_ALL),
    _f("feedback_score", T.FAMILY_SCORE, None, family="feedback", contexts=_ALL,
       doc="in a thread summary: the mean score of the key over its traces' root runs"),
    _f("feedback_value", T.FAMILY_VALUE, None, family="feedback", contexts=_ALL),
    # The thread summary's own scalars (thread_filter only): the SDK's Thread model
    # (langsmith/types/thread.py), computed as README "Moving to the v2 API" says.
    _f("count", T.INTEGER, "count", nullable=False, contexts=_THREAD, doc="traces in the thread (in the window)"),
    _f("num_errored_turns", T.INTEGER, "num_errored_turns", nullable=False, contexts=_THREAD,
       doc="traces whose root run errored"),
    _f("min_start_time", T.TIMESTAMP, "min_start_time", nullable=False, contexts=_THREAD,
       doc="the first trace's start_time"),
    _f("max_start_time", T.TIMESTAMP, "max_start_time", nullable=False, contexts=_THREAD,
       doc="the last trace's start_time"),
    _f("first_trace_id", T.UUID, "first_trace_id", nullable=False, contexts=_THREAD),
    _f("last_trace_id", T.UUID, "last_trace_id", nullable=False, contexts=_THREAD),
    _f("first_inputs", T.STRING, "first_inputs", contexts=_THREAD, doc="preview of the first trace's inputs"),
    _f("last_outputs", T.STRING, "last_outputs", contexts=_THREAD, doc="preview of the last trace's outputs"),
    _f("last_error", T.STRING, "last_error", contexts=_THREAD, doc="preview of the latest errored trace's error"),
    _f("latency_p50", T.DECIMAL, "latency_p50", contexts=_THREAD, doc="median trace latency, seconds"),
    _f("latency_p99", T.DECIMAL, "latency_p99", contexts=_THREAD, doc="99th percentile trace latency, seconds"),
]
del T

#: Every field by name (run fields and thread-summary fields; ``FieldSpec.contexts`` says where each applies).
FIELDS: Mapping[str, FieldSpec] = MappingProxyType({f.name: f for f in _ROWS})

#: The key/value families of SPEC §5, by family name.
FAMILIES: Mapping[str, Family] = MappingProxyType({
    "metadata": Family("metadata", "metadata_key", ("metadata_value",), "extra.metadata", "metadata"),
    "input": Family("input", "input_key", ("input_value",), "inputs", "inputs"),
    "output": Family("output", "output_key", ("output_value",), "outputs", "outputs"),
    "feedback": Family("feedback", "feedback_key", ("feedback_score", "feedback_value"), "feedback"),
})

#: The family whose entries an object field holds: ``{"metadata": "metadata", "inputs": "input", ...}``.
OBJECT_FAMILIES: Mapping[str, str] = MappingProxyType(
    {f.object: f.name for f in FAMILIES.values() if f.object is not None})

#: Metadata keys that give a run its thread, first present wins (SPEC §4).
THREAD_KEYS = ("thread_id", "session_id", "conversation_id")


def lookup(name: str) -> FieldSpec | None:
    """The spec of field ``name``, or None when there is no such field."""
    return FIELDS.get(name)


def field_names(context: str | None = None) -> list[str]:
    """Every field name, or those usable in ``context``."""
    return [n for n, f in FIELDS.items() if context is None or context in f.contexts]


#: The fields of a run (those of the run contexts), by name: what a run file and the SQL layout hold.
RUN_FIELDS: Mapping[str, FieldSpec] = MappingProxyType({n: f for n, f in FIELDS.items() if "filter" in f.contexts})

#: The fields of ``thread_filter`` (a thread summary), by name.
THREAD_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {n: f for n, f in FIELDS.items() if "thread_filter" in f.contexts})


# ------------------------------------------------------------ server rules

#: Validation profiles (SPEC §9): ``offline`` accepts the whole spec; the others
#: also report what that LangSmith endpoint rejects.
PROFILES = ("offline", "langsmith-v1", "langsmith-v2")


@_row
class ServerRule:
    """One fact about what a LangSmith endpoint rejects, with the working alternative.

    ``profiles`` are the profiles that report it; ``fields`` the fields it is
    about (when it is about fields); ``source`` where the fact comes from.
    :mod:`filterql.profiles` holds the matcher for each ``code``.
    """

    code: str
    profiles: tuple[str, ...]
    message: str
    alternative: str
    source: str
    fields: tuple[str, ...] = ()
    severity: str = "error"
    #: The server's own error text, per profile, where it is known: quoted in the diagnostic,
    #: so a user who met the error finds filterql's explanation by searching for it.
    server_says: Mapping[str, str] = attrs.field(factory=dict, converter=lambda d: MappingProxyType(dict(d)))


_V1, _V2 = "langsmith-v1", "langsmith-v2"

#: What the servers reject, by diagnostic code. Update here when the servers change.
SERVER_RULES: Mapping[str, ServerRule] = MappingProxyType({r.code: r for r in (
    # Source: SPEC §9 (observed on POST /api/v1/runs/query and the v2 runs.query), although
    # the docs' own example (seeds/000, "neq(error, null)") uses it.
    ServerRule("server-neq-error-null", (_V1, _V2), "LangSmith rejects neq(error, null)",
               'write eq(status, "error") to keep errored runs', "SPEC §9 (observed)", ("error",)),
    # Source: SPEC §9 (observed): the v1 endpoint fails the whole query on total_tokens; v2 accepts it.
    ServerRule("server-unknown-field", (_V1,), "the v1 endpoint (/runs/query) rejects `{field}`",
               "filter on prompt_tokens and completion_tokens, or query the v2 endpoint (runs.query)",
               "SPEC §9 (observed)", ("total_tokens",)),
    # Source: SPEC §9 (observed): v1 rejects search(field, text); v2 says '"search" requires 1 arguments'.
    ServerRule("server-search-field", (_V1, _V2), "LangSmith accepts only search(text), not search(field, text)",
               "write {written}", "SPEC §9 (observed); server texts: issue 15",
               server_says={_V1: "Comparison comparator=<Comparator.SEARCH: 'search'> attribute='{field}' ... not accepted.",
                            _V2: 'Failed to parse filter: Invalid argument count: "search" requires 1 arguments, got 2'}),
    # Source: LangSmith docs PR #2323: execution_order is not filterable on the v1 endpoint.
    ServerRule("server-unfilterable-field", (_V1,), "the v1 endpoint (/runs/query) cannot filter on `{field}`",
               "filter on start_time or parent_run_id instead, or query the v2 endpoint (runs.query)",
               "LangSmith docs PR #2323", ("execution_order",)),
    # Source: SPEC §9 (observed on the v2 endpoint, SmithDB).
    ServerRule("server-or-feedback", (_V2,), "the v2 endpoint rejects or() mixing run fields and feedback fields",
               "run one query per branch of the or() and merge the results", "SPEC §9 (observed)",
               ("feedback_key", "feedback_score", "feedback_value")),
    # Source: SPEC §9: limit above 100 on list_runs is a 400.
    ServerRule("server-limit", (_V1, _V2), "list_runs rejects limit above {max} (HTTP 400)",
               "set limit to at most {max}; the client pages through results with a cursor", "SPEC §9",
               server_says={p: "Limit exceeds maximum allowed value of {max}" for p in (_V1, _V2)}),
    # Source: SPEC §9: the v2 min_start_time defaults to one day ago.
    ServerRule("server-default-window", (_V2,), "without start_time the v2 endpoint only looks at the last day",
               "set start_time to the beginning of the period you want", "SPEC §9", severity="warning"),
    # Source: SPEC §6: SmithDB (v2) indexes tokens of 2-44 ASCII characters without stop words,
    # URLs or pure numbers. The stop words are an assumption: Lucene's classic English set.
    ServerRule("server-unindexed-term", (_V2,), "the v2 index (SmithDB) never holds the search term {term!r}: {why}",
               'search for a distinctive word instead, or match the field with like(field, "%...%")', "SPEC §6",
               severity="warning"),
    # Source: SPEC §6: the ClickHouse (v1) index holds the first 250 characters of a value.
    ServerRule("server-long-term", (_V1,), "the v1 index holds the first 250 characters of a value, "
               "so a {length}-character term never matches", "search for a shorter part of the text", "SPEC §6",
               severity="warning"),
)})

#: Largest ``limit`` ``list_runs`` accepts (SPEC §9).
MAX_LIST_RUNS_LIMIT = 100

#: Characters of a value the v1 full-text index holds (SPEC §6).
V1_INDEXED_CHARS = 250

#: Lengths of the tokens the v2 full-text index holds (SPEC §6).
V2_TOKEN_LENGTHS = (2, 44)

#: Words the v2 index drops (assumption: Lucene's classic English stop set).
V2_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
