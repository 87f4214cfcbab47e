"""The query object (filterql.query) and the select projection (filterql.projection) on every engine.

One :class:`RunQuery` is what ``select``, the SQL engines, ``filterql match``
and ``check_query`` consume; these tests check that they read it the same way:
``select`` agrees with every SQL engine on every ``select`` name (hypothesis),
``filterql match --select <every name>`` prints byte-identical lines on both
engines, and the bounded-memory output of ``match`` equals ``select``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import TIMESTAMPS, UUIDS, list_runs_keywords, run_lists, typed_filters

from filterql import FilterValidationError, select
from filterql.cli import main
from filterql.projection import DERIVED, SELECT_NAMES, project
from filterql.query import QueryArgumentError, RunQuery, list_runs_query, read_list_runs
from filterql.renderer import render
from filterql.select_runs import output_lines, select_query

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "runs.jsonl"
EVERY_NAME = sorted(SELECT_NAMES)
_SCALE = int(os.environ.get("FILTERQL_FUZZ", "1"))

# ------------------------------------------------------------------ the object


def test_keyword_arguments_are_filter_conditions() -> None:
    q = list_runs_query(filter='eq(name, "x")', is_root=True, run_type="llm", error=False,
                        start_time="2024-05-01T10:00:00+02:00", trace_id=UUIDS[0].upper(), parent_run_id=UUIDS[1])
    assert render(q.where) == (
        f'and(eq(name, "x"), eq(is_root, true), eq(run_type, "llm"), eq(error, null), '
        f'gte(start_time, "2024-05-01T08:00:00+00:00"), eq(trace_id, "{UUIDS[0]}"), eq(parent_run_id, "{UUIDS[1]}"))')
    assert list_runs_query().where is None


def test_run_ids_ignore_every_other_filtering_argument() -> None:
    q = list_runs_query(run_ids=[UUIDS[0]], filter='eq(name, "x")', trace_filter='eq(name, "y")', is_root=True,
                        select=["name"], limit=3)
    assert q == RunQuery(run_ids=(UUIDS[0],), select=("name",), limit=3)
    assert render(q.where) == f'in(id, ["{UUIDS[0]}"])'
    empty = list_runs_query(run_ids=[])
    assert render(empty.where) == "eq(id, null)"  # id is required: nothing matches
    assert select([{"id": UUIDS[0], "trace_id": UUIDS[0], "name": "n", "run_type": "llm",
                    "start_time": TIMESTAMPS[0]}], run_ids=[]) == []


def test_invalid_arguments_raise_one_error_type_naming_the_argument() -> None:
    for bad in ({"limit": -1}, {"start_time": "yesterday"}, {"trace_id": "abc"}, {"run_ids": ["nope"]},
                {"select": "name"}, {"is_root": "yes"}, {"search_limit": 0}):
        with pytest.raises(QueryArgumentError) as info:
            list_runs_query(**bad)
        assert isinstance(info.value, ValueError) and isinstance(info.value, FilterValidationError)
        assert info.value.diagnostics[0].argument == next(iter(bad)), bad
    with pytest.raises(FilterValidationError) as info:
        list_runs_query(tree_filter="eq(nmae, 1)")
    assert not isinstance(info.value, QueryArgumentError) and "did you mean `name`" in str(info.value)
    assert list_runs_query(limit=0).limit == 0  # offline, limit=0 returns nothing; the API refuses it
    assert not read_list_runs({"limit": 0}).valid


def test_check_query_reads_what_select_runs() -> None:
    args = dict(filter='eq(run_type, "llm")', start_time="2024-05-01", select=["name", "child_run_ids"], limit=5)
    reading = read_list_runs(args)
    assert reading.query == list_runs_query(**args)
    assert [d.code for d in reading.diagnostics] == ["deprecated-select"]


# ------------------------------------------------------------------ projection


def test_every_select_name_projects_without_error() -> None:
    runs = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    for run in runs:
        out = project(run, EVERY_NAME, children=[])
        assert list(out) == ["id", *(n for n in EVERY_NAME if n != "id")]
        json.dumps(out)


def test_derived_names() -> None:
    run = {"id": UUIDS[1], "trace_id": UUIDS[0], "parent_run_id": UUIDS[2], "name": "n", "run_type": "llm",
           "start_time": "2024-05-01T10:00:00Z", "end_time": "2024-05-01T10:00:01.25Z",
           "dotted_order": f"20240501T100000000000Z{UUIDS[0]}.20240501T100000000000Z{UUIDS[2]}."
                           f"20240501T100000000000Z{UUIDS[1]}",
           "extra": {"metadata": {"session_id": "s"}}, "inputs": {"q": "x" * 300}, "error": "boom",
           "feedback": [{"key": "a", "score": 1}, {"key": "a", "score": 0}, {"key": "b", "value": "v"}]}
    out = project(run, sorted(DERIVED))
    assert out["latency"] == 1.25 and out["thread_id"] == "s" and out["is_root"] is False
    assert out["metadata"] == {"session_id": "s"} and out["parent_run_ids"] == [UUIDS[0], UUIDS[2]]
    assert out["feedback_stats"] == {"a": {"n": 2, "avg": 0.5}, "b": {"n": 1, "avg": None}}
    assert out["inputs_preview"] == json.dumps(run["inputs"])[:250] and out["outputs_preview"] is None
    assert out["error_or_signed_url"] == "boom" and out["inputs_or_signed_url"] == run["inputs"]
    assert project({**run, "latency": 9}, ["latency"])["latency"] == 9  # the run's own value wins


# ------------------------------------------------------------------ engines agree on every name

@st.composite
def _queries(draw: st.DrawFn) -> RunQuery:
    args: dict[str, Any] = {"select": EVERY_NAME}
    if draw(st.booleans()):
        args["filter"] = draw(typed_filters(max_leaves=4))
    if draw(st.integers(0, 3)) == 0:
        args["trace_filter"] = draw(typed_filters(max_leaves=2))
    if draw(st.integers(0, 3)) == 0:
        args["tree_filter"] = draw(typed_filters(max_leaves=2))
    args.update(draw(list_runs_keywords))
    return list_runs_query(**args)


def _text(rows: list[Any]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, default=str) for r in rows]


_BUDGET = {"duckdb": 20 * _SCALE, "clickhouse": 6 * _SCALE, "datafusion": 6 * _SCALE}


@pytest.mark.parametrize("engine_name", sorted(_BUDGET))
def test_select_agrees_with_every_sql_engine_on_every_select_name(engine_name: str) -> None:
    from filterql.sql import open_engine
    from filterql.sql.load import connect

    con = connect(progress=False)

    @settings(max_examples=_BUDGET[engine_name], deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(run_lists(), st.lists(_queries(), min_size=1, max_size=3))
    def check(runs: list[dict[str, Any]], queries: list[RunQuery]) -> None:
        engine = open_engine(runs, engine_name, con=con)
        for query in queries:
            assert _text(engine.select(query)) == _text(select_query(runs, query)), query

    check()


# ------------------------------------------------------------------ filterql match, both engines


def _match(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["match", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("extra", [
    [], ["--filter", 'eq(run_type, "llm")'], ["--tree-filter", "neq(error, null)", "--limit", "3"],
    ["--is-root", "false", "--start-time", "2024-05-01T10:00:01Z"],
])
def test_match_select_every_name_is_byte_identical_on_both_engines(capsys, extra) -> None:  # noqa: ANN001
    argv = [str(EXAMPLES), "--select", ",".join(EVERY_NAME), *extra]
    python = _match(capsys, *argv, "--engine", "python")
    duckdb = _match(capsys, *argv, "--engine", "duckdb")
    assert python == duckdb and python.count("\n") > 0
    for line in python.splitlines():
        assert list(json.loads(line)) == ["id", *(n for n in EVERY_NAME if n != "id")]


def test_issue_example_prints_derived_values_on_duckdb(capsys) -> None:  # noqa: ANN001
    argv = [str(EXAMPLES), "--filter", 'eq(run_type, "llm")', "--select", "latency,thread_id,is_root,name"]
    rows = [json.loads(line) for line in _match(capsys, *argv, "--engine", "duckdb").splitlines()]
    assert any(r["latency"] is not None for r in rows) and any(r["thread_id"] is not None for r in rows)
    assert all(isinstance(r["is_root"], bool) for r in rows)


@pytest.mark.parametrize("flags", [["--ids-only"], [], ["--select", "name,child_run_ids"]])
def test_match_whole_output_is_identical_on_both_engines(capsys, flags) -> None:  # noqa: ANN001
    python = _match(capsys, str(EXAMPLES), *flags, "--engine", "python")
    assert python == _match(capsys, str(EXAMPLES), *flags, "--engine", "duckdb")


def test_match_bad_option_value_is_a_usage_error(capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as info:
        main(["match", str(EXAMPLES), "--trace-id", "abc"])
    assert info.value.code == 2 and "`trace_id`: 'abc' is not a UUID" in capsys.readouterr().err


def test_match_from_stdin_with_two_passes(capsys, monkeypatch) -> None:  # noqa: ANN001
    import io
    import sys

    flags = ["--tree-filter", "neq(error, null)", "--select", "name,child_run_ids"]
    want = _match(capsys, str(EXAMPLES), *flags)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EXAMPLES.read_bytes())))
    assert _match(capsys, "-", *flags) == want and want


# ------------------------------------------------------------------ bounded-memory output = select


@settings(max_examples=40 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run_lists(), st.sampled_from([None, ["name", "child_run_ids", "latency"]]),
       st.sampled_from([None, 0, 1, 3]), st.booleans())
def test_output_lines_equal_select(runs, names, limit, spill) -> None:  # noqa: ANN001
    import filterql.output_order as O

    query = list_runs_query(select=names, limit=limit)
    want = select_query(runs, query)
    old = O.KEEP_LINES_UP_TO, O.CHUNK_RECORDS
    if spill:  # force the spill file and an external merge of chunks of 2 records
        O.KEEP_LINES_UP_TO, O.CHUNK_RECORDS = -1, 2
    try:
        assert list(output_lines(runs, query)) == _text(want)
        assert list(output_lines(runs, query, ids_only=True)) == [r["id"] for r in want]  # the pool's ids are canonical
    finally:
        O.KEEP_LINES_UP_TO, O.CHUNK_RECORDS = old
