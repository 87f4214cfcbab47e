"""The fields of the UI search bar (docs: "Filter traces", Fields) and the API field each one means.

A table, read by :mod:`filterql.ui_parser` (search bar → AST) and :mod:`filterql.ui_renderer`
(AST → search bar). ``kind`` says which clauses a field takes:

- ``scalar``: ``f:v``, ``f:v*``, ``f:*``, ``f:>v``, ``f:[a TO b]``, ``f:~v`` (one API field).
- ``tags``: ``tags:v`` (any tag is v) and ``tags:~v``.
- ``text``: ``~`` only (the docs: ``error`` accepts ``~`` only).
- ``object``: ``~`` on the whole object, or a key path ``input.<key>`` (a key/value pair).
- ``feedback``: ``feedback:*``, ``feedback.<key>:*``, ``feedback.<key>.score|value:...``, ``feedback:{...}``.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

import attrs

__all__ = ["UIField", "UI_FIELDS", "API_TO_UI", "NO_API_FORM", "THREAD_FIELDS", "API_TO_THREAD", "NO_THREAD_FORM",
           "SCOPES", "FEEDBACK_SUBFIELDS", "scope_context"]


@attrs.frozen
class UIField:
    ui: str
    api: str
    kind: str
    family: str | None = None  # the key/value family of an object field's key paths


_SCALARS = ("name", "status", "run_type", "id", "trace_id", "thread_id", "parent_run_id", "latency",
            "first_token_time", "prompt_tokens", "completion_tokens", "total_tokens", "prompt_cost",
            "completion_cost", "total_cost")

UI_FIELDS: Mapping[str, UIField] = MappingProxyType({f.ui: f for f in (
    *(UIField(name, name, "scalar") for name in _SCALARS),
    UIField("tags", "tags", "tags"),
    UIField("error", "error", "text"),
    UIField("input", "inputs", "object", "input"),
    UIField("output", "outputs", "object", "output"),
    UIField("metadata", "metadata", "object", "metadata"),
    UIField("feedback", "feedback", "feedback", "feedback"),
)})

#: API field -> its search-bar field.
API_TO_UI: Mapping[str, UIField] = MappingProxyType({f.api: f for f in UI_FIELDS.values()})

#: Search-bar fields the API language has no field for, with what to do instead.
NO_API_FORM: Mapping[str, str] = MappingProxyType({
    "attachments": "the API language has no attachments field",
    "ls_user_id": "the API language has no ls_user_id field; if the id is in metadata, use metadata.<key>:...",
    **{name: "the API language has no token or cost breakdowns; filter on prompt_tokens, completion_tokens, "
       "prompt_cost, completion_cost" for name in ("prompt_token_details", "completion_token_details",
                                                  "prompt_cost_details", "completion_cost_details")},
})

#: The Thread scope's fields (docs: "Thread fields") and the thread-summary field of ``thread_filter``
#: each means (SPEC §10: the SDK's ``Thread`` model; a turn is a trace of the thread).
THREAD_FIELDS: Mapping[str, UIField] = MappingProxyType({f.ui: f for f in (
    UIField("thread_id", "thread_id", "scalar"),
    UIField("turn_count", "count", "scalar"),
    UIField("num_errored_turns", "num_errored_turns", "scalar"),
    UIField("trace_latency_p50", "latency_p50", "scalar"),
    UIField("trace_latency_p99", "latency_p99", "scalar"),
    UIField("total_tokens", "total_tokens", "scalar"),
    UIField("total_cost", "total_cost", "scalar"),
    UIField("feedback", "feedback", "feedback", "feedback"),
)})

#: Thread-summary field -> its search-bar field.
API_TO_THREAD: Mapping[str, UIField] = MappingProxyType({f.api: f for f in THREAD_FIELDS.values()})

#: Thread-scope fields with no thread-summary field.
NO_THREAD_FORM: Mapping[str, str] = MappingProxyType({
    "thread_duration": "the thread summary has no duration; compare min_start_time and max_start_time in the API "
                       "language",
    **{name: "the thread summary has no token or cost breakdowns" for name in (
        "prompt_token_details", "completion_token_details", "prompt_cost_details", "completion_cost_details")},
})

#: Feedback subfields with an API field (docs also list key, comment, source, error: none in the API language).
FEEDBACK_SUBFIELDS: Mapping[str, str] = MappingProxyType({"score": "feedback_score", "value": "feedback_value"})

#: The scope selector's options and the filter argument each one is (SPEC §11).
SCOPES: Mapping[str, str] = MappingProxyType({
    "single run": "filter",
    "root run": "trace_filter",
    "any run": "tree_filter",
    "thread": "thread_filter",
})


def scope_context(scope: str) -> str:
    """The filter argument of a scope name: ``"any run"`` -> ``"tree_filter"`` (``_``/``-`` for spaces too)."""
    key = re.sub(r"[_-]", " ", scope.strip().lower())
    if key not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(repr(s) for s in SCOPES)}, not {scope!r}")
    return SCOPES[key]
