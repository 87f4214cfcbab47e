"""Numbers of any size (issue 11): a numeric literal is represented exactly or refused at check time.

The property: for any number text (thousands of digits, exponents of any length, on every numeric
field type), ``check`` either accepts it or reports ``bad-value`` naming the field's range; an
accepted filter compiles to SQL in every dialect and runs on the Python and DuckDB engines with the
same answer. A stage that expanded the exponent would hang here, not fail: the exponents drawn
reach 10**40, so such a stage never finishes.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

import filterql
from filterql.catalog import RUN_FIELDS as FIELDS, FieldType  # run filters: the run contexts
from filterql.coerce import RANGES
from filterql.sql import DIALECTS, select_ids, to_sql

from fuzz_budget import examples
from shared_data import shared_dir

RUNS = [json.loads(line) for line in (shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl").open()]
_NUMERIC = [name for name, spec in FIELDS.items() if spec.type in RANGES]


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    sign = draw(st.sampled_from(["", "-"]))
    whole = draw(st.one_of(st.integers(0, 10**6).map(str), st.integers(1, 5000).map(lambda n: "9" * n),
                           st.just("0" * draw(st.integers(1, 50)))))
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=300).map(lambda f: "." + f)))
    exponent = draw(st.one_of(st.just(""), st.integers(-10**40, 10**40).map(lambda e: f"e{e}"),
                              st.integers(-1100, 1100).map(lambda e: f"E{e:+d}")))
    return sign + whole + fraction + exponent


@settings(max_examples=examples(60), deadline=None)
@given(st.sampled_from(_NUMERIC), st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte"]), number_texts())
def test_any_number_is_exact_or_refused_with_its_range(field, op, text):
    source = f"{op}({field}, {text})"
    diagnostics = filterql.validate(source)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        assert [d.code for d in errors] == ["bad-value"], errors
        _, words = RANGES[FIELDS[field].type]
        assert words in errors[0].message or "too close to zero" in errors[0].message
        return
    for dialect in DIALECTS:
        assert to_sql(source, dialect=dialect)
    expected = [r["id"] for r in filterql.select(RUNS, filter=source)]
    assert select_ids(RUNS, filter=source, engine="duckdb") == expected


@pytest.mark.parametrize("source", [
    f"eq(total_tokens, {'9' * 4301})", "gt(latency, 1e4294)", "eq(total_tokens, 1e999990)",
    "eq(feedback_score, 1e99999999)", "eq(metadata_value, 1e20)", 'eq(total_cost, "1e999999999999999999999999")',
    'lt(latency, "999999999999999999h")', "gt(total_cost, 1e-1001)",
])
def test_the_reported_numbers_are_refused_at_check(source):
    (error,) = [d for d in filterql.validate(source) if d.is_error]
    assert error.code == "bad-value"


def test_numbers_inside_the_range_are_exact_on_both_engines():
    # One part in 1e300 above an integer: not on the integer grid, so eq is false and gte is gt.
    tiny = "6200." + "0" * 300 + "1"
    runs = RUNS
    for source, want in [(f"eq(total_tokens, {tiny})", False), (f"lt(total_tokens, {tiny})", True),
                         ("eq(total_tokens, 6200e0)", True), ("eq(total_tokens, 0.0062e6)", True),
                         ("gt(total_tokens, 0e1000000000000000000)", True)]:
        ids = [r["id"] for r in filterql.select(runs, filter=source)]
        assert ("77aa5f11-2ccd-54dc-9b0b-ec6e0357edce" in ids) is want, source
        assert select_ids(runs, filter=source, engine="duckdb") == ids


def test_family_strings_spelling_huge_numbers_cost_nothing():
    # A string literal meets a number's JSON text, which is plain: "1e999999" can never be one.
    assert filterql.select(RUNS, filter='eq(metadata_value, "1e999999")') == []
    assert select_ids(RUNS, filter='eq(metadata_value, "1e999999")', engine="duckdb") == []
