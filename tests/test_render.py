"""The canonical renderer: round trips, idempotence, the identity file, the pretty layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seed_filters import seed_filters
from strategies_syntax import STRING_CHARS, scrambled_texts, syntax_trees

from filterql import ast, parse, render
from filterql.lexicon import quote
from filterql.renderer import WIDTH

IDENTITY = Path(__file__).parent / "fixtures" / "identity.txt"


def _identity_lines() -> list[str]:
    # split("\n"), not splitlines(): a filter may hold a raw U+2028, which splitlines() breaks at.
    return [line for line in IDENTITY.read_text("utf-8").split("\n") if line]


@pytest.mark.parametrize("line", _identity_lines())
def test_identity_file_round_trips_byte_for_byte(line: str) -> None:
    assert render(parse(line)) == line
    assert render(parse(line)).encode("utf-8") == line.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(syntax_trees())
def test_parse_render_round_trip(tree: ast.Expr) -> None:
    assert parse(render(tree)) == tree
    assert parse(render(tree, pretty=True)) == tree
    assert str(tree) == render(tree)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_render_is_canonical(data: st.DataObject) -> None:
    """Any way of writing a filter renders to the same text, and rendering is idempotent."""
    tree = data.draw(syntax_trees(8))
    text = data.draw(scrambled_texts(tree))
    canonical = render(parse(text))
    assert canonical == render(tree)
    assert render(parse(canonical)) == canonical
    assert render(parse(render(parse(text), pretty=True)), pretty=True) == render(tree, pretty=True)


@settings(max_examples=300, deadline=None)
@given(st.text(STRING_CHARS))
def test_any_string_value_round_trips(value: str) -> None:
    node = ast.Compare("eq", ast.Field("name"), ast.String(value))
    assert parse(render(node)).value.value == value  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", "\udc00\ud800"])
def test_lone_surrogates_round_trip_as_escapes(value: str) -> None:
    text = render(ast.Search(ast.String(value)))
    assert text.isascii()
    assert parse(text) == ast.Search(ast.String(value))


def test_minimal_escaping() -> None:
    assert quote('a"b\\c') == r'"a\"b\\c"'
    assert quote("\n\t\r") == r'"\n\t\r"'
    assert quote("\x00\x1f\x7f\x9f") == r'"\u0000\u001f\u007f\u009f"'
    assert quote("'é😀\u00a0") == "\"'é😀\u00a0\""


def test_seed_filters_render_canonically() -> None:
    for text in seed_filters():
        tree = parse(text)
        out = render(tree)
        assert parse(out) == tree and render(parse(out)) == out
        assert not re.search(r"[(,\[] ?'", out)  # strings are double-quoted


def test_const_renders_its_literal() -> None:
    from filterql.validator import check

    typed = check('and(gt(latency, "5s"), eq(feedback_score, 0.0), in(run_type, ["llm", "chain"]))')
    assert render(typed) == 'and(gt(latency, "5s"), eq(feedback_score, 0.0), in(run_type, ["llm", "chain"]))'


def test_pretty_layout() -> None:
    text = ('and(gt(start_time, "2023-07-15T12:34:56Z"), or(neq(error, null), and(eq(feedback_key, "Correctness"), '
            'eq(feedback_score, 0.0))), in(name, ["a", "b"]))')
    assert render(parse(text), pretty=True) == "\n".join([
        "and(",
        '  gt(start_time, "2023-07-15T12:34:56Z"),',
        "  or(",
        "    neq(error, null),",
        '    and(eq(feedback_key, "Correctness"), eq(feedback_score, 0.0))',
        "  ),",
        '  in(name, ["a", "b"])',
        ")",
    ])
    short = 'eq(name, "x")'
    assert render(parse(short), pretty=True) == short


def test_pretty_breaks_long_lists() -> None:
    values = ", ".join(f'"value-number-{i}"' for i in range(8))
    out = render(parse(f"in(name, [{values}])"), pretty=True)
    lines = out.split("\n")
    assert lines[0] == "in(" and lines[1] == "  name," and lines[2] == "  [" and lines[-1] == ")"
    assert lines[3] == '    "value-number-0",'


@settings(max_examples=100, deadline=None)
@given(syntax_trees(20))
def test_pretty_only_overflows_on_unbreakable_pieces(tree: ast.Expr) -> None:
    for line in render(tree, pretty=True).split("\n"):
        if len(line) <= WIDTH:  # the trailing comma included
            continue
        piece = line.strip().rstrip(",")
        if piece.endswith(("(", "[", "()", "[]")):
            continue  # an opening line, or a call/list with nothing to break
        (arg,) = parse(f"f({piece})").args  # type: ignore[attr-defined]
        assert isinstance(arg, (ast.Field, ast.String, ast.Number, ast.Bool, ast.Null)), line


def test_every_node_type_has_a_rule() -> None:
    samples: list[ast.Node] = [
        ast.And([ast.Call("f", [])]), ast.Or([ast.Call("f", [])]), ast.Not(ast.Call("f", [])),
        ast.Compare("eq", ast.Field("a"), ast.Number("1")), ast.Has(ast.Field("tags"), ast.String("x")),
        ast.Exists(ast.Field("metadata"), ast.String("k")), ast.In(ast.Field("a"), ast.ListLit([])),
        ast.Like(ast.Field("a"), ast.String("%")), ast.Search(ast.String("x")), ast.Call("f", []),
        ast.Field("a"), ast.String("s"), ast.Number("1"), ast.Bool(True), ast.Null(), ast.ListLit([]),
        ast.Const(1, ast.Number("1")),
    ]
    concrete = {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.Node)}
    concrete -= {ast.Node, ast.Expr}
    assert concrete == {type(s) for s in samples}
    for s in samples:
        assert isinstance(render(s), str)


def test_unknown_node_type_is_named() -> None:
    class Odd(ast.Expr):
        __slots__ = ()

    with pytest.raises(TypeError, match="Odd"):
        render(Odd())


def test_hand_built_tree_too_deep_for_python_is_a_clean_error() -> None:
    tree: ast.Expr = ast.Search(ast.String("x"))
    for _ in range(50_000):
        tree = ast.Not(tree)
    with pytest.raises(ValueError, match="nested too deeply"):
        render(tree)
