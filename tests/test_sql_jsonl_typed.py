"""DuckDB's typed JSONL reader (issue 17, ``filterql.sql.load.load_typed``) reads runs as the general one does.

``filterql match --ids-only --engine duckdb`` reads JSONL with DuckDB's typed reader, one column
per member the layout reads, instead of ``read_json_objects`` and per-member extraction. The
property: over runs whose members hold any JSON (numbers in every spelling, strings, booleans,
null, absent, arrays, objects, timestamps and UUIDs in many spellings), the normalized source of
both readers holds the same rows; and ``filterql match --ids-only`` without ``--skip-invalid``
gives the same exit code, ids and first stderr line as the Python engine, whether the typed
reader answers or falls back (a duplicate key, a deep record, a record that is not a run).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from filterql.run_files import MAX_RUN_DEPTH
from filterql.sql import load
from filterql.sql.load import SOURCE, connect, load_files, load_typed
from conftest import run_cli
from fuzz_budget import examples
from shared_data import shared_dir

RUNS = [json.loads(line) for line in (shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl").open()]

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 5.0, 1e3, 1e-7, 1.5e300, 123.456, 2.0**63, 1e30]),
    st.text(max_size=8), st.sampled_from(["2024-05-01T10:00:00Z", "2024-05-01t10:00:00.5z", "2024-05-01 10:00",
                                          "2024-05-01T10:00:00+05:30", "0001-01-01T00:00:00+01:00", "20240501T100000Z",
                                          "9999-12-31T23:59:59-01", "2024-05-01T24:00:00Z", "2024-05-01",
                                          "6A1F0C2E-3D4B-4C5D-8E9F-0A1B2C3D4E5F", "{6a1f0c2e-3d4b-4c5d-8e9f-0a1b2c3d4e5f}",
                                          "0.25", " 7 ", "true", "yes", '["a", "b"]', '{"k": 1}']))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                     max_leaves=8)
#: Members read as text: a float there (``1e-7``) is the one value the readers may spell differently
#: (docs/engines.md "JSONL"), so it is left out here.
_TEXT_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(max_size=8),
                         st.lists(_SCALARS, max_size=2), _SCALARS.filter(lambda v: not isinstance(v, float)))
_ABSENT = object()


#: Text members as both engines read them alike (a non-string id or name is read as text by DuckDB).
_STRINGS = st.one_of(st.none(), st.text(max_size=8), _SCALARS.filter(lambda v: isinstance(v, str)))


@st.composite
def _runs(draw: st.DrawFn, texts: st.SearchStrategy[Any] = _TEXT_VALUES) -> list[dict[str, Any]]:
    runs = []
    for original in draw(st.lists(st.sampled_from(RUNS), min_size=1, max_size=6)):
        run = dict(original)
        for name in draw(st.lists(st.sampled_from(load._MEMBERS), max_size=6, unique=True)):
            text = load._TYPED[name] == "VARCHAR" and name not in load._TIMES + load._DECIMALS + ("in_dataset",)
            value = draw(st.one_of(st.just(_ABSENT), texts if text else _JSON))
            if value is _ABSENT:
                run.pop(name, None)
            else:
                run[name] = value
        runs.append(run)
    return runs


def _source_rows(con: Any) -> list[str]:
    """The normalized rows, JSON null read as SQL NULL (the typed reader's JSON columns hold no JSON null;
    every expression over them reads both alike, which the match differential below checks)."""
    rows = con.execute(f"SELECT * EXCLUDE (raw) FROM {SOURCE}").fetchall()
    return sorted(repr(tuple(None if v == "null" else v for v in r)) for r in rows)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_runs())
def test_typed_reader_normalizes_every_member_as_the_general_reader(tmp_path, runs):
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in runs))
    general, typed = connect(progress=False), connect(progress=False)
    load_files(path, general, check=False)
    assert load_typed([path], typed)
    assert _source_rows(typed) == _source_rows(general)


_FILTERS = [None, 'eq(run_type, "llm")', "gt(total_tokens, 100)", 'search("image")', 'has(tags, "production")',
            'eq(metadata_key, "user_id")', 'eq(thread_id, "conv-1")', "eq(end_time, null)"]


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_runs(_STRINGS), st.sampled_from(_FILTERS), st.sampled_from(["none", "duplicate key", "deep", "not an object"]))
def test_match_ids_only_decides_as_the_python_engine(tmp_path, capsys, runs, source, damage):
    lines = [json.dumps(r) for r in runs]
    if damage == "duplicate key":  # read by the general reader, refused by the typed one
        lines[0] = lines[0][:-1] + ', "name": "again"}'
    elif damage == "deep":
        lines[-1] = '{"deep": ' + "[" * MAX_RUN_DEPTH + "]" * MAX_RUN_DEPTH + ", " + lines[-1][1:]
    elif damage == "not an object":
        lines.append("[1, 2]")
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    argv = ["match", str(path), "--ids-only"] + ([] if source is None else ["--filter", source])
    python = run_cli(argv, capsys)
    duckdb = run_cli(argv + ["--engine", "duckdb"], capsys)
    if damage == "duplicate key":  # the readers keep different values of a repeated key: only the decision
        assert python[0] == duckdb[0]
    else:
        assert python == duckdb


def test_typed_reader_is_used_on_clean_files_and_not_on_deep_ones(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RUNS))
    assert load_typed([path], connect(progress=False))
    deep = '{"deep": ' + "[" * MAX_RUN_DEPTH + "]" * MAX_RUN_DEPTH + ", " + json.dumps(RUNS[0])[1:]
    path.write_text(deep + "\n")
    assert not load_typed([path], connect(progress=False))
    path.write_text("{not json}\n")
    assert not load_typed([path], connect(progress=False))


def test_a_query_needing_the_documents_fails_loudly_on_the_typed_layout(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RUNS))
    con = connect(progress=False)
    assert load_typed([path], con)
    with pytest.raises(Exception, match="without their documents"):
        con.execute("SELECT doc FROM runs").fetchall()
