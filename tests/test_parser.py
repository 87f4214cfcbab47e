"""The parser: AST shapes, every syntax error kind, limits, the seed corpus, robustness."""

from __future__ import annotations

import json
import types
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seed_filters import case_filters, seed_filters
from strategies_syntax import scrambled_texts, syntax_trees

from filterql import FilterError, FilterSyntaxError, ast, parse, parser, render
from filterql.ast import MAX_DEPTH
from filterql.lexicon import grammar_text

F = ast.Field


def test_typed_nodes() -> None:
    e = parse('and(eq(run_type, "llm"), not(or(gt(latency, 2.5), has(tags, "x"))), exists(metadata, "a.b"))')
    assert e == ast.And([
        ast.Compare("eq", F("run_type"), ast.String("llm")),
        ast.Not(ast.Or([ast.Compare("gt", F("latency"), ast.Number("2.5")), ast.Has(F("tags"), ast.String("x"))])),
        ast.Exists(F("metadata"), ast.String("a.b")),
    ])
    assert parse('in(name, ["a", 1, true, false, null])') == ast.In(
        F("name"), ast.ListLit([ast.String("a"), ast.Number("1"), ast.Bool(True), ast.Bool(False), ast.Null()])
    )
    assert parse('notlike(name, "%x")') == ast.Like(F("name"), ast.String("%x"), negated=True)
    assert parse('search("t")') == ast.Search(ast.String("t"))
    assert parse('search(name, "t")') == ast.Search(ast.String("t"), F("name"))


def test_untypable_calls_stay_generic() -> None:
    assert parse("AND(eq(a, 1))") == ast.Call("AND", [ast.Compare("eq", F("a"), ast.Number("1"))])
    assert parse("eq(a)") == ast.Call("eq", [F("a")])
    assert parse('eq("a", b)') == ast.Call("eq", [ast.String("a"), F("b")])
    assert parse("and()") == ast.Call("and", [])
    assert parse("not(a, b)") == ast.Call("not", [F("a"), F("b")])


def test_numbers_keep_their_text() -> None:
    n = parse("eq(a, 0.0)").value  # type: ignore[attr-defined]
    assert n.text == "0.0" and n.value == Decimal("0.0")
    assert parse("eq(a, -12)").value.value == -12  # type: ignore[attr-defined]
    assert parse("eq(a, 1e3)").value.value == Decimal("1e3")  # type: ignore[attr-defined]


def test_escapes_both_quote_styles() -> None:
    e = parse(r"""and(eq(a, "q\"s\'b\\n\n\t\r\u00e9\ud83d\ude00"), eq(b, 'it\'s "x"'))""")
    assert e.args[0].value.value == "q\"s'b\\n\n\t\ré\U0001F600"  # type: ignore[attr-defined]
    assert e.args[1].value.value == 'it\'s "x"'  # type: ignore[attr-defined]


def test_spans() -> None:
    text = 'and(\n  eq(name, "x"),\n\tgt(latency, 5))'
    e = parse(text)
    first, second = e.args  # type: ignore[attr-defined]
    assert (first.span.line, first.span.column) == (2, 3)
    assert text[first.span.start:first.span.end] == 'eq(name, "x")'
    assert (second.value.span.line, second.value.span.column) == (3, 14)
    assert text[e.span.start:e.span.end] == text
    # Spans never take part in equality.
    assert parse('eq(a,1)') == parse(' eq( a , 1 ) ')


# ------------------------------------------------------------------ errors

ERRORS = [
    # text, code, line, column, caret line, hint fragment
    ('eq(name, "abc', "unterminated-string", 1, 10, "         ^^^^", "close the string"),
    ("and(eq(a, 1)", "unexpected-end", 1, 13, "            ^", 'column 4 is never closed; add ")"'),
    ('and(\n  eq(a, "x"),\n  eq(b, 2)', "unexpected-end", 3, 11, "          ^", "line 1, column 4 is never closed"),
    ("eq(a, 1))", "trailing-input", 1, 9, "        ^", 'one ")" too many'),
    ('eq(a, 1) eq(b, 2)', "trailing-input", 1, 10, "         ^^", "combine several with and(...)"),
    ("", "empty", 1, 1, "^", "a filter is one call"),
    ("  \n ", "empty", 2, 2, " ^", "a filter is one call"),
    (r'eq(a, "x\qy")', "bad-escape", 1, 9, "        ^^", "known escapes"),
    (r'eq(a, "\u12")', "bad-escape", 1, 8, "       ^^^^", "four hex digits"),
    ("eq(a b)", "unexpected-token", 1, 6, "     ^", 'separated by ","'),
    ("eq(a, [b])", "bad-list-item", 1, 8, "       ^", "lists hold only literals"),
    ("status:error", "unexpected-character", 1, 7, "      ^", "UI search-bar syntax"),
    ("eq(metadata., 1)", "unexpected-character", 1, 12, "           ^", "field names have no dots"),
    ("not(" * (MAX_DEPTH + 1) + "eq(a, 1)" + ")" * (MAX_DEPTH + 1), "too-deep", 1, 4 * MAX_DEPTH + 4, None,
     "flatten nested"),
]


@pytest.mark.parametrize("text, code, line, column, caret, hint", ERRORS, ids=[e[1] for e in ERRORS])
def test_error_kinds(text: str, code: str, line: int, column: int, caret: str | None, hint: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    e = info.value
    assert (e.code, e.line, e.column) == (code, line, column)
    assert 0 <= e.offset <= len(text)
    shown = str(e).split("\n")
    assert shown[0].startswith(f"line {line}, column {column}: ")
    if caret is not None:
        assert shown[2] == caret
        assert shown[1] == text.split("\n")[line - 1]
    assert "^" in shown[2]
    assert hint in e.hint and shown[-1] == f"hint: {e.hint}"
    assert "\x1b" not in str(e)


def test_error_names_found_and_expected() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse('eq(name "x")')
    e = info.value
    assert e.message == 'expected "," or ")" after eq(name, found \'"x"\''
    assert e.found == '"x"' and e.expected == ('","', '")"')


def test_depth_limit_is_exact() -> None:
    # Calls and lists both count: not(...) x 126, in(...), [...] is 128 levels.
    ok = "not(" * (MAX_DEPTH - 2) + "in(a, [1])" + ")" * (MAX_DEPTH - 2)
    assert isinstance(parse(ok), ast.Not)
    with pytest.raises(FilterSyntaxError, match="deeper than 128") as info:
        parse("not(" * (MAX_DEPTH - 1) + "in(a, [1])" + ")" * (MAX_DEPTH - 1))
    assert info.value.found == "["


@pytest.mark.parametrize("opener", ["not(", "and(", "[", "eq(a, ["])
def test_ten_thousand_levels_give_a_clean_error(opener: str) -> None:
    for text in (opener * 10_000, opener * 10_000 + "x" + ")" * 10_000):
        with pytest.raises(FilterSyntaxError) as info:
            parse(text)
        assert info.value.code in ("too-deep", "unexpected-token")
        assert len(str(info.value)) < 1000  # the excerpt is a window, not the whole line


def test_a_one_megabyte_or_parses() -> None:
    """Its time against a quarter of it (linear: 4x) is ``parse_linear_growth_4x`` in benchmarks/."""
    text = "or(" + ", ".join(f'eq(name, "run-{i:07d}")' for i in range(40_000)) + ")"
    assert len(text) > 1_000_000
    tree = parse(text)
    assert isinstance(tree, ast.Or) and len(tree.args) == 40_000 and tree.args[-1].value.value == "run-0039999"


# ------------------------------------------------------------------ corpus


def test_seed_filters_parse() -> None:
    filters = seed_filters()
    assert len(filters) >= 30, "the seed extraction found too few filters"
    for f in filters:
        assert isinstance(parse(f), ast.Expr), f


@pytest.mark.parametrize("case_id, arg, text, expect_error", case_filters(), ids=lambda v: str(v)[:20])
def test_case_filters(case_id: str, arg: str, text: str, expect_error: str | None) -> None:
    if expect_error == "syntax":
        with pytest.raises(FilterSyntaxError) as info:
            parse(text)
        e = info.value
        assert e.line >= 1 and e.column >= 1 and e.code != "syntax"
    else:
        assert isinstance(parse(text), ast.Expr)


def test_grammar_is_lalr_source() -> None:
    assert "call:" in grammar_text()


# ------------------------------------------------------------------ robustness


def _parse_or_syntax_error(text: str) -> None:
    try:
        result = parse(text)
    except FilterSyntaxError as e:
        assert 1 <= e.line and 1 <= e.column and 0 <= e.offset <= len(text)
        str(e)
    else:
        assert isinstance(result, ast.Expr)
    _same_on_both_paths(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from('()[],"\'\\ \nabeqnot_ru1.-:xé\t\x00'), max_size=40))
def test_syntax_soup_raises_only_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)


_MUTATION_CHARS = st.sampled_from(list('()[],"\'\\ :.x1-') + ["\n", "eq(", "\\u", "null", ")))"])


@st.composite
def _mutations(draw: st.DrawFn) -> str:
    text = draw(st.one_of(st.sampled_from(seed_filters()), syntax_trees(6).map(render)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 6)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "truncate"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(_MUTATION_CHARS) + text[i:]
        elif op == "replace":
            text = text[:i] + draw(_MUTATION_CHARS) + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i]
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_mutated_filters_raise_only_syntax_errors(text: str) -> None:
    _parse_or_syntax_error(text)


def test_non_str_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(b"eq(a, 1)")  # type: ignore[arg-type]


def test_syntax_error_is_a_filter_error() -> None:
    assert issubclass(FilterSyntaxError, FilterError)


# ------------------------------------------------------------------ the two parsers

def _outcome(text: str, parse_text: Any) -> Any:
    """The tree with every span, or everything a syntax error says."""
    try:
        tree = parser._parse(text, parse_text)
    except FilterSyntaxError as e:
        return ("error", e.code, e.message, e.offset, e.line, e.column, e.width, e.found, e.expected, e.hint)
    return tree, [getattr(n, "span", None) for n in ast.walk(tree)]


def _same_on_both_paths(text: str) -> None:
    assert _outcome(text, parser._drive) == _outcome(text, parser._parse_with_lark), text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_table_driver_and_lark_fallback_agree_on_mutated_filters(text: str) -> None:
    """The fast driver and Lark's own parser (the fallback): same tree and spans, or the same error."""
    _same_on_both_paths(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(syntax_trees(8).flatmap(scrambled_texts))
def test_table_driver_and_lark_fallback_agree_on_generated_filters(text: str) -> None:
    _same_on_both_paths(text)


@pytest.mark.parametrize("text", [
    "not(" * 200, "eq(a, [" + "[" * 200, 'eq(a, "\\q")', "in(a, [b])", "eq(a:1)", "", "  ", "eq(a, 1) x",
    "eq(a, 1", 'eq(a, "x', "eq(a,, 1)", "or(" + "eq(a, 1), " * 1000,
])
def test_table_driver_and_lark_fallback_agree_on_errors(text: str) -> None:
    _same_on_both_paths(text)


def test_missing_lark_internals_fall_back_to_lark(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """A Lark release without the private tables: parse() still works, through Lark's own parser."""
    assert parser._read_lark_tables(types.SimpleNamespace(terminals=[], ignore_tokens=[])) is None
    monkeypatch.setenv("FILTERQL_CACHE_DIR", str(tmp_path))  # no cached tables to find
    monkeypatch.setattr(parser, "_read_lark_tables", lambda lk: None)
    parser._tables.cache_clear()
    try:
        assert parser._tables() is None
        text = 'and(eq(run_type, "llm"), in(tags, ["a", 1]))'
        tree = parse(text)
        assert tree == ast.And([ast.Compare("eq", ast.Field("run_type"), ast.String("llm")),
                                ast.In(ast.Field("tags"), ast.ListLit([ast.String("a"), ast.Number("1")]))])
        with pytest.raises(FilterSyntaxError) as info:
            parse("eq(a, 1")
        assert info.value.code == "unexpected-end"
        assert list(tmp_path.iterdir()) == []  # nothing cached
    finally:
        parser._tables.cache_clear()


def test_tables_are_cached_and_a_stale_or_broken_cache_is_rebuilt(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Any) -> None:
    monkeypatch.setenv("FILTERQL_CACHE_DIR", str(tmp_path))
    parser._tables.cache_clear()
    try:
        built = parser._tables()
        (cached,) = tmp_path.iterdir()
        plain = json.loads(cached.read_text("utf-8"))
        assert plain["grammar"] == grammar_text()
        parser._tables.cache_clear()
        assert parser._tables() == built  # read back
        for broken in ("{", json.dumps({**plain, "grammar": plain["grammar"] + "\n// changed"}), "[]"):
            cached.write_text(broken, "utf-8")
            parser._tables.cache_clear()
            assert parser._tables() == built
            assert json.loads(cached.read_text("utf-8")) == plain  # rewritten
    finally:
        parser._tables.cache_clear()


@pytest.mark.parametrize("name", ["NAME", "NUMBER"])
def test_lexicon_reads_the_same_terminals_lark_compiles(name: str) -> None:
    """The builder and JSON form check names and numbers without Lark, against the same grammar."""
    from filterql import lexicon
    from filterql.parser import _parser

    (terminal,) = [t for t in _parser().terminals if t.name == name]
    assert lexicon.terminal_pattern(name).pattern == terminal.pattern.to_regexp()


# ----------------------------------------------------------- filters as people write them (issue 15)


def test_quoted_field_name_is_a_field_rendered_bare() -> None:
    expr = parse("""has("metadata", '{"foo": "bar"}')""")
    assert expr == parse("""has(metadata, '{"foo": "bar"}')""")
    assert expr.field.quoted and str(expr) == 'has(metadata, "{\\"foo\\": \\"bar\\"}")'
    assert parse('eq("name", "x")') == parse('eq(name, "x")')
    assert parse('search("name", "x")') == parse('search(name, "x")')
    # A string stays a value where a value belongs, and where it cannot be a field name.
    assert isinstance(parse('eq("x", name)'), ast.Call)
    assert isinstance(parse('eq("a b", "x")').args[0], ast.String)
    assert isinstance(parse('search("x")').text, ast.String)


@pytest.mark.parametrize("escape, char", [(r"\/", "/"), (r"\b", "\b"), (r"\f", "\f"), (r"\u00e9", "é"),
                                          (r"\u0022", '"'), (r"\ud83d\ude00", "😀")])
def test_json_encoder_escapes(escape: str, char: str) -> None:
    assert parse(f'eq(name, "a{escape}b")').value.value == f"a{char}b"


def test_json_dumps_literals_parse() -> None:
    import json

    for value in ["a/b", "x\by\fz", "é😀", 'q"uo\\te', "\u2028"]:
        for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
            assert parse(f"eq(name, {text})").value.value == value


def test_dotted_names_parse_as_fields() -> None:
    assert parse('eq(metadata.user_id, "u1")').field.name == "metadata.user_id"
    assert parse('eq(extra.metadata.thread_id, "t")').field.name == "extra.metadata.thread_id"
