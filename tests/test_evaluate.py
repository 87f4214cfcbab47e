"""Unit tests of the evaluator, select(), run sources and `filterql match`, rule by rule (docs/semantics.md)."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from conftest import make_run, run_id
from hypothesis import given, settings
from hypothesis import strategies as st

from filterql import FilterError, FilterValidationError, ast, compile, read_runs, select
from filterql import evaluate as E
from filterql import lowering
from filterql import select as _select_fn
from filterql.cli import main
from filterql.like import like_matcher, parse_like
from filterql.run_files import RunSourceError

ROOT = run_id(1)


def run(**fields):
    return make_run(1, **fields)


def m(filter, r, **kw):
    result = compile(filter, **kw)(r)
    assert result is True or result is False
    return result


# ------------------------------------------------------------------ nulls


@pytest.mark.parametrize("filter, missing, present_x, present_y", [
    ('eq(error, null)', True, False, False),
    ('neq(error, null)', False, True, True),
    ('eq(error, "x")', False, True, False),
    ('neq(error, "x")', False, False, True),
    ('not(eq(error, "x"))', True, False, True),
    ('like(error, "%")', False, True, True),
    ('notlike(error, "x")', False, False, True),
    ('in(error, ["x"])', False, True, False),
    ('search(error, "x")', False, True, False),
])
def test_null_rules(filter, missing, present_x, present_y):
    assert m(filter, run()) is missing
    assert m(filter, run(error=None)) is missing
    assert m(filter, run(error="x")) is present_x
    assert m(filter, run(error="y")) is present_y


def test_missing_list_and_objects_make_conditions_false():
    bare = run()
    for f in ['has(tags, "a")', 'in(tags, ["a"])', 'exists(metadata, "a")', 'gt(total_tokens, 0)', 'lt(total_tokens, 0)',
              'neq(total_tokens, 1)', 'eq(in_dataset, false)', 'neq(in_dataset, true)', 'gt(end_time, "2000-01-01")']:
        assert not m(f, bare), f
    assert m('eq(total_tokens, null)', bare) and m('eq(in_dataset, null)', bare)


def test_is_root_and_thread_id_fields():
    child = run(parent_run_id=ROOT, metadata={"session_id": "s", "conversation_id": "c"})
    assert m("eq(is_root, true)", run()) and not m("eq(is_root, true)", child)
    assert m("eq(is_root, false)", child) and m("neq(is_root, true)", child)
    assert m('eq(thread_id, "s")', child)  # thread_id before session_id before conversation_id
    assert m('eq(thread_id, "t")', run(metadata={"conversation_id": "c", "thread_id": "t"}))
    assert m('eq(thread_id, "c")', run(metadata={"thread_id": None, "conversation_id": "c"}))
    assert m("eq(thread_id, null)", run())


# ------------------------------------------------------------ values


def test_latency_is_exact():
    two = run(start_time="2024-05-01T10:00:00.000000Z", end_time="2024-05-01T10:00:02.000000Z")
    assert m('lte(latency, "2s")', two) and m("eq(latency, 2)", two) and m('gte(latency, "2000ms")', two)
    assert not m('gt(latency, "2s")', two) and not m('lt(latency, 2)', two)
    tenth = run(start_time="2024-05-01T10:00:00.1Z", end_time="2024-05-01T10:00:00.3Z")
    assert m("eq(latency, 0.2)", tenth)  # 0.3 - 0.1 with floats would be 0.19999999999999998
    assert m('eq(latency, "200ms")', tenth)
    running = run(end_time=None)
    assert m("eq(latency, null)", running) and not m('gt(latency, "0s")', running) and not m("neq(latency, 1)", running)
    assert m('gt(latency, "1m")', run(end_time="2024-05-01T11:00:00+01:00") | {"end_time": "2024-05-01T10:01:00.5Z"})


def test_timestamps_compare_as_utc_instants():
    r = run(start_time="2024-05-01T12:00:00+02:00")  # 10:00 UTC
    assert m('eq(start_time, "2024-05-01T10:00:00Z")', r)
    assert m('eq(start_time, "2024-05-01T10:00:00")', r)  # no offset: UTC
    assert m('gt(start_time, "2024-05-01")', r) and m('lt(start_time, "2024-05-02")', r)  # a date: midnight UTC
    assert m('eq(start_time, "2024-05-01T05:00:00-05:00")', r)
    naive = run(start_time="2024-05-01T10:00:00")
    assert m('eq(start_time, "2024-05-01T10:00:00Z")', naive)


def test_numbers_compare_exactly_across_kinds():
    assert m("eq(total_cost, 0.1)", run(total_cost=0.1))  # a float read through its shortest text
    assert m("eq(total_cost, 0.1)", run(total_cost="0.100"))  # costs arrive as strings
    assert m('gt(total_cost, "0.05")', run(total_cost="0.1"))
    assert m("in(total_cost, [1, 0.1])", run(total_cost=0.1))
    assert m("gte(total_tokens, 5100)", run(total_tokens=5100)) and not m("gt(total_tokens, 5100)", run(total_tokens=5100))
    assert m("eq(total_tokens, 5.0)", run(total_tokens=5))
    assert not m("eq(total_tokens, 1)", run(total_tokens=True))  # a boolean is not a number


def test_uuid_fields_accept_any_spelling_of_the_id():
    upper = run(parent_run_id=ROOT.upper())
    assert m(f'eq(parent_run_id, "{ROOT}")', upper)
    assert m(f'in(parent_run_id, ["{ROOT}"])', upper)
    assert m(f'eq(id, "{ROOT}")', run(id=uuid.UUID(ROOT)))
    assert not m(f'neq(id, "{ROOT}")', run()) and m(f'neq(parent_run_id, "{ROOT}")', run(parent_run_id=str(uuid.uuid4())))


def test_strings_are_case_sensitive_and_exact():
    assert m('eq(name, "Chat")', run(name="Chat")) and not m('eq(name, "chat")', run(name="Chat"))
    assert m('in(run_type, ["llm", "chain"])', run()) and not m('in(run_type, ["llm"])', run())


# ----------------------------------------------------------------- tags, has, exists


def test_tags():
    r = run(tags=["prod", "v2"])
    assert m('has(tags, "prod")', r) and not m('has(tags, "pro")', r)
    assert m('in(tags, ["x", "v2"])', r) and not m('in(tags, ["x"])', r)
    assert not m('has(tags, "prod")', run(tags=[]))


@pytest.mark.parametrize("blob, metadata, expected", [
    ('{"environment": "production"}', {"environment": "production", "x": 1}, True),
    ('{"environment": "production"}', {"environment": "staging"}, False),
    ('{"a": {"b": 1}}', {"a": {"b": 1, "c": 2}}, True),
    ('{"a": 1}', {"a": [1, 2]}, True),  # array collapsing
    ('{"a": 1.0}', {"a": 1}, True),  # numbers numerically
    ('{"a": "5"}', {"a": 5}, False),  # same JSON type
    ('{"a": true}', {"a": 1}, False),
    ('{"a": null}', {"a": None}, True),
    ('{"a": 1, "b": 2}', {"a": 1}, False),
    ('{"a.b": 1}', {"a": {"b": 1}}, True),  # flattened keys
    ('{}', {}, True),  # no leaves: every run
])
def test_has_metadata_subset(blob, metadata, expected):
    assert m(f"has(metadata, '{blob}')", run(metadata=metadata)) is expected
    if blob == "{}":
        assert m("has(metadata, '{}')", run())


def test_exists_takes_dotted_keys_and_prefixes():
    r = run(metadata={"a": {"b": 1}, "n": None, "e": {}}, inputs={"q": [{"x": "1"}]})
    assert m('exists(metadata, "a")', r) and m('exists(metadata, "a.b")', r) and not m('exists(metadata, "a.c")', r)
    assert m('exists(metadata, "n")', r)  # a null leaf is an entry
    assert not m('exists(metadata, "e")', r)  # an empty object gives no entry
    assert not m('exists(metadata, "a.")', r) and not m('exists(metadata, "ab")', run(metadata={"abc": 1}))
    assert m('exists(inputs, "q.x")', r) and not m('exists(outputs, "q")', r)


# -------------------------------------------------------------- families

PHONE = run(metadata={"phone": 555, "environment": "production"})


@pytest.mark.parametrize("filter, expected", [
    ('and(eq(metadata_key, "phone"), eq(metadata_value, "production"))', False),  # the naive-evaluator trap
    ('and(eq(metadata_key, "environment"), eq(metadata_value, "production"))', True),
    ('and(eq(metadata_key, "phone"), eq(metadata_value, 555))', True),
    ('and(eq(metadata_key, "phone"), eq(metadata_value, "555"))', True),  # a string meets a number's JSON text
    ('eq(metadata_key, "phone")', True),
    ('neq(metadata_key, "phone")', False),
    ('neq(metadata_key, "fax")', True),
    ('eq(metadata_value, "production")', True),
    ('neq(metadata_value, "production")', False),
    ('neq(metadata_value, "staging")', True),
    ('and(eq(metadata_key, "phone"), neq(metadata_value, "production"))', True),
    ('and(eq(metadata_key, "environment"), neq(metadata_value, "production"))', False),
    ('and(neq(metadata_key, "fax"), neq(metadata_value, "staging"))', True),
    ('and(neq(metadata_key, "phone"), eq(metadata_value, "production"))', False),
    ('and(neq(metadata_key, "fax"), eq(metadata_value, "production"))', True),
    ('and(in(metadata_key, ["fax", "phone"]), eq(metadata_value, 555))', True),
    ('and(in(metadata_key, ["fax", "phone"]), eq(metadata_value, "production"))', False),
    ('and(like(metadata_key, "env%"), like(metadata_value, "prod%"))', True),
    ('and(like(metadata_key, "ph%"), like(metadata_value, "prod%"))', False),
    ('and(eq(metadata_key, "phone"), lt(metadata_value, 600))', True),
    ('and(eq(metadata_key, "environment"), lt(metadata_value, 600))', False),
    # or / not never bind; nested and is its own scope
    ('or(eq(metadata_key, "phone"), eq(metadata_value, "nothing"))', True),
    ('and(eq(metadata_key, "phone"), or(eq(metadata_value, "production")))', True),
    ('and(eq(metadata_key, "phone"), not(neq(metadata_value, "production")))', True),
    ('and(and(eq(metadata_key, "phone"), eq(metadata_value, 555)), and(eq(metadata_key, "environment"), eq(metadata_value, "production")))', True),
    ('and(and(eq(metadata_key, "phone"), eq(metadata_value, "production")), eq(name, "r"))', False),
    # two positive key conditions in one scope bind to one entry
    ('and(eq(metadata_key, "phone"), eq(metadata_key, "environment"))', False),
    ('and(eq(metadata_key, "phone"), eq(metadata_key, "phone"))', True),
    # ordering applies within a type only; booleans never order
    ('and(eq(metadata_key, "phone"), gt(metadata_value, "1"))', False),
    ('and(eq(metadata_key, "environment"), gt(metadata_value, "p"))', True),
])
def test_binding_scopes(filter, expected):
    assert m(filter, PHONE) is expected


def test_family_values_keep_their_json_type():
    r = run(metadata={"n": 5, "f": 1.5, "t": True, "s": "5", "z": None, "w": 5.0})
    assert m('and(eq(metadata_key, "n"), eq(metadata_value, "5"))', r)
    assert m('and(eq(metadata_key, "w"), eq(metadata_value, "5"))', r)  # 5.0's shortest text is 5
    assert not m('and(eq(metadata_key, "w"), eq(metadata_value, "5.0"))', r)
    assert m('and(eq(metadata_key, "f"), eq(metadata_value, "1.5"))', r)
    assert m('and(eq(metadata_key, "t"), eq(metadata_value, "true"))', r)
    assert m('and(eq(metadata_key, "t"), eq(metadata_value, true))', r)
    assert not m('and(eq(metadata_key, "t"), eq(metadata_value, 1))', r)
    assert not m('and(eq(metadata_key, "s"), eq(metadata_value, 5))', r)  # a number literal meets numbers only
    assert m('and(eq(metadata_key, "n"), eq(metadata_value, 5.0))', r)
    assert m('and(eq(metadata_key, "z"), eq(metadata_value, null))', r)
    assert not m('and(eq(metadata_key, "z"), neq(metadata_value, "x"))', r)  # null: every comparison false
    assert m('and(eq(metadata_key, "z"), neq(metadata_value, null))', run(metadata={"z": 1}))
    assert m('and(eq(metadata_key, "n"), like(metadata_value, "5"))', r)  # like meets a number's text
    assert m('and(eq(metadata_key, "t"), like(metadata_value, "tr%"))', r)
    assert not m('and(eq(metadata_key, "s"), gt(metadata_value, 4))', r)  # across types: false
    assert m('and(eq(metadata_key, "s"), gt(metadata_value, "4"))', r)
    assert not m('and(eq(metadata_key, "t"), gte(metadata_value, true))', r)
    assert m('in(metadata_value, ["x", 1.5])', r) and not m('in(metadata_value, ["1.50"])', r)


def test_nested_arrays_and_dotted_keys_flatten():
    r = run(outputs={"documents": [{"page_content": "A"}, {"page_content": "B", "meta": {"k": [["deep"]]}}]},
            inputs={"t": [["x", ["y"]], []], "e": {}, "a.b": 1})
    assert m('and(eq(output_key, "documents.page_content"), eq(output_value, "B"))', r)
    assert m('and(eq(output_key, "documents.meta.k"), eq(output_value, "deep"))', r)
    assert m('and(eq(input_key, "t"), eq(input_value, "y"))', r)
    assert not m('eq(input_key, "e")', r)  # empty object: no entry
    assert m('and(eq(input_key, "a.b"), eq(input_value, 1))', r)
    assert m('and(eq(input_key, "a.b"), eq(input_value, 1))', run(inputs={"a": {"b": 1}}))
    assert not m('and(eq(input_key, "t"), eq(input_value, "deep"))', r)


def test_feedback_from_list_or_stats():
    stats = run(feedback_stats={"correctness": {"n": 2, "avg": 0.5}, "user_score": {"n": 1, "avg": 1}})
    assert m('and(eq(feedback_key, "correctness"), eq(feedback_score, 0.5))', stats)
    assert not m('and(eq(feedback_key, "correctness"), eq(feedback_score, 1))', stats)
    assert m("eq(feedback_score, 1)", stats) and m("eq(feedback_value, null)", stats)
    listed = run(feedback=[{"key": "s", "score": 5, "value": "good"}, {"key": "t", "score": 1, "value": None}],
                 feedback_stats={"correctness": {"n": 1, "avg": 1}})
    assert m('and(eq(feedback_key, "s"), gt(feedback_score, 4), eq(feedback_value, "good"))', listed)
    assert not m('and(eq(feedback_key, "t"), gt(feedback_score, 4))', listed)
    assert not m('eq(feedback_key, "correctness")', listed)  # the list, when present, wins over stats
    assert m('and(eq(feedback_key, "s"), eq(feedback_score, true))', run(feedback=[{"key": "s", "score": 1}]))
    assert m('neq(feedback_key, "s")', run()) and not m('eq(feedback_score, 0)', run())


# ------------------------------------------------------------------ like


@pytest.mark.parametrize("pattern, value, expected", [
    ("Chat%", "ChatOpenAI", True), ("%AI", "ChatOpenAI", True), ("%Open%", "ChatOpenAI", True),
    ("chat%", "ChatOpenAI", False), ("Chat", "ChatOpenAI", False), ("C_at%", "ChatOpenAI", True),
    ("_", "", False), ("_", "é", True), ("%", "", True), ("", "", True), ("a\\%b", "a%b", True),
    ("a\\%b", "axb", False), ("a\\_b", "a_b", True), ("a\\_b", "axb", False), ("100\\%", "100%", True),
    ("a\\\\b", "a\\b", True), ("%a%b%a%", "xaxbxa", True), ("%a%b%a%", "xaxbx", False), ("a%a", "a", False),
    ("a%a", "aa", True), ("%_%_%", "ab", True), ("%_%_%", "a", False), ("[a]%", "[a]x", True), (".*", "ab", False),
    ("x\\", "x\\", True),
])
def test_like(pattern, value, expected):
    assert like_matcher(pattern)(value) is expected
    escaped = pattern.replace("\\", "\\\\").replace('"', '\\"')
    assert m(f'like(name, "{escaped}")', run(name=value)) is expected
    assert m(f'notlike(name, "{escaped}")', run(name=value)) is (not expected)


def _like_dp(value, pattern):
    toks, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            toks.append(pattern[i + 1])
            i += 2
            continue
        toks.append({"%": None, "_": ...}.get(pattern[i], pattern[i]))
        i += 1
    ok = [True] + [False] * len(value)
    for t in toks:
        new = [False] * (len(value) + 1)
        for j in range(len(value) + 1):
            new[j] = (ok[j] or j > 0 and new[j - 1]) if t is None else (
                j > 0 and ok[j - 1] and (t is ... or t == value[j - 1]))
        ok = new
    return ok[-1]


@settings(max_examples=300, deadline=None)
@given(st.text("ab%_\\", max_size=8), st.text("ab%_\\", max_size=10))
def test_like_agrees_with_a_dynamic_program(pattern, value):
    assert like_matcher(pattern)(value) == _like_dp(value, pattern)


def test_hostile_like_pattern_is_linear():
    hostile = compile('like(name, "%%%%%%%%%%%%%%%%%%%%%%%%%%b")')
    evil = compile('like(name, "%a%a%a%a%a%a%a%a%a%a%a%a%a%ab")')
    long_name = run(name="a" * 200_000)
    assert not hostile(long_name) and not evil(long_name)
    assert hostile(run(name="a" * 200_000 + "b"))


class _Probe(str):
    """A value that records every substring search the matcher makes in it."""

    def find(self, sub, start=None, end=None):  # type: ignore[override]
        self.searches.append((sub, start))
        return str.find(self, sub, start, end)


@pytest.mark.parametrize("pattern", ["%a%a%a%a%a%a%a%a%a%a%a%a%a%ab", "%ab%ab%ab%x%", "a%a%a%a%a%b"])
def test_like_never_revisits_a_choice(pattern):
    """Work counted, not timed: one search per segment, each starting where the previous match ended,
    so a pattern costs at most (value length x segment length) whatever the value."""
    segments = [s for s in parse_like(pattern).segments[1:-1] if s]
    for value in ("a" * 100_000, "ab" * 50_000 + "x", "a" * 99_999 + "b"):
        probe = _Probe(value)
        probe.searches = []
        like_matcher(pattern)(probe)
        assert len(probe.searches) <= len(segments)
        starts = [start for _, start in probe.searches]
        assert starts == sorted(starts)


# ----------------------------------------------------------------- search


def test_search_terms_are_anded_in_any_order_case_insensitive():
    r = run(name="ChatOpenAI", error="Timeout", tags=["Prod"], inputs={"q": ["Image classification", 42]},
            outputs={"answer_key": "labels"}, metadata={"env": "Staging"})
    assert m('search("classification IMAGE")', r) and m('search("chat timeout prod staging labels")', r)
    assert not m('search("answer_key")', r)  # keys are not indexed
    assert not m('search("42")', r)  # numbers are not indexed
    assert not m('search("image nothing")', r)
    assert not m('search("openaitimeout")', r)  # a term lies within one value
    assert m('search(inputs, "image")', r) and not m('search(outputs, "image")', r)
    assert m('search(name, "openai")', r) and m('search(tags, "prod")', r) and m('search(metadata, "stag")', r)
    assert m('search(error, "time")', r) and not m('search(error, "chat")', r)


def test_search_limit_reproduces_the_250_character_index():
    r = run(inputs={"text": "x" * 300 + " needle"})
    assert m('search("needle")', r)
    assert not m('search("needle")', r, search_limit=250)
    assert m('search("xxx")', r, search_limit=250)
    with pytest.raises(ValueError):
        compile('search("x")', search_limit=0)


# -------------------------------------------------------------- compile API


def test_compile_returns_a_cached_predicate_with_its_source():
    p = compile('eq(name, "x")')
    assert p is compile('eq(name, "x")')
    assert p is not compile('eq(name, "x")', "tree_filter")
    assert "d.get('name') == 'x'" in p.source
    assert isinstance(p.expr, ast.Compare) and isinstance(p.expr.value, ast.Const)


def test_compile_accepts_an_ast_and_rejects_invalid_filters():
    from filterql import parse

    assert compile(parse('eq(name, "r")'))(run())
    with pytest.raises(FilterValidationError) as info:
        compile('gt(tags, 5)')
    assert info.value.diagnostics
    with pytest.raises(FilterError):
        compile('eq(name "x")')


def test_every_expression_node_has_a_rule():
    expr_nodes = {c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.Expr) and c is not ast.Expr}
    assert expr_nodes <= set(lowering.RULES)  # the evaluator prints the plan (tests/test_plan.py)
    with pytest.raises(TypeError, match="Call"):
        lowering.lower(ast.Call("f", []))  # an untyped call never passes validation
    with pytest.raises(TypeError, match="Call"):
        E._Gen(None, True, {}).expr(ast.Call("f", []))


def test_langsmith_run_objects():
    from langsmith import schemas  # the [test] extra installs it
    obj = schemas.Run(id=uuid.UUID(ROOT), trace_id=uuid.UUID(ROOT), name="x", run_type="llm",
                      start_time=datetime(2024, 5, 1, 10, tzinfo=timezone.utc),
                      end_time=datetime(2024, 5, 1, 10, 0, 3, tzinfo=timezone.utc), extra={"metadata": {"k": "v"}},
                      inputs={"q": "hello"}, tags=["t"], total_cost=Decimal("0.5"))
    p = compile('and(eq(run_type, "llm"), gt(latency, "2s"), has(tags, "t"), eq(total_cost, 0.5), '
                f'and(eq(metadata_key, "k"), eq(metadata_value, "v")), search("hello"), eq(id, "{ROOT}"))')
    assert p(obj)
    assert select([obj], filter='eq(name, "x")') == [obj]
    assert m('eq(start_time, "2024-05-01T10:00:00Z")', obj.model_dump())  # the python form: datetime, UUID values


# ------------------------------------------------------------------ select

T1, T2 = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1"


def _trace():
    ids = [f"00000000-0000-4000-8000-0000000000a{i}" for i in range(1, 5)]
    return [
        run(id=ids[0], trace_id=T1, name="root", start_time="2024-05-01T10:00:00Z", tags=["prod"]),
        run(id=ids[1], trace_id=T1, parent_run_id=ids[0], name="llm", run_type="llm", start_time="2024-05-01T10:00:01Z"),
        run(id=ids[2], trace_id=T1, parent_run_id=ids[1], name="tool", start_time="2024-05-01T10:00:01Z", error="boom"),
        run(id=ids[3], trace_id=T1, parent_run_id=ids[0], name="last", start_time="2024-05-01T10:00:02Z"),
        run(id=T2, trace_id=T2, name="other", start_time="2024-05-01T09:00:00Z"),
        run(id="00000000-0000-4000-8000-0000000000c2", trace_id="00000000-0000-4000-8000-0000000000c1",
            parent_run_id="00000000-0000-4000-8000-0000000000c1", name="orphan", start_time="2024-05-01T08:00:00Z"),
    ]


def _names(runs):
    return [r["name"] for r in runs]


def test_select_orders_newest_first_then_by_id_and_limits():
    runs = _trace()
    assert _names(select(runs)) == ["last", "llm", "tool", "root", "other", "orphan"]  # llm and tool tie: by id
    assert _names(select(runs, limit=2)) == ["last", "llm"]
    assert select(runs, limit=0) == []


def test_select_trace_and_tree_filters():
    runs = _trace()
    assert set(_names(select(runs, trace_filter='has(tags, "prod")'))) == {"root", "llm", "tool", "last"}
    assert _names(select(runs, trace_filter='eq(name, "orphan")')) == []  # its root is not among the runs
    assert set(_names(select(runs, tree_filter="neq(error, null)"))) == {"root", "llm", "tool", "last"}
    assert _names(select(runs, tree_filter='eq(name, "other")')) == ["other"]
    assert _names(select(runs, filter='eq(run_type, "llm")', tree_filter='eq(name, "tool")')) == ["llm"]
    assert _names(select(iter(runs), tree_filter='eq(name, "tool")', is_root=True)) == ["root"]  # a one-shot iterator


def test_tree_filter_evaluates_each_run_once(monkeypatch):
    calls = []
    real = _select_fn.__globals__["compile"]

    def counting(text, context, **kw):
        pred = real(text, context, **kw)
        return lambda d: calls.append(d["id"]) or pred(d)

    monkeypatch.setitem(_select_fn.__globals__, "compile", counting)
    runs = _trace() * 1
    select(runs, tree_filter='eq(name, "zzz")')
    assert sorted(calls) == sorted(r["id"] for r in runs)


def test_select_keyword_arguments_and_run_ids():
    runs = _trace()
    assert _names(select(runs, is_root=True)) == ["root", "other"]
    assert _names(select(runs, is_root=False, run_type="llm")) == ["llm"]
    assert _names(select(runs, error=True)) == ["tool"]
    assert _names(select(runs, start_time="2024-05-01T10:00:01Z")) == ["last", "llm", "tool"]
    assert _names(select(runs, trace_id=T2)) == ["other"]
    assert _names(select(runs, parent_run_id="00000000-0000-4000-8000-0000000000a1")) == ["last", "llm"]
    only = select(runs, run_ids=[T2.upper()], filter='eq(name, "nothing")', is_root=False, error=True)
    assert _names(only) == ["other"]  # run_ids ignore every other filtering argument


def test_select_projection():
    runs = _trace()
    out = select(runs, select=["name", "child_run_ids", "nope"], trace_id=T1, limit=1, is_root=True)
    assert out == [{"id": runs[0]["id"], "name": "root", "child_run_ids": [runs[1]["id"], runs[3]["id"]], "nope": None}]
    timed = run(end_time="2024-05-01T10:00:01.5Z", metadata={"thread_id": "t"})
    assert select([timed], select=["latency", "thread_id", "is_root", "metadata"]) == [
        {"id": ROOT, "latency": 1.5, "thread_id": "t", "is_root": True, "metadata": {"thread_id": "t"}}]


def test_select_rejects_bad_arguments():
    with pytest.raises(FilterValidationError):
        select(_trace(), tree_filter="eq(nmae, 1)")
    with pytest.raises(ValueError):
        select(_trace(), limit=-1)


# ------------------------------------------------------------------ sources


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_errors_name_file_and_line(tmp_path):
    good = json.dumps(run())
    f = _write(tmp_path / "runs.jsonl", [good, "", "{not json", json.dumps({"id": "x", "name": "y"}), good])
    with pytest.raises(RunSourceError) as info:
        list(read_runs(f))
    assert info.value.line == 3 and str(info.value).startswith(f"{f}:3: malformed JSON")
    reader = read_runs(f, skip_invalid=True)
    assert len(list(reader)) == 2 and reader.skipped == 2
    assert "missing required fields trace_id, run_type, start_time" in str(reader.problems[1])
    assert reader.problems[1].line == 4
    bad_time = _write(tmp_path / "t.jsonl", [json.dumps(run(start_time="yesterday"))])
    with pytest.raises(RunSourceError, match=r"t.jsonl:1: start_time 'yesterday'"):
        list(read_runs(bad_time))
    with pytest.raises(RunSourceError, match="cannot open"):
        list(read_runs(tmp_path / "absent.jsonl"))
    with pytest.raises(RunSourceError, match="<runs>:2: expected a JSON object"):
        list(read_runs([run(), 5]))


def test_jsonl_gz_and_rereading(tmp_path):
    path = tmp_path / "runs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in _trace()) + "\n")
    reader = read_runs(path)
    assert reader.rereadable and len(list(reader)) == len(list(reader)) == 6
    assert set(_names(select(reader, tree_filter='eq(name, "tool")'))) == {"root", "llm", "tool", "last"}


def test_parquet_bulk_export(tmp_path):
    import pyarrow as pa  # the [test] extra installs it
    import pyarrow.parquet as pq
    rows = _trace()
    table = pa.table({
        "id": [r["id"] for r in rows], "trace_id": [r["trace_id"] for r in rows],
        "parent_run_id": [r.get("parent_run_id") for r in rows], "name": [r["name"] for r in rows],
        "run_type": [r["run_type"] for r in rows],
        "start_time": [datetime.fromisoformat(r["start_time"].replace("Z", "+00:00")) for r in rows],
        "extra": [json.dumps({"metadata": {"n": i}}) for i in range(len(rows))],
        "tags": [r.get("tags", []) for r in rows],
    })
    path = tmp_path / "export.parquet"
    pq.write_table(table, path)
    got = select(read_runs(path), filter='and(eq(metadata_key, "n"), gt(metadata_value, 2))')
    assert _names(got) == ["last", "other", "orphan"]
    assert _names(select(read_runs(path), trace_filter='has(tags, "prod")', is_root=False)) == ["last", "llm", "tool"]
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(RunSourceError, match="not a readable Parquet file"):
        list(read_runs(broken))


# --------------------------------------------------------------------- CLI


def test_cli_match(tmp_path, capsys):
    f = _write(tmp_path / "runs.jsonl", [json.dumps(r) for r in _trace()])
    assert main(["match", str(f), "--tree-filter", 'eq(name, "tool")', "--is-root", "false", "--ids-only"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [_trace()[i]["id"] for i in (3, 1, 2)] and out.err == ""
    assert main(["match", str(f), "--select", "name,tags", "--limit", "1", "--run-type", "llm"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"id": _trace()[1]["id"], "name": "llm", "tags": None}]
    assert main(["match", str(f), "--filter", 'gt(tags, 5)']) == 1
    err = capsys.readouterr().err
    assert "gt(tags, 5)" in err and "^" in err


def test_cli_match_bad_file(tmp_path, capsys):
    f = _write(tmp_path / "runs.jsonl", [json.dumps(run()), "oops"])
    assert main(["match", str(f), "--ids-only"]) == 1
    assert f"{f}:2: malformed JSON" in capsys.readouterr().err
    assert main(["match", str(f), "--ids-only", "--skip-invalid"]) == 0
    out = capsys.readouterr()
    assert out.out == ROOT + "\n" and "skipped 1 invalid run;" in out.err


def test_deepest_accepted_filter_compiles():
    from filterql.ast import MAX_DEPTH

    nots = 'eq(name, "r")'
    for _ in range(MAX_DEPTH - 1):
        nots = f"not({nots})"
    assert m(nots, run()) is ((MAX_DEPTH - 1) % 2 == 0)
    mixed = 'eq(name, "r")'
    for _ in range(MAX_DEPTH // 2 - 1):
        mixed = f'or(and({mixed}, eq(metadata_key, "k")), eq(name, "x"))'
    assert m(mixed, run()) is False and m(mixed, run(metadata={"k": 1}))


def test_closure_per_node_variant_agrees():
    from filterql.validator import check

    text = 'and(eq(name, "r"), or(not(has(tags, "a")), eq(metadata_key, "k")), search("r"))'
    fast, slow = compile(text), E.compile_checked(check(text), inline=False)
    for r in (run(), run(tags=["a"]), run(tags=["a"], metadata={"k": 1}), run(name="q")):
        assert fast(r) == slow(r)
    assert "def _f" in slow.source and "def _f" not in fast.source
