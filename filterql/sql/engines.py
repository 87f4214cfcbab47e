"""Run the generated SQL on DuckDB, ClickHouse (chdb, in-process), Apache DataFusion, Spark or PostgreSQL.

DuckDB reads the inputs and builds the layout (:mod:`filterql.sql.load`);
the other engines receive the layout's tables from DuckDB as Arrow tables and
run the same query rendered in their dialect (Spark: :mod:`.spark_engine`,
PostgreSQL: :mod:`.postgres_engine`).
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Hashable, Iterable, Iterator, Sequence

from sqlglot import exp

from . import layout
from .base import Engine, compiled, shared
from .load import PathLike, Source, called, connect, ensure, lazy_parquet, load_files, load_runs, make_views, \
    materialize, runs_relation
from .postgres_engine import PostgresEngine
from .spark_engine import SparkEngine

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["ENGINES", "Engine", "DuckDBEngine", "ClickHouseEngine", "DataFusionEngine", "SparkEngine", "PostgresEngine",
           "open_engine", "select_ids"]

_TABLES = (layout.RUNS, layout.TAGS, layout.ENTRIES)
#: Layout objects that read ``SOURCE`` itself: a query naming one gets the views.
_READ_SOURCE = frozenset({layout.TAGS, layout.ENTRIES, "filterql_key_entries"})
#: The name ``runs`` takes in a query rendered over files, replaced by the subquery after rendering.
#: Its quote makes it unique in the text: inside a string literal DuckDB's SQL doubles every ``'``.
_INLINE = "filterql'inline_runs"


def _rename_runs(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and node.name == layout.RUNS and not node.args.get("db"):
        return exp.Table(this=exp.to_identifier(_INLINE, quoted=True), alias=node.args.get("alias"))
    return node


#: What a query needs on its connection, besides the objects it calls: the layout's views.
_VIEWS = "filterql'views"

#: DuckDB text of compiled queries over lazy sources and what it needs on the connection, by (arguments,
#: layout, source), shared by the engines of the process: ``select_sql`` opens an engine per call, and a
#: filter it ran before is not rendered again; only what its text needs is created on the new connection.
_RENDERED: OrderedDict[Hashable, tuple[str, frozenset[str]]] = OrderedDict()


class DuckDBEngine(Engine):
    """DuckDB holding the layout on ``con``; views and macros a query refers to are created on first use.

    With ``source`` (Parquet files whose runs need no check, :func:`filterql.sql.load.lazy_parquet`)
    not even the ``runs`` view exists up front: a query that reads only ``runs`` reads the files
    through a subquery of the columns it names, so DuckDB binds a few expressions instead of the
    layout's views (docs/engines.md "DuckDB: open once, query many").
    """

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, *, nested: bool = True, source: Source | None = None) -> None:
        self.con = con
        self.nested = nested
        self.source = source
        self._made: set[str] = set()

    def render(self, query: exp.Expression) -> str:
        text, needs = self._text(query)
        self._prepare(needs)
        return text

    def _text(self, query: exp.Expression) -> tuple[str, frozenset[str]]:
        """``query``'s text and what it needs on the connection (:meth:`_prepare`); creates nothing."""
        referred = frozenset(node.name for node in query.find_all(exp.Table, exp.Anonymous))
        if self.source is None:
            return super().render(query), referred
        if referred & _READ_SOURCE:
            return super().render(query), referred | {_VIEWS}
        relation = runs_relation(self.source, {column.name for column in query.find_all(exp.Column)})
        text = super().render(query.transform(_rename_runs)).replace(f'"{_INLINE}"', relation)
        return text, referred | called(relation)

    def _prepare(self, needs: frozenset[str]) -> None:
        """Create what a query's text needs (:meth:`_text`) on the connection, unless there already."""
        if _VIEWS in needs:
            self.views()
        self._made |= ensure(self.con, needs - self._made)

    def _render_arguments(self, key: Hashable | None, arguments: dict[str, Any]) -> str:
        if key is None or self.source is None:
            return super()._render_arguments(key, arguments)
        text, needs = shared(_RENDERED, (key, self.nested, self.tag_array, self.source.key),
                             lambda: self._text(compiled(key, self, arguments)))
        self._prepare(needs)
        return text

    def views(self) -> None:
        """Create the layout's views now (a lazily loaded engine has none until a query needs them)."""
        if self.source is not None and layout.RUNS not in self._made:
            make_views(self.con, self.source)
            self._made.add(layout.RUNS)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        cursor = self.con.execute(sql)
        while batch := cursor.fetchmany(10_000):
            yield from batch

    def tables(self, extra: Sequence[str] = ()) -> dict[str, pa.Table]:
        """The flat layout as Arrow tables (for the other engines); ``runs`` also gets the ``extra``
        columns of :data:`filterql.sql.layout.NESTED_COLUMNS`."""
        self.views()
        self._made |= ensure(self.con, set(_TABLES) - self._made)
        columns = {layout.RUNS: ", ".join([*layout.RUN_COLUMNS, *extra])}
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


ENGINES = ("duckdb", "clickhouse", "datafusion", "spark", "postgres")


def open_engine(source: Iterable[Any] | Sequence[PathLike] | PathLike, engine: str = "duckdb", *,
                con: duckdb.DuckDBPyConnection | None = None, progress: bool | None = None,
                nested: bool = True, session: Any = None, dsn: str | None = None,
                schema: str | None = None) -> Engine:
    """Load ``source`` (file paths, or in-memory runs) and return an engine holding the layout.

    Files stay views over DuckDB's readers (a query reads only what it needs);
    in-memory runs are materialized once. ``con`` reuses a DuckDB connection.
    ``nested=False`` makes DuckDB run the flat layout's SQL (as the other engines do).
    ``session`` is the ``SparkSession`` for ``"spark"`` (default: a local one);
    ``dsn`` the connection string for ``"postgres"`` (required), whose tables go
    into ``schema`` (default: a fresh ``filterql_...`` name; :meth:`Engine.close` drops it).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "postgres" and not dsn:
        raise ValueError("the postgres engine needs dsn=, e.g. 'postgresql://user@127.0.0.1:5432/db'")
    fresh = con is None
    con = con or connect(progress)
    in_memory = False
    paths = [source] if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__") else list(source)
    if paths and all(isinstance(i, str) or hasattr(i, "__fspath__") for i in paths):
        items = [os.fspath(p) for p in paths]
        lazy = lazy_parquet(items, con) if fresh and engine == "duckdb" else None
        if lazy is not None:
            return DuckDBEngine(con, nested=nested, source=lazy)
        load_files(items, con)
    else:
        load_runs(paths, con)
        in_memory = True
    duck = DuckDBEngine(con, nested=nested)
    if engine == "duckdb":
        if in_memory:
            materialize(con)
        return duck
    materialize(con)
    if engine == "spark":
        return SparkEngine(duck.tables(SparkEngine.extra_columns), session)
    tables = duck.tables()
    if engine == "postgres":
        return PostgresEngine(tables, dsn, schema=schema)  # type: ignore[arg-type]
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
