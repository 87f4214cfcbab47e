"""``select``: the offline twin of ``Client.list_runs`` (SPEC §1), on the Python engine.

The arguments become a :class:`~filterql.query.RunQuery`; this module only
runs it. ``trace_filter`` is tested on the root of each run's trace (the run
whose id is the run's ``trace_id``) and ``tree_filter`` on every run, once
each, in a first pass that keeps per-trace verdicts only; a second pass then
keeps the runs that match ``where`` and whose trace qualifies — a per-trace
semi-join, O(number of runs) whatever the trace sizes. Results come newest
``start_time`` first, ties by ascending id, like the API.

:func:`select` returns the runs themselves. :func:`output_lines` is what
``filterql match`` prints: it keeps, per matching run, only an order key and
its id (``--ids-only``), or the position of its output line in a temporary
spill file, so memory does not grow with the size of the matching runs.
"""

from __future__ import annotations

import heapq
import json
import tempfile
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import runs as R
from .evaluate import compile
from .projection import project
from .query import RunQuery, list_runs_query
from .validator import FilterInput

__all__ = ["select", "select_query", "matching", "output_lines", "order_key"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NO_TIME = float("inf")  # a run without a readable start_time sorts last


def _ident(value: Any) -> str:
    """The comparable text of an id: canonical UUID text, or the value's own text."""
    text = R.uuid_text(value)
    return text if text is not None else str(value)


def _micros(run: dict[str, Any]) -> int | None:
    t = R.timestamp(run.get("start_time"))
    return None if t is None else (t - _EPOCH) // R._US


def order_key(run: dict[str, Any]) -> tuple[Any, str]:
    """Sort key giving the API's order: newest ``start_time`` first, then ascending id."""
    micros = _micros(run)
    return (_NO_TIME if micros is None else -micros), _ident(run.get("id"))


class Children:
    """Each run's child ids, in the order they ran (``start_time``, then id)."""

    def __init__(self) -> None:
        self._by_parent: dict[str, list[tuple[Any, str, Any]]] = {}

    def add(self, run: dict[str, Any]) -> None:
        parent = run.get("parent_run_id")
        if parent is not None:
            micros = _micros(run)
            key = float("inf") if micros is None else micros
            self._by_parent.setdefault(_ident(parent), []).append((key, _ident(run.get("id")), run.get("id")))

    def of(self, run: dict[str, Any]) -> list[Any]:
        return [child for _, _, child in sorted(self._by_parent.get(_ident(run.get("id")), ()), key=lambda c: c[:2])]


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
    the runs are returned as given; with it, dicts of ``id`` plus those names
    projected as :mod:`filterql.projection` defines (``child_run_ids`` from
    the runs given; ``latency`` in seconds, ``thread_id``, ``is_root``, ...
    derived when the run lacks them). Arguments are checked first: an invalid
    filter raises :class:`FilterValidationError`, any other invalid argument
    :class:`~filterql.query.QueryArgumentError` (a ``ValueError`` too).
    """
    query = list_runs_query(
        filter=filter, trace_filter=trace_filter, tree_filter=tree_filter, is_root=is_root, run_type=run_type,
        error=error, start_time=start_time, trace_id=trace_id, parent_run_id=parent_run_id, run_ids=run_ids,
        select=select, limit=limit, search_limit=search_limit)
    return select_query(runs, query)


def select_query(runs: Iterable[Any], query: RunQuery) -> list[Any]:
    """The runs (or projections) that ``query`` returns from ``runs``, in order."""
    pairs, children = matching(runs, query)
    key: Callable[[tuple[Any, dict[str, Any]]], Any] = lambda pair: order_key(pair[1])
    ordered = heapq.nsmallest(query.limit, pairs, key=key) if query.limit is not None else sorted(pairs, key=key)
    if query.select is None:
        return [run for run, _ in ordered]
    return [project(d, query.select, children.of(d) if children else None) for _, d in ordered]


def matching(runs: Iterable[Any], query: RunQuery) -> tuple[Iterable[tuple[Any, dict[str, Any]]], Children | None]:
    """The matching runs as (run, run JSON) pairs in input order (lazy), and the children when selected.

    A first pass over ``runs`` runs only when a trace or tree filter or
    ``child_run_ids`` needs it; a one-shot iterable is then held in memory.
    """
    kw = {"search_limit": query.search_limit}
    tests: list[Callable[[dict[str, Any]], bool]] = []
    if query.where is not None:
        tests.append(compile(query.where, "filter", **kw))
    trace_pred = compile(query.trace_filter, "trace_filter", **kw) if query.trace_filter is not None else None
    tree_pred = compile(query.tree_filter, "tree_filter", **kw) if query.tree_filter is not None else None
    children: Children | None = None
    if trace_pred is not None or tree_pred is not None or query.needs_children:
        if iter(runs) is runs or not getattr(runs, "rereadable", True):  # one-shot: keep for the second pass
            runs = list(runs)
        children = Children() if query.needs_children else None
        good_roots, good_trees = _first_pass(runs, trace_pred, tree_pred, children)
        if trace_pred is not None:
            tests.append(lambda d: _ident(d.get("trace_id")) in good_roots)
        if tree_pred is not None:
            tests.append(lambda d: _ident(d.get("trace_id")) in good_trees)
    keep = _all_of(tests)

    def pairs() -> Iterator[tuple[Any, dict[str, Any]]]:
        for run in runs:
            d = R.as_dict(run)
            if keep(d):
                yield run, d

    return pairs(), children


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
    children: Children | None,
) -> tuple[set[str], set[str]]:
    """Traces whose root matches ``trace_pred``, traces with any run matching ``tree_pred``; fills ``children``."""
    good_roots: set[str] = set()
    good_trees: set[str] = set()
    for run in runs:
        d = R.as_dict(run)
        trace = _ident(d.get("trace_id"))
        if trace_pred is not None and _ident(d.get("id")) == trace and trace_pred(d):
            good_roots.add(trace)
        if tree_pred is not None and trace not in good_trees and tree_pred(d):
            good_trees.add(trace)
        if children is not None:
            children.add(d)
    return good_roots, good_trees


# ------------------------------------------------------------ bounded-memory output

#: Sort prefix of a run without a readable start_time: after every real one.
_LAST = (1 << 64) - 1
#: With a limit up to this, the output lines themselves are kept (no spill file).
_KEEP_LINES_UP_TO = 10_000


def _record(d: dict[str, Any], tail: bytes = b"") -> bytes:
    """A bytes sort record: 8-byte key (newest first), the canonical id, ``tail``; bytes order = API order."""
    micros = _micros(d)
    prefix = _LAST if micros is None else (1 << 63) - micros
    return prefix.to_bytes(8, "big") + _ident(d.get("id")).encode("utf-8", "surrogatepass") + tail


def _line(run: Any, d: dict[str, Any], query: RunQuery, children: Children | None) -> str:
    out = d if query.select is None else project(d, query.select, children.of(d) if children else None)
    return json.dumps(out, ensure_ascii=False, default=str)


def output_lines(runs: Iterable[Any], query: RunQuery, *, ids_only: bool = False) -> Iterator[str]:
    """``filterql match`` output, in order: ids, or JSON lines (whole runs or projections).

    Ids are printed as canonical UUID text, as the API and the SQL engines
    return them. Memory is bounded by what is kept: per matching run, a sort
    record of about 80 bytes (key and id); full output goes to a temporary
    spill file and is read back by position. With a small ``limit`` only that
    many lines are kept.
    """
    pairs, children = matching(runs, query)
    if ids_only:
        records = (_record(d) for _, d in pairs)
        ordered = heapq.nsmallest(query.limit, records) if query.limit is not None else sorted(records)
        yield from (r[8:].decode("utf-8", "surrogatepass") for r in ordered)
        return
    if query.limit is not None and query.limit <= _KEEP_LINES_UP_TO:
        kept = heapq.nsmallest(query.limit, ((_record(d), _line(run, d, query, children)) for run, d in pairs),
                               key=lambda item: item[0])
        yield from (line for _, line in kept)
        return
    with tempfile.TemporaryFile() as spill:
        offsets = []
        for run, d in pairs:
            position = spill.tell()
            spill.write(_line(run, d, query, children).encode("utf-8", "surrogatepass") + b"\n")
            offsets.append(_record(d, position.to_bytes(8, "big")))
        ordered = heapq.nsmallest(query.limit, offsets) if query.limit is not None else sorted(offsets)
        del offsets
        for record in ordered:
            spill.seek(int.from_bytes(record[-8:], "big"))
            yield spill.readline()[:-1].decode("utf-8", "surrogatepass")

