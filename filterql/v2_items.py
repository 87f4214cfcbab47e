"""The JSON shape of the v2 API's items, built from runs in the run JSON of SPEC §4.

One table per item model, from a select name to the function reading it:
``Run`` (langsmith/types/run.py, ``RunSelectField``), ``Trace``
(types/trace.py: ``root_run`` + ``trace_aggregates``), ``Thread``
(types/thread.py) and ``ThreadTrace`` (types/thread_trace.py). Every engine
hands this module the same rows, so an item is shaped in one place.
Times are RFC 3339 text in UTC with ``Z``; costs are JSON numbers (the
models' ``float``); previews are the first 250 characters of the compact JSON
text (README "Moving to the v2 API").
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import attrs

from . import runs as R
from .endpoints import OP_CODES, PREVIEW_CHARS, TRACE_AGGREGATE_SELECTS

__all__ = [
    "RunRow", "TraceRow", "ThreadTraceRow", "run_item", "trace_item", "thread_item", "thread_trace_item",
    "preview", "error_preview", "rfc3339", "RUN_READERS", "THREAD_TRACE_READERS",
]


@attrs.frozen
class RunRow:
    """A run to show: its JSON, its ancestors (root first) and, with ``include_subtree_usage``, the subtree's
    usage fields that replace its own."""

    run: dict[str, Any]
    ancestors: tuple[str, ...] | None = None
    usage: Mapping[str, Any] | None = None


@attrs.frozen
class TraceRow:
    """A trace: its root run and the whole tree's aggregates (tokens, cost, earliest first token)."""

    root: RunRow
    total_tokens: int | None
    total_cost: Decimal | None
    first_token_time: datetime | None


@attrs.frozen
class ThreadTraceRow:
    """A trace of a thread: its root run and its 1-based turn in the whole thread."""

    root: dict[str, Any]
    turn_number: int


def rfc3339(value: Any) -> str | None:
    """A timestamp as RFC 3339 text in UTC (``2024-05-01T10:00:00.100000Z``), or None."""
    t = R.timestamp(value)
    return None if t is None else t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def preview(value: Any) -> str | None:
    """The first 250 characters of a document's compact JSON text (keys in document order, non-ASCII as is);
    None when absent or JSON null."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)[:PREVIEW_CHARS]


def error_preview(value: Any) -> str | None:
    """The first 250 characters of an error message; None without one."""
    return None if value is None else str(value)[:PREVIEW_CHARS]


def _float(value: Any) -> float | None:
    n = R.number(value)
    return None if n is None else float(n)


def _int(value: Any) -> int | None:
    n = R.number(value)
    return None if n is None or n != int(n) else int(n)


def _object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _details(value: Any) -> dict[str, Any] | None:
    """Token/cost details as the v2 models nest them (``{"raw": {...}}``); v1 data holds the bare mapping."""
    if not isinstance(value, dict):
        return None
    return value if set(value) <= {"raw"} else {"raw": value}


def _upper(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None


def _status(value: Any) -> str | None:
    # Run.status is SUCCESS | ERROR | PENDING: an interrupted run did not succeed (decision).
    if not isinstance(value, str):
        return None
    return "ERROR" if value.lower() == "interrupted" else value.upper()


def _latency(run: dict[str, Any]) -> float | None:
    micros = R.latency_us(run)
    return None if micros is None else micros / 1_000_000


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _id(value: Any) -> str | None:
    text = R.uuid_text(value)
    return text if text is not None else _text(value)


def _thread(run: dict[str, Any]) -> str | None:
    value = R.thread_id(run)
    return value if isinstance(value, str) else None


def _key(name: str, read: Callable[[Any], Any] = lambda v: v) -> Callable[[RunRow], Any]:
    return lambda row: read(row.run.get(name))


def _usage(name: str, read: Callable[[Any], Any]) -> Callable[[RunRow], Any]:
    def get(row: RunRow) -> Any:
        source = row.usage if row.usage is not None and name in row.usage else row.run
        return read(source.get(name))
    return get


#: ``RunSelectField`` → (Run JSON key, reader of a :class:`RunRow`).
RUN_READERS: Mapping[str, tuple[str, Callable[[RunRow], Any]]] = {
    "ID": ("id", _key("id", _id)),
    "NAME": ("name", _key("name", _text)),
    "RUN_TYPE": ("run_type", _key("run_type", _upper)),
    "STATUS": ("status", _key("status", _status)),
    "START_TIME": ("start_time", _key("start_time", rfc3339)),
    "END_TIME": ("end_time", _key("end_time", rfc3339)),
    "LATENCY_SECONDS": ("latency_seconds", lambda row: _latency(row.run)),
    "FIRST_TOKEN_TIME": ("first_token_time", _usage("first_token_time", rfc3339)),
    "ERROR": ("error", _key("error", _text)),
    "ERROR_PREVIEW": ("error_preview", _key("error", error_preview)),
    "EXTRA": ("extra", _key("extra", _object)),
    "METADATA": ("metadata", lambda row: R.metadata(row.run) or None),
    "EVENTS": ("events", _key("events", lambda v: v if isinstance(v, list) else None)),
    "INPUTS": ("inputs", _key("inputs", _object)),
    "INPUTS_PREVIEW": ("inputs_preview", _key("inputs", preview)),
    "OUTPUTS": ("outputs", _key("outputs", _object)),
    "OUTPUTS_PREVIEW": ("outputs_preview", _key("outputs", preview)),
    "MANIFEST": ("manifest", _key("manifest", _object)),
    "PARENT_RUN_IDS": ("parent_run_ids", lambda row: list(row.ancestors) if row.ancestors is not None else
                       row.run.get("parent_run_ids")),
    "PROJECT_ID": ("project_id", lambda row: _id(row.run.get("project_id") or row.run.get("session_id"))),
    "TRACE_ID": ("trace_id", _key("trace_id", _id)),
    "THREAD_ID": ("thread_id", lambda row: _thread(row.run)),
    "DOTTED_ORDER": ("dotted_order", _key("dotted_order", _text)),
    "IS_ROOT": ("is_root", lambda row: row.run.get("parent_run_id") is None),
    "REFERENCE_EXAMPLE_ID": ("reference_example_id", _key("reference_example_id", _id)),
    "REFERENCE_DATASET_ID": ("reference_dataset_id", _key("reference_dataset_id", _id)),
    "TOTAL_TOKENS": ("total_tokens", _usage("total_tokens", _int)),
    "PROMPT_TOKENS": ("prompt_tokens", _usage("prompt_tokens", _int)),
    "COMPLETION_TOKENS": ("completion_tokens", _usage("completion_tokens", _int)),
    "TOTAL_COST": ("total_cost", _usage("total_cost", _float)),
    "PROMPT_COST": ("prompt_cost", _usage("prompt_cost", _float)),
    "COMPLETION_COST": ("completion_cost", _usage("completion_cost", _float)),
    "PROMPT_TOKEN_DETAILS": ("prompt_token_details", _key("prompt_token_details", _details)),
    "COMPLETION_TOKEN_DETAILS": ("completion_token_details", _key("completion_token_details", _details)),
    "PROMPT_COST_DETAILS": ("prompt_cost_details", _key("prompt_cost_details", _details)),
    "COMPLETION_COST_DETAILS": ("completion_cost_details", _key("completion_cost_details", _details)),
    "PRICE_MODEL_ID": ("price_model_id", _key("price_model_id", _id)),
    "TAGS": ("tags", _key("tags", lambda v: [t for t in v if isinstance(t, str)] if isinstance(v, list) else None)),
    "APP_PATH": ("app_path", _key("app_path", _text)),
    "ATTACHMENTS": ("attachments", _key("attachments", _object)),
    "THREAD_EVALUATION_TIME": ("thread_evaluation_time", _key("thread_evaluation_time", rfc3339)),
    "IS_IN_DATASET": ("is_in_dataset", _key("in_dataset", lambda v: v if isinstance(v, bool) else None)),
    "LAST_QUEUED_AT": ("last_queued_at", _key("last_queued_at", rfc3339)),
    "SHARE_URL": ("share_url", _key("share_url", _text)),
    "FEEDBACK_STATS": ("feedback_stats", _key("feedback_stats", _object)),
    "LS_USER_ID": ("ls_user_id", _key("ls_user_id", _text)),
}


def run_item(row: RunRow, selects: Sequence[str]) -> dict[str, Any]:
    """A ``Run`` item holding exactly the selected fields (``selects`` omitted means ``["ID"]``)."""
    return {RUN_READERS[s][0]: RUN_READERS[s][1](row) for s in selects}


def trace_item(row: TraceRow, selects: Sequence[str]) -> dict[str, Any]:
    """A ``Trace`` item: ``root_run`` with the run selects, ``trace_aggregates`` when an aggregate is selected."""
    item: dict[str, Any] = {"root_run": run_item(row.root, [s for s in selects if s not in TRACE_AGGREGATE_SELECTS])}
    aggregates = {"TOTAL_TOKENS": ("total_tokens", row.total_tokens),
                  "TOTAL_COST": ("total_cost", None if row.total_cost is None else float(row.total_cost)),
                  "FIRST_TOKEN_TIME": ("first_token_time", rfc3339(row.first_token_time))}
    chosen = [s for s in selects if s in TRACE_AGGREGATE_SELECTS]
    if chosen:
        item["trace_aggregates"] = dict(aggregates[s] for s in chosen)
    return item


def thread_item(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A ``Thread`` item from a thread summary (times as text, decimals as numbers)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, datetime):
            value = rfc3339(value)
        elif isinstance(value, Decimal):
            value = float(value)
        out[key] = value
    return out


#: ``ThreadTraceSelectField`` → (ThreadTrace JSON key, reader of the trace's root run).
THREAD_TRACE_READERS: Mapping[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "THREAD_ID": ("thread_id", _thread),
    "TRACE_ID": ("trace_id", lambda r: _id(r.get("trace_id"))),
    "OP": ("op", lambda r: OP_CODES.get(str(r.get("run_type")).lower())),
    "PROMPT_TOKENS": ("prompt_tokens", lambda r: _int(r.get("prompt_tokens"))),
    "COMPLETION_TOKENS": ("completion_tokens", lambda r: _int(r.get("completion_tokens"))),
    "TOTAL_TOKENS": ("total_tokens", lambda r: _int(r.get("total_tokens"))),
    "START_TIME": ("start_time", lambda r: rfc3339(r.get("start_time"))),
    "END_TIME": ("end_time", lambda r: rfc3339(r.get("end_time"))),
    "LATENCY": ("latency", _latency),
    "FIRST_TOKEN_TIME": ("first_token_time", lambda r: rfc3339(r.get("first_token_time"))),
    "INPUTS_PREVIEW": ("inputs_preview", lambda r: preview(r.get("inputs"))),
    "OUTPUTS_PREVIEW": ("outputs_preview", lambda r: preview(r.get("outputs"))),
    "INPUTS": ("inputs", lambda r: r.get("inputs")),
    "OUTPUTS": ("outputs", lambda r: r.get("outputs")),
    "ERROR": ("error", lambda r: _text(r.get("error"))),
    "PROMPT_COST": ("prompt_cost", lambda r: _float(r.get("prompt_cost"))),
    "COMPLETION_COST": ("completion_cost", lambda r: _float(r.get("completion_cost"))),
    "TOTAL_COST": ("total_cost", lambda r: _float(r.get("total_cost"))),
    "PROMPT_TOKEN_DETAILS": ("prompt_token_details", lambda r: _details(r.get("prompt_token_details"))),
    "COMPLETION_TOKEN_DETAILS": ("completion_token_details", lambda r: _details(r.get("completion_token_details"))),
    "PROMPT_COST_DETAILS": ("prompt_cost_details", lambda r: _details(r.get("prompt_cost_details"))),
    "COMPLETION_COST_DETAILS": ("completion_cost_details", lambda r: _details(r.get("completion_cost_details"))),
    "NAME": ("name", lambda r: _text(r.get("name"))),
    "ERROR_PREVIEW": ("error_preview", lambda r: error_preview(r.get("error"))),
}


def thread_trace_item(row: ThreadTraceRow, selects: Sequence[str]) -> dict[str, Any]:
    """A ``ThreadTrace`` item: ``trace_id`` always, then the selected fields."""
    item = {"trace_id": _id(row.root.get("trace_id"))}
    for s in selects:
        if s == "TURN_NUMBER":
            item["turn_number"] = row.turn_number
        else:
            key, read = THREAD_TRACE_READERS[s]
            item[key] = read(row.root)
    return item
