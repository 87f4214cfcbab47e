"""The shared conformance suite on every executed SQL engine, and through ``filterql match --engine duckdb``."""

from __future__ import annotations

import json

import pytest
from conformance import RUNS_FILE, case_id, cli_args, error_cases, expect_cases, load_runs

from filterql import FilterError
from filterql.cli import main
from filterql.errors import FilterSyntaxError, FilterValidationError
from filterql.sql import ENGINES, open_engine, to_sql

EXPECT = expect_cases()
ERRORS = error_cases()
_ERROR_TYPES = {"syntax": (FilterSyntaxError, FilterValidationError), "validation": FilterValidationError,
                "any": FilterError}


@pytest.fixture(scope="module", params=(*ENGINES, "duckdb-flat"))
def engine(request):
    """The conformance runs loaded from the JSONL file, on each engine (DuckDB with both layouts)."""
    if request.param == "duckdb-flat":
        return open_engine(RUNS_FILE, "duckdb", nested=False)
    return open_engine(RUNS_FILE, request.param)


@pytest.fixture(scope="module")
def in_memory():
    """The same runs given as Python dicts (loaded through Arrow)."""
    return open_engine(load_runs(), "duckdb")


@pytest.fixture(scope="module")
def from_parquet(tmp_path_factory):
    """The same runs written as a bulk-export-style Parquet file (JSON documents as text columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for run in load_runs():
        row = dict(run)
        for column in ("extra", "inputs", "outputs", "feedback_stats"):
            if row.get(column) is not None:
                row[column] = json.dumps(row[column])
        rows.append(row)
    path = tmp_path_factory.mktemp("parquet") / "runs.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return open_engine(path, "duckdb")


@pytest.mark.parametrize("case", EXPECT, ids=[case_id(c) for c in EXPECT])
def test_engine_matches_expected_ids(engine, case):
    assert sorted(engine.select_ids(**case["args"])) == sorted(case["expect"])


@pytest.mark.parametrize("case", EXPECT, ids=[case_id(c) for c in EXPECT])
def test_in_memory_and_parquet_sources_match(in_memory, from_parquet, case):
    assert sorted(in_memory.select_ids(**case["args"])) == sorted(case["expect"])
    assert sorted(from_parquet.select_ids(**case["args"])) == sorted(case["expect"])


@pytest.mark.parametrize("case", EXPECT, ids=[case_id(c) for c in EXPECT])
def test_cli_duckdb_engine_matches(case, capsys):
    code = main(["match", str(RUNS_FILE), *cli_args(case["args"]), "--engine", "duckdb", "--ids-only"])
    out = capsys.readouterr().out.split()
    assert code == 0
    assert sorted(out) == sorted(case["expect"])


@pytest.mark.parametrize("case", ERRORS, ids=[case_id(c) for c in ERRORS])
def test_invalid_filter_is_a_clean_error(case):
    kind = case["expect_error"]
    filters = {k: v for k, v in case["args"].items() if k in ("filter", "trace_filter", "tree_filter")}
    if kind == "no_crash":
        try:
            to_sql(**filters)
        except FilterError:
            pass
        return
    with pytest.raises(_ERROR_TYPES[kind]):
        to_sql(**filters)
