"""Paging properties of the offline v2 endpoints (issue 12), Python and DuckDB engines.

For random runs (``strategies.run_lists``, roots given threads), random filters
and page sizes: the pages concatenated are exactly the unpaged answer, with
no repeats, on every endpoint; the DuckDB engine gives identical pages
(items and cursors).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import THREADS, TIMESTAMPS, UUIDS, run_lists, typed_filters

import filterql
from filterql.coerce import parse_timestamp
from filterql.endpoints import ENDPOINTS, RUN_SELECT_FIELDS, RUN_TYPES_V2, THREAD_TRACE_SELECT_FIELDS

_SCALE = int(os.environ.get("FILTERQL_FUZZ", "1"))

THREAD_FILTERS = (
    "gt(count, 1)", 'eq(thread_id, "conv-1")', "gt(total_tokens, 100)", 'lt(min_start_time, "2024-05-01T10:00:01Z")',
    "eq(num_errored_turns, 0)", 'like(first_inputs, "%input%")', "neq(last_error, null)",
    'and(eq(feedback_key, "user_score"), gte(feedback_score, 0.5))', "gt(latency_p50, 1)",
    'or(gt(count, 2), eq(last_outputs, null))', 'not(eq(first_trace_id, "%s"))' % UUIDS[0],
)


@st.composite
def threaded_runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Run lists whose roots often carry a thread in their metadata."""
    runs = draw(run_lists())
    for run in runs:
        if run["parent_run_id"] is None and draw(st.booleans()):
            extra = run.get("extra") if isinstance(run.get("extra"), dict) else {}
            meta = extra.get("metadata") if isinstance(extra.get("metadata"), dict) else {}
            run["extra"] = {**extra, "metadata": {**meta, "thread_id": draw(st.sampled_from(THREADS))}}
    return runs


_times = st.sampled_from(TIMESTAMPS).map(parse_timestamp)
_filters = typed_filters(max_leaves=3)


def _maybe(draw: st.DrawFn, out: dict[str, Any], name: str, strategy: st.SearchStrategy[Any], odds: int = 3) -> None:
    if draw(st.integers(0, odds)) == 0:
        out[name] = draw(strategy)


@st.composite
def calls(draw: st.DrawFn, endpoint: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    names = ENDPOINTS[endpoint].by_name
    for name in ("filter", "trace_filter", "tree_filter"):
        if name in names:
            _maybe(draw, params, name, _filters)
    if "thread_filter" in names:
        _maybe(draw, params, "thread_filter", st.sampled_from(THREAD_FILTERS), 1)
    for name in ("min_start_time", "max_start_time"):
        if name in names:
            _maybe(draw, params, name, _times)
    if "project_ids" in names:
        _maybe(draw, params, "project_ids", st.lists(st.sampled_from(UUIDS[:2]), min_size=1, max_size=2))
    if "project_id" in names:
        _maybe(draw, params, "project_id", st.sampled_from(UUIDS[:2]))
    if endpoint == "runs.query":
        _maybe(draw, params, "is_root", st.booleans())
        _maybe(draw, params, "has_error", st.booleans())
        _maybe(draw, params, "run_type", st.sampled_from(RUN_TYPES_V2[:3]))
        _maybe(draw, params, "ids", st.lists(st.sampled_from(UUIDS), min_size=1, max_size=4))
        _maybe(draw, params, "trace_id", st.sampled_from(UUIDS[:3]))
        _maybe(draw, params, "include_subtree_usage", st.booleans())
    if endpoint == "traces.query":
        _maybe(draw, params, "trace_ids", st.lists(st.sampled_from(UUIDS), min_size=1, max_size=4))
    if endpoint == "threads.list_traces":
        params["thread_id"] = draw(st.sampled_from(THREADS))
    if "selects" in names:
        pool = THREAD_TRACE_SELECT_FIELDS if endpoint == "threads.list_traces" else RUN_SELECT_FIELDS
        _maybe(draw, params, "selects", st.lists(st.sampled_from(pool), min_size=1, max_size=6, unique=True), 1)
    return params


def _pages(runs: list[dict[str, Any]], endpoint: str, params: dict[str, Any], size: int,
           engine: str = "python") -> list[filterql.Page]:
    pages, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = filterql.query_page(runs, endpoint, page_size=size, engine=engine, **params, **extra)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert page.items, "a page before the last is never empty"
        assert len(pages) <= len(runs) + 1


def _key(endpoint: str, item: dict[str, Any]) -> Any:
    return {"runs.query": item.get("id"), "traces.query": None, "threads.query": item.get("thread_id"),
            "threads.list_traces": item.get("trace_id")}[endpoint]


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_pages_concatenated_are_the_unpaged_answer(endpoint: str) -> None:
    @settings(max_examples=25 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                              HealthCheck.data_too_large])
    @given(threaded_runs(), calls(endpoint), st.integers(1, 4))
    def check(runs: list[dict[str, Any]], params: dict[str, Any], size: int) -> None:
        whole = filterql.query_page(runs, endpoint, page_size=ENDPOINTS[endpoint].page_size[2], **params)
        assert whole.next_cursor is None
        pages = _pages(runs, endpoint, params, size)
        assert [i for p in pages for i in p.items] == whole.items
        assert all(len(p.items) <= size for p in pages)
        keys = [_key(endpoint, i) for i in whole.items if _key(endpoint, i) is not None]
        assert len(keys) == len(set(keys)), "an item repeats"

    check()


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_duckdb_gives_identical_pages(endpoint: str) -> None:
    pytest.importorskip("duckdb")

    @settings(max_examples=8 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])
    @given(threaded_runs(), calls(endpoint), st.integers(1, 5))
    def check(runs: list[dict[str, Any]], params: dict[str, Any], size: int) -> None:
        python = _pages(runs, endpoint, params, size)
        duck = _pages(runs, endpoint, params, size, engine="duckdb")
        assert [p.to_json() for p in duck] == [p.to_json() for p in python]

    check()


def test_window_bounds_are_inclusive_then_exclusive() -> None:
    runs = list(filterql.read_runs(os.path.join(os.path.dirname(__file__), "..", "examples", "runs.jsonl")))
    times = sorted({datetime.fromisoformat(r["start_time"].replace("Z", "+00:00")) for r in runs})
    low, high = times[1], times[-1]
    got = filterql.query_page(runs, "runs.query", page_size=1000, min_start_time=low, max_start_time=high,
                         selects=["START_TIME"]).items
    seen = {parse_timestamp(i["start_time"]) for i in got}
    assert low in seen and high not in seen
