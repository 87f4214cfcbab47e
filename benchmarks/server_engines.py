"""Each engine against its own hand-written query: DuckDB on one open connection, Spark (local) and PostgreSQL.

Run: ``python -m benchmarks.server_engines [--runs N] [--repeat R] [--dsn DSN]``.
Over the Parquet file of :func:`benchmarks.sql_bench.data_file`, for each
filter of :data:`benchmarks.sql_bench.FILTERS`:

- DuckDB: ``open_engine(file)`` once, then ``engine.select_ids(filter=...)``
  against the hand-written query (:data:`sql_bench.FILTERS`) on the same
  connection;
- PostgreSQL: ``open_engine(file, "postgres", dsn=...)`` against a hand-written
  query over the file's columns copied as they are into a table of their own
  (``tags`` TEXT[], ``extra`` JSONB, timestamps TIMESTAMPTZ); a throwaway server
  (:mod:`benchmarks.pg_server`) unless ``--dsn`` is given;
- Spark: ``open_engine(file, "spark")`` on the local session against a
  hand-written Spark SQL query over ``spark.read.parquet(file)``, both cached
  in memory.

Every query is timed after the data are loaded (load times are printed apart),
best of ``repeat``, the two contenders taking turns; both must return the same
ids. Target (issue #16): each engine within 1.5x of its own hand-written
query; DuckDB's open engine within 1.1x at 1,000,000 runs.
"""

from __future__ import annotations

import argparse
import gc
import io
import time
from pathlib import Path
from typing import Any, Callable

from .sql_bench import FILTERS, data_file

__all__ = ["POSTGRES", "SPARK", "duckdb_open", "postgres", "spark", "main"]

#: label -> hand-written WHERE clause over the ``hand_runs`` table (the file's columns) in PostgreSQL.
POSTGRES = {
    "4 conditions": "run_type = 'llm' AND total_tokens > 100 AND 'production' = ANY(tags) AND status = 'success'",
    "latency window": "end_time - start_time > INTERVAL '5 seconds' AND start_time >= TIMESTAMPTZ '2024-05-01 12:00:00Z' "
                      "AND error IS NULL",
    "metadata pair": "extra -> 'metadata' ->> 'environment' = 'production'",
    "search": "strpos(lower(name), 'timeout') > 0 OR strpos(lower(error), 'timeout') > 0 "
              "OR EXISTS (SELECT 1 FROM unnest(tags) AS t WHERE strpos(lower(t), 'timeout') > 0) "
              "OR strpos(lower(inputs), 'timeout') > 0 OR strpos(lower(outputs), 'timeout') > 0 "
              "OR strpos(lower((extra -> 'metadata')::text), 'timeout') > 0",
}
#: label -> hand-written WHERE clause over the Parquet file as a Spark view.
SPARK = {
    "4 conditions": "run_type = 'llm' AND total_tokens > 100 AND array_contains(tags, 'production') AND status = 'success'",
    "latency window": "unix_micros(end_time) - unix_micros(start_time) > 5000000 "
                      "AND start_time >= TIMESTAMP '2024-05-01 12:00:00' AND error IS NULL",
    "metadata pair": "get_json_object(extra, '$.metadata.environment') = 'production'",
    "search": "instr(lower(name), 'timeout') > 0 OR instr(lower(error), 'timeout') > 0 "
              "OR exists(tags, t -> instr(lower(t), 'timeout') > 0) "
              "OR instr(lower(inputs), 'timeout') > 0 OR instr(lower(outputs), 'timeout') > 0 "
              "OR instr(lower(get_json_object(extra, '$.metadata')), 'timeout') > 0",
}
_ORDER = " ORDER BY start_time DESC, id"


def _turns(engine: Callable[[], list[str]], hand: Callable[[], list[str]], repeat: int) -> tuple[float, float, int]:
    """Best times of ``engine`` and ``hand`` taking turns; their ids must agree."""
    best_e = best_h = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        got = engine()
        best_e = min(best_e, time.perf_counter() - t)
        t = time.perf_counter()
        want = hand()
        best_h = min(best_h, time.perf_counter() - t)
        if got != want:
            raise AssertionError(f"the engine found {len(got)} runs, the hand-written query {len(want)}")
    return best_e, best_h, len(got)


def _measure(name: str, engine: Any, hand: Callable[[str], list[str]], repeat: int, load_s: float) -> dict[str, Any]:
    rows = []
    for label, text, _duck in FILTERS:
        engine.select_ids(filter=text)  # warm: the first query pays for compiling and caches
        t_e, t_h, matches = _turns(lambda: engine.select_ids(filter=text), lambda: hand(label), repeat)
        rows.append({"filter": label, "filterql": text, "matches": matches, "engine_s": t_e, "handwritten_s": t_h,
                     "ratio": t_e / t_h})
        print(f"   {name:<10} {label:<16} {matches:>9,} {t_e:>9.3f} {t_h:>9.3f} {t_e / t_h:>7.2f}x")
    return {"engine": name, "load_s": load_s, "filters": rows}


def duckdb_open(path: Path, repeat: int) -> dict[str, Any]:
    """The DuckDB engine opened once, against the hand-written query on the same connection."""
    from filterql.sql import open_engine

    t = time.perf_counter()
    engine = open_engine(path)
    load = time.perf_counter() - t
    wheres = {label: where for label, _text, where in FILTERS}

    def hand(label: str) -> list[str]:
        sql = f"SELECT id FROM read_parquet('{path}') WHERE {wheres[label]}{_ORDER}"
        return [r[0] for r in engine.con.execute(sql).fetchall()]

    return _measure("DuckDB", engine, hand, repeat, load)


def _hand_table(con: Any, path: Path) -> None:
    """The file's columns as they are, in table ``hand_runs`` (COPY of DuckDB's CSV)."""
    import duckdb

    con.execute("DROP TABLE IF EXISTS hand_runs")
    con.execute('CREATE TABLE hand_runs (id TEXT COLLATE "C", trace_id TEXT, parent_run_id TEXT, name TEXT, '
                "run_type TEXT, start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, status TEXT, error TEXT, tags TEXT[], "
                "extra JSONB, inputs TEXT, outputs TEXT, total_tokens BIGINT, total_cost NUMERIC, feedback_stats JSONB)")
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    # TEXT[] as PostgreSQL's array literal; the synthetic tags are plain words.
    rel = duck.sql(f"SELECT id, trace_id, parent_run_id, name, run_type, strftime(start_time, '%Y-%m-%d %H:%M:%S.%f+00'), "
                   f"strftime(end_time, '%Y-%m-%d %H:%M:%S.%f+00'), status, error, "
                   f"'{{' || array_to_string(tags, ',') || '}}', extra, inputs, outputs, total_tokens, total_cost, "
                   f"feedback_stats FROM read_parquet('{path}')")
    import pyarrow.csv as csv

    with con.cursor().copy("COPY hand_runs FROM STDIN (FORMAT csv)") as copy:
        for batch in rel.to_arrow_reader(65536):
            buf = io.BytesIO()
            csv.write_csv(batch, buf, write_options=csv.WriteOptions(include_header=False))
            copy.write(buf.getvalue())
    con.execute("ANALYZE hand_runs")


def postgres(path: Path, repeat: int, dsn: str | None = None) -> dict[str, Any]:
    """The PostgreSQL engine against hand-written SQL over ``hand_runs`` on the same server."""
    import psycopg

    from filterql.sql import open_engine

    from .pg_server import PostgresServer

    server = None if dsn else PostgresServer()
    try:
        dsn = dsn or server.dsn  # type: ignore[union-attr]
        t = time.perf_counter()
        engine = open_engine(path, "postgres", dsn=dsn)
        load = time.perf_counter() - t
        with psycopg.connect(dsn, autocommit=True) as con:
            _hand_table(con, path)

            def hand(label: str) -> list[str]:
                return [r[0] for r in con.execute(f"SELECT id FROM hand_runs WHERE {POSTGRES[label]}{_ORDER}").fetchall()]

            out = _measure("PostgreSQL", engine, hand, repeat, load)
            con.execute("DROP TABLE hand_runs")
        engine.close()
        return out
    finally:
        if server is not None:
            server.stop()


def spark(path: Path, repeat: int) -> dict[str, Any]:
    """The Spark engine on the local session against hand-written Spark SQL over the cached Parquet file."""
    from filterql.sql import open_engine
    from filterql.sql.spark_engine import local_session

    session = local_session()
    t = time.perf_counter()
    engine = open_engine(path, "spark", session=session)
    load = time.perf_counter() - t
    frame = session.read.parquet(str(path)).cache()
    frame.count()
    frame.createOrReplaceTempView("hand_runs")

    def hand(label: str) -> list[str]:
        return [r[0] for r in session.sql(f"SELECT id FROM hand_runs WHERE {SPARK[label]}{_ORDER}").collect()]

    try:
        return _measure("Spark", engine, hand, repeat, load)
    finally:
        frame.unpersist()
        engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", help="an existing PostgreSQL server (default: a throwaway one)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    path = data_file(args.runs, args.seed)
    print(f"{args.runs:,} runs in {path.name}; query seconds, best of {args.repeat}, data loaded")
    for result in (duckdb_open(path, args.repeat), postgres(path, args.repeat, args.dsn), spark(path, args.repeat)):
        print(f"   {result['engine']} load {result['load_s']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
