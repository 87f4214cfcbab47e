"""``filterql match --engine duckdb``: a :class:`~filterql.query.RunQuery` run in DuckDB, straight from the files.

Produces the same output lines as the Python engine (run ids, or the runs as
JSON lines, whole or projected by :mod:`filterql.projection`), streamed from
DuckDB in batches. ``--ids-only`` over JSONL reads the files with DuckDB's
typed reader (:func:`~filterql.sql.load.load_typed`) and checks the records
in the query that selects the ids: one scan of the data; any failure there
falls back to :func:`~filterql.sql.load.load_files`, which decides and reports
(docs/engines.md "JSONL").
"""

from __future__ import annotations

import os
import sys
from typing import Any, Iterator, Sequence

from sqlglot import exp

from ..output_order import ordered_ids
from ..query import RunQuery
from ..run_files import file_kind, raw_lines
from . import layout
from .compile import run_alias
from .engines import DuckDBEngine
from .load import REQUIRED, PathLike, connect, load_files, load_typed
from .query import query_sql

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


class _NotARun(Exception):
    """A record of an unchecked layout misses a required field."""


def _checked_ids(engine: DuckDBEngine, query: RunQuery) -> Iterator[str]:
    """The ids ``query`` selects, in order, from an unchecked layout: the query also returns every record
    that is not a run (``REQUIRED`` null), and meeting one raises :class:`_NotARun`."""
    alias = run_alias(0)
    select = query_sql(query, columns=("start_time_us", "id"), nested=True, ordered=False)
    bad = exp.or_(*(exp.column(layout.column_of(c), table=alias).is_(exp.null()) for c in REQUIRED))
    where = select.args.get("where")
    select = select.select(bad.as_("filterql_not_a_run"))
    if where is not None:  # without a condition, every record is returned already
        select.set("where", exp.Where(this=exp.or_(exp.paren(where.this), bad)))

    def rows() -> Iterator[tuple[Any, str]]:
        for micros, run_id, not_a_run in engine.stream(engine.render(select)):
            if not_a_run:
                raise _NotARun
            yield micros, run_id

    return ordered_ids(rows(), query.limit)


def match_lines(paths: Sequence[PathLike], query: RunQuery, *, ids_only: bool = False,
                skip_invalid: bool = False, progress: bool | None = None) -> Iterator[str]:
    """Output lines of ``filterql match`` for ``query`` over ``paths``, computed by DuckDB."""
    con = connect(progress)
    engine = DuckDBEngine(con)
    if ids_only and not skip_invalid and load_typed(paths, con):
        ids = _checked_ids(engine, query)
        try:
            first = next(ids, None)  # the ids are sorted: every record is read and checked before the first
        except Exception:  # _NotARun, or duckdb.Error: what the typed reader refuses (a duplicate key)
            pass  # load_files decides: the Python reader's error, or the general reader's answer
        else:
            if first is not None:
                yield first
                yield from ids
            return
        engine = DuckDBEngine(con)
    load_files(paths, con, skip_invalid=skip_invalid)
    if skip_invalid:
        skipped = _records(engine, paths) - engine.rows(f"SELECT count(*) FROM {layout.RUNS}")[0][0]
        if skipped:
            print(f"skipped {skipped} invalid run{'s' if skipped != 1 else ''}", file=sys.stderr)
    yield from engine.lines(query, ids_only=ids_only)
