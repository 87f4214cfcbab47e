"""Run the generated Spark SQL on a ``SparkSession`` (``pip install 'filterql[spark]'``: pyspark).

The layout's flat tables are built by DuckDB (:mod:`filterql.sql.load`, the
one place their meaning is defined) and handed to Spark as Arrow with an
explicit schema derived from the catalog's layout (:mod:`filterql.sql.layout`),
so Spark infers nothing. Each engine works in a session of its own
(``newSession()``: same cluster, own temporary views and SQL settings), cached
in memory.
Without a session, one local session (``local[2]``, quiet logs, two shuffle
partitions, no UI) is started once per process and shared.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import layout
from .base import Engine

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

__all__ = ["SparkEngine", "local_session", "spark_schema"]

_DECIMAL = re.compile(r"DECIMAL\((\d+), (\d+)\)")
#: Spark's byte sizes (``JavaUtils.byteStringAsBytes``): a number and an optional unit.
_BYTE_SIZE = re.compile(r"\s*(\d+)\s*([kmgtp]?)b?\s*", re.IGNORECASE)
_BYTE_UNIT = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_LOCAL: list[SparkSession] = []


def local_session() -> SparkSession:
    """The process's local session: ``local[2]``, 2 shuffle partitions, UI off, errors-only logging."""
    from pyspark.sql import SparkSession

    if not _LOCAL or _LOCAL[0].sparkContext._jsc is None:  # stopped since: start another
        session = (SparkSession.builder.master("local[2]").appName("filterql")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.driver.memory", "4g")
                   .config("spark.sql.session.timeZone", "UTC")
                   .getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        _LOCAL[:] = [session]
    return _LOCAL[0]


def spark_schema(columns: dict[str, str]) -> StructType:
    """The Spark schema of layout columns (``layout.RUN_COLUMNS`` and friends)."""
    from pyspark.sql import types as T

    def spark_type(sql_type: str) -> T.DataType:
        decimal = _DECIMAL.fullmatch(sql_type)
        if decimal:
            return T.DecimalType(int(decimal[1]), int(decimal[2]))
        return {"VARCHAR": T.StringType(), "BIGINT": T.LongType(), "BOOLEAN": T.BooleanType(),
                "VARCHAR[]": T.ArrayType(T.StringType())}[sql_type]

    return T.StructType([T.StructField(name, spark_type(t), True) for name, t in columns.items()])


#: ``runs`` has the nested layout's ``tags`` array: a tag test is then a test of the row, not a join.
_EXTRA = ("tags",)
_LAYOUT = {layout.RUNS: {**layout.RUN_COLUMNS, **{c: layout.NESTED_COLUMNS[c] for c in _EXTRA}},
           layout.TAGS: layout.TAG_COLUMNS, layout.ENTRIES: layout.ENTRY_COLUMNS}


def _bytes(size: str) -> int:
    """A Spark byte size (``128m``, ``134217728b``, ``1g``) in bytes."""
    match = _BYTE_SIZE.fullmatch(size)
    if match is None:
        raise ValueError(f"not a Spark byte size: {size!r}")
    return int(match[1]) * _BYTE_UNIT[match[2].lower()]


class SparkEngine(Engine):
    """Spark SQL over the flat layout, as temporary views of a session of the engine's own."""

    dialect = "spark"
    tag_array = True
    #: The columns of :data:`filterql.sql.layout.NESTED_COLUMNS` its ``runs`` holds.
    extra_columns = _EXTRA

    def __init__(self, tables: dict[str, pa.Table], session: SparkSession | None = None) -> None:
        import pyarrow as pa

        self.session = (session or local_session()).newSession()
        self.session.conf.set("spark.sql.session.timeZone", "UTC")
        self._frames = []
        shuffle = int(self.session.conf.get("spark.sql.shuffle.partitions") or 2)
        split = _bytes(self.session.conf.get("spark.sql.files.maxPartitionBytes") or "128m")
        # A small Arrow table otherwise becomes a local relation, data inside the plan that every query
        # carries through analysis (3x the query time of the same table cached from an RDD, measured).
        self.session.conf.set("spark.sql.execution.arrow.localRelationThreshold", "0")
        for name, table in tables.items():
            columns = dict(_LAYOUT[name])
            table = table.select(list(columns))
            if not table.num_rows:  # pyspark needs one (empty) batch to read an array column's type from
                table = pa.Table.from_batches([pa.RecordBatch.from_pylist([], schema=table.schema)])
            # Arrow arrives in batches of 10,000 rows, one partition each: as many tasks per query. A table
            # gets the partitions Spark splits a file of its size into (maxPartitionBytes), at most the
            # session's shuffle partitions (local[2]: 2), the parallelism it asks of a query. One partition
            # spares a sorted query its range-partitioning exchange, a sampling job and a shuffle (100,000
            # runs on local[2]: 0.2 s instead of 0.63 s for a scalar filter, measured).
            partitions = max(1, min(shuffle, -(-table.nbytes // split)))
            frame = self.session.createDataFrame(table, schema=spark_schema(columns)).coalesce(partitions).cache()
            frame.count()  # materialize the cache now, not inside the first query
            frame.createOrReplaceTempView(name)
            self._frames.append(frame)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.session.sql(sql).collect()]

    def close(self) -> None:
        """Drop the cached tables (the session itself stays: it may be the caller's)."""
        for frame in self._frames:
            frame.unpersist()
        self._frames = []
