"""The v2 endpoints on DuckDB: the same answers as :mod:`filterql.pages`, as grouped SQL over the layout.

Runs and traces are :func:`build_query` (the ``list_runs`` query) narrowed by
the v2 parameters; threads are one ``GROUP BY thread_id`` over the root runs
in the window, with window functions for the conversation order and a join
on per-trace usage; a thread's traces are numbered by ``row_number()`` before
the filters apply. Only the rows of the page asked for are fetched, and
they are shaped by :mod:`filterql.v2_items`, as the Python engine's are.
Values are bound as parameters or rendered by sqlglot, never spliced as text.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from sqlglot import exp

from .. import cursor, runs as R
from ..endpoints import PREVIEW_CHARS
from ..run_files import RunReader, read_runs
from ..pages import Answer, V2Call, USAGE_FIELDS, percentile_us
from ..v2_items import RunRow, ThreadTraceRow, TraceRow
from . import layout
from .compile import _micros, compile_where
from .dialects import render
from .engines import DuckDBEngine
from .load import SOURCE, connect, load_runs, materialize
from .query import build_query

__all__ = ["duckdb_answer"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


class _Rows(Sequence[Any]):
    """The ordered answer as keys; rows are built only for the slice a page takes."""

    def __init__(self, keys: list[Any], build: Callable[[list[Any]], list[Any]]) -> None:
        self.keys = keys
        self.build = build

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.build(self.keys[index])
        return self.build([self.keys[index]])[0]


class _Duck:
    """One DuckDB connection holding the layout of the call's runs."""

    def __init__(self, runs: Iterable[Any]) -> None:
        self.con = connect(progress=False)
        reader = runs if isinstance(runs, RunReader) else read_runs(runs)  # checked and normalized as in Python
        load_runs([R.normalize(r) for r in reader], self.con)
        materialize(self.con)
        self.engine = DuckDBEngine(self.con, nested=False)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, list(params)).fetchall()

    def ids(self, query: exp.Select) -> list[str]:
        return [row[0] for row in self.rows(render(query, "duckdb"))]

    def bind(self, name: str, values: Iterable[Any]) -> str:
        """A temp table ``name(v)`` of ``values`` (bound, never spliced); returns its name."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (v VARCHAR)")
        rows = [(v,) for v in values]
        if rows:
            self.con.executemany(f"INSERT INTO {name} VALUES (?)", rows)
        return name

    def raw(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The run JSON of runs ``ids``."""
        table = self.bind("filterql_page_ids", ids)
        found = self.rows(f"SELECT s.id, CAST(s.raw AS VARCHAR) FROM {SOURCE} AS s WHERE s.id IN (SELECT v FROM {table})")
        return {i: json.loads(text) for i, text in found}

    def fingerprint(self) -> str:
        return cursor.fingerprint(row[0] for row in self.rows(f"SELECT DISTINCT id FROM {layout.RUNS}"))


def _col(name: str, table: str = "r") -> exp.Column:
    return exp.column(name, table=table)


def _in(column: exp.Expression, values: Iterable[str]) -> exp.Expression:
    return exp.In(this=column, expressions=[exp.Literal.string(v) for v in values])


def _window(call: V2Call, table: str = "r") -> list[exp.Expression]:
    """The start-time window (``min`` inclusive, ``max`` exclusive) and the project, as conditions."""
    out: list[exp.Expression] = []
    for name, op in (("min_start_time", exp.GTE), ("max_start_time", exp.LT)):
        if name in call.params:
            out.append(op(this=_col("start_time_us", table), expression=exp.Literal.number(_micros(call.params[name]))))
    projects = call.params.get("project_ids") or ([call.params["project_id"]] if "project_id" in call.params else None)
    if projects is not None:
        out.append(_in(_col("session_id", table), projects))
    return out


def _narrow(query: exp.Select, conditions: list[exp.Expression]) -> exp.Select:
    return query.where(exp.and_(*conditions)) if conditions else query


def _base(call: V2Call, *, roots: bool, filter_: str | None = None, **extra: Any) -> exp.Select:
    f = call.filters
    return build_query(f.get(filter_) if filter_ else None, trace_filter=f.get("trace_filter"),
                       tree_filter=f.get("tree_filter"), is_root=True if roots else extra.pop("is_root", None),
                       **extra)


def _usage(duck: _Duck, trace_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Whole-tree usage of traces: tokens and costs summed over their LLM runs, the earliest first token."""
    table = duck.bind("filterql_page_traces", trace_ids)
    sums = ", ".join(f"sum({f}) FILTER (WHERE run_type = 'llm')" for f in USAGE_FIELDS)
    found = duck.rows(f"SELECT trace_id, {sums}, min(first_token_time_us) FROM {layout.RUNS} "
                      f"WHERE trace_id IN (SELECT v FROM {table}) GROUP BY trace_id")
    out = {}
    for row in found:
        usage = dict(zip(USAGE_FIELDS, row[1:-1]))
        usage["first_token_time"] = _time(row[-1])
        out[row[0]] = usage
    return out


def _ancestors(duck: _Duck, runs: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Ancestor ids (root first) of each run, through a recursive CTE over parent links."""
    table = duck.bind("filterql_page_runs", [R.uuid_text(r["id"]) or str(r["id"]) for r in runs])
    found = duck.rows(f"""
        WITH RECURSIVE up(start, node, depth) AS (
          SELECT id, parent_run_id, 1 FROM {layout.RUNS} WHERE id IN (SELECT v FROM {table})
          UNION ALL
          SELECT up.start, p.parent_run_id, up.depth + 1 FROM up JOIN {layout.RUNS} AS p ON p.id = up.node
          WHERE up.node IS NOT NULL AND up.depth < 10000)
        SELECT start, list(node ORDER BY depth DESC) FILTER (WHERE node IS NOT NULL) FROM up GROUP BY start""")
    return {start: tuple(nodes or ()) for start, nodes in found}


def _subtree_usage(duck: _Duck, ids: list[str]) -> dict[str, dict[str, Any]]:
    """``include_subtree_usage``: the usage of each run's subtree (itself and its descendants), for runs with
    descendants."""
    table = duck.bind("filterql_page_subtrees", ids)
    sums = ", ".join(f"sum(d.{f}) FILTER (WHERE d.run_type = 'llm')" for f in USAGE_FIELDS)
    found = duck.rows(f"""
        WITH RECURSIVE down(top, node) AS (
          SELECT id, id FROM {layout.RUNS} WHERE id IN (SELECT v FROM {table})
          UNION
          SELECT down.top, c.id FROM down JOIN {layout.RUNS} AS c ON c.parent_run_id = down.node)
        SELECT down.top, count(*), {sums}, min(d.first_token_time_us)
        FROM down JOIN {layout.RUNS} AS d ON d.id = down.node GROUP BY down.top""")
    out = {}
    for row in found:
        if row[1] > 1:
            usage = dict(zip(USAGE_FIELDS, row[2:-1]))
            usage["first_token_time"] = _time(row[-1])
            out[row[0]] = usage
    return out


def _runs(duck: _Duck, call: V2Call) -> _Rows:
    p = call.params
    query = _base(call, roots=False, filter_="filter", is_root=p.get("is_root"),
                  run_type=p["run_type"].lower() if "run_type" in p else None, error=p.get("has_error"),
                  start_time=p.get("min_start_time"), trace_id=p.get("trace_id"))
    conds = _window(call, "r")
    if "ids" in p:
        conds.append(_in(_col("id"), p["ids"]))
    if "reference_examples" in p:
        conds.append(_in(_col("reference_example_id"), p["reference_examples"]))
    if "reference_dataset_id" in p:
        sub = exp.select("s.id").from_(exp.to_table(SOURCE).as_("s")).where(exp.EQ(
            this=exp.TryCast(this=exp.JSONExtractScalar(this=exp.column("raw", table="s"),
                                                        expression=exp.Literal.string("$.reference_dataset_id")),
                             to=exp.DataType.build("UUID")),
            expression=exp.cast(exp.Literal.string(p["reference_dataset_id"]), "UUID")))
        conds.append(exp.In(this=_col("id"), query=sub.subquery()))
    ids = duck.ids(_narrow(query, conds))

    def build(keys: list[str]) -> list[RunRow]:
        raw = duck.raw(keys)
        runs = [raw[k] for k in keys]
        parents = _ancestors(duck, runs) if "PARENT_RUN_IDS" in call.selects else None
        subtree = _subtree_usage(duck, keys) if p.get("include_subtree_usage") else {}
        return [RunRow(run, parents.get(k, ()) if parents is not None else None, subtree.get(k))
                for k, run in zip(keys, runs)]
    return _Rows(ids, build)


def _traces(duck: _Duck, call: V2Call) -> _Rows:
    query = _base(call, roots=True, start_time=call.params.get("min_start_time"))
    conds = _window(call, "r")
    if "trace_ids" in call.params:
        conds.append(_in(_col("trace_id"), call.params["trace_ids"]))
    ids = duck.ids(_narrow(query, conds))
    wants_parents = "PARENT_RUN_IDS" in call.selects

    def build(keys: list[str]) -> list[TraceRow]:
        raw = duck.raw(keys)
        usage = _usage(duck, [R.uuid_text(raw[k]["trace_id"]) or str(raw[k]["trace_id"]) for k in keys])
        rows = []
        for k in keys:
            u = usage[R.uuid_text(raw[k]["trace_id"]) or str(raw[k]["trace_id"])]
            rows.append(TraceRow(RunRow(raw[k], () if wants_parents else None), u["total_tokens"], u["total_cost"],
                                 u["first_token_time"]))
        return rows
    return _Rows(ids, build)


def _preview(expr: str) -> str:
    """SQL for the preview of a JSON document (README: the compact JSON text's first 250 characters)."""
    return (f"CASE WHEN {expr} IS NULL OR json_type({expr}) = 'NULL' THEN NULL "
            f"ELSE left(CAST({expr} AS VARCHAR), {PREVIEW_CHARS}) END")


def _roots_matching(call: V2Call, name: str) -> exp.Select:
    """Ids of root runs matching filter parameter ``name`` (a tree filter: any run of the trace)."""
    typed = call.filters[name]
    if name == "tree_filter":
        return build_query(tree_filter=typed, is_root=True)
    return build_query(typed if name == "filter" else None, trace_filter=typed if name == "trace_filter" else None,
                       is_root=True)


def _thread_summaries_sql(call: V2Call) -> str:
    """One row per thread (its summary's columns, named as the layout names catalog fields), filtered."""
    window = " AND ".join(render(c, "duckdb") for c in _window(call, "r")) or "TRUE"
    sums = ", ".join(f"sum({f}) FILTER (WHERE run_type = 'llm') AS {f}" for f in ("total_tokens", "total_cost"))
    thread_conds = []
    for name, column in (("filter", "first_id"), ("trace_filter", None), ("tree_filter", None)):
        if name not in call.filters:
            continue
        ids = render(_roots_matching(call, name), "duckdb")
        if column:
            thread_conds.append(f"t.{column} IN ({ids})")
        else:
            thread_conds.append(f"t.thread_id IN (SELECT thread_id FROM turns WHERE id IN ({ids}))")
    where = " AND ".join(thread_conds) or "TRUE"
    p = lambda q: f"CASE WHEN len(lats) = 0 THEN NULL ELSE list_sort(lats)[({q} * len(lats) + 99) // 100] END"  # noqa: E731
    return f"""
    WITH roots AS (SELECT * FROM {layout.RUNS} AS r WHERE r.is_root AND r.thread_id IS NOT NULL AND {window}),
    usage AS (SELECT trace_id, {sums} FROM {layout.RUNS} GROUP BY trace_id),
    turns AS (SELECT roots.*, row_number() OVER (PARTITION BY thread_id ORDER BY start_time_us, trace_id) AS turn,
                     count(*) OVER (PARTITION BY thread_id) AS n FROM roots),
    t AS (
      SELECT turns.thread_id,
             count(*) AS "count",
             count(*) FILTER (WHERE turns.error IS NOT NULL) AS num_errored_turns,
             min(turns.start_time_us) AS min_start_time_us,
             max(turns.start_time_us) AS max_start_time_us,
             max(turns.start_time_us) AS start_time_us,
             any_value(turns.trace_id) FILTER (WHERE turn = 1) AS first_trace_id,
             any_value(turns.trace_id) FILTER (WHERE turn = n) AS last_trace_id,
             any_value(turns.trace_id) FILTER (WHERE turn = n) AS trace_id,
             any_value(turns.id) FILTER (WHERE turn = 1) AS first_id,
             any_value({_preview('turns.inputs')}) FILTER (WHERE turn = 1) AS first_inputs,
             any_value({_preview('turns.outputs')}) FILTER (WHERE turn = n) AS last_outputs,
             arg_max(left(turns.error, {PREVIEW_CHARS}), turn) FILTER (WHERE turns.error IS NOT NULL) AS last_error,
             sum(usage.total_tokens) AS total_tokens,
             sum(usage.total_cost) AS total_cost,
             list(turns.latency_us) FILTER (WHERE turns.latency_us IS NOT NULL) AS lats
      FROM turns LEFT JOIN usage ON usage.trace_id = turns.trace_id
      GROUP BY turns.thread_id)
    SELECT t.*, {p(50)} AS p50_us, {p(99)} AS p99_us,
           CAST({p(50)} AS {layout.DECIMAL_TYPE}) / 1000000 AS latency_p50,
           CAST({p(99)} AS {layout.DECIMAL_TYPE}) / 1000000 AS latency_p99,
           t.thread_id AS id, TRUE AS {layout.THREAD_PRESENT}
    FROM t WHERE {where}"""


def _thread_feedback_sql() -> str:
    """Per thread and feedback key over its root runs' feedback: (thread, key, n, mean score)."""
    return f"""
    SELECT turns.thread_id, e.key, count(*) AS n, avg(e.score) AS mean
    FROM turns JOIN {layout.ENTRIES} AS e ON e.run_id = turns.id AND e.family = 'feedback'
    WHERE e.key IS NOT NULL GROUP BY turns.thread_id, e.key"""


def _thread_entries_table(node: exp.Expression) -> exp.Expression:
    """The entries table of a run filter, read as the threads' feedback entries (alias kept)."""
    if isinstance(node, exp.Table) and node.name == layout.ENTRIES:
        node = node.copy()
        node.set("this", exp.to_identifier("filterql_thread_entries"))
    return node


def _threads(duck: _Duck, call: V2Call) -> _Rows:
    summaries = _thread_summaries_sql(call)
    head = summaries.split("t AS (", 1)[0]  # roots, usage, turns: shared with the feedback query
    feedback = f"{head.rstrip().rstrip(',')} {_thread_feedback_sql()}"
    duck.con.execute(f"CREATE OR REPLACE TEMP TABLE filterql_thread_feedback AS {feedback}")
    thread_filter = call.filters.get("thread_filter")
    where = "TRUE"
    if thread_filter is not None:
        cond = compile_where(thread_filter, "s")
        # Family conditions read the thread's feedback entries (score: the mean, as the summary shows it).
        cond = cond.transform(_thread_entries_table)
        duck.con.execute(
            "CREATE OR REPLACE TEMP TABLE filterql_thread_entries AS "
            "SELECT thread_id AS run_id, 'feedback' AS family, key, 'null' AS vtype, CAST(NULL AS VARCHAR) AS vstr, "
            f"CAST(NULL AS {layout.DECIMAL_TYPE}) AS vnum, "
            f"TRY_CAST(CAST(mean AS VARCHAR) AS {layout.DECIMAL_TYPE}) AS score FROM filterql_thread_feedback")
        where = render(cond, "duckdb")
    rows = duck.rows(f"SELECT * FROM ({summaries}) AS s WHERE {where} ORDER BY s.max_start_time_us DESC, s.thread_id")
    columns = [d[0] for d in duck.con.description]
    found = [dict(zip(columns, row)) for row in rows]
    stats: dict[str, dict[str, Any]] = {}
    for thread, key, n, mean in duck.rows("SELECT * FROM filterql_thread_feedback ORDER BY 1, 2"):
        stats.setdefault(thread, {})[key] = {"n": n, "avg": None if mean is None else float(mean)}

    def summary(s: dict[str, Any]) -> dict[str, Any]:
        return {
            "thread_id": s["thread_id"], "count": s["count"], "num_errored_turns": s["num_errored_turns"],
            "start_time": _time(s["max_start_time_us"]), "min_start_time": _time(s["min_start_time_us"]),
            "max_start_time": _time(s["max_start_time_us"]), "first_trace_id": s["first_trace_id"],
            "last_trace_id": s["last_trace_id"], "trace_id": s["last_trace_id"], "first_inputs": s["first_inputs"],
            "last_outputs": s["last_outputs"], "last_error": s["last_error"], "total_tokens": s["total_tokens"],
            "total_cost": s["total_cost"],
            "latency_p50": None if s["p50_us"] is None else Decimal(s["p50_us"]) / 1_000_000,
            "latency_p99": None if s["p99_us"] is None else Decimal(s["p99_us"]) / 1_000_000,
            "feedback_stats": stats.get(s["thread_id"], {}),
        }
    return _Rows(found, lambda keys: [summary(s) for s in keys])


def _thread_traces(duck: _Duck, call: V2Call) -> _Rows:
    window = " AND ".join(render(c, "duckdb") for c in _window(call, "r")) or "TRUE"
    matching = render(_base(call, roots=True, filter_="filter"), "duckdb")
    found = duck.rows(f"""
        WITH turns AS (
          SELECT r.id, r.start_time_us, r.trace_id,
                 row_number() OVER (ORDER BY r.start_time_us, r.trace_id) AS turn
          FROM {layout.RUNS} AS r WHERE r.is_root AND r.thread_id = ? AND {window})
        SELECT id, turn FROM turns WHERE id IN (SELECT id FROM ({matching})) ORDER BY start_time_us, trace_id""",
                      [call.params["thread_id"]])

    def build(keys: list[tuple[str, int]]) -> list[ThreadTraceRow]:
        raw = duck.raw([k for k, _ in keys])
        return [ThreadTraceRow(raw[k], turn) for k, turn in keys]
    return _Rows(found, build)


_ANSWERS: dict[str, Callable[[_Duck, V2Call], _Rows]] = {
    "runs.query": _runs,
    "traces.query": _traces,
    "threads.query": _threads,
    "threads.list_traces": _thread_traces,
}


def duckdb_answer(runs: Iterable[Any], call: V2Call) -> Answer:
    """The whole ordered answer of ``call`` over ``runs``, computed by DuckDB (rows built per page)."""
    duck = _Duck(runs)
    return Answer(_ANSWERS[call.endpoint.name](duck, call), duck.fingerprint())
