"""DuckDB's text shortcuts (``filterql.sql.prefilter``, ``filterql.sql.lookup``) against the evaluator.

The shortcuts read a document's JSON text, so these tests write the text
themselves (JSONL files): escapes of every kind (``\\u0074`` for an ASCII
letter, ``\\n``, ``\\"``, ``\\\\``, ``\\/``), terms that only occur in a key,
across an escape, or next to a quote, whitespace before a colon or the
document, and arrays at any depth for key lookups.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import make_run

import filterql
from filterql.sql import open_engine
from filterql.sql.prefilter import text_exact, value_pattern


def _run(i: int, **fields: Any) -> dict[str, Any]:
    return make_run(i + 1, start_time=f"2024-01-01T00:00:{i % 60:02d}Z", **fields)


def _line(run: dict[str, Any], raw: dict[str, str]) -> str:
    """One JSONL line: ``run`` as JSON, with the fields of ``raw`` spliced in as the given JSON text."""
    text = json.dumps(run)[:-1]
    return text + "".join(f', "{k}": {v}' for k, v in raw.items()) + "}"


def _agree(tmp_path: Path, docs: list[dict[str, str]], filters: list[str]) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(_line(_run(i), raw) for i, raw in enumerate(docs)) + "\n", encoding="utf-8")
    engine = open_engine(path, "duckdb")
    runs = list(filterql.read_runs(path))
    for f in filters:
        want = [r["id"] for r in filterql.select(runs, filter=f)]
        assert engine.select_ids(filter=f) == want, f


def test_text_exact_terms():
    assert text_exact("timeout") and text_exact("a-b_c") and text_exact("o")
    # only characters JSON has outside strings: the occurrence may be a number or literal
    for term in ("true", "null", "nan", "infinity", "1e5", "-1.5", "], {", "u"):
        assert not text_exact(term), term
    # characters some writer escapes, and non-ASCII (escaped as \\uXXXX by some writers)
    for term in ('a"b', "a\\b", "a/b", "café", "a\x01b", "a\x7fb"):
        assert not text_exact(term), term
    assert value_pattern("a.b(") == 'a\\.b\\([^"]*"\\s*[,}\\]]'


_DOCS = [
    {"inputs": '{"timeout": 1}'},                               # only a key holds the term
    {"inputs": '{"timeout" : "x", "k": 5}'},                    # key, whitespace before the colon
    {"inputs": '{"k": "the timeout"}'},                         # a value
    {"inputs": '{"k": ["a", ["TIMEOUT x"]]}'},                  # a value in nested arrays, then ']'
    {"inputs": '{"k": "\\u0074imeout"}'},                       # an ASCII letter written as \\u0074
    {"inputs": '{"k": "line\\ntimeout"}'},                      # an escape just before the term
    {"inputs": '{"k": "say \\"timeout\\""}'},                   # escaped quotes around the term
    {"inputs": '{"k": "a\\/timeout", "timeout2": 0}'},          # escaped slash; the term in a key too
    {"inputs": ' {"k": "timeout"}'},                            # leading whitespace
    {"outputs": '{"a": {"b": "x"}, "timeout": {"c": "timeout"}}'},
    {"extra": '{"metadata": {"k": "timeout", "e": "production"}}'},
    {"extra": '{"metadata": {"e": ["dev", [["production"]], {"x": "production"}]}}'},
    {"extra": '{"metadata": {"e": {"production": 1}, "e.x": "production"}}'},
    {"extra": '{"metadata": {"e": "\\u0070roduction"}}'},
    {"extra": '{"metadata": ["production"]}'},
    {"extra": '{"runtime": {"k": "timeout"}, "metadata": {"k": "x"}}'},  # in extra, outside metadata
    {"extra": '{"metadata": {"k": "\\u0074IMEOUT"}}'},                 # metadata's only spelling escaped
    {"extra": '{"metadata": {"k": ["TimeOut"]}}'},                      # case differs from the term's
    {"extra": '{"metadata": {"timeout": "x"}, "timeout": 1}'},           # only keys hold the term
    {"extra": '{"metadata": {"timeout": 1}, "runtime": "timeout"}'},     # a value outside, a key inside
    {"extra": '{"metadata": {"k": "say \\"timeout\\""}}'},               # escaped quotes around the term
]


def test_escapes_keys_and_arrays(tmp_path):
    _agree(tmp_path, _DOCS, [
        'search("timeout")', 'search("ntimeout")', 'search("imeout")', 'search("timeout2")', 'search(inputs, "time")',
        'search("timeout\\"")', 'search("/timeout")', 'search("u0074imeout")', 'search("x")',
        'and(eq(metadata_key, "e"), eq(metadata_value, "production"))', 'eq(metadata_key, "e")',
        'not(and(eq(metadata_key, "e"), eq(metadata_value, "production")))', 'has(metadata, \'{"e": "production"}\')',
        'and(eq(metadata_key, "k"), eq(metadata_value, "timeout"))',
        'and(eq(input_key, "k"), eq(input_value, "the timeout"))',
    ])


# Small alphabets make collisions between keys, values, escapes and the term likely.
_CHARS = st.sampled_from(list('abt"\\/:,}] \n') + ["\u00e9", "\x01"])
_TEXT = st.text(_CHARS, max_size=6)
_JSON = st.recursive(st.one_of(_TEXT, st.integers(-2, 2), st.booleans(), st.none()),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(_TEXT, c, max_size=3), max_leaves=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.dictionaries(_TEXT, _JSON, max_size=3), st.booleans()), min_size=1, max_size=4),
       st.text(st.sampled_from(list("abt:,}]/\"\\") + ["\u00e9"]), min_size=1, max_size=3))
def test_random_documents_and_terms(tmp_path_factory, docs, term):
    # ensure_ascii=True writes \\uXXXX escapes for non-ASCII; False writes the characters
    raw = [{"inputs": json.dumps(d, ensure_ascii=a), "extra": json.dumps({"metadata": d}, ensure_ascii=a)}
           for d, a in docs]
    keys = sorted({k for d, _ in docs for k in d})[:2]
    lookups = [f"and(eq(metadata_key, {json.dumps(k)}), eq(metadata_value, {json.dumps(term)}))" for k in keys]
    _agree(tmp_path_factory.mktemp("docs"), raw, [f"search({json.dumps(term)})", *lookups])


@pytest.mark.parametrize("term", ["timeout", "a-b", "x_y"])
def test_pattern_is_used(term):
    assert "FILTERQL_DOC_CONTAINS_ASCII" in filterql.to_sql(f'search("{term}")', nested=True)
    assert "FILTERQL_DOC_CONTAINS_ASCII" not in filterql.to_sql(f'search("{term}")', nested=True, search_limit=250)


_PARQUET_DOCS = [  # (inputs text, extra text) as stored in a bulk export's string columns
    ('{"k": "timeout"}', '{"metadata": {"e": "production"}}'),
    ('{"k": "timeout"', '{"metadata": {"e": "production"}'),        # invalid JSON: no document at all
    ('{"k": "TİMEOUT"}', '{"metadata": {"e": ["production"]}}'),   # İ lowers to i in DuckDB
    ('{"k": "\u212aey"}', '{"metadata": {"e": "dev"}}'),            # the Kelvin sign lowers to k
    ('{"timeout": "x"}', '{"metadata": {"e": {"production": 1}}}'),
    ('["timeout"]', '{"metadata": 5}'),
    (None, None),
    ('{"k": "\\u0054IMEOUT"}', None),                               # the term spelled with an escape
    (None, '{"metadata": {"e": "\\u0074imeout"}}'),
    (None, '{"runtime": {"k": "timeout"}, "metadata": {"e": "x"}}'),  # in extra, outside metadata
    (None, '{"metadata": {"timeout": "x"}}'),                          # in metadata, as a key only
    (None, '{"metadata": {"k": "say \\"timeout\\""}}'),                 # escaped quotes around the term
]


def test_parquet_text_columns_match_the_flat_layout(tmp_path):
    """Raw text columns (maybe invalid JSON) give the flat layout's answers; DuckDB's lower() is the reference."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    runs = [_run(i) for i in range(len(_PARQUET_DOCS))]
    table = pa.table({
        **{k: [r[k] for r in runs] for k in ("id", "trace_id", "name", "run_type", "start_time")},
        "inputs": [d[0] for d in _PARQUET_DOCS], "extra": [d[1] for d in _PARQUET_DOCS]})
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path)
    nested, flat = open_engine(path, "duckdb"), open_engine(path, "duckdb", nested=False)
    for f in ['search("timeout")', 'search("key")', 'search(inputs, "out")', 'search("x")', 'eq(metadata_key, "e")',
              'and(eq(metadata_key, "e"), eq(metadata_value, "production"))', 'has(metadata, \'{"e": "production"}\')']:
        assert nested.select_ids(filter=f) == flat.select_ids(filter=f), f
    assert len(nested.select_ids(filter='search("timeout")')) == 5
