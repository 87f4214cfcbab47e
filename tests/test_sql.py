"""The SQL backend: generation, dialects, exactness, hostile values, loading errors, CLI."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal

import pytest
import sqlglot
from sqlglot import exp
from conftest import make_run

import filterql
from filterql import FilterError, ast, lowering, plan
from filterql.cli import main
from filterql.sql import DIALECTS, ENGINES, LoadError, build_query, load_files, open_engine, to_sql
from filterql.runs import flatten
from filterql.sql.compile import HANDLED, like_pattern

# ------------------------------------------------------------- generation


def test_every_expression_node_has_a_rule():
    exprs = {c for _, c in inspect.getmembers(ast, inspect.isclass) if issubclass(c, ast.Expr) and c is not ast.Expr}
    assert exprs <= set(lowering.RULES)  # SQL prints the plan; tests/test_plan.py checks it covers every plan node
    assert set(plan.PLAN_NODES) <= HANDLED


def test_untyped_tree_is_refused_with_the_node_named():
    from filterql.sql.compile import compile_where

    with pytest.raises(TypeError, match="String"):
        compile_where(filterql.parse('eq(name, "x")'))


@pytest.mark.parametrize("pattern, canonical", [
    ("a%", "a%"),
    ("\\%x", "\\%x"),           # escaped percent stays escaped
    ("\\a", "a"),               # an escaped ordinary character is that character
    ("a\\", "a\\\\"),           # a trailing lone backslash is a literal backslash
    ("\\\\%", "\\\\%"),
    ("50\\_%", "50\\_%"),
])
def test_like_patterns_are_canonical(pattern, canonical):
    assert like_pattern(pattern) == canonical


def test_flatten_collapses_arrays():
    assert flatten({"a": [{"b": 1}, {"b": [2, [3]]}], "c": {}}) == [("a.b", 1), ("a.b", 2), ("a.b", 3)]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_reparses(dialect):
    f = ('and(eq(metadata_key, "env"), neq(metadata_value, "prod"), gt(latency, "1.5s"), like(name, "a\\\\%b%"), '
         'not(search("Timeout")), in(total_tokens, [1, 2]), has(metadata, \'{"a": {"b": 1.5}}\'), lt(total_cost, "0.1"))')
    sql = to_sql(f, trace_filter='has(tags, "prod")', tree_filter="eq(error, null)", dialect=dialect)
    tree = sqlglot.parse_one(sql, read=DIALECTS[dialect])
    assert tree.sql(dialect=DIALECTS[dialect]) == sql
    tables = {t.name for t in tree.find_all(exp.Table)}
    assert tables == {"runs", "run_entries", "run_tags"}


HOSTILE = ["'); DROP TABLE runs; --", "a'b\"c", "back\\slash\\", "nul\x00byte", "üñí©ødé 𝔘 \u2028", "%_", "tab\tnew\nline"]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("value", HOSTILE)
def test_values_are_literals_never_sql(dialect, value):
    sql = to_sql(ast.Compare("eq", ast.Field("name"), ast.String(value)), dialect=dialect)
    tree = sqlglot.parse_one(sql, read=DIALECTS[dialect])
    assert value in {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    assert len(list(tree.find_all(exp.Select))) == 1 and not list(tree.find_all(exp.Drop))


def test_exact_time_and_money_comparisons():
    sql = to_sql('and(lte(latency, "2s"), gt(latency, "0.0000015s"), gte(total_cost, "0.1"), '
                 'lt(total_tokens, 2.5), eq(total_tokens, 2.5))')
    assert "latency_us <= 2000000" in sql
    assert "latency_us > 1" in sql                      # 1.5 µs → latency_us > 1 (whole microseconds)
    assert "CAST('0.100000000000000000' AS DECIMAL(38, 18))" in sql
    assert "total_tokens < 3" in sql and "FALSE" in sql  # no integer equals 2.5


def test_run_ids_ignore_other_arguments():
    sql = build_query('eq(name, "x")', run_ids=["77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"], run_type="llm").sql()
    assert "name" not in sql and "run_type" not in sql and "77aa5f11" in sql


# --------------------------------------------------------------- engines

def _hostile_runs():
    out = []
    for i, value in enumerate(HOSTILE):
        rid = f"00000000-0000-4000-8000-{i:012d}"
        out.append({"id": rid, "trace_id": rid, "name": value, "run_type": "chain",
                    "start_time": f"2024-01-01T00:00:0{i}Z", "tags": [value],
                    "extra": {"metadata": {value: value}}, "inputs": {"q": value}})
    return out


@pytest.fixture(scope="module", params=ENGINES)
def hostile_engine(request, open_on):
    runs = _hostile_runs()
    if request.param == "postgres":  # PostgreSQL text cannot hold NUL: that run is refused (test below)
        runs = [r for r in runs if "\x00" not in r["name"]]
    engine = open_on(runs, request.param)
    engine.hostile = [r["name"] for r in runs]
    yield engine
    engine.close()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_hostile_values_on_every_engine(hostile_engine, index, open_on):
    value = HOSTILE[index]
    if value not in hostile_engine.hostile:  # NUL on PostgreSQL: refused at load, naming the run
        run = _hostile_runs()[index]
        with pytest.raises(LoadError, match=f"run {run['id']}: runs.name holds a NUL character"):
            open_on([run], hostile_engine.dialect)
        return
    want = [f"00000000-0000-4000-8000-{index:012d}"]
    text = json.dumps(value)
    for f in (f"eq(name, {text})", f"has(tags, {text})", f"in(tags, [{text}])",
              f"and(eq(metadata_key, {text}), eq(metadata_value, {text}))",
              f"like(name, {json.dumps(_escape_like(value))})",
              f"like(name, {json.dumps(_escape_like(value) + '%')})",
              f"has(metadata, {json.dumps(json.dumps({value: value}))})"):
        assert hostile_engine.select_ids(filter=f) == want, f
    assert want[0] in hostile_engine.select_ids(filter=f"search(inputs, {json.dumps(value.split()[0])})")
    assert len(hostile_engine.select_ids()) == len(hostile_engine.hostile)  # runs is still there


@pytest.mark.parametrize("engine_name", ENGINES)
def test_exactness_on_every_engine(engine_name, open_on):
    runs = [
        make_run(name="a", run_type="llm", start_time="2024-05-01T12:00:00+02:00",
                 end_time="2024-05-01T10:00:02.000000Z", total_cost=0.1,
                 metadata={"n": 1e-07, "big": 12345678901234567890, "f": 5.0, "t": True}),
    ]
    engine = open_on(runs, engine_name)
    rid = [runs[0]["id"]]
    assert engine.select_ids(filter='lte(latency, "2s")') == rid
    assert engine.select_ids(filter='gte(latency, "2000ms")') == rid
    assert engine.select_ids(filter='gt(latency, "1.9999999s")') == rid
    assert engine.select_ids(filter='eq(start_time, "2024-05-01T10:00:00Z")') == rid
    assert engine.select_ids(filter='eq(total_cost, "0.1")') == rid
    assert engine.select_ids(filter='eq(metadata_value, "0.0000001")') == rid
    assert engine.select_ids(filter="eq(metadata_value, 0.0000001)") == rid
    assert engine.select_ids(filter="eq(metadata_value, 12345678901234567890)") == rid
    assert engine.select_ids(filter='and(eq(metadata_key, "f"), eq(metadata_value, "5"))') == rid
    assert engine.select_ids(filter='and(eq(metadata_key, "f"), eq(metadata_value, "5.0"))') == []
    assert engine.select_ids(filter='eq(metadata_value, "true")') == rid
    assert engine.select_ids(filter="gt(metadata_value, 12345678901234567889.5)") == rid


@pytest.mark.parametrize("engine_name", ENGINES)
def test_inputs_that_are_not_objects_count_as_empty(engine_name, open_on):
    """The run format's inputs/outputs are objects; anything else has no entries and no search text."""
    runs = [
        make_run(i, name="a", run_type="llm", inputs=inputs, outputs=outputs)
        for i, (inputs, outputs) in enumerate([("timeout", ["timeout"]), (["timeout"], 5), ({"q": "timeout"}, None)])
    ]
    engine = open_on(runs, engine_name)
    only_object = [runs[2]["id"]]
    for f in ('search("timeout")', 'search(inputs, "timeout")', 'eq(input_value, "timeout")', 'exists(inputs, "q")'):
        assert engine.select_ids(filter=f) == only_object, f
        assert [r["id"] for r in filterql.select(runs, filter=f)] == only_object, f
    assert engine.select_ids(filter='search(outputs, "timeout")') == []
    assert filterql.select(runs, filter='search(outputs, "timeout")') == []


# ---------------------------------------------------------------- loading


def test_not_run_data_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.jsonl"
    bad.write_text("this is not json\n")
    with pytest.raises(LoadError, match="notes.jsonl:1: malformed JSON"):  # the Python reader's words
        load_files(bad)


def test_record_without_required_fields_is_named(tmp_path):
    path = tmp_path / "runs.jsonl"
    good = make_run(name="a", run_type="llm", start_time="2024-05-01T00:00:00Z")
    path.write_text(json.dumps(good) + "\n" + json.dumps({"name": "b"}) + "\n")
    with pytest.raises(LoadError, match=r"runs.jsonl:2: run is missing required fields id, trace_id, run_type, start_time"):
        load_files(path)
    assert open_engine.__name__  # the error is a FilterError, so the CLI reports it cleanly
    assert issubclass(LoadError, FilterError)


def test_parquet_without_run_columns_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), path)
    with pytest.raises(LoadError, match="no column id, trace_id, name, run_type, start_time"):
        load_files(path)


def test_parquet_with_native_types(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    start = dt.datetime(2024, 5, 1, 10, 0, 0)
    table = pa.table({
        "id": ["00000000-0000-4000-8000-000000000001"], "trace_id": ["00000000-0000-4000-8000-000000000001"],
        "name": ["ChatOpenAI"], "run_type": ["llm"], "start_time": pa.array([start], pa.timestamp("us")),
        "end_time": pa.array([start + dt.timedelta(seconds=2)], pa.timestamp("us", tz="UTC")),
        "total_cost": pa.array([Decimal("0.0150")], pa.decimal128(10, 4)), "tags": [["prod"]],
        "extra": ['{"metadata": {"env": "prod"}}'],
    })
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path)
    engine = open_engine(path)
    f = 'and(lte(latency, "2s"), eq(total_cost, "0.015"), has(tags, "prod"), has(metadata, \'{"env": "prod"}\'))'
    assert engine.select_ids(filter=f) == ["00000000-0000-4000-8000-000000000001"]


# -------------------------------------------------------------------- CLI


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_cli_sql_prints_the_query(dialect, capsys):
    assert main(["sql", 'eq(run_type, "llm")', "--trace-filter", 'has(tags, "x")', "--dialect", dialect]) == 0
    out = capsys.readouterr().out
    assert "'llm'" in out and "run_tags" in out


def test_cli_sql_invalid_filter_exits_1(capsys):
    assert main(["sql", "eq(nmae, 1)"]) == 1
    assert "unknown field" in capsys.readouterr().err


def test_cli_match_duckdb_prints_the_same_runs(capsys):
    from conformance import RUNS_FILE

    args = ["match", str(RUNS_FILE), "--filter", 'eq(run_type, "llm")', "--select", "name,child_run_ids"]
    assert main(args) == 0
    python = capsys.readouterr().out
    assert main(args + ["--engine", "duckdb"]) == 0
    assert capsys.readouterr().out == python


def test_cli_match_duckdb_bad_file_exits_1(tmp_path, capsys):
    bad = tmp_path / "x.jsonl"
    bad.write_text("[1, 2\n")
    assert main(["match", str(bad), "--engine", "duckdb", "--ids-only"]) == 1
    assert "x.jsonl:1: malformed JSON" in capsys.readouterr().err


def test_public_exports():
    assert filterql.to_sql is to_sql
    assert callable(filterql.select_sql)


def test_search_reads_escaped_json_text_exactly(tmp_path):
    # The DuckDB engine first looks for a term in a document's JSON text; escapes must not hide it.
    rid = "00000000-0000-4000-8000-000000000001"
    line = ('{"id": "%s", "trace_id": "%s", "name": "n", "run_type": "llm", "start_time": "2024-05-01T00:00:00Z", '
            '"inputs": {"q": "\\u00c9t\\u00e9 \\"quoted\\" back\\\\slash"}, "outputs": {"time\\u006fut": "x"}}' % (rid, rid))
    path = tmp_path / "runs.jsonl"
    path.write_text(line + "\n")
    engine = open_engine(path)
    for text, hit in (("été", True), ("quoted", True), ('"quoted"', True), ("back\\slash", True),
                      ("timeout", False), ("ÉTÉ", True)):
        want = [r["id"] for r in filterql.select(filterql.read_runs(path), filter=f"search({json.dumps(text)})")]
        assert want == ([rid] if hit else []), text
        assert engine.select_ids(filter=f"search({json.dumps(text)})") == want, text


def test_cli_match_duckdb_skip_invalid_counts(tmp_path, capsys):
    from conformance import RUNS_FILE

    lines = RUNS_FILE.read_text().splitlines()[:3] + ['{"name": "x"}', "not json"]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["match", str(path), "--engine", "duckdb", "--ids-only", "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.split()) == 3
    assert "skipped 2 invalid runs" in captured.err


def test_langsmith_run_objects_load():
    import datetime as dt
    import uuid

    from langsmith import schemas

    rid = uuid.UUID("00000000-0000-4000-8000-000000000007")
    run = schemas.Run(id=rid, trace_id=rid, name="ChatOpenAI", run_type="llm", inputs={"q": "hello"},
                      start_time=dt.datetime(2024, 5, 1, 10), end_time=dt.datetime(2024, 5, 1, 10, 0, 2),
                      tags=["prod"], extra={"metadata": {"env": "prod"}})
    engine = open_engine([run])
    for f in ('lte(latency, "2s")', 'has(tags, "prod")', 'and(eq(metadata_key, "env"), eq(metadata_value, "prod"))',
              'search("HELLO")'):
        assert engine.select_ids(filter=f) == [str(rid)], f
