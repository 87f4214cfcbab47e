"""``filterql.query_page``: one page of a v2 endpoint over runs you already have (SPEC §8, §10).

A call is checked (:func:`filterql.check_query`) into a :class:`V2Call`; an
engine computes the whole ordered answer as rows (the Python engine here, by
the same ``select`` as ``list_runs`` for the shared arguments; DuckDB in
:mod:`filterql.sql.pages`); the page is a slice of it, its items are shaped by
:mod:`filterql.v2_items`, and ``next_cursor`` is a tamper-evident position
(:mod:`filterql.cursor`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from . import ast, cursor, runs as R
from .endpoint_check import check_query
from .endpoints import ENDPOINTS, Endpoint
from .errors import FilterError
from .evaluate import compile_checked
from .query_check import QueryCheck
from .renderer import render
from .run_files import RunReader, read_runs
from .select_runs import order_key, select
from .v2_items import (
    RunRow, ThreadTraceRow, TraceRow, error_preview, preview, run_item, thread_item, thread_trace_item, trace_item,
)

__all__ = ["Page", "QueryError", "V2Call", "query_page", "iter_pages", "call_of", "Answer", "python_answer", "thread_summary",
           "percentile_us", "USAGE_FIELDS"]


class QueryError(FilterError):
    """A v2 call with invalid parameters; ``check`` holds every diagnostic."""

    def __init__(self, check: QueryCheck) -> None:
        self.check = check
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.check.format()


@attrs.frozen
class Page:
    """One page of a v2 endpoint: ``items`` in the SDK model's JSON shape, and the cursor of the next page
    (None on the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


@attrs.frozen
class V2Call:
    """A checked v2 call: the endpoint, its typed filters and its coerced parameters."""

    endpoint: Endpoint
    filters: Mapping[str, ast.Expr]
    params: Mapping[str, Any]

    @property
    def page_size(self) -> int:
        return int(self.params.get("page_size", self.endpoint.page_size[0]))

    @property
    def selects(self) -> list[str]:
        default = ["TRACE_ID"] if self.endpoint.name == "threads.list_traces" else ["ID"]
        return list(self.params.get("selects", default))

    def digest(self) -> str:
        """What a cursor must have been made for: every parameter but ``cursor`` and ``page_size``."""
        shown = {k: v for k, v in self.params.items() if k not in ("cursor", "page_size")}
        shown.update({k: render(v) for k, v in self.filters.items()})
        return cursor.digest([self.endpoint.name, shown])


def call_of(endpoint: str, params: Mapping[str, Any]) -> V2Call:
    """Check a call (offline profile) into a :class:`V2Call`; :class:`QueryError` when anything is wrong."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; v2 endpoints are {', '.join(ENDPOINTS)}"
                         + (" (list_runs is filterql.select)" if endpoint == "list_runs" else ""))
    checked = check_query(endpoint=endpoint, **params)
    if not checked.valid:
        raise QueryError(checked)
    return V2Call(ENDPOINTS[endpoint], checked.filters, checked.params)


@attrs.frozen
class Answer:
    """An engine's whole answer to a call: ordered rows and the data set's fingerprint."""

    rows: Sequence[Any]
    data: str


#: Fields ``include_subtree_usage`` replaces with subtree values (types/run_query_v2_params.py).
USAGE_FIELDS = ("total_tokens", "prompt_tokens", "completion_tokens", "total_cost", "prompt_cost",
                "completion_cost")


def _ident(value: Any) -> str:
    text = R.uuid_text(value)
    return text if text is not None else str(value)


def _ts(run: dict[str, Any], name: str = "start_time") -> datetime | None:
    return R.timestamp(run.get(name))


def _in_window(call: V2Call) -> Callable[[dict[str, Any]], bool]:
    low, high = call.params.get("min_start_time"), call.params.get("max_start_time")

    def test(run: dict[str, Any]) -> bool:
        t = _ts(run)
        return t is not None and (low is None or t >= low) and (high is None or t < high)
    return test


def _project(run: dict[str, Any]) -> str | None:
    value = run.get("session_id") if run.get("session_id") is not None else run.get("project_id")
    return None if value is None else _ident(value)


def _is_llm(run: dict[str, Any]) -> bool:
    return run.get("run_type") == "llm"


def _sum(values: Iterable[Any]) -> Any:
    found = [v for v in values if v is not None]
    return sum(found[1:], found[0]) if found else None


def _usage_of(tree: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Usage of a set of runs: tokens and costs summed over its LLM runs, the earliest first token of any run."""
    tree = list(tree)
    llm = [r for r in tree if _is_llm(r)]
    out: dict[str, Any] = {}
    for name in USAGE_FIELDS:
        out[name] = _sum(R.number(r.get(name)) for r in llm)
    out["first_token_time"] = min((t for r in tree if (t := _ts(r, "first_token_time")) is not None), default=None)
    return out


class _Data:
    """The runs of one call, normalized once, with the indexes the endpoints need."""

    def __init__(self, runs: Iterable[Any]) -> None:
        # Through a reader: every run is checked (id, trace_id, name, run_type, a readable start_time)
        # and a v2-shaped one turned into run JSON, as read_runs does for files.
        reader = runs if isinstance(runs, RunReader) else read_runs(runs)
        self.runs = [R.normalize(r) for r in reader]
        self.by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.parent: dict[str, str | None] = {}
        for run in self.runs:
            self.by_trace[_ident(run.get("trace_id"))].append(run)
            pid = run.get("parent_run_id")
            self.parent[_ident(run.get("id"))] = None if pid is None else _ident(pid)
        self.fingerprint = cursor.fingerprint(self.parent)

    def ancestors(self, run: dict[str, Any]) -> tuple[str, ...]:
        """Ancestor ids, root first, as far as the runs given reach."""
        out: list[str] = []
        seen: set[str] = set()
        node = self.parent.get(_ident(run.get("id")))
        while node is not None and node not in seen:
            seen.add(node)
            out.append(node)
            node = self.parent.get(node)
        return tuple(reversed(out))

    def subtree(self, run: dict[str, Any]) -> list[dict[str, Any]]:
        """The run and its descendants (within its trace)."""
        members = self.by_trace.get(_ident(run.get("trace_id")), [])
        children: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in members:
            if m.get("parent_run_id") is not None:
                children[_ident(m.get("parent_run_id"))].append(m)
        out, stack, seen = [], [run], set()
        while stack:
            node = stack.pop()
            key = _ident(node.get("id"))
            if key in seen:  # parent links that loop (malformed data) end here
                continue
            seen.add(key)
            out.append(node)
            stack.extend(children.get(key, ()))
        return out


def _roots(data: _Data, call: V2Call, *, filter_: str | None = None, tree: bool = True) -> list[dict[str, Any]]:
    """Root runs matching the call's ``filter_`` (a parameter name), ``trace_filter`` and ``tree_filter``,
    newest first (``select``'s order)."""
    return select(data.runs, is_root=True,
                  filter=call.filters.get(filter_) if filter_ else None,
                  trace_filter=call.filters.get("trace_filter"),
                  tree_filter=call.filters.get("tree_filter") if tree else None)


def _project_test(call: V2Call) -> Callable[[dict[str, Any]], bool]:
    wanted = call.params.get("project_ids") or ([call.params["project_id"]] if "project_id" in call.params else None)
    if wanted is None:
        return lambda run: True
    ids = frozenset(wanted)
    return lambda run: _project(run) in ids


def _runs_answer(data: _Data, call: V2Call) -> list[RunRow]:
    p = call.params
    found = select(data.runs, filter=call.filters.get("filter"), trace_filter=call.filters.get("trace_filter"),
                   tree_filter=call.filters.get("tree_filter"), is_root=p.get("is_root"),
                   run_type=p["run_type"].lower() if "run_type" in p else None, error=p.get("has_error"),
                   start_time=p.get("min_start_time"), trace_id=p.get("trace_id"))
    tests = [_project_test(call), _in_window(call)]
    if "ids" in p:
        ids = frozenset(p["ids"])
        tests.append(lambda run: _ident(run.get("id")) in ids)
    if "reference_examples" in p:
        examples = frozenset(p["reference_examples"])
        tests.append(lambda run: run.get("reference_example_id") is not None
                     and _ident(run["reference_example_id"]) in examples)
    if "reference_dataset_id" in p:
        dataset = p["reference_dataset_id"]
        tests.append(lambda run: run.get("reference_dataset_id") is not None
                     and _ident(run["reference_dataset_id"]) == dataset)
    kept = [run for run in found if all(t(run) for t in tests)]
    subtree = p.get("include_subtree_usage", False)
    wants_parents = "PARENT_RUN_IDS" in call.selects
    rows = []
    for run in kept:
        usage = None
        if subtree:
            tree = data.subtree(run)
            if len(tree) > 1:  # "runs without observed descendants retain their original values"
                usage = _usage_of(tree)
        rows.append(RunRow(run, data.ancestors(run) if wants_parents else None, usage))
    return rows


def _trace_row(data: _Data, root: dict[str, Any], with_parents: bool = False) -> TraceRow:
    usage = _usage_of(data.by_trace.get(_ident(root.get("trace_id")), [root]))
    return TraceRow(RunRow(root, () if with_parents else None), usage["total_tokens"], usage["total_cost"],
                    usage["first_token_time"])


def _traces_answer(data: _Data, call: V2Call) -> list[TraceRow]:
    tests = [_project_test(call), _in_window(call)]
    if "trace_ids" in call.params:
        ids = frozenset(call.params["trace_ids"])
        tests.append(lambda run: _ident(run.get("trace_id")) in ids)
    return [_trace_row(data, root, "PARENT_RUN_IDS" in call.selects)
            for root in _roots(data, call) if all(t(root) for t in tests)]


def _thread_of(run: dict[str, Any]) -> str | None:
    value = R.thread_id(run)
    return value if isinstance(value, str) else None


def _conversation_key(run: dict[str, Any]) -> tuple[Any, str]:
    t = _ts(run)
    return (t, _ident(run.get("trace_id")))


def percentile_us(latencies: Sequence[int], percent: int) -> int | None:
    """Nearest-rank percentile of whole microseconds: the value at rank ceil(percent/100 * n)."""
    if not latencies:
        return None
    ordered = sorted(latencies)
    return ordered[(percent * len(ordered) + 99) // 100 - 1]


def _seconds(micros: int | None) -> Decimal | None:
    return None if micros is None else Decimal(micros) / 1_000_000


def thread_summary(thread_id: str, roots: Sequence[dict[str, Any]], usage: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``Thread`` summary of one thread's traces (``roots`` in conversation order, ``usage`` each trace's
    whole-tree totals): what ``thread_filter`` reads and the item shows (README "Moving to the v2 API")."""
    first, last = roots[0], roots[-1]
    errored = [r for r in roots if r.get("error") is not None]
    latencies = [lat for r in roots if (lat := R.latency_us(r)) is not None]
    stats: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[Any]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for root in roots:
        for key, score, _value in R.entries(root, {}, "feedback"):
            if isinstance(key, str):
                counts[key] += 1
                if score is not None:
                    scores[key].append(Decimal(score))
    for key in sorted(counts):
        found = scores.get(key)
        stats[key] = {"n": counts[key], "avg": float(sum(found) / len(found)) if found else None}
    return {
        "thread_id": thread_id,
        "count": len(roots),
        "num_errored_turns": len(errored),
        "start_time": _ts(last),
        "min_start_time": _ts(first),
        "max_start_time": _ts(last),
        "first_trace_id": _ident(first.get("trace_id")),
        "last_trace_id": _ident(last.get("trace_id")),
        "trace_id": _ident(last.get("trace_id")),
        "first_inputs": preview(first.get("inputs")),
        "last_outputs": preview(last.get("outputs")),
        "last_error": error_preview(errored[-1].get("error")) if errored else None,
        "total_tokens": _sum(u["total_tokens"] for u in usage),
        "total_cost": _sum(u["total_cost"] for u in usage),
        "latency_p50": _seconds(percentile_us(latencies, 50)),
        "latency_p99": _seconds(percentile_us(latencies, 99)),
        "feedback_stats": stats,
    }


def _threads_answer(data: _Data, call: V2Call) -> list[dict[str, Any]]:
    window, project = _in_window(call), _project_test(call)
    roots = [r for r in data.runs if r.get("parent_run_id") is None and window(r) and project(r)
             and _thread_of(r) is not None]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for root in roots:
        groups[_thread_of(root)].append(root)  # type: ignore[index]
    first_pred = compile_checked(call.filters["filter"]) if "filter" in call.filters else None
    trace_pred = compile_checked(call.filters["trace_filter"]) if "trace_filter" in call.filters else None
    tree_traces = None
    if "tree_filter" in call.filters:
        tree_traces = {_ident(r.get("trace_id")) for r in select(data.runs, tree_filter=call.filters["tree_filter"],
                                                                  is_root=True)}
    thread_pred = compile_checked(call.filters["thread_filter"]) if "thread_filter" in call.filters else None
    out = []
    for thread_id, members in groups.items():
        members.sort(key=_conversation_key)
        if first_pred is not None and not first_pred(members[0]):
            continue
        if trace_pred is not None and not any(trace_pred(r) for r in members):
            continue
        if tree_traces is not None and not any(_ident(r.get("trace_id")) in tree_traces for r in members):
            continue
        usage = [_usage_of(data.by_trace.get(_ident(r.get("trace_id")), [r])) for r in members]
        summary = thread_summary(thread_id, members, usage)
        if thread_pred is not None and not thread_pred(summary):
            continue
        out.append(summary)
    out.sort(key=lambda s: (-_micros(s["max_start_time"]), s["thread_id"]))
    return out


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(t: datetime) -> int:
    return (t - _EPOCH) // R._US


def _thread_traces_answer(data: _Data, call: V2Call) -> list[ThreadTraceRow]:
    thread, project = call.params["thread_id"], _project_test(call)
    members = sorted((r for r in data.runs if r.get("parent_run_id") is None and _thread_of(r) == thread
                      and project(r)), key=_conversation_key)
    turns = {_ident(r.get("id")): i for i, r in enumerate(members, 1)}
    pred_roots = _roots(data, call, filter_="filter")
    keep = {_ident(r.get("id")) for r in pred_roots}
    return [ThreadTraceRow(r, turns[_ident(r.get("id"))]) for r in members if _ident(r.get("id")) in keep]


_PYTHON_ANSWERS: dict[str, Callable[[_Data, V2Call], list[Any]]] = {
    "runs.query": _runs_answer,
    "traces.query": _traces_answer,
    "threads.query": _threads_answer,
    "threads.list_traces": _thread_traces_answer,
}

#: How each endpoint shapes one row into its item.
_SHAPES: dict[str, Callable[[Any, list[str]], dict[str, Any]]] = {
    "runs.query": run_item,
    "traces.query": trace_item,
    "threads.query": lambda summary, _selects: thread_item(summary),
    "threads.list_traces": thread_trace_item,
}


def python_answer(runs: Iterable[Any], call: V2Call) -> Answer:
    """The whole ordered answer of ``call`` over ``runs``, computed in Python."""
    data = _Data(runs)
    return Answer(_PYTHON_ANSWERS[call.endpoint.name](data, call), data.fingerprint)


def page_of(answer: Answer, call: V2Call) -> Page:
    """The page ``call``'s cursor points to (the first without one), with its ``next_cursor``."""
    where = cursor.Position(call.endpoint.name, call.digest(), answer.data, 0)
    start = cursor.decode(call.params["cursor"], where) if "cursor" in call.params else 0
    if start > len(answer.rows):
        raise cursor.CursorError("cursor points past the end of the answer: the data set changed")
    end = start + call.page_size
    shape, selects = _SHAPES[call.endpoint.name], call.selects
    items = [shape(row, selects) for row in answer.rows[start:end]]
    following = cursor.encode(attrs.evolve(where, offset=end)) if end < len(answer.rows) else None
    return Page(items, following)


def _answer(runs: Iterable[Any], call: V2Call, engine: str) -> Answer:
    if engine == "python":
        return python_answer(runs, call)
    if engine == "duckdb":
        from .sql.pages import duckdb_answer  # the optional sql extra, loaded only when asked for

        return duckdb_answer(runs, call)
    raise ValueError(f"unknown engine {engine!r}; choose python or duckdb")


def iter_pages(runs: Iterable[Any], endpoint: str, *, engine: str = "python", **params: Any) -> Iterator[Page]:
    """Every page from the one ``params`` asks for to the last, the answer computed once: the pages
    :func:`query_page` gives when called again with each ``next_cursor``."""
    call = call_of(endpoint, params)
    answer = _answer(runs, call, engine)
    while True:
        page = page_of(answer, call)
        yield page
        if page.next_cursor is None:
            return
        call = attrs.evolve(call, params={**call.params, "cursor": page.next_cursor})


def query_page(runs: Iterable[Any], endpoint: str, *, engine: str = "python", **params: Any) -> Page:
    """One page of a v2 endpoint over ``runs``, as the LangSmith API would answer it (SPEC §8, §10).

    ``endpoint`` is ``runs.query``, ``traces.query``, ``threads.query`` or
    ``threads.list_traces`` (``thread_id=`` is then a parameter); ``params``
    are the SDK's parameters for it (see README "Moving to the v2 API").
    ``runs`` holds run dicts (v1 run JSON or the v2 ``Run`` shape), ``langsmith``
    runs, or a :func:`filterql.read_runs` reader. ``engine`` is ``python`` or
    ``duckdb`` (same pages). Raises :class:`QueryError` for invalid parameters
    and :class:`filterql.cursor.CursorError` for a cursor of another call.
    """
    call = call_of(endpoint, params)
    return page_of(_answer(runs, call, engine), call)
