"""``select``: the offline twin of ``Client.list_runs`` (SPEC §1), on the Python engine.

The arguments become a :class:`~filterql.query.RunQuery`; this module only
runs it. ``trace_filter`` is tested on the root of each run's trace (the run
whose id is the run's ``trace_id``) and ``tree_filter`` on every run, once
each, in a first pass that keeps per-trace verdicts only; a second pass then
keeps the runs that match ``where`` and whose trace qualifies — a per-trace
semi-join, O(number of runs) whatever the trace sizes. Results come newest
``start_time`` first, ties by ascending id, like the API.

:func:`select` returns the runs themselves; :func:`output_lines` is what
``filterql match`` prints, ordered by :mod:`filterql.output_order` so memory
does not grow with the size of the matching runs.
"""

from __future__ import annotations

import heapq
import json
import tempfile
import uuid
from datetime import datetime
from itertools import chain, compress, repeat
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

from . import ast
from . import runs as R
from .evaluate import compile
from .line_prefilter import either, line_condition, line_test
from .lowering import lower
from .output_order import ordered_id_records, ordered_lines, sort_records
from .projection import project
from .query import RunQuery, list_runs_query
from .run_files import Heads, heads_of, in_batches
from .validator import FilterInput

__all__ = ["select", "select_query", "matching", "output_lines", "order_key"]

_NO_TIME = float("inf")  # a run without a readable start_time sorts last


def _ident(value: Any) -> str:
    """The comparable text of an id: canonical UUID text, or the value's own text."""
    text = R.uuid_text(value)
    return text if text is not None else str(value)


def _micros(run: dict[str, Any]) -> int | None:
    return R.timestamp_us(run.get("start_time"))


def order_key(run: dict[str, Any]) -> tuple[Any, str]:
    """Sort key giving the API's order: newest ``start_time`` first, then ascending id."""
    micros = _micros(run)
    return (_NO_TIME if micros is None else -micros), _ident(run.get("id"))


class Children:
    """Each run's child ids (canonical text), in the order they ran (``start_time``, then id)."""

    def __init__(self) -> None:
        self._by_parent: dict[str, list[tuple[float, str]]] = {}

    def add(self, run: dict[str, Any]) -> None:
        parent = run.get("parent_run_id")
        if parent is not None:
            micros = _micros(run)
            self._by_parent.setdefault(_ident(parent), []).append(
                (_NO_TIME if micros is None else micros, _ident(run.get("id"))))

    def of(self, run: dict[str, Any]) -> list[str]:
        return [child for _, child in sorted(self._by_parent.get(_ident(run.get("id")), ()))]


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
    batches, children = matching(runs, query)
    pairs = chain.from_iterable(zip(given, ds) for given, ds in batches)
    key: Callable[[tuple[Any, dict[str, Any]]], Any] = lambda pair: order_key(pair[1])
    ordered = heapq.nsmallest(query.limit, pairs, key=key) if query.limit is not None else sorted(pairs, key=key)
    if query.select is None:
        return [run for run, _ in ordered]
    return [project(d, query.select, children.of(d) if children else None) for _, d in ordered]


def matching(runs: Iterable[Any], query: RunQuery, *, spill: IO[bytes] | None = None,
             ) -> tuple[Iterable[tuple[list[Any], list[dict[str, Any]]]], Children | None]:
    """The matching runs in input order (lazy), in batches of (runs as given, their run JSON), and the
    children when selected.

    A first pass over ``runs`` runs only when a trace or tree filter or
    ``child_run_ids`` needs it; a one-shot iterable is then held in memory, or
    written to ``spill`` as JSON lines and read back (the runs come back as dicts).
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
            runs = list(runs) if spill is None else _Spilled(runs, spill)
        children = Children() if query.needs_children else None
        # The first pass only looks for roots passing trace_filter and runs passing tree_filter, unless
        # it lists every run's children.
        first = runs if children is not None else _narrowed(runs, [query.trace_filter, query.tree_filter])
        good_roots, good_trees = _first_pass(first, trace_pred, tree_pred, children)
        if trace_pred is not None:
            tests.append(lambda d: _ident(d.get("trace_id")) in good_roots)
        if tree_pred is not None:
            tests.append(lambda d: _ident(d.get("trace_id")) in good_trees)
    keep = _all_of(tests)
    wanted = runs if query.where is None else _narrowed(runs, [query.where])

    def batches() -> Iterator[tuple[list[Any], list[dict[str, Any]]]]:
        for given in _in_batches(wanted):
            ds = R.as_dicts(given)
            if keep is not None:
                kept = list(map(keep, ds))
                given, ds = list(compress(given, kept)), list(compress(ds, kept))
            yield given, ds

    return batches(), children


def _in_batches(runs: Iterable[Any]) -> Iterator[list[Any]]:
    """``runs`` in lists: the source's own batches (:meth:`filterql.run_files.RunReader.batches`) when it
    has them."""
    own = getattr(runs, "batches", None)
    return own() if own is not None else in_batches(runs)


def _narrowed(runs: Iterable[Any], filters: list[ast.Expr | None]) -> Iterable[Any]:
    """``runs``, or when the source can test lines (:meth:`filterql.run_files.RunReader.passing`) only
    the runs of lines that may match one of the (checked) ``filters`` (:mod:`filterql.line_prefilter`)."""
    passing = getattr(runs, "passing", None)
    if passing is None:
        return runs
    test = line_test(either([line_condition(lower(f)) for f in filters if f is not None]))
    return runs if test is None else passing(test)


class _Spilled:
    """A one-shot run source copied to a file as JSON lines, re-iterable (as dicts)."""

    def __init__(self, runs: Iterable[Any], spill: IO[bytes]) -> None:
        self.spill = spill
        for run in runs:
            spill.write(json.dumps(R.as_dict(run), ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))
            spill.write(b"\n")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.spill.seek(0)
        for line in self.spill:
            yield json.loads(line.decode("utf-8", "surrogatepass"))


def _all_of(tests: list[Callable[[dict[str, Any]], bool]]) -> Callable[[dict[str, Any]], bool] | None:
    """The conjunction of ``tests``; None when there is none (every run is kept)."""
    if not tests:
        return None
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


# ------------------------------------------------------------ filterql match


def output_lines(runs: Iterable[Any], query: RunQuery, *, ids_only: bool = False) -> Iterator[str]:
    """``filterql match`` output, in order: ids (canonical UUID text), or JSON lines (whole runs or projections).

    Memory is bounded by what is kept (:mod:`filterql.output_order`). A
    one-shot source (standard input) that needs two passes is copied to a
    temporary file rather than held in memory.
    """
    heads = getattr(runs, "heads", None)
    if ids_only and heads is not None and query.keeps_every_run:  # the reader reads only what is printed
        return _ordered_ids(heads(), query.limit)
    return _matched_lines(runs, query, ids_only)


def _matched_lines(runs: Iterable[Any], query: RunQuery, ids_only: bool) -> Iterator[str]:
    with tempfile.TemporaryFile() as copy:
        batches, children = matching(runs, query, spill=copy)
        if ids_only:
            yield from _ordered_ids(map(heads_of, (ds for _, ds in batches)), query.limit)
            return
        lines = ((_micros(d), _ident(d.get("id")), _line(d, query, children)) for _, ds in batches for d in ds)
        yield from ordered_lines(lines, query.limit)


def _ordered_ids(heads: Iterable[Heads], limit: int | None) -> Iterator[str]:
    """The ids of batches of :data:`~filterql.run_files.Heads` in the API's order, at most ``limit``."""
    records = chain.from_iterable(sort_records(micros, _idents_of(ids)) for ids, micros in heads)
    return ordered_id_records(records, limit)


def _idents_of(ids: list[Any]) -> list[str]:
    """``_ident`` of each id, in C loops when every id is already canonical text."""
    return ids if R.own_uuid_texts(ids) else list(map(_ident, ids))


def _line(d: dict[str, Any], query: RunQuery, children: Children | None) -> str:
    out = d if query.select is None else project(d, query.select, children.of(d) if children else None)
    return json.dumps(out, ensure_ascii=False, default=str)
