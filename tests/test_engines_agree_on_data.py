"""Engines agree on unusual data (issue 11): a hypothesis differential over run *data*.

Each example rewrites the conformance runs the ways exports differ: timestamps spelled with ``z``,
``t``, a space, offsets, no fraction, or in forms no engine reads (basic form, ``24:00``); UUIDs in
upper case, braces, without hyphens; token counts as ``5.0``, ``1.5``, ``"7"``, ``1e3``, ``1e30``;
tags and JSON columns as JSON text instead of arrays and objects; empty objects; the file in
reverse order. For each file the Python and DuckDB engines return the same ids, in order, for every
filter, and the same ``--select`` lines and skip count from ``filterql match``; without
``--skip-invalid``, the same ids or the same first invalid run from ``filterql match --ids-only``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import filterql
from filterql.cli import main
from filterql.runs import uuid_text
from filterql.sql import DuckDBEngine, load_files
from fuzz_budget import examples
from shared_data import shared_dir

RUNS = [json.loads(line) for line in (shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl").open()]
FILTERS = [
    None, 'gt(start_time, "2024-05-01T10:00:01Z")', 'lte(end_time, "2024-05-01T10:00:05.5Z")', 'gt(latency, "1s")',
    "eq(first_token_time, null)", "eq(total_tokens, 300)", "gt(total_tokens, 100)", "eq(total_tokens, null)",
    "in(prompt_tokens, [0, 7])", 'has(tags, "production")', 'eq(metadata_key, "user_id")', 'search("image")',
    'exists(inputs, "query")', 'eq(trace_id, "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce")', "eq(parent_run_id, null)",
    'and(eq(feedback_key, "user_score"), gt(feedback_score, 0))', 'eq(thread_id, "conv-1")',
]
SELECT = "id,name,start_time,total_tokens,tags,parent_run_id,child_run_ids"
#: The filters whose readings the respellings touch: times, ids, token counts, tags.
TYPED_FILTERS = [None, 'gt(start_time, "2024-05-01T10:00:01Z")', 'gt(latency, "1s")', "eq(total_tokens, 300)",
                 'has(tags, "production")', 'eq(trace_id, "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce")']


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _spell_time(when: datetime, how: str) -> str:
    utc = when.astimezone(timezone.utc)
    if how == "Z":
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if how == "z":
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fz")
    if how == "t and space":
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    if how == "offset":
        return utc.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    if how == "compact offset":
        return utc.astimezone(timezone(timedelta(hours=-8))).strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    if how == "basic form":  # read by neither engine
        return utc.strftime("%Y%m%dT%H%M%S.%fZ")
    if how == "24:00":  # read by neither engine
        return utc.strftime("%Y-%m-%dT24:00:00Z")
    raise AssertionError(how)


_TIMES = ["Z", "z", "t and space", "offset", "compact offset", "basic form", "24:00"]
_UUIDS = [str.lower, str.upper, lambda u: "{" + u + "}", lambda u: u.replace("-", "")]
_TOKENS = [lambda n: n, lambda n: float(n), lambda n: n + 0.5, lambda n: str(n), lambda n: float(f"{n}e0") * 1e3,
           lambda n: 1e30, lambda n: None]


@st.composite
def respelled(draw: st.DrawFn) -> tuple[list[dict[str, Any]], bool]:
    runs = []
    for original in RUNS:
        run = json.loads(json.dumps(original))
        for name in ("start_time", "end_time", "first_token_time"):
            if run.get(name) and draw(st.booleans()):
                run[name] = _spell_time(_instant(run[name]), draw(st.sampled_from(_TIMES)))
        spell = draw(st.sampled_from(_UUIDS))
        for name in ("id", "trace_id", "parent_run_id"):
            if run.get(name):
                run[name] = spell(run[name])
        for name in ("total_tokens", "prompt_tokens"):
            if isinstance(run.get(name), int) and draw(st.booleans()):
                run[name] = draw(st.sampled_from(_TOKENS))(run[name])
        if draw(st.booleans()) and isinstance(run.get("tags"), list):
            run["tags"] = json.dumps(run["tags"])  # the Parquet export's representation, inside JSONL
        for name in ("inputs", "outputs", "extra", "feedback_stats"):
            choice = draw(st.sampled_from(["keep", "keep", "text", "empty"]))
            if choice == "text" and run.get(name) is not None:
                run[name] = json.dumps(run[name])
            elif choice == "empty":
                run[name] = {}
        runs.append(run)
    return runs, draw(st.booleans())


def _match(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.split(";")[0].strip()


@settings(max_examples=examples(20), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(respelled())
def test_python_and_duckdb_agree_on_unusual_run_data(tmp_path, capsys, data):
    runs, reverse = data
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (runs[::-1] if reverse else runs)))
    engine = DuckDBEngine(load_files(path, skip_invalid=True))
    reader = filterql.read_runs(path, skip_invalid=True)
    for source in FILTERS:
        arguments = {} if source is None else {"filter": source}
        expected = [uuid_text(r["id"]) for r in filterql.select(reader, **arguments)]
        assert engine.select_ids(**arguments) == expected, source
    # Without --skip-invalid, --ids-only reads with DuckDB's typed reader (docs/engines.md "JSONL"): same
    # ids, or the same first invalid run reported.
    for source in TYPED_FILTERS:
        argv = ["match", str(path), "--ids-only"] + ([] if source is None else ["--filter", source])
        assert _match(argv, capsys) == _match(argv + ["--engine", "duckdb"], capsys), source
    for extra in (["--ids-only"], ["--select", SELECT]):
        argv = ["match", str(path), "--skip-invalid", "--filter", "neq(name, null)", *extra]
        python, duckdb = _match(argv, capsys), _match(argv + ["--engine", "duckdb"], capsys)
        assert python[0::2] == duckdb[0::2]  # exit code, skip count
        for ours, theirs in zip(python[1], duckdb[1]):
            assert ours == theirs
        assert len(python[1]) == len(duckdb[1])


# Family numbers of every size and precision: JSON number text as an export may hold it, and literals
# on and off the 18-digit grid (docs/semantics.md, Numbers: catalog.DECIMAL_DIGITS).
_DIGITS = st.text("0123456789", min_size=1, max_size=25)
_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.tuples(st.sampled_from(["", "-"]), _DIGITS, _DIGITS).map(lambda t: f"{t[0]}{t[1].lstrip('0') or '0'}.{t[2]}"),
    st.tuples(_DIGITS, st.integers(-40, 40)).map(lambda t: f"{t[0].lstrip('0') or '0'}e{t[1]}"),
    st.sampled_from(["1e-18", "1e-19", "0.000012345678901234567", "99999999999999999999", "1e20", "-0.0"]),
)
_LITERALS = st.sampled_from(["0", "1", "-1", "1e-18", "1e-19", "0.5", "0.000012345678901234567", "99999999999999999999",
                             "-99999999999999999999.5", "1.000000000000000001", "12345.678"])


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_NUMBER_TEXT, min_size=len(RUNS), max_size=len(RUNS)), st.lists(_LITERALS, min_size=3, max_size=3))
def test_python_and_duckdb_agree_on_family_numbers_of_any_size(tmp_path, numbers, literals):
    lines = []
    for run, number in zip(RUNS, numbers):
        run = json.loads(json.dumps(run))
        run.setdefault("extra", {})["metadata"] = {"n": "@N@"}
        lines.append(json.dumps(run).replace('"@N@"', number) + "\n")
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(lines))
    engine = DuckDBEngine(load_files(path))
    reader = filterql.read_runs(path)
    filters = [f'and(eq(metadata_key, "n"), {op}(metadata_value, {value}))'
               for op in ("eq", "neq", "gt", "gte", "lt", "lte") for value in literals]
    filters += [f"has(metadata, '{{\"n\": {value}}}')" for value in literals]
    filters += [f'and(eq(metadata_key, "n"), in(metadata_value, [{", ".join(literals)}]))']
    for source in filters:
        expected = [uuid_text(r["id"]) for r in filterql.select(reader, filter=source)]
        assert engine.select_ids(filter=source) == expected, source


# Parquet's JSON text columns: whatever text an export holds, both engines read the same document.
def _deep(leaf: str) -> str:
    return '{"a": ' * 600 + leaf + "}" * 600


_TEXTS = [json.dumps, lambda v: _deep(json.dumps(v)), lambda v: json.dumps(v)[:-1], lambda v: " " + json.dumps(v),
          lambda v: json.dumps(v)[:-1] + ", }" if isinstance(v, dict) and v else json.dumps(v),
          lambda v: "5", lambda v: '"text"', lambda v: "image {"]
PARQUET_FILTERS = ['exists(inputs, "query")', 'eq(input_key, "query")', 'search("image")', 'search("a")',
                   'eq(metadata_key, "user_id")', 'eq(output_key, "a.a.a")', 'like(input_value, "%image%")',
                   'eq(thread_id, "conv-1")']


@settings(max_examples=examples(15), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(*[st.integers(0, len(_TEXTS) - 1)] * 3), min_size=len(RUNS), max_size=len(RUNS)))
def test_python_and_duckdb_agree_on_parquet_json_text(tmp_path, capsys, choices):
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    rows = []
    for run, picks in zip(RUNS, choices):
        row = {k: run.get(k) for k in ("id", "trace_id", "parent_run_id", "name", "run_type", "start_time")}
        for name, pick in zip(("inputs", "outputs", "extra"), picks):
            row[name] = _TEXTS[pick](run.get(name) or {})
        rows.append(row)
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    engine = DuckDBEngine(load_files(path))
    reader = filterql.read_runs(path)
    for source in PARQUET_FILTERS:
        expected = [uuid_text(r["id"]) for r in filterql.select(reader, filter=source)]
        assert engine.select_ids(filter=source) == expected, source
    argv = ["match", str(path), "--select", "id,inputs,outputs,extra,metadata"]
    python, duckdb = _match(argv, capsys), _match(argv + ["--engine", "duckdb"], capsys)
    assert python == duckdb


def test_python_and_duckdb_agree_on_parquet_list_columns(tmp_path, capsys):
    """A document column stored as a Parquet list of strings (DuckDB ``VARCHAR[]``) is that list on both
    engines, not the text of the list: only a text column is a JSON text to decode."""
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    rows = [{k: run.get(k) for k in ("id", "trace_id", "parent_run_id", "name", "run_type", "start_time")}
            | {"inputs": ["image", "{\"a\": 1}"], "outputs": ["[1]"], "extra": ["x"]} for run in RUNS]
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    engine = DuckDBEngine(load_files(path))
    reader = filterql.read_runs(path)
    for source in PARQUET_FILTERS + ['search("{")', 'search("[1]")']:
        expected = [uuid_text(r["id"]) for r in filterql.select(reader, filter=source)]
        assert engine.select_ids(filter=source) == expected, source
    argv = ["match", str(path), "--select", "id,inputs,outputs,extra,metadata"]
    python, duckdb = _match(argv, capsys), _match(argv + ["--engine", "duckdb"], capsys)
    assert python == duckdb
    assert '"inputs": ["image", "{\\"a\\": 1}"]' in python[1][0]
