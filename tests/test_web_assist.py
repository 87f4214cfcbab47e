"""The page's editor endpoints as functions: diagnostics with UTF-16 spans and one-click
suggestions, the catalog, format, explain, and the query as code."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings

import filterql
from filterql import builder
from filterql.builder_code import IMPORTS, to_builder_code
from filterql.web import assist
from strategies import run_lists, typed_filters

_NAMESPACE = {"Decimal": Decimal, **{name: getattr(builder, name) for name in builder.__all__}}


def _build(code: str) -> filterql.Expr:
    return eval(code, dict(_NAMESPACE))  # noqa: S307 - code generated from our own tree


def test_imports_line_names_everything_the_code_uses():
    namespace: dict = {}
    exec(IMPORTS, namespace)  # noqa: S102
    assert {"Decimal", "field", "and_", "or_", "not_", "has", "exists", "in_", "like", "notlike", "search"} <= set(namespace)


@settings(max_examples=60, deadline=None)
@given(typed_filters(), run_lists())
def test_builder_code_means_the_same_filter(expr, runs):
    built = _build(to_builder_code(expr))
    assert filterql.select(runs, filter=built, select=["id"]) == filterql.select(runs, filter=expr, select=["id"])


def test_builder_code_is_the_expression_a_user_writes():
    expr = filterql.parse('and(eq(run_type, "llm"), gt(latency, "5s"), not(has(tags, "x")), in(name, ["a", "b"]))')
    assert to_builder_code(expr) == (
        "and_((field('run_type') == 'llm'), (field('latency') > '5s'), not_(has('tags', 'x')), in_('name', ['a', 'b']))"
    )
    assert _build(to_builder_code(expr)) == expr


def test_unknown_function_has_no_builder_code():
    try:
        to_builder_code(filterql.parse("foo(name)"))
    except TypeError as e:
        assert "foo" in str(e)
    else:
        raise AssertionError("an untyped call rendered")


def test_check_reports_spans_and_replacements():
    out = assist.check_filter('eq(run_tipe, "llm")')
    assert out["valid"] is False
    (d,) = out["diagnostics"]
    assert (d["code"], d["start"], d["end"]) == ("unknown-field", 3, 11)
    assert [s["text"] for s in d["suggestions"]] == ["run_type", "end_time"]


def _apply(text: str, s: dict) -> str:
    return text[:s["start"]] + s["text"] + text[s["end"]:]


def test_suggested_value_is_quoted_and_function_name_alone_is_replaced():
    text = 'eq(run_type, "lm")'
    (value,) = assist.check_filter(text)["diagnostics"][0]["suggestions"]
    assert text[value["start"]:value["end"]] == '"lm"' and value["text"] == '"llm"'
    assert assist.check_filter(_apply(text, value)) == {"valid": True, "diagnostics": []}
    text = 'and(eqq(name, "x"), eq(run_type, "llm"))'
    function = assist.check_filter(text)["diagnostics"][0]["suggestions"][0]
    assert text[function["start"]:function["end"]] == "eqq" and function["text"] == "eq"
    assert assist.check_filter(_apply(text, function)) == {"valid": True, "diagnostics": []}


def test_offsets_count_utf16_units_past_astral_characters():
    text = 'and(eq(name, "😀😀"), eq(run_tipe, "llm"))'
    (d,) = assist.check_filter(text)["diagnostics"]
    js = text.encode("utf-16-le")
    assert js[2 * d["start"]:2 * d["end"]].decode("utf-16-le") == "run_tipe"


def test_syntax_error_and_warning_have_severity_and_span():
    (d,) = assist.check_filter('eq(name "x")')["diagnostics"]
    assert d["kind"] == "syntax" and d["severity"] == "error" and d["end"] > d["start"]
    assert assist.check_filter('neq(error, null)', profile="langsmith-v1")["diagnostics"][0]["code"] == "server-neq-error-null"


def test_catalog_lists_fields_per_context_and_every_function():
    out = assist.catalog_json()
    names = {f["name"]: f for f in out["fields"]}
    assert names["run_type"]["choices"] == list(filterql.catalog.RUN_TYPES)
    assert "filter" in names["latency"]["contexts"]
    assert {f["name"] for f in out["functions"]} == set(filterql.ast.FUNCTION_NAMES)


def test_format_and_explain():
    assert assist.format_filter('and(eq(name,"a"))')["canonical"] == 'and(eq(name, "a"))'
    out = assist.explain_filter('and(eq(name, "a"), eq(name, "a"))')
    assert out["result"] == 'eq(name, "a")' and out["steps"]


def test_query_code_is_runnable_python():
    code = assist.query_code({"project_name": "p", "filter": 'eq(run_type, "llm")', "is_root": True, "trace_filter": "bad("})
    assert code["list_runs"].endswith("client.list_runs(project_name='p', filter='eq(run_type, \"llm\")', is_root=True, trace_filter='bad(')")
    namespace: dict = {}
    exec(code["builder"], namespace)  # noqa: S102
    assert namespace["filter"] == filterql.parse('eq(run_type, "llm")')
    assert "# trace_filter: no builder expression" in code["builder"]


def test_query_code_has_the_v2_call_from_migrate_query():
    code = assist.query_code({"project_name": "p", "project_id": "00000000-0000-4000-8000-000000000001",
                              "filter": 'eq(run_type, "llm")', "is_root": True, "limit": 25})
    v2 = code["runs.query_v2"]
    assert "client.runs.query_v2(filter='eq(run_type, \"llm\")', is_root=True, " in v2
    assert "project_ids=['00000000-0000-4000-8000-000000000001'], page_size=25" in v2
    assert "project_id" not in code["list_runs"]
    refused = assist.query_code({"filter": "eq(name, 'x')", "order": "asc"})["runs.query_v2"]
    assert refused.startswith("# inside") and "no runs.query_v2 equivalent: order" in refused
