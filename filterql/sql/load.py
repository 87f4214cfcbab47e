"""Load runs (JSONL, Parquet, or Python dicts) into DuckDB as the layout's views.

The work is DuckDB's: ``read_json_objects`` / ``read_parquet`` read the files,
and the layout (``runs``, ``run_tags``, ``run_entries``) is a set of views over
one normalized relation, ``filterql_src``, so a query only computes what it
touches (a filter on ``run_type`` never flattens metadata). Flattening is a
recursive CTE over ``json_each``. :func:`materialize` turns the views into
tables, for repeated queries or for moving them to another engine via Arrow.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypeVar, Union

import attrs
from sqlglot import exp

from ..catalog import RUN_FIELDS, FieldType
from ..coerce import ISO_TIMESTAMP
from ..runs import REQUIRED, TIMESTAMP_COLUMNS, as_dict  # the catalog's required fields, as the Python reader checks them
from ..run_files import (JSON_TEXT_COLUMNS, MAX_RUN_DEPTH, TIMESTAMP_HINT, RunSourceError, file_kind, read_runs,
                         too_deep)
from . import layout

if TYPE_CHECKING:
    import duckdb

__all__ = ["LoadError", "Source", "DEPTH_TEST", "called", "connect", "ensure", "lazy_parquet", "load_typed",
           "make_views", "runs_relation", "load_runs", "load_files", "materialize", "ON_DEMAND", "REQUIRED", "SOURCE"]

SOURCE = "filterql_src"
#: The Python function that decides what nests past ``MAX_RUN_DEPTH`` (:func:`_too_deep`).
DEPTH_TEST = "filterql_too_deep"
_T = TypeVar("_T")


def _columns(*types: FieldType) -> tuple[str, ...]:
    """The run JSON's top-level columns of these catalog types, in catalog order."""
    return tuple(f.source for f in RUN_FIELDS.values() if f.type in types and f.source and "." not in f.source)


_UUIDS = _columns(FieldType.UUID)
_TEXT = _UUIDS + _columns(FieldType.STRING, FieldType.ENUM)
_TIMES = TIMESTAMP_COLUMNS
_INTS = _columns(FieldType.INTEGER)
_DECIMALS = _columns(FieldType.DECIMAL)
_JSON = ("extra", "inputs", "outputs", "feedback", "feedback_stats")

PathLike = Union[str, "os.PathLike[str]"]


class LoadError(RunSourceError):
    """A file that cannot be read as LangSmith run data."""

    def __init__(self, message: str, source: str = "", line: int = 0) -> None:
        super().__init__(source, line, message)

    def __str__(self) -> str:
        return self.message


def connect(progress: bool | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up for the layout: UTC session time zone, progress on a terminal."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # a timestamp without offset is UTC (docs/semantics.md "Values")
    show = sys.stderr.isatty() if progress is None else progress
    con.execute(f"SET enable_progress_bar = {'true' if show else 'false'}")
    return con


def _lit(value: str) -> str:
    return exp.Literal.string(value).sql("duckdb")


def _uuid_text(expr: str) -> str:
    # Canonical lowercase text, so uuid equality is text equality; non-UUIDs kept as they are.
    # 36 lowercase characters are taken as canonical without parsing, as the evaluator does.
    return (f"CASE WHEN length({expr}) = 36 AND {expr} = lower({expr}) THEN {expr} "
            f"ELSE COALESCE(CAST(TRY_CAST({expr} AS UUID) AS VARCHAR), {expr}) END")


def _timestamp(text: str) -> str:
    """A naive UTC TIMESTAMP from ISO-8601 ``text``, read only in the spellings the Python reader
    accepts (``coerce.ISO_TIMESTAMP``); NULL for any other text."""
    # The instant's UTC microseconds as a naive TIMESTAMP: no time zone conversion (ICU's, twice the cost).
    value = f"make_timestamp(epoch_us(TRY_CAST(upper({text}) AS TIMESTAMPTZ)))"
    # An offset may carry the instant out of Python's years 1 to 9999 (unreadable on both engines): only
    # years 0001 and 9999 can leave, so only they pay for the range test.
    edge = f"starts_with({text}, '0001') OR starts_with({text}, '9999')"
    return (f"CASE WHEN NOT regexp_full_match({text}, {_lit(ISO_TIMESTAMP)}) THEN NULL WHEN NOT ({edge}) THEN {value} "
            f"WHEN {value} BETWEEN TIMESTAMP '0001-01-01 00:00:00' AND TIMESTAMP '9999-12-31 23:59:59.999999' "
            f"THEN {value} END")


def _whole(expr: str) -> str:
    """An integer field from a number ``expr`` (runs.integer): whole and within signed 64 bits, else NULL."""
    return f"CASE WHEN {expr} = trunc({expr}) THEN TRY_CAST({expr} AS BIGINT) END"


#: Members read as text (extracted once per run).
_TEXTS = _TEXT + _TIMES + _DECIMALS + ("in_dataset",)
#: The members the normalized source reads from a run's JSON, with the type DuckDB's typed reader
#: gives each: text as VARCHAR (what ``j ->> name`` gives, but for a number DuckDB prints with an
#: exponent: ``1e-07`` for ``1e-7``), the others as JSON (what ``j -> name`` gives).
_TYPED = {**{n: "VARCHAR" for n in _TEXTS},
          **{n: "JSON" for n in _INTS + ("tags",) + _JSON + ("thread_id",)}}
_MEMBERS = tuple(_TYPED)

#: ``raw`` of a source read without the documents: a query that needs them (``doc``) fails loudly.
_NO_DOCUMENTS = "CAST(error('filterql: these runs were loaded without their documents (load_typed)') AS JSON)"


def _json_source(relation: str, typed: bool = False) -> str:
    """The normalized SELECT over a relation with one JSON column ``j`` per run, or (``typed``) with one
    column per member of :data:`_MEMBERS`, of the type :data:`_TYPED` gives it (no ``j``).

    One set of expressions for both (:data:`_TYPED` says how the typed members compare; a JSON member
    is SQL NULL for JSON null, which every expression below reads alike).
    """
    member = (lambda n: n) if typed else (lambda n: f"(j -> {_lit(n)})")  # noqa: E731
    text = (lambda n: n) if typed else (lambda n: f"(j ->> {_lit(n)})")  # noqa: E731
    # A number's JSON text is its ->> text: a typed member needs no parse for it.
    number = (lambda n: f"CAST({n} AS VARCHAR)") if typed else text  # noqa: E731
    cols: list[str] = []
    for name in _TEXT:
        cols.append(f"{_uuid_text(name) if name in _UUIDS else name} AS {name}")
    for name in _TIMES:
        # Naive TIMESTAMP in UTC: Parquet's native type, so filters push down into the reader.
        cols.append(f"{_timestamp(name)} AS {name}")
    for name in _INTS:
        cols.append(f"CASE json_type({member(name)}) WHEN 'BIGINT' THEN TRY_CAST({number(name)} AS BIGINT) "
                    f"WHEN 'UBIGINT' THEN TRY_CAST({number(name)} AS BIGINT) "
                    f"WHEN 'DOUBLE' THEN {_whole(f'TRY_CAST({number(name)} AS DOUBLE)')} END AS {name}")
    for name in _DECIMALS:
        cols.append(f"TRY_CAST({name} AS {layout.DECIMAL_TYPE}) AS {name}")
    cols.append("TRY_CAST(in_dataset AS BOOLEAN) AS in_dataset")
    cols.append(f"TRY_CAST({member('tags')} AS VARCHAR[]) AS tags")
    for name in _JSON:
        cols.append(f"{member(name)} AS {name}")
    cols.append(f"{_NO_DOCUMENTS if typed else 'j'} AS raw")
    cols.append(f"{member('thread_id')} AS own_thread_id")
    cols.append(f"CAST({member('extra')} AS VARCHAR) AS extra_text")
    cols += [f"CAST({member(n)} AS VARCHAR) AS {n}_text" for n in ("inputs", "outputs")]
    # Members read as text are extracted once below, then normalized above.
    texts = ", ".join(f"{text(name)} AS {name}" for name in _TEXTS)
    inner = f"* REPLACE ({texts})" if typed else f"j, {texts}"
    return f"SELECT {', '.join(cols)} FROM (SELECT {inner} FROM {relation})"


@attrs.frozen
class Source:
    """The normalized runs (``SOURCE``'s columns) as expressions over one FROM clause ``relation``.

    A query that reads only ``runs`` can then read just the columns it needs
    (:func:`runs_relation`), without binding the layout's views.
    """

    columns: Mapping[str, str]  # column -> SQL expression over ``relation``
    relation: str

    @classmethod
    def of(cls, selected: Sequence[str], relation: str) -> Source:
        """From ``expression AS column`` items (a column name never holds `` AS ``)."""
        return cls({name: expr for expr, name in (item.rsplit(" AS ", 1) for item in selected)}, relation)

    @property
    def sql(self) -> str:
        return f"SELECT {', '.join(f'{e} AS {n}' for n, e in self.columns.items())} FROM {self.relation}"

    @property
    def key(self) -> tuple[Any, ...]:
        """The source as a cache key (``columns`` is a mapping, which does not hash)."""
        return self.relation, tuple(self.columns.items())


#: What Parquet footers said, by (question, files with their mtime and size): a file opened again
#: (``select_sql`` once per query) is not described again until it changes.
_FOOTER_FACTS: dict[tuple[Any, ...], Any] = {}


def _footer_fact(question: str, paths: Sequence[str], read: Callable[[], _T]) -> _T:
    stamps = tuple((p, (st := os.stat(p)).st_mtime_ns, st.st_size) for p in paths)
    key = (question, stamps)
    if key not in _FOOTER_FACTS:
        if len(_FOOTER_FACTS) >= 256:
            _FOOTER_FACTS.clear()
        _FOOTER_FACTS[key] = read()
    return _FOOTER_FACTS[key]


def _parquet_source(con: duckdb.DuckDBPyConnection, paths: Sequence[str],
                    session_ids: Mapping[str, str] | None = None) -> Source:
    """The normalized runs of Parquet files, reading each column by its stored type (JSON text columns
    are decoded only within the depth limit: running its SQL needs the depth test, :func:`ensure`)."""
    scan = f"read_parquet([{', '.join(_lit(p) for p in paths)}], union_by_name = true)"
    try:
        schema = _footer_fact("schema", paths, lambda: dict(con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {scan})").fetchall()))
    except Exception as e:  # duckdb.Error: not a Parquet file, unreadable
        raise LoadError(f"{', '.join(paths)}: not a Parquet file of runs: {_first_line(e)}") from None
    for name in _TIMES:
        kind = schema.get(name, "TIMESTAMP").upper()
        if not kind.startswith(("TIMESTAMP", "VARCHAR", '"NULL"', "NULL")):
            raise LoadError(f"{', '.join(paths)}: column {name} is {kind}, not a timestamp\n"
                            f"hint: {TIMESTAMP_HINT}")
    scan_columns = list(schema)
    if session_ids:
        scan, schema = _parquet_with_sessions(paths, schema, session_ids), {**schema, "session_id": "VARCHAR"}
        scan_columns = [c for c in scan_columns if c != "session_id"] + ["session_id"]  # the scan's order
    missing = [c for c in REQUIRED if c not in schema]
    if missing:
        raise LoadError(f"{', '.join(paths)}: not run data: no column {', '.join(missing)} "
                        f"(found {', '.join(list(schema)[:12])})")

    def col(name: str, sql_type: str) -> str:
        if name not in schema:
            return f"CAST(NULL AS {sql_type}) AS {name}"
        kind = schema[name].upper()
        ident = f'"{name}"'
        if sql_type == "JSON":
            value = _decoded(ident) if _is_text(kind) else f"to_json({ident})"
        elif sql_type == "TIMESTAMP":
            if kind == "TIMESTAMP":
                value = ident  # naive = UTC, as the evaluator reads it; kept native for filter pushdown
            elif kind.startswith("TIMESTAMP"):
                value = f"CAST({ident} AS TIMESTAMP)"
            else:
                value = _timestamp(f"CAST({ident} AS VARCHAR)")
        elif sql_type == "VARCHAR[]" and kind.startswith("VARCHAR") and not kind.endswith("[]"):
            value = f"TRY_CAST(TRY_CAST({ident} AS JSON) AS VARCHAR[])"
        elif name in _UUIDS:
            value = _uuid_text(f"CAST({ident} AS VARCHAR)")
        elif name in _INTS:  # as runs.integer: whole numbers only, never a string
            value = ("CAST(NULL AS BIGINT)" if kind.startswith(("VARCHAR", "BLOB", "BOOL"))
                     else f"TRY_CAST({ident} AS BIGINT)" if "INT" in kind else _whole(ident))
        else:
            value = ident if kind == sql_type else f"TRY_CAST({ident} AS {sql_type})"
        return f"{value} AS {name}"

    cols = [col(n, "VARCHAR") for n in _TEXT] + [col(n, "TIMESTAMP") for n in _TIMES]
    cols += [col(n, "BIGINT") for n in _INTS] + [col(n, layout.DECIMAL_TYPE) for n in _DECIMALS]
    cols += [col("in_dataset", "BOOLEAN"), col("tags", "VARCHAR[]")] + [col(n, "JSON") for n in _JSON]
    cols.append(f"{_raw(scan_columns, schema)} AS raw")
    cols.append("to_json(p) -> 'thread_id' AS own_thread_id")
    # extra's text when it may be decoded (_shaped), else NULL, without the JSON cast: DuckDB keeps
    # Parquet's dictionary encoding through it, so lookups in extra run once per distinct document.
    kind = schema.get("extra", "").upper()
    cols.append("CAST(NULL AS VARCHAR) AS extra_text" if not kind else
                f'CASE WHEN {_shaped(_ident("extra"))} THEN CAST("extra" AS VARCHAR) END AS extra_text'
                if _is_text(kind) else 'CAST(to_json("extra") AS VARCHAR) AS extra_text')
    for name in ("inputs", "outputs"):  # the document's JSON text, unparsed: search parses only the candidates
        kind = schema.get(name, "").upper()
        ident = _ident(name)
        # Search finds nothing in a text that is not a JSON object: the macros parse the candidates.
        text = ("NULL" if not kind else
                f"CASE WHEN {_shaped(ident)} THEN {ident} ELSE CAST(to_json({ident}) AS VARCHAR) END"
                if _is_text(kind) else f"to_json({ident})")
        cols.append(f"CAST({text} AS VARCHAR) AS {name}_text")
    return Source.of(cols, f"{scan} AS p")


def _is_text(kind: str) -> bool:
    """Whether a Parquet column of DuckDB type ``kind`` holds text (maybe JSON text), not a list or struct."""
    return kind.upper() in ("VARCHAR", "JSON")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shaped(text: str) -> str:
    """SQL: whether a JSON text column's value may be decoded, as the Python reader decides
    (``run_files.JSON_TEXT_COLUMNS``): it opens with ``{`` or ``[`` and nests at most ``MAX_RUN_DEPTH``
    levels; it is decoded when it is JSON too, else it stays the string it is. The JSON test is left to
    what reads the text (the lookups' ``TRY``, the search macros' and :func:`_decoded`'s ``TRY_CAST``),
    so the text columns of the nested layout (``extra``, ``inputs_text``, ``outputs_text``) are not
    parsed for every run."""
    # starts_with, not left(text, 1) IN (...): the same test at half the cost (no character counting).
    t = f"CAST({text} AS VARCHAR)"
    return f"((starts_with({t}, '{{') OR starts_with({t}, '[')) AND NOT {_too_deep(text)})"


def _decoded(text: str, minified: bool = False) -> str:
    """A JSON text column's value as JSON (:func:`_shaped`, parsed once): the document, or the string."""
    doc = f"TRY_CAST({text} AS JSON)"
    doc = f"json({doc})" if minified else doc  # text for Python's json.loads: no trailing comma
    return f"COALESCE(CASE WHEN {_shaped(text)} THEN {doc} END, to_json({text}))"


def _raw(columns: Sequence[str], schema: Mapping[str, str]) -> str:
    """The run's document, its columns in file order, JSON text columns decoded as the Python reader does."""
    text_columns = [c for c in columns if c in JSON_TEXT_COLUMNS and _is_text(schema[c])]
    if not text_columns:
        return "to_json(p)"
    fields = ", ".join(f"{_ident(c)} := {_decoded(_ident(c), True) if c in text_columns else 'p.' + _ident(c)}"
                       for c in columns)
    return f"to_json(struct_pack({fields}))"


def _parquet_with_sessions(paths: Sequence[str], schema: Mapping[str, str], session_ids: Mapping[str, str]) -> str:
    """The Parquet scan with ``session_ids[file]`` as the session of each run that names none."""
    by_file = " ".join(f"WHEN {_lit(p)} THEN {_lit(session_ids[p])}" for p in paths if p in session_ids)
    default = f"CASE filename {by_file} END"
    session = f"COALESCE(CAST(session_id AS VARCHAR), {default})" if "session_id" in schema else default
    if "project_id" in schema:  # v2 data names its project there
        session = f"CASE WHEN project_id IS NULL THEN {session} ELSE CAST(session_id AS VARCHAR) END" \
            if "session_id" in schema else f"CASE WHEN project_id IS NULL THEN {session} END"
    files = ", ".join(_lit(p) for p in paths)
    columns = "* EXCLUDE (filename, session_id)" if "session_id" in schema else "* EXCLUDE (filename)"
    return (f"(SELECT {columns}, {session} AS session_id "
            f"FROM read_parquet([{files}], union_by_name = true, filename = true))")


def _json_with_session(path: str, session_id: str, options: str) -> str:
    """One JSONL file's objects, with ``session_id`` added to each run that names no project."""
    patch = _lit(json.dumps({"session_id": session_id}))
    absent = lambda k: f"COALESCE(json_type(j, {_lit(k)}), 'NULL') = 'NULL'"  # noqa: E731
    return (f"SELECT CASE WHEN json_type(j) = 'OBJECT' AND {absent('session_id')} AND {absent('project_id')} "
            f"THEN json_merge_patch(j, {patch}) ELSE j END AS j "
            f"FROM read_json_objects([{_lit(path)}], format = 'newline_delimited'{options}) AS t(j)")


_VTYPE = ("CASE t WHEN 'VARCHAR' THEN 'string' WHEN 'BIGINT' THEN 'number' WHEN 'UBIGINT' THEN 'number' "
          "WHEN 'DOUBLE' THEN 'number' WHEN 'BOOLEAN' THEN 'boolean' WHEN 'OBJECT' THEN 'other' "
          "WHEN 'ARRAY' THEN 'other' ELSE 'null' END")


def _typed_entries(relation: str) -> str:
    """Type the leaves of ``relation`` (run_id, family, key, node, t, snode) step by step.

    ``vstr`` of a float is its plain normalized decimal text, as the evaluator's
    ``json_text`` (``5.0`` → ``5``, ``1e-07`` → ``0.0000001``), computed from its
    shortest round-trip text (DuckDB's DOUBLE→VARCHAR equals Python's repr).
    One step per CTE keeps each expression small.
    """
    dec = layout.DECIMAL_TYPE
    return f"""
s1 AS (SELECT *, CAST(node AS VARCHAR) AS raw, json_type(snode) AS st, CAST(snode AS VARCHAR) AS sraw FROM {relation}),
s2 AS (SELECT *, CASE WHEN t = 'DOUBLE' AND regexp_matches(raw, '[.eE]')
                      THEN CAST(CAST(raw AS DOUBLE) AS VARCHAR) END AS rep FROM s1),
s3 AS (SELECT *, CASE WHEN starts_with(rep, '-') THEN '-' ELSE '' END AS sign, lower(ltrim(rep, '-')) AS b FROM s2),
s4 AS (SELECT *, split_part(b, 'e', 1) AS m,
              COALESCE(TRY_CAST(NULLIF(split_part(b, 'e', 2), '') AS INTEGER), 0) AS ex FROM s3),
s5 AS (SELECT *, replace(m, '.', '') AS digits, length(split_part(m, '.', 1)) + ex AS point FROM s4),
s6 AS (SELECT *, CASE WHEN point >= length(digits) THEN digits || repeat('0', point - length(digits))
                      WHEN point <= 0 THEN '0.' || repeat('0', -point) || digits
                      ELSE digits[1:point] || '.' || digits[point + 1:] END AS pr FROM s5),
s7 AS (SELECT *, {_VTYPE} AS vtype,
              CASE t WHEN 'VARCHAR' THEN node ->> '$'
                     WHEN 'DOUBLE' THEN CASE WHEN rep IS NULL THEN raw
                          ELSE sign || CASE WHEN contains(pr, '.') THEN rtrim(rtrim(pr, '0'), '.') ELSE pr END END
                     WHEN 'BIGINT' THEN raw WHEN 'UBIGINT' THEN raw WHEN 'BOOLEAN' THEN raw END AS vstr,
              CASE WHEN st = 'DOUBLE' THEN TRY_CAST(sraw AS {dec}) END AS sdec FROM s6),
typed AS (
  SELECT run_id, family, key, vtype, vstr,
         -- NULL unless the number fits DECIMAL(38, 18) exactly (docs/sql.md).
         CASE WHEN vtype = 'number' AND length(split_part(ltrim(vstr, '-'), '.', 2)) <= 18
                   AND length(split_part(ltrim(vstr, '-'), '.', 1)) <= 20 THEN TRY_CAST(vstr AS {dec}) END AS vnum,
         CASE st WHEN 'BOOLEAN' THEN CASE WHEN sraw = 'true' THEN 1 ELSE 0 END
                 WHEN 'VARCHAR' THEN TRY_CAST(trim(snode ->> '$') AS {dec})
                 WHEN 'BIGINT' THEN TRY_CAST(sraw AS {dec}) WHEN 'UBIGINT' THEN TRY_CAST(sraw AS {dec})
                 WHEN 'DOUBLE' THEN CASE WHEN CAST(sdec AS DOUBLE) = CAST(sraw AS DOUBLE) THEN sdec END
         END AS score
  FROM s7)"""


_FAMILY_ROOTS = (("metadata", "extra -> 'metadata'"), ("input", "inputs"), ("output", "outputs"))


def _entries_view() -> str:
    roots = " UNION ALL ".join(
        f"SELECT id, '{family}', CAST(NULL AS VARCHAR), {expr}, json_type({expr}) FROM {SOURCE} "
        f"WHERE json_type({expr}) = 'OBJECT'"
        for family, expr in _FAMILY_ROOTS
    )
    return f"""
WITH RECURSIVE walk(run_id, family, key, node, t) AS (
  {roots}
  UNION ALL
  SELECT w.run_id, w.family,
         CASE WHEN w.t = 'OBJECT' THEN (CASE WHEN w.key IS NULL THEN je.key ELSE w.key || '.' || je.key END)
              ELSE w.key END,
         je.value, je.type
  FROM walk AS w, json_each(w.node) AS je
  WHERE w.t IN ('OBJECT', 'ARRAY')
),
fb AS (
  SELECT {SOURCE}.id AS run_id, f.value ->> 'key' AS key, f.value -> 'value' AS node, f.value -> 'score' AS snode
  FROM {SOURCE}, json_each({SOURCE}.feedback) AS f
  WHERE json_type({SOURCE}.feedback) = 'ARRAY' AND json_type(f.value) = 'OBJECT'
  UNION ALL
  SELECT {SOURCE}.id AS run_id, s.key AS key, CAST(NULL AS JSON) AS node, s.value -> 'avg' AS snode
  FROM {SOURCE}, json_each({SOURCE}.feedback_stats) AS s
  WHERE COALESCE(json_type({SOURCE}.feedback), 'NULL') = 'NULL' AND json_type({SOURCE}.feedback_stats) = 'OBJECT'
),
leaves AS (
  SELECT run_id, family, key, node, t, CAST(NULL AS JSON) AS snode FROM walk WHERE t NOT IN ('OBJECT', 'ARRAY')
  UNION ALL
  SELECT run_id, 'feedback', key, node, json_type(node), snode FROM fb
),
{_typed_entries("leaves")}
SELECT run_id, family, key, vtype, vstr, vnum, score FROM typed
"""


def _runs_columns() -> dict[str, str]:
    """Each ``runs`` column's expression over ``SOURCE``'s columns."""
    us = lambda c: f"epoch_us({c})"  # noqa: E731
    # The first non-null of three metadata keys; only a string value compares as text.
    meta = lambda k: (f"CASE WHEN json_type(extra -> 'metadata' -> {_lit(k)}) <> 'NULL' "  # noqa: E731
                      f"THEN extra -> 'metadata' -> {_lit(k)} END")
    own = "CASE WHEN json_type(own_thread_id) <> 'NULL' THEN own_thread_id END"  # v2 runs carry it
    thread = f"COALESCE({meta('thread_id')}, {meta('session_id')}, {meta('conversation_id')}, {own})"
    exprs = {c: c for c in layout.RUN_COLUMNS}
    exprs.update({f"{t}_us": us(t) for t in _TIMES})
    exprs["latency_us"] = f"{us('end_time')} - {us('start_time')}"
    exprs["is_root"] = "parent_run_id IS NULL"
    exprs["thread_id"] = f"CASE WHEN json_type({thread}) = 'VARCHAR' THEN {thread} ->> '$' END"
    exprs[layout.THREAD_PRESENT] = f"{thread} IS NOT NULL"
    exprs[layout.DOC] = "CAST(raw AS VARCHAR)"
    # DuckDB's nested columns (layout.NESTED_COLUMNS): objects only, as the evaluator flattens only objects.
    exprs["tags"] = "tags"
    exprs["extra"] = "extra_text"
    exprs["inputs_text"], exprs["outputs_text"] = "inputs_text", "outputs_text"
    exprs.update({t: t for t in _TIMES})
    for column, root in _DOCS.items():
        exprs[column] = root  # may be a non-object: the macros check (one JSON parse fewer per run)
    return exprs


def _runs_view() -> str:
    return f"SELECT {', '.join(f'{expr} AS {col}' for col, expr in _runs_columns().items())} FROM {SOURCE}"


def runs_relation(source: Source, wanted: Iterable[str]) -> str:
    """``runs`` as a subquery of the ``wanted`` columns only, over ``source``.

    The same expressions as the ``runs`` view, so the same rows and values; a
    column's source columns are the ones its expression names (a superset at worst).
    """
    wanted = set(wanted)
    columns = {c: e for c, e in _runs_columns().items() if c in wanted} or {"id": "id"}
    used = {n: e for n, e in source.columns.items()
            if any(re.search(rf"\b{re.escape(n)}\b", expr) for expr in columns.values())}
    inner = Source(used, source.relation).sql
    return f"(SELECT {', '.join(f'{e} AS {c}' for c, e in columns.items())} FROM ({inner}))"


def make_views(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """The ``SOURCE`` and ``runs`` views over ``source``, as :func:`load_files` creates them."""
    _register_depth_test(con)
    _create_layout(con, source.sql)


def lazy_parquet(paths: Sequence[str], con: duckdb.DuckDBPyConnection) -> Source | None:
    """The checked runs of Parquet files as a :class:`Source`, for an engine that creates the views
    only when a query needs them; None when :func:`load_files` must load them (not all Parquet, or an
    error to report, which it words)."""
    if not paths or not all(Path(p).is_file() and file_kind(p) == "parquet" for p in paths):
        return None
    try:
        source = _parquet_source(con, paths)
        if not _parquet_statistics_say_complete(con, paths):
            ensure(con, called(source.sql))
            _check_runs(con, ", ".join(paths), f"({source.sql})")
    except LoadError:
        return None
    return source


# metadata from extra's text: one parse per distinct document when Parquet dictionary-encodes it.
_DOCS = {"metadata": "TRY(json_extract(extra_text, '$.metadata'))", "inputs": "inputs", "outputs": "outputs"}


def _macros() -> str:
    """DuckDB macros of the nested layout (docs/sql.md): direct key lookup and search over a document."""
    # A member of a non-object is NULL, so '$.metadata."k"' is exactly metadata's member k.
    paths = {"metadata": ("extra", "'$.metadata.\"'"), "input": ("inputs", "'$.\"'"), "output": ("outputs", "'$.\"'")}
    member = " ".join(f"WHEN {_lit(f)} THEN json_extract({col}, {prefix} || k || '\"')"
                      for f, (col, prefix) in paths.items())
    return f"""
CREATE OR REPLACE MACRO filterql_doc_contains(doc, term, lim) AS
  json_type(doc) = 'OBJECT' AND len(list_filter(json_extract(doc, '$..*'),
      lambda v: json_type(v) = 'VARCHAR' AND strpos(lower(substring(v ->> '$', 1, COALESCE(lim, 2147483647))), term) > 0))
  > 0;
-- The same, first testing the document's text: a string value holding the term holds it verbatim
-- in the text unless the writer escaped something. Only for terms without '"', '\\', '/' or control
-- characters (the compiler checks), and the text must hold no \\u escape.
CREATE OR REPLACE MACRO filterql_doc_contains_plain(doc, term, lim) AS
  (strpos(lower(CAST(doc AS VARCHAR)), term) > 0 OR contains(CAST(doc AS VARCHAR), '\\u'))
  AND filterql_doc_contains(doc, term, lim);
-- The leaves reached from v through arrays only (the entries of v's key, docs/semantics.md "Flattening"): each
-- step replaces arrays by their elements and drops objects; 1 + v's arrays steps reach every depth.
CREATE OR REPLACE MACRO filterql_array_leaves(v) AS list_filter(list_reduce(
    range(1 + len(list_filter(json_extract(v, '$..*'), lambda x: json_type(x) = 'ARRAY'))),
    lambda acc, i: flatten(list_transform(acc, lambda x: CASE json_type(x) WHEN 'ARRAY' THEN json_extract(x, '$[*]')
                                                     WHEN 'OBJECT' THEN CAST([] AS JSON[]) ELSE [x] END)),
    [v]), lambda x: json_type(x) NOT IN ('ARRAY', 'OBJECT'));
-- Exact without walking the document, for the terms the compiler checks (filterql.sql.prefilter): in an
-- object's text without any escape, an occurrence of such a term lies inside one string, and `pattern`
-- (term, rest of that string, closing quote, then ',', '}}' or ']') says that string is a value, not a key.
CREATE OR REPLACE MACRO filterql_text_contains_ascii(text, term, pattern) AS
  starts_with(CAST(text AS VARCHAR), '{{') AND NOT contains(CAST(text AS VARCHAR), '\\')
  AND regexp_matches(lower(CAST(text AS VARCHAR)), pattern) AND TRY_CAST(text AS JSON) IS NOT NULL
  OR filterql_doc_contains(TRY_CAST(text AS JSON), term, NULL);
-- First a cheaper necessary test: `found` (the term in either case), an 'İ' (which lowers to 'i') or a
-- \\u escape. `text` is the document's text as read: only the rows that pass pay for parsing it.
CREATE OR REPLACE MACRO filterql_doc_contains_ascii(text, term, found, pattern) AS
  (regexp_matches(CAST(text AS VARCHAR), found) OR contains(CAST(text AS VARCHAR), 'İ')
   OR contains(CAST(text AS VARCHAR), '\\u'))
  AND filterql_text_contains_ascii(text, term, pattern);
-- The same for a document that is part of a JSON text `hay` (metadata, of extra's). The part's text is
-- DuckDB's writing of what `hay` spells, so its strings are as in `hay` but for escapes: an 'İ' or a \\u
-- escape is looked for in `hay`, and `found` in `hay` before the part (metadata: a parse of extra) is
-- extracted for it. In a `hay` without any escape, `pattern` says some value of it holds the term (as
-- above; a `hay` that is not JSON has no part): without one, only keys do. The rows that pass pay for the
-- part once more per test of the exact one.
CREATE OR REPLACE MACRO filterql_part_contains_ascii(hay, part, term, found, pattern) AS
  (contains(hay, 'İ') OR contains(hay, '\\u')
   OR regexp_matches(hay, found) AND (contains(hay, '\\') OR regexp_matches(lower(hay), pattern))
      AND regexp_matches(CAST(part AS VARCHAR), found))
  AND filterql_text_contains_ascii(part, term, pattern);
CREATE OR REPLACE MACRO filterql_key_entries(fam, k) AS TABLE
WITH RECURSIVE members AS (
  SELECT id AS run_id, n AS node, json_type(n) AS t FROM (
    SELECT id, CASE fam {member} END AS n FROM {SOURCE}
  ) WHERE n IS NOT NULL AND json_type(n) <> 'OBJECT'
),
-- Only arrays need the recursive walk (collapsing nested arrays onto the key).
walk(run_id, node, t) AS (
  SELECT run_id, node, t FROM members WHERE t = 'ARRAY'
  UNION ALL
  SELECT w.run_id, je.value, je.type
  FROM walk AS w, json_each(w.node) AS je WHERE w.t = 'ARRAY' AND je.type <> 'OBJECT'
),
leaves AS (
  SELECT run_id, fam AS family, k AS key, node, t, CAST(NULL AS JSON) AS snode FROM members WHERE t <> 'ARRAY'
  UNION ALL
  SELECT run_id, fam, k, node, t, CAST(NULL AS JSON) FROM walk WHERE t <> 'ARRAY'
),
{_typed_entries("leaves")}
SELECT run_id, family, key, vtype, vstr, vnum, score FROM typed;
"""


def _drop_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Drop a previous layout (views or materialized tables) so the connection can be reloaded."""
    kinds = dict(con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
    for name in (layout.ENTRIES, layout.TAGS, layout.RUNS, SOURCE):
        if name in kinds:
            con.execute(f"DROP {'VIEW' if kinds[name] == 'VIEW' else 'TABLE'} {name}")


def _on_demand() -> dict[str, tuple[str, ...]]:
    """The layout's objects created on first use: name -> statements (its dependencies' first)."""
    # A load drops the previous layout, so a tag or entry view or table already there is current
    # (materialize makes tables of them); macros do not depend on the data.
    statements = {
        layout.TAGS: f"CREATE VIEW IF NOT EXISTS {layout.TAGS} AS "
                     f"SELECT id AS run_id, unnest(tags) AS tag FROM {SOURCE} WHERE tags IS NOT NULL",
        layout.ENTRIES: f"CREATE VIEW IF NOT EXISTS {layout.ENTRIES} AS {_entries_view()}",
    }
    for part in _macros().split("CREATE OR REPLACE MACRO ")[1:]:
        statements[part.split("(", 1)[0]] = "CREATE OR REPLACE MACRO " + part
    # A macro's body may call other macros, which may call others: those are created before it.
    calls = {name: [d for d in statements if d != name and re.search(rf"\b{d}\(", sql)]
             for name, sql in statements.items()}

    def first_needed(name: str, order: dict[str, None]) -> dict[str, None]:
        for callee in calls[name]:
            first_needed(callee, order)
        order.setdefault(name)
        return order

    return {name: tuple(statements[d] for d in first_needed(name, {})) for name in statements}


#: What :func:`ensure` can create: the tag and entry views and the nested layout's macros.
ON_DEMAND = _on_demand()


def ensure(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> set[str]:
    """Create the on-demand layout objects among ``names`` (views, macros, :data:`DEPTH_TEST`) on ``con``;
    return those created.

    The entry view and the macros take most of the layout's set-up time, so a
    connection gets them only when a query refers to them.
    """
    made = {n for n in names if n in ON_DEMAND or n == DEPTH_TEST}
    for name in sorted(made):
        if name == DEPTH_TEST:  # a Python function, not SQL
            _register_depth_test(con)
            continue
        for statement in ON_DEMAND[name]:
            con.execute(statement)
    return made


def called(sql: str) -> frozenset[str]:
    """The on-demand objects SQL text ``sql`` calls: macros of :data:`ON_DEMAND` and the depth test."""
    return frozenset(name for name in (*ON_DEMAND, DEPTH_TEST) if re.search(rf"\b{name}\(", sql))


def _create_layout(con: duckdb.DuckDBPyConnection, source_sql: str) -> None:
    """The source and ``runs`` views; the rest of the layout comes with :func:`ensure`."""
    _drop_layout(con)
    con.execute(f"CREATE OR REPLACE VIEW {SOURCE} AS {source_sql}")
    con.execute(f"CREATE OR REPLACE VIEW {layout.RUNS} AS {_runs_view()}")


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _read_through(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Read every file once, so what no skip can cover (a damaged gzip file) is an error now, not in a query."""
    try:
        con.execute(f"SELECT count(*) FROM {SOURCE}").fetchall()
    except Exception as e:  # duckdb.Error: an unreadable file
        raise LoadError(f"{where}: not run data: {_first_line(e)}") from None


def _check_runs(con: duckdb.DuckDBPyConnection, where: str, relation: str = SOURCE) -> int:
    """Raise :class:`LoadError` naming the first record of ``relation`` that is not a run; return the run count."""
    missing = " OR ".join(f"{c} IS NULL" for c in REQUIRED)
    try:
        # A streaming count first: numbering the rows (a window over all of them) only when one is bad.
        total, bad = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {missing}) FROM {relation}").fetchall()[0]  # type: ignore[misc]
    except Exception as e:  # duckdb.Error: malformed JSON, unreadable file
        raise LoadError(f"{where}: not run data: {_first_line(e)}") from None
    if bad:
        first = con.execute(f"SELECT min(n) FILTER (WHERE {missing}) "
                            f"FROM (SELECT *, row_number() OVER () AS n FROM {relation})").fetchall()[0][0]
        row = con.execute(f"SELECT {', '.join(REQUIRED)} FROM (SELECT *, row_number() OVER () AS n FROM {relation}) "
                          f"WHERE n = {int(first)}").fetchall()[0]
        absent = [c for c, v in zip(REQUIRED, row or ()) if v is None]
        raise LoadError(f"{where}: record {first} is not a run: missing or invalid {', '.join(absent)} "
                        f"({bad} of {total} records)")
    return int(total)


def load_files(paths: Sequence[PathLike] | PathLike, con: duckdb.DuckDBPyConnection | None = None, *,
               check: bool = True, skip_invalid: bool = False,
               session_ids: Mapping[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """Create the layout over JSONL (``.jsonl``, ``.json``, optionally ``.gz``) or Parquet files.

    All files must be of one kind. Raises :class:`LoadError` for a missing file,
    a file that is not run data, or (with ``check``) a record without ``id``,
    ``trace_id``, ``name``, ``run_type`` or a valid ``start_time``.
    ``skip_invalid`` instead leaves out malformed lines and incomplete runs.
    ``session_ids`` maps a path (as given) to the ``session_id`` its runs get
    when they name no project (neither ``session_id`` nor ``project_id``).
    """
    items = [os.fspath(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    if not items:
        raise LoadError("no input files")
    for p in items:
        if not Path(p).is_file():
            raise LoadError(f"{p}: no such file")
    con = con or connect()
    kinds = {file_kind(p) for p in items}  # by magic bytes, as the Python reader decides
    if len(kinds) > 1:
        raise LoadError("mixing Parquet and JSONL inputs in one load is not supported")
    _register_depth_test(con)  # the layout's views call it: JSON is decoded only within the depth limit
    try:
        if kinds == {"parquet"}:
            source = _parquet_source(con, items, session_ids).sql
        else:
            ignore = ", ignore_errors = true" if skip_invalid else ""
            files = ", ".join(_lit(p) for p in items)
            parts = f"SELECT j FROM read_json_objects([{files}], format = 'newline_delimited'{ignore}) AS t(j)"
            if session_ids:
                parts = " UNION ALL ".join(_json_with_session(p, session_ids[p], ignore) if p in session_ids else
                                           f"SELECT j FROM read_json_objects([{_lit(p)}], format = 'newline_delimited'"
                                           f"{ignore}) AS t(j)" for p in items)
            source = _json_source(f"(SELECT {_within_depth('j')} AS j FROM ({parts}))")
        if skip_invalid:
            source = f"SELECT * FROM ({source}) WHERE {' AND '.join(f'{c} IS NOT NULL' for c in REQUIRED)}"
        _create_layout(con, source)
        if check and skip_invalid:
            _read_through(con, ", ".join(items))
        elif check and not (kinds == {"parquet"} and _parquet_statistics_say_complete(con, items)):
            _check_runs(con, ", ".join(items))
    except LoadError as e:
        raise _explained(items, e) from None
    return con


def load_typed(paths: Sequence[PathLike], con: duckdb.DuckDBPyConnection) -> bool:
    """Create the layout over JSONL ``paths`` with DuckDB's typed reader, without the runs' documents
    and unchecked, when that reader reads the files as :func:`load_files` does; else create nothing
    and return False (docs/engines.md "JSONL").

    The typed reader parses each line once, into the members the source reads (:data:`_MEMBERS`),
    and never sees the others. So it is used only when no record nests past ``MAX_RUN_DEPTH`` (one
    pass over the lines, which also fails on malformed JSON). What it alone refuses (a duplicate
    key, a line that is not an object) fails the query. Whoever queries must check that every
    record is a run (``REQUIRED``), as ``filterql match --ids-only`` does in its one query, and on
    any failure load the files with :func:`load_files`, which decides and reports.
    """
    items = [os.fspath(p) for p in paths]
    if not items or any(not Path(p).is_file() or file_kind(p) != "json" for p in items):
        return False
    files = ", ".join(_lit(p) for p in items)
    _register_depth_test(con)
    try:
        deep = con.execute(f"SELECT count(*) FROM read_json_objects([{files}], format = 'newline_delimited') AS t(j) "
                           f"WHERE {_too_deep('j')}").fetchall()[0][0]
    except Exception:  # duckdb.Error: malformed or unreadable, as load_files will report
        return False
    if deep:
        return False
    columns = ", ".join(f"{_lit(n)}: {_lit(_TYPED[n])}" for n in _MEMBERS)
    reader = f"read_json([{files}], format = 'newline_delimited', records = true, columns = {{{columns}}})"
    _create_layout(con, _json_source(reader, typed=True))
    return True


def _explained(paths: Sequence[str], error: LoadError) -> LoadError:
    """The Python reader's ``file:line: why`` for the first invalid record when it finds one, so both
    engines report the same record the same way; else ``error`` (README "Run files")."""
    try:
        for _ in read_runs(*paths):
            pass
    except RunSourceError as found:
        return LoadError(str(found), found.source, found.line)
    return error


def _register_depth_test(con: duckdb.DuckDBPyConnection) -> None:
    register = lambda: con.create_function(DEPTH_TEST, too_deep, ["VARCHAR"], "BOOLEAN",  # noqa: E731
                                           side_effects=False)
    try:
        register()
    except Exception:  # duckdb.NotImplementedException: registered already (a connection loaded again)
        con.remove_function(DEPTH_TEST)
        register()


def _too_deep(j: str) -> str:
    """Whether JSON ``j`` nests past ``MAX_RUN_DEPTH``, as the Python reader decides.

    Only a record long enough and with enough brackets reaches the exact (Python) test.
    """
    text = f"CAST({j} AS VARCHAR)"
    brackets = f"strlen({text}) - strlen(replace(replace({text}, '[', ''), '{{', ''))"
    # CASE, not AND: a WHERE clause's conjuncts may be reordered, which could call Python on every record.
    return (f"CASE WHEN strlen({text}) > {2 * MAX_RUN_DEPTH} AND {brackets} > {MAX_RUN_DEPTH} "
            f"THEN {DEPTH_TEST}({text}) ELSE false END")


def _within_depth(j: str) -> str:
    """``j``, or NULL (an invalid record) when it nests past ``MAX_RUN_DEPTH``."""
    return f"CASE WHEN {_too_deep(j)} THEN NULL ELSE {j} END"


def _parquet_statistics_say_complete(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> bool:
    """Whether the files' own statistics prove every run has the required fields (no scan needed).

    True only when ``start_time`` is a native timestamp and every required
    column chunk records a null count of zero; otherwise the rows are checked.
    """
    return _footer_fact("complete", paths, lambda: _statistics_say_complete(con, paths))


def _statistics_say_complete(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> bool:
    files = ", ".join(_lit(p) for p in paths)
    # The logical type, not the physical one: an INT64 column of epoch numbers is not a timestamp.
    scan = f"read_parquet([{files}], union_by_name = true)"
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {scan})").fetchall())
    if not str(types.get("start_time", "")).upper().startswith("TIMESTAMP") or any(c not in types for c in REQUIRED):
        return False
    wanted = ", ".join(_lit(c) for c in REQUIRED)
    chunks, nulls, unknown = con.execute(
        f"SELECT count(*), sum(stats_null_count), count(*) FILTER (WHERE stats_null_count IS NULL) "
        f"FROM parquet_metadata([{files}]) WHERE path_in_schema IN ({wanted})").fetchall()[0]
    return bool(chunks) and not unknown and not nulls


def load_runs(runs: Iterable[Any], con: duckdb.DuckDBPyConnection | None = None, *,
              check: bool = True) -> duckdb.DuckDBPyConnection:
    """Create the layout over in-memory runs (dicts in LangSmith's run JSON, or ``Run`` objects)."""
    import pyarrow as pa

    con = con or connect(progress=False)
    lines = [json.dumps(as_dict(r), default=str, ensure_ascii=False) for r in runs]
    con.register("filterql_json_rows", pa.table({"j": pa.array(lines, pa.string())}))
    _create_layout(con, _json_source("(SELECT CAST(j AS JSON) AS j FROM filterql_json_rows)"))
    if check:
        _check_runs(con, "runs")
    return con


def materialize(con: duckdb.DuckDBPyConnection, *, source: bool = False) -> duckdb.DuckDBPyConnection:
    """Replace the layout's views by tables (computed once, then queried many times).

    ``source`` also makes a table of the normalized runs (their original JSON
    included, ``SOURCE``), so nothing reads the input files again.
    """
    ensure(con, ON_DEMAND)  # the whole layout, macros included: a materialized layout is queried many times
    if source:
        con.execute(f"CREATE OR REPLACE TABLE filterql_tmp_src AS SELECT * FROM {SOURCE}")
        con.execute(f"DROP VIEW {SOURCE}")
        con.execute(f"ALTER TABLE filterql_tmp_src RENAME TO {SOURCE}")
    for name in (layout.RUNS, layout.TAGS, layout.ENTRIES):
        con.execute(f"CREATE OR REPLACE TABLE filterql_tmp_{name} AS SELECT * FROM {name}")
    for name in (layout.RUNS, layout.TAGS, layout.ENTRIES):
        con.execute(f"DROP VIEW {name}")
        con.execute(f"ALTER TABLE filterql_tmp_{name} RENAME TO {name}")
    return con
