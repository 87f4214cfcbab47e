"""The v2 query API as a table: every endpoint, its parameters, ranges, defaults and rules.

One row per parameter, each with the SDK file it comes from
(``langsmith/types/*.py``, generated from LangSmith's OpenAPI spec). The
checker (:mod:`filterql.endpoint_check`), the offline pages
(:mod:`filterql.pages`), the CLI and ``filterql serve`` read it from here; a
test checks every name against the SDK's TypedDicts. ``list_runs`` (v1) is
checked by :mod:`filterql.query_check` and is listed here only by name.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Mapping

import attrs

from .catalog import THREAD_FIELDS

__all__ = [
    "Kind", "Param", "Endpoint", "ENDPOINTS", "ENDPOINT_NAMES", "RUN_TYPES_V2", "RUN_SELECT_FIELDS",
    "THREAD_TRACE_SELECT_FIELDS", "TRACE_AGGREGATE_SELECTS", "OP_CODES", "PREVIEW_CHARS", "MAX_AI_SEARCH_BYTES",
]


class Kind(enum.Enum):
    """What a parameter's value must be."""

    FILTER = "a filter string"
    TEXT = "a string"
    BOOL = "true or false"
    UUID = "a UUID"
    UUIDS = "a list of UUIDs"
    TIME = "an RFC 3339 date-time"
    INT = "an integer"
    ENUM = "one of the enumeration's values"
    ENUMS = "a list of the enumeration's values"
    CURSOR = "a cursor from a previous page's next_cursor"


#: ``RunType`` (types/run_type.py).
RUN_TYPES_V2 = ("TOOL", "CHAIN", "LLM", "RETRIEVER", "EMBEDDING", "PROMPT", "PARSER")

#: ``RunSelectField`` (types/run_select_field.py), in the SDK's order.
RUN_SELECT_FIELDS = (
    "ID", "NAME", "RUN_TYPE", "STATUS", "START_TIME", "END_TIME", "LATENCY_SECONDS", "FIRST_TOKEN_TIME", "ERROR",
    "ERROR_PREVIEW", "EXTRA", "METADATA", "EVENTS", "INPUTS", "INPUTS_PREVIEW", "OUTPUTS", "OUTPUTS_PREVIEW",
    "MANIFEST", "PARENT_RUN_IDS", "PROJECT_ID", "TRACE_ID", "THREAD_ID", "DOTTED_ORDER", "IS_ROOT",
    "REFERENCE_EXAMPLE_ID", "REFERENCE_DATASET_ID", "TOTAL_TOKENS", "PROMPT_TOKENS", "COMPLETION_TOKENS",
    "TOTAL_COST", "PROMPT_COST", "COMPLETION_COST", "PROMPT_TOKEN_DETAILS", "COMPLETION_TOKEN_DETAILS",
    "PROMPT_COST_DETAILS", "COMPLETION_COST_DETAILS", "PRICE_MODEL_ID", "TAGS", "APP_PATH", "ATTACHMENTS",
    "THREAD_EVALUATION_TIME", "IS_IN_DATASET", "LAST_QUEUED_AT", "SHARE_URL", "FEEDBACK_STATS", "LS_USER_ID",
)

#: ``ThreadTraceSelectField`` (types/thread_list_traces_params.py ``selects``; seeds/003 lists fewer).
THREAD_TRACE_SELECT_FIELDS = (
    "THREAD_ID", "TRACE_ID", "OP", "PROMPT_TOKENS", "COMPLETION_TOKENS", "TOTAL_TOKENS", "START_TIME", "END_TIME",
    "LATENCY", "FIRST_TOKEN_TIME", "INPUTS_PREVIEW", "OUTPUTS_PREVIEW", "INPUTS", "OUTPUTS", "ERROR", "PROMPT_COST",
    "COMPLETION_COST", "TOTAL_COST", "PROMPT_TOKEN_DETAILS", "COMPLETION_TOKEN_DETAILS", "PROMPT_COST_DETAILS",
    "COMPLETION_COST_DETAILS", "NAME", "ERROR_PREVIEW", "TURN_NUMBER",
)

#: traces.query routes these selects to ``trace_aggregates`` (whole-tree values), the rest to
#: ``root_run`` (types/trace_query_params.py ``selects``; types/trace_aggregates.py).
TRACE_AGGREGATE_SELECTS = ("TOTAL_TOKENS", "TOTAL_COST", "FIRST_TOKEN_TIME")

#: ``ThreadTrace.op``: "a numeric code identifying the root run's run_type", table undocumented
#: (types/thread_trace.py). Decision: the position of the run type in ``RunType``'s order, from 0.
OP_CODES: Mapping[str, int] = MappingProxyType({t.lower(): i for i, t in enumerate(RUN_TYPES_V2)})

#: Characters of the JSON text (or error) kept by ``*_preview`` fields (decision, SPEC §8).
PREVIEW_CHARS = 250

#: ``ai_search``: "nonempty text of at most 2000 UTF-8 bytes" (types/run_query_v2_params.py).
MAX_AI_SEARCH_BYTES = 2000


@attrs.frozen
class Param:
    """One parameter of one endpoint.

    ``context`` is the filter context a FILTER parameter is validated in;
    ``required`` means required offline too (the URL's ``thread_id``);
    ``choices`` the enumeration of an ENUM(S) parameter; ``low``/``high`` an
    INT range; ``default`` what the server uses when it is omitted (text, for
    the docs); ``offline`` False for a parameter with no offline meaning
    (``ai_search``, ``sem_filter``): checked, but :func:`filterql.query_page`
    refuses it. ``source`` is the SDK file (under ``langsmith/types/``).
    """

    name: str
    kind: Kind
    source: str
    doc: str = ""
    required: bool = False
    default: str = ""
    context: str = ""
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    offline: bool = True


@attrs.frozen
class Endpoint:
    """One v2 endpoint: SDK method, HTTP route, item model, parameters and their joint rules.

    ``one_of`` lists groups of parameters of which exactly one must be given
    on the server (the ``langsmith-v2`` profile reports it; offline they are
    optional filters, SPEC §10); ``exclusive`` pairs never given together.
    ``path`` names the parameter that is part of the URL (``thread_id``).
    """

    name: str
    sdk: str
    route: str
    model: str
    params: tuple[Param, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    exclusive: tuple[tuple[str, str], ...] = ()
    path: tuple[str, ...] = ()
    doc: str = ""

    @property
    def by_name(self) -> Mapping[str, Param]:
        return {p.name: p for p in self.params}

    @property
    def page_size(self) -> tuple[int, int, int]:
        """(default, low, high) of the ``page_size`` parameter."""
        p = self.by_name["page_size"]
        return int(p.default), p.low, p.high  # type: ignore[return-value]


K = Kind
_RQ, _TQ, _HQ, _LT = ("run_query_v2_params.py", "trace_query_params.py", "thread_query_params.py",
                      "thread_list_traces_params.py")


def _common(src: str, *, low: int, high: int, default: int, time_doc: str) -> tuple[Param, ...]:
    """Parameters every POST query endpoint shares (cursor, page_size, the start-time window, ai features)."""
    return (
        Param("cursor", K.CURSOR, src, "the previous page's next_cursor"),
        Param("page_size", K.INT, src, "items per page", default=str(default), low=low, high=high),
        Param("min_start_time", K.TIME, src, f"inclusive lower bound on {time_doc}", default="1 day ago"),
        Param("max_start_time", K.TIME, src, f"exclusive upper bound on {time_doc}", default="now"),
        Param("ai_search", K.TEXT, src, "natural language query (server-side AI)", offline=False),
        Param("sem_filter", K.TEXT, src, "plain-language criterion (server-side AI)", offline=False),
        Param("accept", K.TEXT, src, "the HTTP Accept header (text/event-stream streams)", default="application/json"),
    )


_FEEDBACK_WINDOW = "feedback modified_at, for the feedback conditions of the filters"

RUNS_QUERY = Endpoint(
    "runs.query", "client.runs.query_v2", "POST /api/v2/runs/query", "Run",
    _common(_RQ, low=1, high=1000, default=100, time_doc="run start_time") + (
        Param("filter", K.FILTER, _RQ, "each run matches", context="filter"),
        Param("trace_filter", K.FILTER, _RQ, "the run's root run matches", context="trace_filter"),
        Param("tree_filter", K.FILTER, _RQ, "some run of the run's trace matches", context="tree_filter"),
        Param("has_error", K.BOOL, _RQ, "the run errored (true) or not (false)"),
        Param("ids", K.UUIDS, _RQ, "the run is one of these"),
        Param("is_root", K.BOOL, _RQ, "root runs (true) or non-root runs (false)"),
        Param("include_subtree_usage", K.BOOL, _RQ, "token, cost and first_token_time fields hold subtree totals",
              default="false"),
        Param("min_feedback_modified_at", K.TIME, _RQ, "inclusive lower bound on " + _FEEDBACK_WINDOW, offline=False),
        Param("max_feedback_modified_at", K.TIME, _RQ, "exclusive upper bound on " + _FEEDBACK_WINDOW, offline=False),
        Param("project_ids", K.UUIDS, _RQ, "the run's project is one of these (session_id in v1 data)"),
        Param("reference_dataset_id", K.UUID, _RQ, "the run's reference_dataset_id"),
        Param("reference_examples", K.UUIDS, _RQ, "the run's reference_example_id is one of these"),
        Param("run_type", K.ENUM, _RQ, "the run's run_type (upper case)", choices=RUN_TYPES_V2),
        Param("selects", K.ENUMS, _RQ, "fields of each Run item", default="[ID]", choices=RUN_SELECT_FIELDS),
        Param("trace_id", K.UUID, _RQ, "the run belongs to this trace"),
    ),
    one_of=(("project_ids", "reference_dataset_id"),),
    exclusive=(("ai_search", "sem_filter"),),
    doc="runs, newest start_time first",
)

TRACES_QUERY = Endpoint(
    "traces.query", "client.traces.query", "POST /api/v2/traces/query", "Trace",
    _common(_TQ, low=1, high=100, default=20, time_doc="the root run's start_time") + (
        Param("project_id", K.UUID, _TQ, "the project that owns the traces (required by the server)"),
        Param("trace_filter", K.FILTER, _TQ, "the root run matches (is_root implied)", context="trace_filter"),
        Param("tree_filter", K.FILTER, _TQ, "some run of the trace matches", context="tree_filter"),
        Param("trace_ids", K.UUIDS, _TQ, "the trace is one of these"),
        Param("min_feedback_modified_at", K.TIME, _TQ, "inclusive lower bound on " + _FEEDBACK_WINDOW, offline=False),
        Param("max_feedback_modified_at", K.TIME, _TQ, "exclusive upper bound on " + _FEEDBACK_WINDOW, offline=False),
        Param("selects", K.ENUMS, _TQ, "fields of root_run; TOTAL_TOKENS, TOTAL_COST, FIRST_TOKEN_TIME go to "
              "trace_aggregates", default="[ID]", choices=RUN_SELECT_FIELDS),
    ),
    one_of=(("project_id",),),
    exclusive=(("ai_search", "sem_filter"),),
    doc="traces (root run + whole-tree aggregates), newest first",
)

THREADS_QUERY = Endpoint(
    "threads.query", "client.threads.query", "POST /api/v2/threads/query", "Thread",
    _common(_HQ, low=1, high=100, default=20, time_doc="thread activity (the start_time of its traces)") + (
        Param("project_id", K.UUID, _HQ, "the tracing project (required by the server)"),
        Param("filter", K.FILTER, _HQ, "the thread's first trace's root run matches", context="filter"),
        Param("trace_filter", K.FILTER, _HQ, "some trace's root run matches", context="trace_filter"),
        Param("tree_filter", K.FILTER, _HQ, "some run of some trace matches", context="tree_filter"),
        Param("thread_filter", K.FILTER, _HQ, "the thread summary matches", context="thread_filter"),
    ),
    one_of=(("project_id",),),
    exclusive=(("ai_search", "sem_filter"),),
    doc="threads, latest activity first",
)

THREAD_TRACES = Endpoint(
    "threads.list_traces", "client.threads.list_traces", "GET /api/v2/threads/{thread_id}/traces", "ThreadTrace",
    (
        Param("thread_id", K.TEXT, "resources/threads/threads.py", "the thread (URL path)", required=True),
        Param("project_id", K.UUID, _LT, "the tracing project (Required[str] in the SDK)"),
        Param("cursor", K.CURSOR, _LT, "the previous page's next_cursor"),
        Param("page_size", K.INT, _LT, "items per page", default="20", low=1, high=100),
        Param("filter", K.FILTER, _LT, "the trace's root run matches", context="filter"),
        Param("trace_filter", K.FILTER, _LT, "the trace's root run matches", context="trace_filter"),
        Param("tree_filter", K.FILTER, _LT, "some run of the trace matches", context="tree_filter"),
        Param("selects", K.ENUMS, _LT, "fields of each ThreadTrace (trace_id always)", default="[TRACE_ID]",
              choices=THREAD_TRACE_SELECT_FIELDS),
    ),
    one_of=(("project_id",),),
    path=("thread_id",),
    doc="the traces of one thread, in conversation order",
)
del K

#: Every v2 endpoint by name.
ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType({e.name: e for e in (RUNS_QUERY, TRACES_QUERY, THREADS_QUERY,
                                                                           THREAD_TRACES)})
#: Every endpoint name check_query accepts, ``list_runs`` (v1) first.
ENDPOINT_NAMES = ("list_runs",) + tuple(ENDPOINTS)


def _cell(p: Param, endpoint: Endpoint) -> list[str]:
    kind = p.kind.value + (f" (context `{p.context}`)" if p.context else "")
    if p.choices and len(p.choices) <= 8:
        kind += ": " + ", ".join(p.choices)
    elif p.choices:
        kind += f" ({len(p.choices)} values)"
    if p.low is not None:
        kind += f", {p.low}..{p.high}"
    rule = "required" if p.required else ""
    for group in endpoint.one_of:
        if p.name in group:
            rule = "server: exactly one of " + " / ".join(group) if len(group) > 1 else "server: required"
    for a, b in endpoint.exclusive:
        if p.name in (a, b):
            rule = f"not with {b if p.name == a else a}"
    if not p.offline:
        rule = (rule + "; " if rule else "") + "no offline meaning"
    return [f"`{p.name}`", kind, p.default, rule, p.doc, f"`{p.source}`"]


def markdown() -> str:
    """Every endpoint's parameter table in Markdown (docs/v2-api.md embeds it; a test keeps them equal)."""
    out = []
    for e in ENDPOINTS.values():
        out.append(f"### `{e.name}` — `{e.sdk}`, `{e.route}` → `{e.model}` items ({e.doc})\n")
        out.append("| parameter | type | default | rule | meaning | SDK source (langsmith/types/) |")
        out.append("|---|---|---|---|---|---|")
        out += ["| " + " | ".join(_cell(p, e)) + " |" for p in sorted(e.params, key=lambda p: p.name)]
        out.append("")
    out.append("### `thread_filter` fields — the thread summary (SDK `Thread` model, `langsmith/types/thread.py`)\n")
    out.append("| field | type | meaning |")
    out.append("|---|---|---|")
    out += [f"| `{f.name}` | {f.type.value} | {f.doc} |" for f in THREAD_FIELDS.values()]
    out.append("")
    return "\n".join(out)
