"""The JSON form: exact round trips, the documented schema, clean errors with a path."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from seed_filters import seed_filters
from strategies_syntax import syntax_trees

from filterql import FilterError, FilterJSONError, ast, from_json, parse
from filterql.jsonform import to_json
from filterql.ast import MAX_DEPTH


@settings(max_examples=300, deadline=None)
@given(syntax_trees())
def test_round_trip(tree: ast.Expr) -> None:
    obj = tree.to_json()
    assert from_json(obj) == tree
    # Through actual JSON text too (nothing but dicts, lists, strings, booleans and null).
    assert from_json(json.loads(json.dumps(obj))) == tree


def test_schema() -> None:
    e = parse('and(eq(feedback_score, 0.0), in(name, ["a", 1, true, null]), Foo(x), search("é"))')
    assert e.to_json() == {"call": "and", "args": [
        {"call": "eq", "args": [{"field": "feedback_score"}, {"number": "0.0"}]},
        {"call": "in", "args": [{"field": "name"}, {"list": [
            {"string": "a"}, {"number": "1"}, {"bool": True}, {"null": None}]}]},
        {"call": "Foo", "args": [{"field": "x"}]},
        {"call": "search", "args": [{"string": "é"}]},
    ]}
    assert to_json(parse('notlike(name, "%x")')) == {"call": "notlike", "args": [{"field": "name"}, {"string": "%x"}]}
    assert to_json(parse('search(name, "x")'))["args"][0] == {"field": "name"}


def test_from_json_gives_the_parsers_nodes() -> None:
    for text in seed_filters():
        tree = parse(text)
        rebuilt = from_json(to_json(tree))
        assert rebuilt == tree and type(rebuilt) is type(tree)
    assert isinstance(from_json({"call": "eq", "args": [{"field": "a"}, {"number": 1}]}), ast.Compare)
    assert from_json({"call": "eq", "args": [{"field": "a"}]}) == ast.Call("eq", [ast.Field("a")])


def test_const_is_written_as_its_literal() -> None:
    from filterql.validator import check

    typed = check('and(gt(latency, "5s"), in(run_type, ["llm"]))')
    assert to_json(typed) == to_json(parse('and(gt(latency, "5s"), in(run_type, ["llm"]))'))


BAD = [
    (5, "", "found a number"),
    ([], "", "found an array"),
    ({}, "", "no node key"),
    ({"call": "eq", "field": "a"}, "", "several node keys"),
    ({"string": "a", "extra": 1}, "", "unexpected key(s) 'extra'"),
    ({"call": "eq"}, "/args", "found null"),
    ({"call": "e q", "args": []}, "/call", "function name"),
    ({"call": 7, "args": []}, "/call", "function name"),
    ({"call": "eq", "args": [{"field": "a..b"}]}, "/args/0/field", "field name"),
    ({"call": "eq", "args": [{"field": "null"}]}, "/args/0/field", "not true/false/null"),
    ({"call": "eq", "args": [{"field": "a"}, {"number": 1.5}]}, "/args/1/number", "number as text"),
    ({"call": "eq", "args": [{"field": "a"}, {"number": "1."}]}, "/args/1/number", "number as text"),
    ({"call": "eq", "args": [{"field": "a"}, {"number": True}]}, "/args/1/number", "number as text"),
    ({"call": "eq", "args": [{"field": "a"}, {"string": None}]}, "/args/1/string", "expected a string"),
    ({"call": "eq", "args": [{"field": "a"}, {"bool": "true"}]}, "/args/1/bool", "true or false"),
    ({"call": "eq", "args": [{"field": "a"}, {"null": 0}]}, "/args/1/null", "expected null"),
    ({"call": "in", "args": [{"field": "a"}, {"list": {"string": "x"}}]}, "/args/1/list", "array of literal"),
    ({"call": "in", "args": [{"field": "a"}, {"list": [{"field": "x"}]}]}, "/args/1/list/0", "only string"),
    ({"call": "in", "args": [{"field": "a"}, {"list": [{"list": []}]}]}, "/args/1/list/0", "only string"),
    ({"call": "and", "args": [{"call": "eq", "args": [None]}]}, "/args/0/args/0", "found null"),
]


@pytest.mark.parametrize("obj, path, message", BAD)
def test_malformed_input_names_the_path(obj: object, path: str, message: str) -> None:
    with pytest.raises(FilterJSONError) as info:
        from_json(obj)
    assert info.value.path == path
    assert message in info.value.message
    assert str(info.value) == f"at {path or '/'}: {info.value.message}"
    assert isinstance(info.value, FilterError)


def test_depth_limit_matches_the_parser() -> None:
    def nested(levels: int) -> dict:
        obj: dict = {"call": "search", "args": [{"string": "x"}]}
        for _ in range(levels - 1):
            obj = {"call": "not", "args": [obj]}
        return obj

    assert isinstance(from_json(nested(MAX_DEPTH)), ast.Not)
    with pytest.raises(FilterJSONError, match="deeper than 128"):
        from_json(nested(MAX_DEPTH + 1))
    with pytest.raises(FilterJSONError, match="deeper than 128"):
        from_json(nested(10_000))
