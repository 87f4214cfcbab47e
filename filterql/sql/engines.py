"""Run the generated SQL on DuckDB, ClickHouse (chdb, in-process) or Apache DataFusion.

DuckDB reads the inputs and builds the layout (:mod:`filterql.sql.load`);
the other engines receive the layout's tables from DuckDB as Arrow tables and
run the same query rendered in their dialect.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from sqlglot import exp

from ..output_order import ordered_ids, ordered_lines
from ..projection import project
from ..query import RunQuery, list_runs_query
from . import layout
from .dialects import render
from .load import PathLike, connect, load_files, load_runs, materialize
from .query import query_sql

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["ENGINES", "Engine", "DuckDBEngine", "ClickHouseEngine", "DataFusionEngine", "open_engine", "select_ids"]

_TABLES = (layout.RUNS, layout.TAGS, layout.ENTRIES)


class Engine:
    """A place to run layout queries. ``dialect`` is a :data:`filterql.sql.dialects.DIALECTS` name."""

    dialect = "duckdb"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:  # pragma: no cover - interface
        raise NotImplementedError

    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql``, as they come (engines that can, fetch them in batches)."""
        return iter(self.rows(sql))

    #: Whether the engine holds DuckDB's nested layout (layout.NESTED_COLUMNS and macros).
    nested = False

    def ids(self, query: RunQuery) -> list[str]:
        """Ids (canonical text) of the runs ``query`` returns, in result order."""
        return [row[0] for row in self.rows(render(query_sql(query, nested=self.nested), self.dialect))]

    def select_ids(self, **arguments: Any) -> list[str]:
        """Ids of the runs matching ``list_runs`` arguments, in result order."""
        return self.ids(list_runs_query(**arguments))

    def select(self, query: RunQuery) -> list[Any]:
        """What :func:`filterql.select` returns for ``query``: the runs' JSON, or their projections."""
        return [json.loads(line) for line in self.lines(query)]

    def lines(self, query: RunQuery, *, ids_only: bool = False) -> Iterator[str]:
        """``filterql match`` output for ``query``: ids, or JSON lines projected by :func:`filterql.projection.project`.

        The engine streams the matching rows unordered; :mod:`filterql.output_order`
        orders them in bounded memory, as for the Python engine.
        """
        columns = ("start_time_us", "id") if ids_only else ("start_time_us", "id", layout.DOC)
        rows = self.stream(render(query_sql(query, columns=columns, nested=self.nested, ordered=False), self.dialect))
        if ids_only:
            yield from ordered_ids(rows, query.limit)  # type: ignore[arg-type]
            return
        children = self._children(query) if query.needs_children else None

        def line(doc: str, run_id: str) -> str:
            run = json.loads(doc)
            if query.select is not None:
                run = project(run, query.select, None if children is None else children.get(run_id, []))
            return json.dumps(run, ensure_ascii=False, default=str)

        yield from ordered_lines(((micros, run_id, line(doc, run_id)) for micros, run_id, doc in rows), query.limit)

    def _children(self, query: RunQuery) -> dict[str, list[str]]:
        """Child ids of each run ``query`` returns, in the order they ran (``start_time``, then id)."""
        child = "filterql_child"
        col = lambda name: exp.column(name, table=child)  # noqa: E731
        matched = query_sql(query, nested=self.nested).subquery()
        sql = (exp.select(col("parent_run_id"), col("id")).from_(exp.to_table(layout.RUNS).as_(child))
               .where(exp.In(this=col("parent_run_id"), query=matched))
               .order_by(col("start_time_us"), col("id")))
        found: dict[str, list[str]] = {}
        for parent, run_id in self.stream(render(sql, self.dialect)):
            found.setdefault(parent, []).append(run_id)
        return found


class DuckDBEngine(Engine):
    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, *, nested: bool = True) -> None:
        self.con = con
        self.nested = nested

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        cursor = self.con.execute(sql)
        while batch := cursor.fetchmany(10_000):
            yield from batch

    def tables(self) -> dict[str, pa.Table]:
        """The flat layout as Arrow tables (for the other engines)."""
        columns = {layout.RUNS: ", ".join(layout.RUN_COLUMNS)}
        return {name: self.con.sql(f"SELECT {columns.get(name, '*')} FROM {name}").to_arrow_table()
                for name in _TABLES}


class ClickHouseEngine(Engine):
    """ClickHouse through ``chdb``, with the layout copied in as Memory tables."""

    dialect = "clickhouse"

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        from chdb import session

        self.session = session.Session()
        for name, table in tables.items():
            # chdb's Python() table function reads the Arrow table bound to this local name.
            arrow_table = table  # noqa: F841
            self.session.query(f"CREATE TABLE {name} ENGINE = Memory AS SELECT * FROM Python(arrow_table)")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        out = self.session.query(sql, "JSONCompact")
        return [tuple(r) for r in json.loads(out.bytes() or b'{"data": []}')["data"]]

    def close(self) -> None:
        self.session.close()


class DataFusionEngine(Engine):
    dialect = "datafusion"

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        from datafusion import SessionContext

        self.ctx = SessionContext()
        import pyarrow as pa

        for name, table in tables.items():
            # An empty table still needs one (empty) batch to carry its schema.
            batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
            self.ctx.register_record_batches(name, [batches])

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        table = self.ctx.sql(sql).to_arrow_table()
        columns = [c.to_pylist() for c in table.columns]
        return list(zip(*columns))


ENGINES = ("duckdb", "clickhouse", "datafusion")


def open_engine(source: Iterable[Any] | Sequence[PathLike] | PathLike, engine: str = "duckdb", *,
                con: duckdb.DuckDBPyConnection | None = None, progress: bool | None = None,
                nested: bool = True) -> Engine:
    """Load ``source`` (file paths, or in-memory runs) and return an engine holding the layout.

    Files stay views over DuckDB's readers (a query reads only what it needs);
    in-memory runs are materialized once. ``con`` reuses a DuckDB connection.
    ``nested=False`` makes DuckDB run the flat layout's SQL (as the other engines do).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    con = con or connect(progress)
    in_memory = False
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        load_files(source, con)  # type: ignore[arg-type]
    else:
        items = list(source)
        if items and all(isinstance(i, str) or hasattr(i, "__fspath__") for i in items):
            load_files(items, con)
        else:
            load_runs(items, con)
            in_memory = True
    duck = DuckDBEngine(con, nested=nested)
    if engine == "duckdb":
        if in_memory:
            materialize(con)
        return duck
    materialize(con)
    tables = duck.tables()
    return ClickHouseEngine(tables) if engine == "clickhouse" else DataFusionEngine(tables)


def select_ids(source: Iterable[Any] | Sequence[PathLike] | PathLike, *, engine: str = "duckdb",
               **arguments: Any) -> list[str]:
    """Ids of the runs in ``source`` that match ``list_runs`` ``arguments``, run on ``engine``.

    The SQL twin of :func:`filterql.select`: same arguments (``filter``,
    ``trace_filter``, ``tree_filter``, ``is_root``, ``run_type``, ``error``,
    ``start_time``, ``trace_id``, ``parent_run_id``, ``run_ids``, ``limit``) and
    the same answers.
    """
    return open_engine(source, engine).select_ids(**arguments)
