"""What each ``select`` name prints: one table, used by every engine.

``select`` names are LangSmith's ``RunSelect`` enum. Most are keys of the run
JSON, printed as they are; the derived ones are computed from the run when the
run does not carry them (README "select"): ``latency`` (seconds),
``thread_id``, ``is_root``, ``metadata``, ``parent_run_ids``,
``feedback_stats``, the previews, and the ``*_or_signed_url`` names (offline
there is no blob storage, so they are the values themselves).
``child_run_ids`` needs the other runs: the engine passes each run's children,
ordered by ``start_time`` then id (the order they ran in, whatever the file
order). Every engine (Python, DuckDB, ClickHouse, DataFusion) reads the
matching runs' JSON and projects it with :func:`project`, so a name cannot
print one value on one engine and another elsewhere.
"""

from __future__ import annotations

import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

from . import runs as R

__all__ = ["SELECT_NAMES", "DERIVED", "PREVIEW_CHARS", "project", "preview"]

#: Names ``select`` accepts on ``POST /runs/query``: the ``RunSelect`` enum of LangSmith's
#: OpenAPI schema (as generated in bsorrentino/langsmith4j-sdk docs/RunSelect.md), which includes
#: every name of the langsmith SDK's default ``select`` (client.py, ``list_runs``).
SELECT_NAMES = frozenset("""
    id name run_type start_time end_time status error extra events inputs inputs_preview inputs_s3_urls
    inputs_or_signed_url outputs outputs_preview outputs_s3_urls outputs_or_signed_url s3_urls error_or_signed_url
    events_or_signed_url extra_or_signed_url serialized_or_signed_url parent_run_id manifest_id manifest_s3_id
    manifest session_id serialized reference_example_id reference_dataset_id total_tokens prompt_tokens
    prompt_token_details completion_tokens completion_token_details total_cost prompt_cost prompt_cost_details
    completion_cost completion_cost_details price_model_id first_token_time trace_id dotted_order last_queued_at
    feedback_stats child_run_ids parent_run_ids tags in_dataset app_path share_token trace_tier
    trace_first_received_at ttl_seconds trace_upgrade thread_id
""".split())

#: Characters of a preview (SPEC §8: the first 250 characters of the JSON text, or of the error string).
PREVIEW_CHARS = 250


def preview(value: Any) -> str | None:
    """The first 250 characters of a string, or of a JSON value's text; None when absent."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:PREVIEW_CHARS]


def _latency(run: dict[str, Any]) -> float | None:
    micros = R.latency_us(run)
    return None if micros is None else micros / 1_000_000


def _parent_run_ids(run: dict[str, Any]) -> list[str] | None:
    """The ancestors' ids, root first: from ``dotted_order`` (each segment is a start time, ``Z``, a run id)."""
    if run.get("parent_run_id") is None:
        return []
    dotted = run.get("dotted_order")
    if not isinstance(dotted, str) or "." not in dotted:
        return None  # the chain above the parent is not in the run itself
    ids = [segment.partition("Z")[2] for segment in dotted.split(".")[:-1]]
    return ids if all(ids) else None


def _feedback_stats(run: dict[str, Any]) -> dict[str, Any] | None:
    """Per feedback key: ``n`` entries and ``avg`` of their numeric scores (None when none is numeric)."""
    feedback = run.get("feedback")
    if not isinstance(feedback, list):
        return None
    scores: dict[str, list[Any]] = {}
    for item in feedback:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            scores.setdefault(item["key"], []).append(R.number(item.get("score"))
                                                      if not isinstance(item.get("score"), bool)
                                                      else int(item["score"]))
    out: dict[str, Any] = {}
    for key, values in scores.items():
        numbers = [v for v in values if v is not None]
        avg = float(sum(Decimal(v) for v in numbers) / len(numbers)) if numbers else None
        out[key] = {"n": len(values), "avg": avg}
    return out


def _same(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda run: run.get(name)


#: Derived names: how each is computed from the run when the run JSON lacks the key.
DERIVED: Mapping[str, Callable[[dict[str, Any]], Any]] = MappingProxyType({
    "latency": _latency,
    "thread_id": R.thread_id,
    "is_root": lambda run: run.get("parent_run_id") is None,
    "metadata": lambda run: R.metadata(run) or None,
    "parent_run_ids": _parent_run_ids,
    "feedback_stats": _feedback_stats,
    "inputs_preview": lambda run: preview(run.get("inputs")),
    "outputs_preview": lambda run: preview(run.get("outputs")),
    **{f"{name}_or_signed_url": _same(name) for name in ("inputs", "outputs", "error", "events", "extra", "serialized")},
})


def project(run: dict[str, Any], names: Sequence[str], children: Sequence[str] | None = None) -> dict[str, Any]:
    """``id`` and each of ``names`` (in order): the run's own value, else the derived one, else None.

    ``children`` are the run's child ids, when ``child_run_ids`` is selected.
    """
    out: dict[str, Any] = {"id": run.get("id")}
    for name in names:
        if name == "child_run_ids" and children is not None:
            out[name] = list(children)
        elif name not in run and name in DERIVED:
            out[name] = DERIVED[name](run)
        else:
            out[name] = run.get(name)
    return out
