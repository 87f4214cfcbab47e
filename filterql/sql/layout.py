"""The relational layout filterql's SQL runs against (docs/sql.md).

Three tables, one row per run, per tag and per flattened family entry:

``runs``
    The run data format's scalar fields. UUIDs are lowercase canonical text.
    Timestamps are ``*_us`` BIGINT microseconds since the Unix epoch (UTC) and
    ``latency_us`` is ``end_time_us - start_time_us``, so time arithmetic is
    exact integer arithmetic. Costs are DECIMAL(38, 18). ``is_root`` and
    ``thread_id`` are derived as the docs/semantics.md says; ``thread_id`` is
    NULL unless the thread is a string, and ``has_thread_id`` says whether the
    run has a thread at all. ``doc`` is the run's JSON text, for ``select``.
``run_tags`` ``(run_id, tag)``
    One row per tag.
``run_entries`` ``(run_id, family, key, vtype, vstr, vnum, score)``
    One row per flattened entry of ``metadata``, ``input``, ``output`` and
    ``feedback``. ``vtype`` is the JSON type of the value (``string``,
    ``number``, ``boolean``, ``null``, or ``other`` for a non-scalar feedback
    value); ``vstr`` is the string itself or the JSON text of a number
    (plain normalized decimal: ``5``, ``0.0000001``) or boolean; ``vnum`` the
    number as DECIMAL(38, 18) (NULL when it does not fit exactly); ``score``
    the feedback score. ``key`` is NULL only for a feedback without a key.

This module names tables and columns and maps catalog fields onto them; it
holds no values.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from ..catalog import DECIMAL_DIGITS, FIELDS, RUN_FIELDS, FieldType

__all__ = [
    "RUNS", "TAGS", "ENTRIES", "THREAD_PRESENT", "DOC", "NESTED_COLUMNS", "RUN_COLUMNS", "TAG_COLUMNS", "ENTRY_COLUMNS",
    "DECIMAL_SCALE", "DECIMAL_TYPE", "column_of", "FAMILY_NAMES",
]

RUNS, TAGS, ENTRIES = "runs", "run_tags", "run_entries"

#: Digits after the point of every DECIMAL column (costs, family numbers, scores).
DECIMAL_SCALE = DECIMAL_DIGITS[1]
DECIMAL_TYPE = f"DECIMAL({sum(DECIMAL_DIGITS)}, {DECIMAL_SCALE})"

_SQL_TYPE = {
    FieldType.UUID: "VARCHAR",
    FieldType.STRING: "VARCHAR",
    FieldType.ENUM: "VARCHAR",
    FieldType.TIMESTAMP: "BIGINT",
    FieldType.SECONDS: "BIGINT",
    FieldType.INTEGER: "BIGINT",
    FieldType.DECIMAL: DECIMAL_TYPE,
    FieldType.BOOLEAN: "BOOLEAN",
}


def column_of(field: str) -> str:
    """The ``runs`` column holding catalog field ``field`` (``start_time`` → ``start_time_us``)."""
    spec = FIELDS[field]
    if spec.type in (FieldType.TIMESTAMP, FieldType.SECONDS):
        return f"{field}_us"
    if spec.type not in _SQL_TYPE:
        raise KeyError(f"field {field} ({spec.type.value}) has no runs column")
    return field


#: ``thread_id`` holds the thread only when it is a string; this column says
#: whether the run has one at all (``neq(thread_id, "x")`` holds for a number).
THREAD_PRESENT = "has_thread_id"

#: The run's JSON text as read: ``select`` projects it (filterql.projection), the same on every engine.
DOC = "doc"

#: ``runs`` columns and their SQL types, in table order.
RUN_COLUMNS: Mapping[str, str] = MappingProxyType({
    **{column_of(name): _SQL_TYPE[spec.type] for name, spec in RUN_FIELDS.items() if spec.type in _SQL_TYPE},
    THREAD_PRESENT: "BOOLEAN",
    DOC: "VARCHAR",
})
#: DuckDB's layout adds these to ``runs`` (docs/sql.md: the nested layout), with two macros,
#: ``filterql_key_entries(family, key)`` and ``filterql_doc_contains(doc, term, limit)``, so
#: tags, key lookups and search need no semi-join. The other engines get the flat tables (Spark's
#: ``runs`` with ``tags`` too: filterql.sql.spark_engine).
NESTED_COLUMNS: Mapping[str, str] = MappingProxyType({
    "tags": "VARCHAR[]", "metadata": "JSON", "inputs": "JSON", "outputs": "JSON",
    # extra's JSON text (VARCHAR): metadata lookups read '$.metadata."k"' here, a parse fewer than via ``metadata``
    "extra": "VARCHAR",
    # inputs' and outputs' text as read (maybe invalid JSON): search parses only the rows its text test keeps
    "inputs_text": "VARCHAR", "outputs_text": "VARCHAR",
    # naive UTC timestamps: comparisons on them push down into DuckDB's Parquet reader
    "start_time": "TIMESTAMP", "end_time": "TIMESTAMP", "first_token_time": "TIMESTAMP",
})
TAG_COLUMNS: Mapping[str, str] = MappingProxyType({"run_id": "VARCHAR", "tag": "VARCHAR"})
ENTRY_COLUMNS: Mapping[str, str] = MappingProxyType({
    "run_id": "VARCHAR", "family": "VARCHAR", "key": "VARCHAR", "vtype": "VARCHAR",
    "vstr": "VARCHAR", "vnum": DECIMAL_TYPE, "score": DECIMAL_TYPE,
})

#: Family names as stored in ``run_entries.family``.
FAMILY_NAMES = ("metadata", "input", "output", "feedback")
