"""SQL backend: compile checked filters to SQL over a documented layout, and run it.

``to_sql`` renders the query for a dialect; ``select_ids`` / ``open_engine``
load runs into DuckDB and run the query there, on ClickHouse (chdb) or on
Apache DataFusion. See docs/sql.md for the layout and the exactness rules.
"""

from __future__ import annotations

from .dialects import DIALECTS, render
from .engines import (
    ENGINES, ClickHouseEngine, DataFusionEngine, DuckDBEngine, Engine, PostgresEngine, SparkEngine, open_engine, select_ids,
)
from .load import LoadError, connect, load_files, load_runs, materialize
from .query import build_query, query_sql, to_sql, where_clause

#: ``select_sql(runs_or_files, engine="duckdb", **list_runs_arguments)``: matching run ids, via SQL.
select_sql = select_ids

__all__ = [
    "DIALECTS", "ENGINES", "Engine", "DuckDBEngine", "ClickHouseEngine", "DataFusionEngine", "SparkEngine", "PostgresEngine",
    "LoadError", "build_query", "connect", "load_files", "load_runs", "materialize", "open_engine",
    "query_sql", "render", "select_ids", "select_sql", "to_sql", "where_clause",
]
