"""The SDK's v1 read calls over HTTP: ``POST /runs/query`` (``Client.list_runs``) and ``GET /runs/{id}``.

This layer only translates: a request body's names become ``list_runs``
arguments (``session`` → ``project_id``, ``parent_run`` → ``parent_run_id``,
``trace`` → ``trace_id``, ``id`` → ``run_ids``, ``reference_example`` →
``reference_example_id``), :func:`filterql.check_query` checks them, the store
answers, and the runs go back in the response shape the SDK reads
(``{"runs": [...], "cursors": {"next": ...}}``).
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping

import attrs

from .. import ast
from ..builder import and_, field
from ..parser import parse
from ..query_check import check_query
from .cursors import CursorError, Cursors
from .problems import Problem, invalid_call
from .store import RunStore

__all__ = ["BODY_ARGUMENTS", "PAGE_SIZE", "RUN_FIELDS", "V1Query", "parse_body", "runs_page", "query_runs", "read_run",
           "clean"]

#: ``POST /runs/query`` body keys and the ``list_runs`` argument each one is.
BODY_ARGUMENTS: Mapping[str, str] = {
    "session": "project_id", "filter": "filter", "trace_filter": "trace_filter", "tree_filter": "tree_filter",
    "is_root": "is_root", "run_type": "run_type", "error": "error", "start_time": "start_time", "id": "run_ids",
    "trace": "trace_id", "parent_run": "parent_run_id", "reference_example": "reference_example_id",
    "select": "select", "limit": "limit",
}
#: Body keys LangSmith takes that have no offline meaning here, and what to write instead.
UNSUPPORTED: Mapping[str, str] = {
    "query": "the free-text query is LangSmith's own search; write filter='search(\"your words\")' instead",
    "end_time": "write filter='lt(start_time, \"...\")' to bound the start time from above",
}
#: Runs per response (LangSmith's largest ``limit`` on this endpoint); a larger ``limit`` pages.
PAGE_SIZE = 100
#: Fields every answered run carries: the SDK's ``Run`` model requires them.
RUN_FIELDS = ("id", "name", "run_type", "start_time", "trace_id")
#: Longest filter text accepted, in characters.
MAX_FILTER_CHARS = 100_000
#: Most ids accepted in one list parameter (``id``, ``session``, ``reference_example``).
MAX_IDS = 10_000
#: check_query warnings this server refuses (LangSmith would reject the call).
_STRICT = frozenset({"unknown-select"})
_SCOPE = "runs/query"


@attrs.frozen
class V1Query:
    """A checked ``POST /runs/query`` body: ``select`` arguments, page size, first offset."""

    arguments: dict[str, Any]
    page_size: int
    offset: int
    params: dict[str, Any]


def _id_list(name: str, value: Any) -> list[str]:
    """A list of UUIDs (one string accepted as a list of one), canonical; 422 naming ``name`` otherwise."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > MAX_IDS:
        raise Problem(422, "invalid-parameter", f"{name} must be a list of at most {MAX_IDS} UUIDs",
                      parameters=[name])
    out = []
    for item in items:
        try:
            out.append(str(uuid.UUID(item)) if isinstance(item, str) else "")
        except ValueError:
            out.append("")
        if not out[-1]:
            raise Problem(422, "invalid-parameter", f"{name}: {item!r} is not a UUID", parameters=[name])
    return out


def _scope_filter(store: RunStore, sessions: list[str], references: list[str]) -> ast.Expr | None:
    """The conditions of ``session`` and ``reference_example`` as one filter (None when neither is given)."""
    parts = []
    if sessions:
        unknown = [s for s in sessions if store.project(s) is None]
        if unknown:
            known = ", ".join(f"{p.name} ({p.id})" for p in store.projects[:20])
            raise Problem(404, "project-not-found", f"no project {unknown[0]} in the served files; "
                          f"projects: {known}", parameters=["session"])
        parts.append(field("session_id").in_(sessions))
    if references:
        parts.append(field("reference_example_id").in_(references))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else and_(*parts)


def parse_body(body: Any, store: RunStore, cursors: Cursors, page_size: int = PAGE_SIZE) -> V1Query:
    """Check a ``POST /runs/query`` body and translate it; :class:`Problem` names what is wrong.

    ``page_size`` is the most runs per response (a larger ``limit`` pages).
    """
    if not isinstance(body, dict):
        raise Problem(400, "invalid-body", f"the body must be a JSON object, not {type(body).__name__}")
    params = {k: v for k, v in body.items() if k != "cursor" and v is not None}
    unknown = sorted(set(params) - set(BODY_ARGUMENTS) - set(UNSUPPORTED))
    if unknown:
        raise Problem(422, "unknown-parameter", f"unknown parameter {unknown[0]!r}; this endpoint takes "
                      f"{', '.join(sorted(BODY_ARGUMENTS))} and cursor", parameters=unknown)
    for name in sorted(set(params) & set(UNSUPPORTED)):
        raise Problem(422, "unsupported-parameter", f"{name} is not supported offline: {UNSUPPORTED[name]}",
                      parameters=[name])
    for name in ("filter", "trace_filter", "tree_filter"):
        value = params.get(name)
        if isinstance(value, str) and len(value) > MAX_FILTER_CHARS:
            raise Problem(413, "filter-too-large", f"{name} is {len(value):,} characters; this server accepts "
                          f"at most {MAX_FILTER_CHARS:,}", parameters=[name])
    sessions = _id_list("session", params["session"]) if "session" in params else []
    references = _id_list("reference_example", params["reference_example"]) if "reference_example" in params else []
    if "id" in params:
        _id_list("id", params["id"])
    call = {BODY_ARGUMENTS[k]: v for k, v in params.items() if k not in ("session", "reference_example")}
    checked = check_query(**call)
    errors = [d for d in checked.diagnostics if d.is_error or d.code in _STRICT]
    if errors:
        names = {arg: key for key, arg in BODY_ARGUMENTS.items()}
        raise invalid_call([attrs.evolve(d, severity="error") for d in errors], checked.texts, names)

    arguments = {k: v for k, v in call.items() if k != "limit"}
    for name in ("is_root", "error"):
        if name in arguments:
            arguments[name] = bool(arguments[name])
    scope = _scope_filter(store, sessions, references)
    if scope is not None:
        user = call.get("filter")
        arguments["filter"] = scope if user is None else and_(parse(user), scope)
    if "select" in arguments:
        arguments["select"] = list(dict.fromkeys([*RUN_FIELDS, *arguments["select"]]))
    limit = call.get("limit")
    size = min(limit, page_size) if limit is not None else page_size
    try:
        offset = cursors.read(_SCOPE, params, body["cursor"]) if body.get("cursor") is not None else 0
    except CursorError as e:
        raise Problem(400, "invalid-cursor", str(e), parameters=["cursor"]) from None
    return V1Query(arguments, size, offset, params)


def clean(run: Mapping[str, Any]) -> dict[str, Any]:
    """A run as answered: keys with a null value left out (the SDK's model then uses its defaults)."""
    return {k: v for k, v in run.items() if v is not None}


def runs_page(query: V1Query, store: RunStore, cursors: Cursors) -> dict[str, Any]:
    """The response body of ``POST /runs/query`` for a checked body."""
    found, more = store.page(query.arguments, query.offset, query.page_size)
    nxt = cursors.issue(_SCOPE, query.params, query.offset + len(found)) if more else None
    return {"runs": [clean(r) for r in found], "cursors": {"next": nxt}}


def query_runs(body: Any, store: RunStore, cursors: Cursors, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """The response body of ``POST /runs/query`` for a request body (checking included)."""
    return runs_page(parse_body(body, store, cursors, page_size), store, cursors)


def read_run(run_id: str, store: RunStore) -> dict[str, Any]:
    """The response body of ``GET /runs/{run_id}``."""
    try:
        key = str(uuid.UUID(run_id))
    except ValueError:
        raise Problem(422, "invalid-parameter", f"run_id: {run_id[:100]!r} is not a UUID",
                      parameters=["run_id"]) from None
    run = store.run(key)
    if run is None:
        raise Problem(404, "run-not-found", f"no run {key} in the served files")
    return clean(run)
