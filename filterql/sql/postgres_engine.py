"""Run the generated SQL on PostgreSQL (``pip install 'filterql[postgres]'``: psycopg 3).

The layout's flat tables are built by DuckDB (:mod:`filterql.sql.load`, the
one place their meaning is defined), then copied into a schema of the
engine's own with ``COPY ... FROM STDIN (FORMAT csv)``, never row by row.
Text columns are ``COLLATE "C"`` so equality, ranges and ``ORDER BY id``
compare code points as the evaluator does; ``lower()`` is rendered with a
Unicode-aware collation (ICU's root locale, else ``C.utf8``), since under
``"C"`` PostgreSQL lowercases ASCII only.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from . import layout
from .base import Engine
from .load import LoadError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["PostgresEngine"]

#: Collations tried, in order, for ``lower()`` (the first the server has wins).
_LOWER_COLLATIONS = ("und-x-icu", "C.utf8", "C.UTF-8")
#: The engine session's work_mem (its queries are few and large: hash joins of run ids).
_WORK_MEM = "256MB"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _columns(name: str) -> dict[str, str]:
    return {layout.RUNS: dict(layout.RUN_COLUMNS), layout.TAGS: dict(layout.TAG_COLUMNS),
            layout.ENTRIES: dict(layout.ENTRY_COLUMNS)}[name]


_TEXT_TYPE = 'VARCHAR COLLATE "C"'


def _ddl(schema: str, name: str) -> str:
    cols = ", ".join(f"{c} {_TEXT_TYPE if t == 'VARCHAR' else t}" for c, t in _columns(name).items())
    return f"CREATE TABLE {schema}.{name} ({cols})"


def _csv_chunks(table: pa.Table, rows_per_chunk: int = 65536):
    """The table as CSV bytes, chunk by chunk (strings always quoted, NULL as an empty field)."""
    import pyarrow.csv as csv

    options = csv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in table.to_batches(max_chunksize=rows_per_chunk):
        buf = io.BytesIO()
        csv.write_csv(batch, buf, write_options=options)
        yield buf.getvalue()


def _refuse_nul(name: str, table: pa.Table) -> None:
    """PostgreSQL text cannot hold U+0000: say which run has one instead of failing in COPY."""
    import pyarrow as pa
    import pyarrow.compute as pc

    id_column = "id" if name == layout.RUNS else "run_id"
    for column in table.column_names:
        if not pa.types.is_string(table.schema.field(column).type):
            continue
        hits = pc.match_substring(table[column], "\x00")
        if pc.any(hits).as_py():
            run = table.filter(hits)[id_column][0].as_py()
            raise LoadError(f"run {run}: {name}.{column} holds a NUL character (U+0000), "
                            f"which PostgreSQL text cannot store")


class PostgresEngine(Engine):
    """PostgreSQL holding the flat layout in schema ``schema`` (created here, dropped by :meth:`close`)."""

    dialect = "postgres"

    def __init__(self, tables: dict[str, pa.Table], dsn: str, *, schema: str | None = None) -> None:
        import psycopg

        self.schema = schema or f"filterql_{uuid.uuid4().hex[:12]}"
        if not _SCHEMA_NAME.fullmatch(self.schema):
            raise ValueError(f"schema {self.schema!r} must be a lowercase SQL identifier")
        for name, table in tables.items():
            _refuse_nul(name, table)
        self.con = psycopg.connect(dsn, autocommit=True)
        self._lower_collation = self._pick_collation()
        with self.con.transaction():
            self.con.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            self.con.execute(f"CREATE SCHEMA {self.schema}")
            for name, table in tables.items():
                self.con.execute(_ddl(self.schema, name))
                cols = ", ".join(_columns(name))
                with self.con.cursor().copy(f"COPY {self.schema}.{name} ({cols}) FROM STDIN (FORMAT csv)") as copy:
                    for chunk in _csv_chunks(table.select(list(_columns(name)))):
                        copy.write(chunk)
        for name in tables:
            self.con.execute(f"ANALYZE {self.schema}.{name}")
        self.con.execute(f"SET search_path TO {self.schema}")
        # `id IN (subquery)` under OR is a hashed subplan only when the hash fits in work_mem; the
        # default (4 MB) turns search over 100,000 runs into one entry scan per run.
        self.con.execute(f"SET work_mem = '{_WORK_MEM}'")

    def _pick_collation(self) -> str | None:
        have = {r[0] for r in self.con.execute(
            "SELECT collname FROM pg_collation WHERE collname = ANY(%s)", [list(_LOWER_COLLATIONS)]).fetchall()}
        return next((c for c in _LOWER_COLLATIONS if c in have), None)

    def render(self, query: exp.Expression) -> str:
        collation = self._lower_collation
        if collation is not None:
            # Lowercase with a Unicode collation: the columns' "C" lowercases ASCII only.
            def unicode_lower(node: exp.Expression) -> exp.Expression:
                if isinstance(node, exp.Lower):
                    return exp.Lower(this=exp.Collate(this=node.this, expression=exp.Identifier(this=collation, quoted=True)))
                return node

            query = query.transform(unicode_lower)
        return super().render(query)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        """Drop the engine's schema and close the connection."""
        if not self.con.closed:
            self.con.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            self.con.close()
