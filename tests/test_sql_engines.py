"""Engine mechanics: objects created on demand, the SQL cache, file facts, PostgreSQL's schema."""

from __future__ import annotations

import json

import psycopg
import pytest
from conformance import RUNS_FILE, load_runs

from filterql.sql import open_engine


def _views(engine) -> set[str]:
    return {r[0] for r in engine.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def test_duckdb_creates_entry_views_and_macros_when_a_query_needs_them():
    engine = open_engine(RUNS_FILE)
    assert "run_entries" not in _views(engine) and "run_tags" not in _views(engine)
    scalar = engine.select_ids(filter='eq(run_type, "llm")')
    assert "run_entries" not in _views(engine)
    everyone = {r["id"] for r in load_runs()}
    flat = open_engine(RUNS_FILE, nested=False)
    assert set(flat.select_ids(filter='exists(metadata, "a")')) <= everyone
    assert "run_entries" in _views(flat)
    assert scalar == flat.select_ids(filter='eq(run_type, "llm")')


def test_repeated_arguments_reuse_the_rendered_sql():
    engine = open_engine(RUNS_FILE)
    first = engine.sql(filter='has(tags, "prod")', limit=3, run_ids=None)
    assert engine.sql(filter='has(tags, "prod")', run_ids=None, limit=3) is first
    assert engine.sql(filter='has(tags, "prod")', limit=4) != first
    ids = [r["id"] for r in load_runs()][:2]
    assert engine.sql(run_ids=ids) is engine.sql(run_ids=list(ids))
    assert engine.select_ids(run_ids=ids) == engine.select_ids(run_ids=tuple(ids))


def test_new_engines_share_rendered_sql_per_source_and_create_what_it_needs(tmp_path, monkeypatch):
    """``select_sql`` opens an engine per call: the text is rendered once per (filter, source), each new
    connection still gets the macros and the depth test it calls, and the cache stays bounded."""
    from filterql import read_runs, select
    from filterql.sql import base, engines

    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    # Native timestamps: the files' statistics prove the runs complete, so opening them runs no SQL.
    runs = [{**r, "start_time": dt.datetime.fromisoformat(r["start_time"].replace("Z", "+00:00"))}
            for r in load_runs()]
    texts = _parquet(tmp_path / "texts.parquet", runs)  # JSON documents as text columns
    objects = tmp_path / "objects.parquet"  # the same runs with documents as Parquet structs, fewer columns
    pq.write_table(pa.Table.from_pylist([{k: r[k] for k in ("id", "trace_id", "name", "run_type", "start_time",
                                                            "inputs") if k in r} for r in runs[::2]]), objects)
    filters = ['search("a")', 'and(eq(metadata_key, "a"), eq(metadata_value, "b"))', 'has(tags, "prod")']
    for path in (texts, objects):
        for text in filters:
            first = open_engine(path).sql(filter=text)
            engine = open_engine(path)
            assert engine.sql(filter=text) is first  # rendered once for this source
            want = [r["id"] for r in select(read_runs(path), filter=text)]
            assert engine.select_ids(filter=text) == want, (path.name, text)
    assert open_engine(texts).sql(filter=filters[0]) != open_engine(objects).sql(filter=filters[0])
    monkeypatch.setattr(base, "_CACHE_SIZE", 2)
    for n in range(4):
        open_engine(texts).sql(filter=f'eq(name, "n{n}")')
        assert len(engines._RENDERED) <= 2


def test_a_rewritten_parquet_file_is_described_again(tmp_path):
    runs = load_runs()
    path = tmp_path / "runs.parquet"
    for kept in (runs[:3], runs):
        _parquet(path, kept)
        assert sorted(open_engine(path).select_ids()) == sorted(r["id"] for r in kept)


def _parquet(path, runs):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{**r, **{k: json.dumps(r[k]) for k in ("extra", "inputs", "outputs") if r.get(k) is not None}}
            for r in runs]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_a_parquet_engine_reads_only_the_columns_a_query_names(tmp_path):
    from filterql.sql.engines import DuckDBEngine
    from filterql.sql.load import load_files

    path = _parquet(tmp_path / "runs.parquet", load_runs())
    lazy, viewed = open_engine(path), DuckDBEngine(load_files(path))
    assert _views(lazy) == set()
    scalar = lazy.sql(filter='eq(run_type, "llm")')
    assert "read_parquet" in scalar and "thread" not in scalar and "to_json" not in scalar
    filters = ['eq(run_type, "llm")', 'search("a")', 'and(eq(metadata_key, "a"), eq(metadata_value, "b"))',
               'has(tags, "prod")', None]
    for text in filters:
        assert lazy.select_ids(filter=text) == viewed.select_ids(filter=text)
    assert _views(lazy) == set()
    # A query over the entry view gets the layout's views, and the same answers.
    entries = 'exists(metadata, "a.b")'
    assert lazy.select_ids(filter=entries) == viewed.select_ids(filter=entries)
    assert {"runs", "run_entries"} <= _views(lazy)
    assert "read_parquet" in lazy.sql(filter='eq(run_type, "chain")')  # still read through the subquery
    assert lazy.select_ids(filter=filters[0]) == viewed.select_ids(filter=filters[0])
    # The stand-in name of runs can be searched for: a string literal never holds it as rendered.
    for text in ('search("filterql\'inline_runs")', 'eq(name, "\\"filterql\'inline_runs\\"")'):
        assert lazy.select_ids(filter=text) == viewed.select_ids(filter=text) == []


def test_postgres_needs_a_dsn():
    with pytest.raises(ValueError, match="dsn="):
        open_engine(RUNS_FILE, "postgres")


def test_postgres_schema_is_its_own_and_dropped_on_close(postgres_dsn):
    with pytest.raises(ValueError, match="lowercase SQL identifier"):
        open_engine(RUNS_FILE, "postgres", dsn=postgres_dsn, schema='x"; DROP TABLE runs; --')
    schemas = "SELECT schema_name FROM information_schema.schemata"
    with open_engine(RUNS_FILE, "postgres", dsn=postgres_dsn, schema="filterql_mine") as engine:
        assert len(engine.select_ids()) == len(load_runs())
        with psycopg.connect(postgres_dsn) as con:
            assert ("filterql_mine",) in con.execute(schemas).fetchall()
    with psycopg.connect(postgres_dsn) as con:
        assert ("filterql_mine",) not in con.execute(schemas).fetchall()


def test_postgres_search_lowercases_as_the_evaluator_does(postgres_dsn):
    """The "C" pre-test of an ASCII term lets through every name Unicode lowercases into it."""
    from filterql import select

    names = ["T\u0130MEOUT", "\u212aEY", "KEY", "timeout", "t\u00edmeout", "x", "\u0130"]
    runs = [{"id": f"00000000-0000-4000-8000-{i:012d}", "trace_id": f"00000000-0000-4000-8000-{i:012d}", "name": n,
             "run_type": "chain", "start_time": f"2024-01-01T00:00:0{i}Z"} for i, n in enumerate(names)]
    with open_engine(runs, "postgres", dsn=postgres_dsn) as engine:
        for term in ["timeout", "key", "ey", "i", "t\u00edm", "\u0130"]:
            text = f"search({json.dumps(term)})"
            assert engine.select_ids(filter=text) == [r["id"] for r in select(runs, filter=text)], term


def test_spark_byte_sizes_read_as_spark_reads_them():
    from filterql.sql.spark_engine import _bytes

    assert _bytes("134217728b") == _bytes("128m") == _bytes("128MB") == 128 << 20
    assert _bytes("1g") == 1 << 30 and _bytes(" 64 k ") == 64 << 10 and _bytes("100") == 100
    with pytest.raises(ValueError, match="byte size"):
        _bytes("12 parsecs")
