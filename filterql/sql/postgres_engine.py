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


#: Indexes for the semi-joins' subqueries (``tag = ...``; ``family``, ``key`` and the value of an
#: entry), covering ``run_id`` so the subquery is answered from the index alone.
_INDEXES = {
    layout.TAGS: "(tag) INCLUDE (run_id)",
    layout.ENTRIES: "(family, key, vstr) INCLUDE (run_id)",
}
#: ``runs`` is a view: its columns but ``doc`` in one table, ``doc`` (the run's JSON, most of a row,
#: read only for output lines) in another, joined by row number. PostgreSQL drops the join from
#: every query that does not read ``doc`` (a LEFT JOIN on a unique key), so filters scan narrow rows.
_CORE, _DOCS, _ROW = "run_core", "run_docs", "filterql_row"


def _stored(name: str) -> list[tuple[str, list[str]]]:
    """The tables holding layout table ``name``: (table, columns) in load order."""
    if name != layout.RUNS:
        return [(name, list(_columns(name)))]
    return [(_CORE, [_ROW, *(c for c in _columns(name) if c != layout.DOC)]), (_DOCS, [_ROW, layout.DOC])]


def _ddl(schema: str, table: str, columns: list[str]) -> str:
    types = {**_columns(layout.RUNS), **_columns(layout.TAGS), **_columns(layout.ENTRIES), _ROW: "BIGINT"}
    cols = ", ".join(f"{c} {_TEXT_TYPE if types[c] == 'VARCHAR' else types[c]}" for c in columns)
    return f"CREATE TABLE {schema}.{table} ({cols})"


def _runs_view(schema: str) -> str:
    core = ", ".join(f"c.{c}" for c in _columns(layout.RUNS) if c != layout.DOC)
    return (f"CREATE VIEW {schema}.{layout.RUNS} AS SELECT {core}, d.{layout.DOC} FROM {schema}.{_CORE} AS c "
            f"LEFT JOIN {schema}.{_DOCS} AS d ON d.{_ROW} = c.{_ROW}")


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


#: The characters other than A-Z that Unicode lowercases into ASCII: İ (to i and U+0307), Kelvin sign (to k).
_INTO_ASCII = ("\u0130", "\u212a")


def _lower(value: exp.Expression, collation: str) -> exp.Expression:
    return exp.Lower(this=exp.Collate(this=value, expression=exp.Identifier(this=collation, quoted=True)))


def _unicode_lower(node: exp.Expression, collation: str) -> exp.Expression:
    """``lower()`` with a Unicode collation (the columns' "C" lowercases ASCII only).

    ``search``'s test ``strpos(lower(x), term) > 0`` with an ASCII ``term`` first tests ``x``
    lowercased under "C", a byte loop where ICU's lowercasing is a library call per value: only
    ASCII letters, the Kelvin sign (to k) and İ (to i and a combining dot) lower into ASCII, so
    without the last two the "C" test is necessary for the exact one.
    """
    if (isinstance(node, exp.GT) and isinstance(node.this, exp.StrPosition) and node.expression == exp.Literal.number(0)
            and isinstance(node.this.this, exp.Lower) and isinstance(node.this.args.get("substr"), exp.Literal)
            and node.this.args["substr"].is_string and node.this.args["substr"].this.isascii()):
        value, term = node.this.this.this, node.this.args["substr"]
        found = lambda lowered: exp.GT(this=exp.StrPosition(this=lowered, substr=term.copy()),  # noqa: E731
                                       expression=exp.Literal.number(0))
        folds = exp.or_(*(exp.GT(this=exp.StrPosition(this=value.copy(), substr=exp.Literal.string(c)),
                                 expression=exp.Literal.number(0)) for c in _INTO_ASCII))
        return (exp.Case().when(exp.or_(found(_lower(value.copy(), "C")), folds), found(_lower(value, collation)))
                .else_(exp.false()))
    if isinstance(node, exp.Lower):
        return _lower(node.this, collation)
    return node


class PostgresEngine(Engine):
    """PostgreSQL holding the flat layout in schema ``schema`` (created here, dropped by :meth:`close`)."""

    dialect = "postgres"

    def __init__(self, tables: dict[str, pa.Table], dsn: str, *, schema: str | None = None) -> None:
        import psycopg
        import pyarrow as pa

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
                if name == layout.RUNS:
                    table = table.append_column(_ROW, pa.array(range(table.num_rows), pa.int64()))
                for stored, columns in _stored(name):
                    self.con.execute(_ddl(self.schema, stored, columns))
                    with self.con.cursor().copy(f"COPY {self.schema}.{stored} ({', '.join(columns)}) "
                                                f"FROM STDIN (FORMAT csv)") as copy:
                        for chunk in _csv_chunks(table.select(columns)):
                            copy.write(chunk)
            self.con.execute(f"ALTER TABLE {self.schema}.{_DOCS} ADD PRIMARY KEY ({_ROW})")
            self.con.execute(_runs_view(self.schema))
            for name, columns in _INDEXES.items():
                self.con.execute(f"CREATE INDEX ON {self.schema}.{name} {columns}")
        for stored in (table for name in tables for table, _ in _stored(name)):
            # VACUUM sets the visibility map, without which an index-only scan visits the table anyway.
            self.con.execute(f"VACUUM ANALYZE {self.schema}.{stored}")
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
            query = query.transform(lambda node: _unicode_lower(node, collation))
        return super().render(query)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        """Drop the engine's schema and close the connection."""
        if not self.con.closed:
            self.con.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            self.con.close()
