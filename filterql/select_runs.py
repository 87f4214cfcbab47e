"""``select``: the offline twin of ``Client.list_runs`` (SPEC §1).

Every argument combines with AND; ``run_ids`` ignores every other filtering
argument. ``trace_filter`` is tested on the root of each run's trace (the run
whose id is the run's ``trace_id``) and ``tree_filter`` on every run, once
each; a second pass then keeps runs whose trace qualifies — a per-trace
semi-join, O(number of runs) whatever the trace sizes. Results come newest
``start_time`` first, ties by ascending id, like the API.
"""

from __future__ import annotations

import heapq
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

from . import runs as R
from .evaluate import compile
from .validator import FilterInput

__all__ = ["select", "order_key"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NO_TIME = float("inf")  # a run without a readable start_time sorts last


def _ident(value: Any) -> str:
    """The comparable text of an id: canonical UUID text, or the value's own text."""
    text = R.uuid_text(value)
    return text if text is not None else str(value)


def order_key(run: dict[str, Any]) -> tuple[Any, str]:
    """Sort key giving the API's order: newest ``start_time`` first, then ascending id."""
    t = R.timestamp(run.get("start_time"))
    micros: float = _NO_TIME if t is None else -((t - _EPOCH) // R._US)
    return micros, _ident(run.get("id"))


def _latency_seconds(run: dict[str, Any]) -> float | None:
    micros = R.latency_us(run)
    return None if micros is None else micros / 1_000_000


#: Selectable names that are not keys of the run JSON but derived from it.
_DERIVED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "latency": _latency_seconds,
    "thread_id": R.thread_id,
    "is_root": lambda run: run.get("parent_run_id") is None,
    "metadata": lambda run: R.metadata(run) or None,
}


def _project(run: dict[str, Any], fields: Sequence[str], children: dict[str, list[str]] | None) -> dict[str, Any]:
    """``id`` plus each selected key; derived names (latency, thread_id, ...) computed when absent."""
    out: dict[str, Any] = {"id": run.get("id")}
    for name in fields:
        if name == "child_run_ids" and children is not None:
            out[name] = children.get(_ident(run.get("id")), [])
        elif name not in run and name in _DERIVED:
            out[name] = _DERIVED[name](run)
        else:
            out[name] = run.get(name)
    return out


def _keyword_tests(
    is_root: bool | None,
    run_type: str | None,
    error: bool | None,
    start_time: datetime | str | None,
    trace_id: str | uuid.UUID | None,
    parent_run_id: str | uuid.UUID | None,
) -> list[Callable[[dict[str, Any]], bool]]:
    tests: list[Callable[[dict[str, Any]], bool]] = []
    if is_root is not None:
        tests.append(lambda d: (d.get("parent_run_id") is None) == is_root)
    if run_type is not None:
        tests.append(lambda d: d.get("run_type") == run_type)
    if error is not None:
        tests.append(lambda d: (d.get("error") is not None) == error)
    if start_time is not None:
        since = R.timestamp(start_time)
        if since is None:
            raise ValueError(f"start_time must be a datetime or an ISO-8601 string, not {start_time!r}")
        tests.append(lambda d: (t := R.timestamp(d.get("start_time"))) is not None and t >= since)
    if trace_id is not None:
        want_trace = _ident(trace_id)
        tests.append(lambda d: _ident(d.get("trace_id")) == want_trace)
    if parent_run_id is not None:
        want_parent = _ident(parent_run_id)
        tests.append(lambda d: d.get("parent_run_id") is not None and _ident(d.get("parent_run_id")) == want_parent)
    return tests


def select(
    runs: Iterable[Any],
    *,
    filter: FilterInput | None = None,  # noqa: A002 - the list_runs name
    trace_filter: FilterInput | None = None,
    tree_filter: FilterInput | None = None,
    is_root: bool | None = None,
    run_type: str | None = None,
    error: bool | None = None,
    start_time: datetime | str | None = None,
    trace_id: str | uuid.UUID | None = None,
    parent_run_id: str | uuid.UUID | None = None,
    run_ids: Iterable[str | uuid.UUID] | None = None,
    select: Sequence[str] | None = None,  # noqa: A002
    limit: int | None = None,
    search_limit: int | None = None,
) -> list[Any]:
    """The runs ``Client.list_runs`` would return for these arguments, in its order.

    ``runs`` is an iterable of run dicts or ``langsmith`` Runs (a re-iterable
    source such as :func:`filterql.read_runs` is read twice instead of held in
    memory when a trace or tree filter needs a first pass). Without ``select``
    the runs are returned as given; with it, dicts of ``id`` plus those keys
    (``child_run_ids`` is computed from the runs given; ``latency`` in seconds,
    ``thread_id``, ``is_root`` and ``metadata`` are derived when the run lacks them). Filters are validated
    first and raise :class:`FilterError` when invalid.
    """
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative integer, not {limit!r}")
    if isinstance(select, str):
        select = [select]
    wanted_ids: frozenset[str] | None = None
    if run_ids is not None:
        wanted_ids = frozenset(_ident(r) for r in run_ids)
        filter = trace_filter = tree_filter = None
        is_root = error = None
        run_type = start_time = trace_id = parent_run_id = None
    run_pred = compile(filter, "filter", search_limit=search_limit) if filter is not None else None
    trace_pred = compile(trace_filter, "trace_filter", search_limit=search_limit) if trace_filter is not None else None
    tree_pred = compile(tree_filter, "tree_filter", search_limit=search_limit) if tree_filter is not None else None
    tests = _keyword_tests(is_root, run_type, error, start_time, trace_id, parent_run_id)
    if run_pred is not None:
        tests.append(run_pred)
    if wanted_ids is not None:
        tests.append(lambda d: _ident(d.get("id")) in wanted_ids)

    needs_children = select is not None and "child_run_ids" in select
    if trace_pred is not None or tree_pred is not None or needs_children:
        if iter(runs) is runs or not getattr(runs, "rereadable", True):  # one-shot: keep for the second pass
            runs = list(runs)
        good_roots, good_trees, children = _first_pass(runs, trace_pred, tree_pred, needs_children)
        if trace_pred is not None:
            tests.append(lambda d: _ident(d.get("trace_id")) in good_roots)
        if tree_pred is not None:
            tests.append(lambda d: _ident(d.get("trace_id")) in good_trees)
    else:
        children = None

    keep = _all_of(tests)

    def matches() -> Iterable[tuple[Any, dict[str, Any]]]:
        for run in runs:
            d = R.as_dict(run)
            if keep(d):
                yield run, d

    pairs: Iterable[tuple[Any, dict[str, Any]]] = matches()
    key: Callable[[tuple[Any, dict[str, Any]]], Any] = lambda pair: order_key(pair[1])
    ordered = heapq.nsmallest(limit, pairs, key=key) if limit is not None else sorted(pairs, key=key)
    if select is not None:
        return [_project(d, select, children) for _, d in ordered]
    return [run for run, _ in ordered]


def _all_of(tests: list[Callable[[dict[str, Any]], bool]]) -> Callable[[dict[str, Any]], bool]:
    if not tests:
        return lambda d: True
    if len(tests) == 1:
        return tests[0]
    return lambda d: all(test(d) for test in tests)


def _first_pass(
    runs: Iterable[Any],
    trace_pred: Callable[[dict[str, Any]], bool] | None,
    tree_pred: Callable[[dict[str, Any]], bool] | None,
    needs_children: bool,
) -> tuple[set[str], set[str], dict[str, list[str]] | None]:
    """Traces whose root matches ``trace_pred``, traces with any run matching ``tree_pred``, child ids."""
    good_roots: set[str] = set()
    good_trees: set[str] = set()
    children: dict[str, list[Any]] | None = {} if needs_children else None
    for run in runs:
        d = R.as_dict(run)
        trace = _ident(d.get("trace_id"))
        if trace_pred is not None and _ident(d.get("id")) == trace and trace_pred(d):
            good_roots.add(trace)
        if tree_pred is not None and trace not in good_trees and tree_pred(d):
            good_trees.add(trace)
        if children is not None and d.get("parent_run_id") is not None:
            children.setdefault(_ident(d.get("parent_run_id")), []).append(d)
    if children is not None:  # canonical ids, oldest first (then by id), whatever the file's order
        children = {parent: [_ident(c.get("id")) for c in sorted(kids, key=_oldest_first)]
                    for parent, kids in children.items()}
    return good_roots, good_trees, children


def _oldest_first(run: dict[str, Any]) -> tuple[Any, str]:
    micros, ident = order_key(run)
    return -micros, ident
