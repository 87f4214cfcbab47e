"""``filterql match --engine duckdb``: a :class:`~filterql.query.RunQuery` run in DuckDB, straight from the files.

Produces the same output lines as the Python engine (run ids, or the runs as
JSON lines, whole or projected by :mod:`filterql.projection`), streamed from
DuckDB in batches.
"""

from __future__ import annotations

import os
import sys
from typing import Iterator, Sequence

from sqlglot import exp

from ..query import RunQuery
from ..run_files import file_kind, raw_lines
from . import layout
from .engines import DuckDBEngine
from .load import PathLike, connect, load_files

__all__ = ["match_lines"]


def _records(engine: DuckDBEngine, paths: Sequence[PathLike]) -> int:
    """Records in the inputs, valid or not: Parquet rows, or non-blank JSONL lines."""
    total = 0
    for path in map(os.fspath, paths):
        if file_kind(path) == "parquet":
            total += engine.rows(f"SELECT num_rows FROM parquet_file_metadata({exp.Literal.string(path).sql('duckdb')})")[0][0]
        else:  # the Python reader's lines: an unreadable gzip file is its error, as on that engine
            total += sum(1 for _, line in raw_lines(path) if line.strip())
    return total


def match_lines(paths: Sequence[PathLike], query: RunQuery, *, ids_only: bool = False,
                skip_invalid: bool = False, progress: bool | None = None) -> Iterator[str]:
    """Output lines of ``filterql match`` for ``query`` over ``paths``, computed by DuckDB."""
    con = connect(progress)
    load_files(paths, con, skip_invalid=skip_invalid)
    engine = DuckDBEngine(con)
    if skip_invalid:
        skipped = _records(engine, paths) - engine.rows(f"SELECT count(*) FROM {layout.RUNS}")[0][0]
        if skipped:
            print(f"skipped {skipped} invalid run{'s' if skipped != 1 else ''}", file=sys.stderr)
    yield from engine.lines(query, ids_only=ids_only)
