"""The SDK's v2 read resources over HTTP: a thin layer over :mod:`filterql.pages` (``filterql.query_page``).

``client.runs.query_v2`` → ``POST /api/v2/runs/query``, ``client.traces.query`` →
``POST /api/v2/traces/query``, ``client.threads.query`` → ``POST /api/v2/threads/query``,
``client.threads.list_traces`` → ``GET /api/v2/threads/{thread_id}/traces``. Two reads are
``runs.query`` calls: ``client.runs.retrieve_v2`` (``GET /api/v2/runs/{run_id}``: ``ids=[run_id]``)
and ``client.traces.list_runs`` (``GET /api/v2/traces/{trace_id}/runs``: ``trace_id``, every page,
oldest first). A JSON body or query string is passed on as the endpoint's parameters, unchanged but
for query-string types (repeated names are lists, ``page_size`` a number): filterql checks them and
answers; this module only moves names and shapes.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from starlette.datastructures import QueryParams

from ..cursor import CursorError
from ..endpoints import ENDPOINTS, Kind
from ..pages import QueryError, V2Call, call_of, page_of
from .problems import Problem, invalid_call
from .store import RunStore

__all__ = ["page", "params_of", "read_run", "trace_runs", "LIST_PARAMS"]

_PARAMS = [p for endpoint in ENDPOINTS.values() for p in endpoint.params]
#: Query-string parameters that hold a list (``selects=A&selects=B``), as the endpoint table types them.
LIST_PARAMS = frozenset(p.name for p in _PARAMS if p.kind in (Kind.UUIDS, Kind.ENUMS))
#: Query-string parameters that hold an integer.
_INT_PARAMS = frozenset(p.name for p in _PARAMS if p.kind is Kind.INT)


def params_of(query: QueryParams) -> dict[str, Any]:
    """A query string as endpoint parameters: repeated names as lists, integers as numbers."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(query.keys()):
        values = query.getlist(name)
        value: Any = values if name in LIST_PARAMS else values[-1]
        if name in _INT_PARAMS and isinstance(value, str) and value.isascii() and value.lstrip("-").isdigit():
            value = int(value)
        out[name] = value
    return out


def _checked(endpoint: str, params: Mapping[str, Any]) -> V2Call:
    try:
        return call_of(endpoint, params)
    except QueryError as e:
        raise invalid_call(e.check.diagnostics, e.check.texts, {}) from None


def page(store: RunStore, endpoint: str, params: Any) -> dict[str, Any]:
    """The response body of a v2 endpoint (``{"items": [...], "next_cursor": ...}``)."""
    if not isinstance(params, dict):
        raise Problem(400, "invalid-body", f"the body must be a JSON object, not {type(params).__name__}")
    call = _checked(endpoint, params)
    try:
        return page_of(store.v2_answer(call), call).to_json()
    except CursorError as e:
        raise Problem(400, "invalid-cursor", str(e), parameters=["cursor"]) from None


def read_run(store: RunStore, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/v2/runs/{run_id}``: the run, with the selected fields (``project_id`` narrows)."""
    call = {k: v for k, v in params.items() if k in ("selects",)}
    if "project_id" in params:
        call["project_ids"] = [params["project_id"]]
    found = page(store, "runs.query", {**call, "ids": [run_id], "page_size": 1})
    if not found["items"]:
        raise Problem(404, "run-not-found", f"no run {run_id[:100]!r} in the served files")
    return found["items"][0]


def trace_runs(store: RunStore, trace_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/v2/traces/{trace_id}/runs``: every run of the trace, oldest first (``{"items": [...]}``)."""
    call = {k: v for k, v in params.items() if k in ("selects", "filter", "min_start_time", "max_start_time")}
    if "project_id" in params:
        call["project_ids"] = [params["project_id"]]
    call.update(trace_id=trace_id, page_size=1000)
    items: list[dict[str, Any]] = []
    while True:
        found = page(store, "runs.query", call)
        items += found["items"]
        if not found["next_cursor"]:
            break
        call["cursor"] = found["next_cursor"]
    return {"items": items[::-1]}  # runs.query is newest first
