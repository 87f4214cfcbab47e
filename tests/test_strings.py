"""Strings every engine can store (issue 11): a lone surrogate is refused at check time, everywhere.

The property: for any text (lone surrogates included) in any string position of a filter,
``check`` either refuses it with ``bad-value`` (exactly when the text holds a lone surrogate) or
the filter compiles in every SQL dialect and the Python and DuckDB engines agree.
"""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

import filterql
from filterql.renderer import render
from filterql import ast
from filterql.sql import DIALECTS, select_ids, to_sql

from fuzz_budget import examples
from shared_data import shared_dir

RUNS = [json.loads(line) for line in (shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl").open()]
_TEMPLATES = ['eq(name, {s})', 'like(name, {s})', 'search({s})', 'has(tags, {s})', 'eq(metadata_key, {s})',
              'and(eq(metadata_key, "user_id"), eq(metadata_value, {s}))', 'in(run_type, ["llm", {s}])',
              'search(inputs, {s})', 'eq(feedback_key, {s})']


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=examples(40), deadline=None)
@given(st.sampled_from(_TEMPLATES),
       st.text(st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)), max_size=6))
def test_a_string_is_refused_exactly_when_utf8_cannot_hold_it(template, text):
    source = template.format(s=render(ast.String(text)))
    errors = [d for d in filterql.validate(source) if d.is_error]
    if not _encodable(text):
        assert "bad-value" in [d.code for d in errors] and "lone surrogate" in str(errors)
        return
    if errors:  # e.g. an empty search term: refused for its own reason, never a crash
        return
    for dialect in DIALECTS:
        assert to_sql(source, dialect=dialect)
    expected = [r["id"] for r in filterql.select(RUNS, filter=source)]
    assert select_ids(RUNS, filter=source, engine="duckdb") == expected


def test_a_surrogate_inside_has_metadata_json_is_refused():
    (error,) = filterql.validate("""has(metadata, '{"a": "\\\\ud800"}')""")
    assert error.code == "bad-value" and "lone surrogate" in error.message


def test_a_surrogate_pair_is_one_character_and_runs_everywhere():
    source = 'eq(name, "\\ud83d\\ude00")'
    assert filterql.validate(source) == []
    assert select_ids(RUNS, filter=source, engine="duckdb") == [] == filterql.select(RUNS, filter=source)
