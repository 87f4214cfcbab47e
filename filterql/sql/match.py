"""``filterql match --engine duckdb``: the CLI's selection run in DuckDB, straight from the files.

Produces the same output lines as the Python engine: run ids, the runs as
JSONL (their original JSON), or ``select``-projected objects.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Iterator, Sequence

from sqlglot import exp

from . import layout
from .engines import DuckDBEngine
from ..run_files import file_kind, raw_lines
from .load import SOURCE, PathLike, connect, load_files

__all__ = ["match_lines"]


def _child_ids(engine: DuckDBEngine, ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    engine.con.execute("CREATE OR REPLACE TEMP TABLE filterql_wanted (id VARCHAR)")
    engine.con.executemany("INSERT INTO filterql_wanted VALUES (?)", [(i,) for i in ids])
    rows = engine.rows(f"SELECT parent_run_id, id FROM {layout.RUNS} WHERE parent_run_id IN "
                       f"(SELECT id FROM filterql_wanted) ORDER BY start_time_us, id")
    for parent, child in rows:
        found[parent].append(child)
    return found


def _raw_runs(engine: DuckDBEngine, ids: list[str]) -> dict[str, Any]:
    """The original JSON of runs ``ids`` (bound as rows of a temp table, never spliced into SQL)."""
    if not ids:
        return {}
    engine.con.execute("CREATE OR REPLACE TEMP TABLE filterql_wanted (id VARCHAR)")
    engine.con.executemany("INSERT INTO filterql_wanted VALUES (?)", [(i,) for i in ids])
    rows = engine.rows(f"SELECT s.id, CAST(s.raw AS VARCHAR) FROM {SOURCE} AS s "
                       f"WHERE s.id IN (SELECT id FROM filterql_wanted)")
    return {i: raw for i, raw in rows}


def _records(engine: DuckDBEngine, paths: Sequence[PathLike]) -> int:
    """Records in the inputs, valid or not: Parquet rows, or non-blank JSONL lines."""
    total = 0
    for path in map(os.fspath, paths):
        if file_kind(path) == "parquet":
            total += engine.rows(f"SELECT num_rows FROM parquet_file_metadata({exp.Literal.string(path).sql('duckdb')})")[0][0]
        else:  # the Python reader's lines: an unreadable gzip file is its error, as on that engine
            total += sum(1 for _, line in raw_lines(path) if line.strip())
    return total


def match_lines(paths: Sequence[PathLike], *, ids_only: bool = False, select: Sequence[str] | None = None,
                skip_invalid: bool = False, progress: bool | None = None, **arguments: Any) -> Iterator[str]:
    """Output lines of ``filterql match`` for ``paths``, computed by DuckDB.

    ``arguments`` are ``list_runs`` arguments (see :func:`filterql.sql.build_query`).
    """
    con = connect(progress)
    load_files(paths, con, skip_invalid=skip_invalid)
    engine = DuckDBEngine(con)
    if skip_invalid:
        skipped = _records(engine, paths) - engine.rows(f"SELECT count(*) FROM {layout.RUNS}")[0][0]
        if skipped:
            print(f"skipped {skipped} invalid run{'s' if skipped != 1 else ''}", file=sys.stderr)
    ids = engine.select_ids(**arguments)
    if ids_only:
        yield from ids
        return
    raw = _raw_runs(engine, ids)
    if select is None:
        # Re-serialized like the Python engine's output.
        yield from (json.dumps(json.loads(raw[i]), ensure_ascii=False, default=str) for i in ids)
        return
    children = _child_ids(engine, ids) if "child_run_ids" in select else {}
    for i in ids:
        run = json.loads(raw[i])
        out = {"id": run.get("id")}
        for name in select:
            out[name] = children.get(i, []) if name == "child_run_ids" else run.get(name)
        yield json.dumps(out, ensure_ascii=False, default=str)
