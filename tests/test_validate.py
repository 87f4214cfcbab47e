"""The validator: one test per diagnostic code (code, position, hint), the typed AST,
server profiles, the conformance cases and seeds, and robustness on random trees."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seed_filters import case_filters, seed_filters
from strategies import typed_filters
from strategies_syntax import syntax_trees

from filterql import Diagnostic, FilterValidationError, ast, check, parse, validate
from filterql.diagnostics import format_diagnostic, format_diagnostics
from filterql.ast import MAX_DEPTH

F, S, N = ast.Field, ast.String, ast.Number

# (code, filter, profile, severity, line, column, a substring of the hint)
CODES = [
    ("unknown-function", 'and(eq(name, "x"), AND(eq(name, "y")))', "offline", "error", 1, 20,
     "did you mean `and`? function names are lowercase"),
    ("unknown-function", 'or(eq(name, "x"),\n  nmae(1))', "offline", "error", 2, 3, "the functions are and, or"),
    ("wrong-arity", 'not(eq(name, "a"), eq(name, "b"))', "offline", "error", 1, 1, "usage: not(expr)"),
    ("wrong-arity", "and()", "offline", "error", 1, 1, "usage: and(expr, ...)"),
    ("argument-kind", 'eq("x", name)', "offline", "error", 1, 1, "the field comes first: eq(name, ...)"),
    ("argument-kind", "eq(name, status)", "offline", "error", 1, 1, 'quote it if you meant the string: "status"'),
    ("argument-kind", 'in(name, "x")', "offline", "error", 1, 1, 'write in(field, ["x"])'),
    ("argument-kind", 'eq(name, ["a"])', "offline", "error", 1, 1, "write in(name, [...])"),
    ("unknown-field", 'and(\n  eq(nmae, "x"))', "offline", "error", 2, 6, "did you mean `name`?"),
    ("operator-not-applicable", 'has(name, "x")', "offline", "error", 1, 5, 'like(name, "%x%")'),
    ("operator-not-applicable", "gt(tags, 5)", "offline", "error", 1, 4, "`tags` takes has, in, search"),
    ("operator-not-applicable", 'like(latency, "%")', "offline", "error", 1, 6, "compare durations with gt/lt"),
    ("bad-value", 'eq(start_time, "yesterday")', "offline", "error", 1, 16, "relative times are not supported"),
    ("bad-value", 'gt(latency, "5 parsecs")', "offline", "error", 1, 13, '"5s", "1.5s", "500ms"'),
    ("bad-value", 'eq(id, "not-a-uuid")', "offline", "error", 1, 8, "ids look like"),
    ("bad-value", 'eq(is_root, "yes")', "offline", "error", 1, 13, "write true or false without quotes"),
    ("bad-value", "has(metadata, '{\"a\": }')", "offline", "error", 1, 15, "write a JSON object"),
    ("bad-value", "has(metadata, '" + '{"a":' * 129 + "1" + "}" * 129 + "')", "offline", "error", 1, 15,
     "leaves nearer the top"),  # deeper than MAX_DEPTH, within json.loads' own limit
    ("bad-value", "has(metadata, '" + '{"a":' * 20000 + "1" + "}" * 20000 + "')", "offline", "error", 1, 15,
     "leaves nearer the top"),  # so deep that json.loads itself recurses too far
    ("bad-value", 'gt(total_tokens, "5")', "offline", "error", 1, 18, "write the number without quotes: 5"),
    ("bad-value", "exists(metadata, 5)", "offline", "error", 1, 18, 'exists(metadata, "user_id")'),
    ("null-ordering", "gt(latency, null)", "offline", "error", 1, 13, "use eq(latency, null) or neq(latency, null)"),
    ("empty-in", "in(run_type, [])", "offline", "error", 1, 14, "an empty list never matches"),
    ("null-in-list", 'in(name, ["a", null])', "offline", "error", 1, 16, "or(in(name, [...]), eq(name, null))"),
    ("empty-search", 'search("  ")', "offline", "error", 1, 8, "remove it"),
    ("error-boolean", "eq(error, true)", "offline", "error", 1, 11, 'neq(error, null) or eq(status, "error")'),
    ("error-boolean", 'neq(error, "false")', "offline", "warning", 1, 1, 'neq(error, null) or eq(status, "error")'),
    ("unknown-value", 'eq(run_type, "LLM")', "offline", "warning", 1, 14, "did you mean `llm`?"),
    ("unknown-value", 'in(status, ["success", "failed"])', "offline", "warning", 1, 24,
     "known values: success, error, pending, interrupted"),
    ("family-two-keys", 'and(eq(metadata_key, "a"), eq(metadata_value, 1), eq(metadata_key, "b"))', "offline",
     "warning", 1, 51, "one and() per pair"),
    ("unbound-value", 'and(eq(name, "x"), eq(metadata_value, "v"))', "offline", "warning", 1, 20,
     'add eq(metadata_key, "...") to the same and()'),
    ("unbound-value", 'and(eq(feedback_key, "s"), or(gt(feedback_score, 4), eq(feedback_score, 0)))', "offline",
     "warning", 1, 31, "or() does not bind"),
    ("never-true", 'and(eq(run_type, "llm"), eq(run_type, "chain"))', "offline", "warning", 1, 26,
     "use or(...) or in(run_type, [...])"),
    ("never-true", "and(gt(latency, 5), lt(latency, 2))", "offline", "warning", 1, 21, "use or(...)"),
    ("ui-syntax", 'search("status:error")', "offline", "warning", 1, 8, 'eq(status, "error")'),
    ("ui-syntax", 'search("metadata.env:prod")', "offline", "warning", 1, 8,
     'and(eq(metadata_key, "env"), eq(metadata_value, "prod"))'),
    ("server-neq-error-null", "neq(error, null)", "langsmith-v1", "error", 1, 1, 'eq(status, "error")'),
    ("server-neq-error-null", 'and(eq(name, "x"), neq(error, null))', "langsmith-v2", "error", 1, 20,
     'eq(status, "error")'),
    ("server-unknown-field", "gt(total_tokens, 5)", "langsmith-v1", "error", 1, 4, "prompt_tokens and completion_tokens"),
    ("server-search-field", 'search(inputs, "paris")', "langsmith-v2", "error", 1, 1, 'like(inputs, "%paris%")'),
    ("server-search-field", 'search(name, "x")', "langsmith-v1", "error", 1, 1, 'like(name, "%x%")'),
    ("server-or-feedback", 'and(eq(run_type, "llm"), or(eq(name, "x"), gt(feedback_score, 0)))', "langsmith-v2",
     "error", 1, 26, "one query per branch"),
    ("server-unindexed-term", 'search("the")', "langsmith-v2", "warning", 1, 8, "distinctive word"),
    ("server-long-term", 'search("' + "x" * 251 + '")', "langsmith-v1", "warning", 1, 8, "shorter part"),
    ("unexpected-character", "status:error", "offline", "error", 1, 7, "UI search-bar syntax"),
    ("unknown-field", "eq(metadata.user_id, 1)", "offline", "error", 1, 4, "metadata_key"),
    ("server-unfilterable-field", "gt(execution_order, 1)", "langsmith-v1", "error", 1, 4, "start_time"),
    ("quoted-field", """has("metadata", '{"foo": "bar"}')""", "offline", "warning", 1, 5, "write it bare: metadata"),
    ("unknown-field", 'eq("nmae", "x")', "offline", "error", 1, 4, "did you mean `name`?"),
]


@pytest.mark.parametrize(("code", "text", "profile", "severity", "line", "column", "hint"), CODES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CODES)])
def test_each_code(code: str, text: str, profile: str, severity: str, line: int, column: int, hint: str) -> None:
    found = [d for d in validate(text, profile=profile) if d.code == code]
    assert found, f"{code} not reported for {text!r}: {validate(text, profile=profile)}"
    d = found[0]
    assert (d.severity, d.line, d.column) == (severity, line, column)
    assert hint in d.hint
    assert d.kind == ("syntax" if code.startswith("unexpected") else "validation")


def test_every_code_is_covered() -> None:
    from filterql import catalog, lint

    covered = {c[0] for c in CODES}
    server = {code for code, rule in catalog.SERVER_RULES.items() if code not in ("server-limit", "server-default-window")}
    assert server <= covered  # the call-level rules are tested in test_check_query
    assert {r.__name__.replace("_", "-") for r in lint.RULES} <= covered


def test_offline_profile_accepts_what_servers_reject() -> None:
    text = 'and(neq(error, null), gt(total_tokens, 5), search(name, "x"), or(eq(name, "x"), eq(feedback_key, "s")))'
    assert [d for d in validate(text) if d.severity == "error"] == []
    assert {d.code for d in validate(text, profile="langsmith-v1")} >= {
        "server-neq-error-null", "server-unknown-field", "server-search-field"}
    assert "server-unknown-field" not in {d.code for d in validate(text, profile="langsmith-v2")}
    assert "server-or-feedback" in {d.code for d in validate(text, profile="langsmith-v2")}
    with pytest.raises(FilterValidationError):
        check(text, profile="langsmith-v2")


def test_no_false_warnings() -> None:
    for text in [
        'and(eq(metadata_key, "k"), eq(metadata_value, "v"))',
        'and(neq(metadata_key, "k"), eq(metadata_value, "v"))',  # documented: no key k, some value v
        'and(and(eq(metadata_key, "a"), eq(metadata_value, 1)), and(eq(metadata_key, "b"), eq(metadata_value, 2)))',
        'and(in(metadata_key, ["a", "b"]), eq(metadata_value, "v"))',
        "eq(metadata_value, 5)",  # alone: some entry has value 5
        "and(gte(total_tokens, 5), lte(total_tokens, 5))",
        'and(gt(start_time, "2024-05-01"), lt(start_time, "2024-05-02"))',
        'and(neq(run_type, "llm"), neq(run_type, "chain"))',
        'or(eq(run_type, "llm"), eq(run_type, "chain"))',
        'search("https://example.com 12345")',  # only the v2 profile warns about these terms
    ]:
        assert validate(text) == [], text


def test_never_true_is_local_and_exact() -> None:
    codes = lambda t: [d.code for d in validate(t)]  # noqa: E731
    assert codes("and(eq(is_root, true), eq(is_root, false))") == ["never-true"]
    assert codes('and(eq(error, null), neq(error, "x"))') == ["never-true"]
    assert codes('and(eq(name, "a"), in(name, ["b", "c"]))') == ["never-true"]
    assert codes("and(gt(latency, 2), lt(latency, 2))") == ["never-true"]
    assert codes("and(gte(latency, 2), lte(latency, \"2s\"))") == []
    assert codes('and(eq(run_type, "llm"), and(eq(run_type, "chain")))') == []  # not local: the optimizer's job


def test_check_returns_typed_ast() -> None:
    t = check('and(gt(start_time, "2024-05-01T12:00:00+02:00"), gt(latency, "500ms"), eq(id, '
              '"77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"), lt(total_cost, "0.5"), eq(is_root, true), '
              'has(metadata, \'{"a": 1}\'), in(metadata_value, ["x", 2]), eq(error, null))')
    assert isinstance(t, ast.And)
    values = [a.value.value if isinstance(a, ast.Compare) else None for a in t.args]
    assert values[0] == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert values[1] == Decimal("0.5")
    assert values[2] == uuid.UUID("77aa5f11-2ccd-54dc-9b0b-ec6e0357edce")
    assert values[3] == Decimal("0.5") and values[4] is True and values[7] is None
    assert t.args[5].value.value == {"a": 1}
    assert [i.value for i in t.args[6].values.items] == ["x", 2]
    assert check(t) == t  # a checked tree checks again to itself


def test_check_error_carries_all_diagnostics() -> None:
    with pytest.raises(FilterValidationError) as info:
        check('and(eq(nmae, "x"), gt(tags, 5))')
    assert [d.code for d in info.value.diagnostics] == ["unknown-field", "operator-not-applicable"]
    text = str(info.value)
    assert "line 1, column 8: error[unknown-field]" in text and "^^^^" in text and "\x1b" not in text


def test_syntax_errors_are_diagnostics() -> None:
    [d] = validate('eq(name "x")')
    assert (d.kind, d.code, d.line, d.column) == ("syntax", "unexpected-token", 1, 9)
    with pytest.raises(FilterValidationError):
        check('eq(name "x")')


def test_contexts_and_profiles_are_checked() -> None:
    assert validate('eq(name, "x")', "trace_filter") == []
    with pytest.raises(ValueError, match="context"):
        validate('eq(name, "x")', "where")
    with pytest.raises(ValueError, match="profile"):
        validate('eq(name, "x")', profile="langsmith-v3")


def test_rendering() -> None:
    text = 'and(eq(run_type, "llm"),\n    gt(latency, "5 parsecs"))'
    [d] = validate(text)
    out = format_diagnostic(d, text)
    assert out.splitlines() == [
        'line 2, column 17: error[bad-value]: `latency` (seconds): "5 parsecs" is not a duration',
        '      gt(latency, "5 parsecs"))',
        "                  ^^^^^^^^^^^",
        '  hint: write a number of seconds or a duration such as "5s", "1.5s", "500ms", "2m", "1h"',
    ]
    assert str(d) == format_diagnostic(d)
    assert format_diagnostics([d, d], text).count("hint:") == 2
    assert d.to_json() == {"severity": "error", "kind": "validation", "code": "bad-value", "line": 2, "column": 17,
                           "message": d.message, "hint": d.hint, "suggestions": []}


# ------------------------------------------------------------ conformance and seeds


@pytest.mark.parametrize(("case_id", "argument", "text", "expect_error"), case_filters(),
                         ids=[f"{c[0]}-{c[1]}" for c in case_filters()])
def test_conformance_case(case_id: str, argument: str, text: str, expect_error: str | None) -> None:
    diagnostics = validate(text, argument)
    errors = [d for d in diagnostics if d.severity == "error"]
    if expect_error is None:
        assert errors == []
        check(text, argument)
    elif expect_error == "any":
        assert errors
    elif expect_error in ("syntax", "validation"):
        assert any(d.kind == expect_error for d in errors), diagnostics


@pytest.mark.parametrize("text", [f for f in seed_filters() if not f.endswith("()")])
def test_seed_filters_validate(text: str) -> None:
    # Prose mentions such as "use eq(), has()" are not filters.
    assert [d for d in validate(text) if d.severity == "error"] == []


# ------------------------------------------------------------ robustness

# Hand-built trees a node class accepts but the language does not: clean diagnostics.
ODD_TREES = [
    ast.And([]),
    ast.Compare("eq", F("metadata.user_id"), S("x")),
    ast.Like(F("name"), N("5")),
    ast.Search(N("1")),
    ast.Search(ast.Const(None, ast.Null())),
    ast.Has(F("metadata"), ast.Const({"a": 1}, N("1"))),
    ast.Exists(F("metadata"), ast.Null()),
    ast.Call("eq", [ast.And([])]),
    ast.Call("not", [ast.Compare("eq", F("name"), S("x")), S("x")]),
    ast.In(F("name"), ast.ListLit([])),
]

# Shapes no parser, builder or from_json gives: the node classes refuse them when built.
SHAPELESS = [
    lambda: ast.Or([F("name")]),
    lambda: ast.Not(F("name")),
    lambda: ast.Not(S("x")),
    lambda: ast.Compare("eq", S("name"), S("x")),
    lambda: ast.Compare("eq", F("name"), F("x")),
    lambda: ast.Compare("has", F("tags"), S("x")),
    lambda: ast.Compare("like", F("name"), S("x")),
    lambda: ast.Compare("EQ", F("name"), S("x")),
    lambda: ast.Compare(5, F("name"), S("x")),  # type: ignore[arg-type]
    lambda: ast.Compare("eq", F(""), S("x")),
    lambda: ast.Compare("eq", F(3), S("x")),  # type: ignore[arg-type]
    lambda: ast.Compare("eq", F("name"), S(5)),  # type: ignore[arg-type]
    lambda: ast.Compare("gt", F("latency"), N("abc")),
    lambda: ast.Compare("gt", F("latency"), N("Infinity")),
    lambda: ast.Compare("eq", F("is_root"), ast.Bool("yes")),  # type: ignore[arg-type]
    lambda: ast.Compare("eq", F("name"), ast.ListLit([S("a")])),
    lambda: ast.Compare("eq", F("name"), ast.Const(5, None)),  # type: ignore[arg-type]
    lambda: ast.Compare("eq", F("name"), 5),  # type: ignore[arg-type]
    lambda: ast.In(F("name"), S("x")),  # type: ignore[arg-type]
    lambda: ast.In(F("name"), ast.ListLit([ast.ListLit([])])),
    lambda: ast.In(F("name"), ast.ListLit([F("x")])),
    lambda: ast.In(F("name"), ast.ListLit([1, 2])),
    lambda: ast.Like(F("name"), S("x"), negated="no"),  # type: ignore[arg-type]
    lambda: ast.Search(S("x"), S("name")),  # type: ignore[arg-type]
    lambda: ast.Call("not", [ast.Compare("eq", F("name"), S("x")), 5]),
    lambda: ast.Call(None, []),  # type: ignore[arg-type]
    lambda: ast.Compare("eq", ast.Field("name", span="1:1"), S("x")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("tree", ODD_TREES, ids=[repr(t)[:60] for t in ODD_TREES])
def test_odd_trees_give_clean_errors(tree: ast.Expr) -> None:
    diagnostics = validate(tree)
    assert diagnostics and all(isinstance(d, Diagnostic) for d in diagnostics), diagnostics
    assert any(d.severity == "error" for d in diagnostics)
    with pytest.raises(FilterValidationError):
        check(tree)


@pytest.mark.parametrize("build", SHAPELESS, ids=range(len(SHAPELESS)))
def test_node_classes_refuse_shapes_the_language_has_not(build) -> None:
    with pytest.raises(TypeError, match=r"^\w+\.\w+ (must be|holds only) "):
        build()


def test_hand_built_call_of_a_valid_shape_is_checked() -> None:
    assert check(ast.Call("and", [ast.Compare("eq", F("name"), S("x"))])) == ast.And(
        [ast.Compare("eq", F("name"), ast.Const("x", S("x")))])


def test_a_const_is_rechecked_from_its_literal() -> None:
    typed = check(ast.Compare("gt", F("latency"), ast.Const("junk", S("2s"))))
    assert typed.value.value == Decimal(2)  # type: ignore[attr-defined]
    [d] = validate(ast.Compare("gt", F("latency"), ast.Const(Decimal(2), S("2 parsecs"))))
    assert d.code == "bad-value"


def test_deepest_parsable_filter_checks() -> None:
    text = "not(" * (MAX_DEPTH - 2) + 'in(name, ["x"])' + ")" * (MAX_DEPTH - 2)
    assert check(text)
    assert [d.code for d in validate(ast.Not(parse(text)))] == ["too-deep"]


def test_too_deep_tree_is_an_error_not_a_crash() -> None:
    tree: ast.Expr = ast.Compare("eq", F("name"), S("x"))
    for _ in range(5000):
        tree = ast.Not(tree)
    [d] = validate(tree)
    assert d.code == "too-deep" and str(MAX_DEPTH) in d.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_filters())
def test_well_typed_trees_have_no_error(tree: ast.Expr) -> None:
    typed = check(tree)  # raises on any error; warnings are allowed
    assert check(typed) == typed
    assert not any(isinstance(n, (ast.String, ast.Number, ast.Bool, ast.Null)) and not isinstance(p, ast.Const)
                   for p in ast.walk(typed) for n in ast.children(p))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(syntax_trees(), st.sampled_from(["offline", "langsmith-v1", "langsmith-v2"]))
def test_random_trees_raise_only_validation_errors(tree: ast.Expr, profile: str) -> None:
    try:
        check(tree, profile=profile)
    except FilterValidationError as e:
        assert any(d.severity == "error" for d in e.diagnostics)
        str(e)


# Any node class with any attribute values: what a careless caller could build by hand.
_junk = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans(), st.sampled_from(["eq", "name", "5"]))


def _builds(cls, *args):
    """``st.builds``, where a shape the node class refuses (TypeError) builds ``and()`` instead."""
    def build(*values):
        try:
            return cls(*values)
        except TypeError:
            return ast.And([])

    return st.builds(build, *args)


def _odd_nodes(children: st.SearchStrategy) -> st.SearchStrategy:
    kids = st.one_of(children, _junk)
    lists = st.lists(kids, max_size=3)
    return st.one_of(
        _builds(ast.And, lists), _builds(ast.Or, lists), _builds(ast.Not, kids),
        _builds(ast.Compare, st.one_of(st.sampled_from(ast.FUNCTION_NAMES), _junk), kids, kids),
        _builds(ast.Has, kids, kids), _builds(ast.Exists, kids, kids), _builds(ast.In, kids, kids),
        _builds(ast.Like, kids, kids, st.one_of(st.booleans(), _junk)), _builds(ast.Search, kids, kids),
        _builds(ast.Call, st.one_of(st.sampled_from(ast.FUNCTION_NAMES), _junk), lists),
        _builds(ast.ListLit, lists), _builds(ast.Const, _junk, kids),
    )


_leaves = st.one_of(
    st.sampled_from(["name", "latency", "tags", "metadata", "metadata_value", "feedback_key", "nope"]).map(F),
    _builds(S, st.one_of(st.text(max_size=4), _junk)), _builds(N, st.one_of(st.sampled_from(["1", "2.5"]), _junk)),
    _builds(ast.Bool, st.one_of(st.booleans(), _junk)), st.just(ast.Null()),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_leaves, _odd_nodes, max_leaves=10).filter(lambda n: isinstance(n, ast.Expr)),
       st.sampled_from(["offline", "langsmith-v1", "langsmith-v2"]))
def test_hand_built_junk_never_crashes(tree: ast.Expr, profile: str) -> None:
    for d in validate(tree, profile=profile):
        format_diagnostic(d)
    try:
        check(tree, profile=profile)
    except FilterValidationError:
        pass


@pytest.mark.parametrize("profile, text, says", [
    ("langsmith-v1", 'search(name, "x")',
     "Comparison comparator=<Comparator.SEARCH: 'search'> attribute='name' ... not accepted."),
    ("langsmith-v2", 'search(name, "x")',
     'Failed to parse filter: Invalid argument count: "search" requires 1 arguments, got 2'),
])
def test_server_profiles_quote_the_servers_own_words(profile: str, text: str, says: str) -> None:
    (d,) = [d for d in validate(text, profile=profile) if d.code == "server-search-field"]
    assert f'the server says: "{says}"' in d.message


def test_limit_quotes_the_servers_own_words() -> None:
    from filterql import check_query

    (d,) = check_query(limit=101, profile="langsmith-v1").diagnostics
    assert '"Limit exceeds maximum allowed value of 100"' in d.message


@pytest.mark.parametrize("text,code,names", [
    ('eq(run_tipe, "llm")', "unknown-field", ("run_type",)),
    ('eqq(name, "x")', "unknown-function", ("eq",)),
    ('EQ(name, "x")', "unknown-function", ("eq",)),
    ('eq(run_type, "lm")', "unknown-value", ("llm",)),
    ('eq(metadata.user_id, "x")', "unknown-field", ()),  # a dotted name: the hint says how, no name to pick
])
def test_suggestions_are_the_names_the_hint_offers(text, code, names):
    d = next(d for d in validate(text) if d.code == code)
    assert d.suggestions[:len(names)] == names and (names or not d.suggestions)  # closest first
    assert d.to_json()["suggestions"] == list(d.suggestions)
    assert all(f"`{n}`" in d.hint for n in d.suggestions)
