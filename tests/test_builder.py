"""The Python builder: same AST as the parser, safe values, scope-preserving and_."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies_syntax import STRING_CHARS

from filterql import ast, parse
from filterql.builder import (
    and_, exists, field, has, in_, like, lit, not_, notlike, or_, search,
)
from filterql.ast import can_merge_scopes, positive_key_family, scope_families

K, V = field("metadata_key"), field("metadata_value")


@pytest.mark.parametrize("built, text", [
    (field("run_type") == "llm", 'eq(run_type, "llm")'),
    (field("error") != None, "neq(error, null)"),  # noqa: E711 - builds neq(error, null)
    (field("latency") > "5s", 'gt(latency, "5s")'),
    (field("total_tokens") >= 5100, "gte(total_tokens, 5100)"),
    (field("feedback_score") < 0.5, "lt(feedback_score, 0.5)"),
    (field("total_cost") <= Decimal("0.010"), "lte(total_cost, 0.010)"),
    (1 < field("total_tokens"), "gt(total_tokens, 1)"),
    (field("run_type").in_(["llm", "chain"]), 'in(run_type, ["llm", "chain"])'),
    (field("name").like("Chat%"), 'like(name, "Chat%")'),
    (field("name").notlike("%Query"), 'notlike(name, "%Query")'),
    (field("tags").has("prod"), 'has(tags, "prod")'),
    (field("metadata").exists("a.b"), 'exists(metadata, "a.b")'),
    (field("error").is_null(), "eq(error, null)"),
    (field("error").is_not_null(), "neq(error, null)"),
    (field("name").search("q"), 'search(name, "q")'),
    (search("image classification"), 'search("image classification")'),
    (search("inputs", "x"), 'search(inputs, "x")'),
    (has("tags", "prod"), 'has(tags, "prod")'),
    (has("metadata", {"environment": "production"}), 'has(metadata, \'{"environment": "production"}\')'),
    (exists("metadata", "k"), 'exists(metadata, "k")'),
    (in_("total_tokens", (1, 2)), "in(total_tokens, [1, 2])"),
    (like("name", "a\\%"), r'like(name, "a\\%")'),
    (notlike(field("name"), "x"), 'notlike(name, "x")'),
    (not_(field("is_root") == True), "not(eq(is_root, true))"),  # noqa: E712
    (~(field("is_root") == False), "not(eq(is_root, false))"),  # noqa: E712
    ((field("a") == 1) & (field("b") == 2), "and(eq(a, 1), eq(b, 2))"),
    ((field("a") == 1) | (field("b") == 2) | (field("c") == 3), "or(eq(a, 1), eq(b, 2), eq(c, 3))"),
    (and_(field("a") == 1), "and(eq(a, 1))"),
])
def test_builder_matches_parser(built: ast.Expr, text: str) -> None:
    assert built == parse(text)
    assert parse(str(built)) == built


def test_builder_nodes_are_the_typed_nodes() -> None:
    assert isinstance(field("name") == "x", ast.Compare)
    assert isinstance(field("run_type").in_(["llm"]), ast.In)
    assert isinstance(search("x"), ast.Search)


def test_field_is_not_an_ast_field() -> None:
    f = field("name")
    assert not isinstance(f, ast.Field)
    # AST equality stays boolean, so nodes can be compared and hashed.
    assert (ast.Field("name") == ast.Field("name")) is True
    assert (parse("eq(a, 1)") == parse("eq(a, 1)")) is True
    assert len({parse("eq(a, 1)"), field("a") == 1}) == 1
    with pytest.raises(TypeError):
        hash(f)


@pytest.mark.parametrize("name", ["metadata.env", "", "1abc", "a b", "true", "null", 'x")'])
def test_bad_field_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a field name"):
        field(name)


@settings(max_examples=300, deadline=None)
@given(st.text(STRING_CHARS))
def test_any_value_round_trips(value: str) -> None:
    built = field("name") == value
    again = parse(str(built))
    assert again == built and again.value.value == value  # type: ignore[attr-defined]
    assert parse(str(field("tags").has(value))) == field("tags").has(value)


def test_quotes_backslashes_unicode() -> None:
    value = 'say "hi" \\ it\'s 😀 é \n'
    built = field("name") == value
    assert str(built) == r'eq(name, "say \"hi\" \\ it' + "'s 😀 é " + r'\n")'
    assert parse(str(built)).value.value == value  # type: ignore[attr-defined]


@pytest.mark.parametrize("value, literal", [
    ("x", ast.String("x")),
    (True, ast.Bool(True)),
    (False, ast.Bool(False)),
    (None, ast.Null()),
    (5, ast.Number("5")),
    (-5, ast.Number("-5")),
    (1.5, ast.Number("1.5")),
    (1e16, ast.Number("1e+16")),
    (1e-7, ast.Number("1e-07")),
    (Decimal("0.0"), ast.Number("0.0")),
    (Decimal("1E+2"), ast.Number("1E+2")),
    (dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc), ast.String("2024-05-01T10:00:00+00:00")),
    (dt.date(2024, 5, 1), ast.String("2024-05-01")),
    (dt.timedelta(milliseconds=1500), ast.String("1.5s")),
    (dt.timedelta(minutes=2), ast.String("120s")),
    (uuid.UUID(int=1), ast.String("00000000-0000-0000-0000-000000000001")),
    (["a", 1, None], ast.ListLit([ast.String("a"), ast.Number("1"), ast.Null()])),
])
def test_lit(value: object, literal: ast.Node) -> None:
    assert lit(value) == literal
    node = ast.Compare("eq", ast.Field("f"), literal) if not isinstance(literal, ast.ListLit) else ast.In(
        ast.Field("f"), literal)
    assert parse(str(node)) == node


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.decimals(allow_nan=False, allow_infinity=False),
                 st.integers()))
def test_numbers_keep_their_value(value: float | Decimal | int) -> None:
    number = lit(value)
    assert isinstance(number, ast.Number)
    assert number.value == Decimal(repr(value) if isinstance(value, float) else value)
    assert parse(str(field("a") == value)) == (field("a") == value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), object(), [[1]], b"x"])
def test_lit_refuses_what_has_no_literal(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        lit(value)


def test_operators_take_expressions_only() -> None:
    with pytest.raises(TypeError):
        and_()
    with pytest.raises(TypeError):
        or_(field("a") == 1, "eq(b, 2)")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        in_("tags", "abc")


# ------------------------------------------------------------ or_ / and_ structure


def test_or_flattens() -> None:
    a, b, c, d = (field(n) == 1 for n in "abcd")
    assert or_(or_(a, b), or_(c, or_(d))) == ast.Or([a, b, c, d])
    assert (a | b) | (c | d) == ast.Or([a, b, c, d])


def test_and_merges_when_no_family_crosses_scopes() -> None:
    a, b, c = (field(n) == 1 for n in "abc")
    assert (a & b) & c == ast.And([a, b, c])
    assert and_(and_(a, b), and_(c, V == 1)) == ast.And([a, b, c, V == 1])
    # Value conditions only on both sides: nothing binds, so merging is safe.
    assert and_(and_(a, V == 1), V == 2) == ast.And([a, V == 1, V == 2])
    # Different families never interact.
    assert and_(and_(K == "k", V == 1), field("feedback_key") == "s") == ast.And(
        [K == "k", V == 1, field("feedback_key") == "s"])


def test_and_keeps_scopes_that_would_change_meaning() -> None:
    pair1 = and_(K == "environment", V == "production")
    pair2 = and_(K == "phone", V == "555")
    both = pair1 & pair2
    assert both == parse('and(and(eq(metadata_key, "environment"), eq(metadata_value, "production")), '
                         'eq(metadata_key, "phone"), eq(metadata_value, "555"))')
    # A positive key on one side, a value condition of its family on the other.
    assert and_(and_(K == "k"), V == 1) == ast.And([ast.And([K == "k"]), V == 1])
    assert and_(V == 1, and_(K.in_(["a", "b"]))) == ast.And([V == 1, ast.And([K.in_(["a", "b"])])])
    # neq on a key is not positive: "no entry with key k" stays independent.
    assert and_(and_(K != "k"), V == 1) == ast.And([K != "k", V == 1])


def test_and_never_changes_scopes() -> None:
    """Every spliced operand shares its new scope with nothing it could bind to."""
    pools = [K == "a", K != "b", K.like("x%"), V == 1, V != 2, field("name") == "n",
             field("feedback_key") == "s", field("feedback_score") > 1, or_(K == "z", V == 3)]

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.one_of(st.sampled_from(pools), st.lists(st.sampled_from(pools), min_size=1, max_size=3)
                              .map(lambda xs: ast.And(xs))), min_size=1, max_size=5))
    def check(operands: list[ast.Expr]) -> None:
        result = and_(*operands)
        assert isinstance(result, ast.And)
        args, cur = list(result.args), 0
        for op in operands:  # walk both in order: each operand is kept whole or spliced in place
            if args[cur] is op:
                cur += 1
                continue
            assert isinstance(op, ast.And)
            n = len(op.args)
            assert all(x is y for x, y in zip(args[cur:cur + n], op.args))
            assert can_merge_scopes(op.args, args[:cur] + args[cur + n:])
            cur += n
        assert cur == len(args)

    check()


def test_scope_helpers() -> None:
    assert positive_key_family(K == "k") == "metadata"
    assert positive_key_family(K.in_(["k"])) == "metadata"
    assert positive_key_family(K.like("k%")) == "metadata"
    assert positive_key_family(K > "k") == "metadata"
    assert positive_key_family(K != "k") is None
    assert positive_key_family(K.notlike("k")) is None
    assert positive_key_family(V == "v") is None
    assert positive_key_family(field("feedback_key") == "s") == "feedback"
    assert scope_families([K == "k", field("feedback_score") > 1, field("name") == "x", or_(V == 1)]) == (
        frozenset({"metadata"}), frozenset({"metadata", "feedback"}))
    assert can_merge_scopes([V == 1], [V == 2])
    assert not can_merge_scopes([K == "a"], [V == 2])
    assert not can_merge_scopes([V == 2], [field("input_value") == 1, K == "a"])
    assert can_merge_scopes([K == "a"], [field("input_value") == 2])
