"""The UI search-bar syntax (SPEC §11): from_ui, to_ui, the docs page's examples, round trips."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from conformance import load_runs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import FILTER_TIMESTAMPS, NAMES, TAGS, THREADS, run_lists

import filterql
from filterql import FilterSyntaxError, FilterTranslationError, ast, from_ui, parse, to_ui
from filterql.runs import flatten
from filterql.ui_parser import scope_context

RUNS = load_runs()
FUZZ = int(os.environ.get("FILTERQL_FUZZ", "1"))


def _ids(expr: ast.Expr | str, context: str) -> list[str]:
    return [r["id"] for r in filterql.select(RUNS, **{context: expr})]


def _latency(run: dict) -> Decimal | None:
    from filterql.coerce import parse_iso

    if not run.get("end_time"):
        return None
    return Decimal((parse_iso(run["end_time"]) - parse_iso(run["start_time"])).total_seconds())


def _meta(run: dict) -> dict:
    return (run.get("extra") or {}).get("metadata") or {}


def _score(run: dict, key: str) -> list:
    if run.get("feedback") is not None:
        return [f.get("score") for f in run["feedback"] if f.get("key") == key]
    stats = (run.get("feedback_stats") or {}).get(key)
    return [stats["avg"]] if stats else []


def _search(obj: object, word: str) -> bool:
    leaves = [v for _, v in flatten(obj)] if isinstance(obj, dict) else []
    return any(isinstance(v, str) and word.lower() in v.lower() for v in leaves)


def _root(run: dict) -> dict | None:
    return next((r for r in RUNS if r["id"] == run["trace_id"]), None)


def _any_in_trace(run: dict, test) -> bool:  # noqa: ANN001
    return any(test(r) for r in RUNS if r["trace_id"] == run["trace_id"])


# The page's Examples section, each in the scope it names (its table selection's default otherwise):
# (query, scope, API form, the page's words as a Python test of one run in that scope).
DOC_EXAMPLES = [
    ("run_type:llm AND status:error AND latency:>10", "single run",
     'and(eq(run_type, "llm"), eq(status, "error"), gt(latency, 10))',
     lambda r: r["run_type"] == "llm" and r.get("status") == "error" and (_latency(r) or 0) > 10),
    ("run_type:llm AND feedback.correctness.score:<0.5", "single run",
     'and(eq(run_type, "llm"), and(eq(feedback_key, "correctness"), lt(feedback_score, 0.5)))',
     lambda r: r["run_type"] == "llm" and any(s is not None and s < 0.5 for s in _score(r, "correctness"))),
    ("metadata.env:production AND -status:success", "root run",
     'and(and(eq(metadata_key, "env"), eq(metadata_value, "production")), not(eq(status, "success")))',
     lambda r: _meta(r).get("env") == "production" and r.get("status") != "success"),
    ('input:~"refund" AND status:error', "any run",
     'and(search(inputs, "refund"), eq(status, "error"))',
     lambda r: _search(r.get("inputs"), "refund") and r.get("status") == "error"),
    ("run_type:tool AND name:search_documents", "any run",
     'and(eq(run_type, "tool"), eq(name, "search_documents"))',
     lambda r: r["run_type"] == "tool" and r["name"] == "search_documents"),
    ("total_cost:>0.5", "root run", "gt(total_cost, 0.5)",
     lambda r: r.get("total_cost") is not None and Decimal(str(r["total_cost"])) > Decimal("0.5")),
]

# The same six shapes with values the conformance runs hold, so each selects some runs.
ADAPTED_EXAMPLES = [
    ("run_type:tool AND status:error AND latency:>5", "single run",
     'and(eq(run_type, "tool"), eq(status, "error"), gt(latency, 5))',
     lambda r: r["run_type"] == "tool" and r.get("status") == "error" and (_latency(r) or 0) > 5),
    ("run_type:chain AND feedback.user_score.score:<0.5", "single run",
     'and(eq(run_type, "chain"), and(eq(feedback_key, "user_score"), lt(feedback_score, 0.5)))',
     lambda r: r["run_type"] == "chain" and any(s is not None and s < 0.5 for s in _score(r, "user_score"))),
    ("metadata.environment:production AND -status:success", "root run",
     'and(and(eq(metadata_key, "environment"), eq(metadata_value, "production")), not(eq(status, "success")))',
     lambda r: _meta(r).get("environment") == "production" and r.get("status") != "success"),
    ('input:~"report" AND status:error', "any run",
     'and(search(inputs, "report"), eq(status, "error"))',
     lambda r: _search(r.get("inputs"), "report") and r.get("status") == "error"),
    ("run_type:tool AND name:search_tool", "any run",
     'and(eq(run_type, "tool"), eq(name, "search_tool"))',
     lambda r: r["run_type"] == "tool" and r["name"] == "search_tool"),
    ("total_cost:>0.001", "root run", "gt(total_cost, 0.001)",
     lambda r: r.get("total_cost") is not None and Decimal(str(r["total_cost"])) > Decimal("0.001")),
]

# The Query syntax and Fields sections' snippets (with the page's placeholders filled in).
SYNTAX_EXAMPLES = [
    ("status:error", 'eq(status, "error")'),
    ("run_type:tool AND status:error", 'and(eq(run_type, "tool"), eq(status, "error"))'),
    ("name:ChatOpenAI", 'eq(name, "ChatOpenAI")'),
    ("-name:ChatOpenAI", 'not(eq(name, "ChatOpenAI"))'),
    ("name:~openai", 'search(name, "openai")'),
    ("-name:~openai", 'not(search(name, "openai"))'),
    ("name:Chat*", 'like(name, "Chat%")'),
    ("name:*", "neq(name, null)"),
    ("-error:~timeout", 'not(search(error, "timeout"))'),
    ("latency:>5", "gt(latency, 5)"),
    ("latency:>=5", "gte(latency, 5)"),
    ("latency:<5", "lt(latency, 5)"),
    ("latency:<=5", "lte(latency, 5)"),
    ("total_tokens:[10 TO 20]", "and(gte(total_tokens, 10), lte(total_tokens, 20))"),
    ("total_tokens:{10 TO 20}", "and(gt(total_tokens, 10), lt(total_tokens, 20))"),
    ("total_tokens:[10 TO 20}", "and(gte(total_tokens, 10), lt(total_tokens, 20))"),
    ("total_tokens:{10 TO 20]", "and(gt(total_tokens, 10), lte(total_tokens, 20))"),
    ("status:error OR status:interrupted", 'or(eq(status, "error"), eq(status, "interrupted"))'),
    ("status:error run_type:llm", 'and(eq(status, "error"), eq(run_type, "llm"))'),
    ("status:error AND run_type:llm", 'and(eq(status, "error"), eq(run_type, "llm"))'),
    ("status:error and run_type:llm", 'and(eq(status, "error"), eq(run_type, "llm"))'),
    ("NOT status:error", 'not(eq(status, "error"))'),
    ("-status:error", 'not(eq(status, "error"))'),
    ("status:error OR run_type:llm AND name:x",
     'or(eq(status, "error"), and(eq(run_type, "llm"), eq(name, "x")))'),
    ("(status:error OR run_type:llm) AND name:x",
     'and(or(eq(status, "error"), eq(run_type, "llm")), eq(name, "x"))'),
    ('name:"docs agent"', 'eq(name, "docs agent")'),
    ('tags:"env:prod"', 'has(tags, "env:prod")'),
    ('name:"docs*"', 'eq(name, "docs*")'),
    (r"name:docs\ agent", 'eq(name, "docs agent")'),
    ("name:docs agent", 'and(eq(name, "docs"), search("agent"))'),
    ("metadata.env:production", 'and(eq(metadata_key, "env"), eq(metadata_value, "production"))'),
    ("input.user_id:abc123", 'and(eq(input_key, "user_id"), eq(input_value, "abc123"))'),
    ("output.status:success", 'and(eq(output_key, "status"), eq(output_value, "success"))'),
    ("metadata.config.temperature:0.7",
     'and(eq(metadata_key, "config.temperature"), eq(metadata_value, "0.7"))'),
    ('metadata."my.key":production', 'and(eq(metadata_key, "my.key"), eq(metadata_value, "production"))'),
    ("metadata.retries:>=3", 'and(eq(metadata_key, "retries"), gte(metadata_value, 3))'),
    ("feedback.correctness.score:>=0.5", 'and(eq(feedback_key, "correctness"), gte(feedback_score, 0.5))'),
    ("feedback.relevance.value:pass", 'and(eq(feedback_key, "relevance"), eq(feedback_value, "pass"))'),
    ("feedback:*", 'like(feedback_key, "%")'),
    ("feedback.correctness:*", 'eq(feedback_key, "correctness")'),
    ("feedback:{correctness.score:>0.5}", 'and(eq(feedback_key, "correctness"), gt(feedback_score, 0.5))'),
    ("metadata.env:*", 'exists(metadata, "env")'),
    ("timeout", 'search("timeout")'),
    ('"timeout"', 'search("timeout")'),
]

# Snippets of the page with no exact API form, and the construct each refusal names.
REFUSED = [
    ('"capital of France"', "single run", "phrase"),
    ("feedback.quality.comment:~helpful", "single run", "comment"),
    ("feedback.correctness:0.5", "single run", "subfield"),
    ("tags:*", "single run", "tags:*"),
    ("error:timeout", "single run", "only ~"),
    ("input.user_id:>3", "single run", "only metadata paths"),
    ("attachments:x", "single run", "attachments"),
    ("prompt_token_details.cache_read:>5", "single run", "breakdowns"),
]


@pytest.mark.parametrize("text, scope, api, words", DOC_EXAMPLES + ADAPTED_EXAMPLES,
                         ids=[e[0] for e in DOC_EXAMPLES + ADAPTED_EXAMPLES])
def test_docs_examples_mean_what_the_page_says(text, scope, api, words) -> None:
    context = scope_context(scope)
    expr = from_ui(text, scope=scope)
    assert expr == parse(api)
    assert _ids(expr, context) == _ids(api, context)
    # The page's words, applied in the scope: the run itself, its root, or any run of its trace.
    test = {"filter": words,
            "trace_filter": lambda r: (root := _root(r)) is not None and words(root),
            "tree_filter": lambda r: _any_in_trace(r, words)}[context]
    expected = {r["id"] for r in RUNS if test(r)}
    assert set(_ids(expr, context)) == expected


def test_adapted_examples_match_some_runs() -> None:
    """The table is not vacuous: each adapted example selects runs, and not all of them."""
    for text, scope, _, _ in ADAPTED_EXAMPLES:
        assert 0 < len(_ids(from_ui(text, scope=scope), scope_context(scope))) < len(RUNS), text


@pytest.mark.parametrize("text, api", SYNTAX_EXAMPLES, ids=[e[0] for e in SYNTAX_EXAMPLES])
def test_syntax_examples(text, api) -> None:
    expr = from_ui(text)
    assert expr == parse(api)
    filterql.check(expr)  # every one is a valid filter
    assert _ids(expr, "filter") == _ids(api, "filter")
    again = from_ui(to_ui(expr))
    assert _ids(again, "filter") == _ids(expr, "filter")


@pytest.mark.parametrize("text, scope, words", REFUSED, ids=[e[0] for e in REFUSED])
def test_no_api_form_is_refused_with_a_position(text, scope, words) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        from_ui(text, scope=scope)
    e = info.value
    assert words in (e.message + " " + e.hint)
    assert e.line == 1 and 1 <= e.column <= len(text) + 1
    assert "^" in str(e)


@pytest.mark.parametrize("text, code, column, hint", [
    ("status:", "unexpected-end", 8, ""),
    ('name:"docs', "unterminated-string", 6, "close the quote"),
    ("(status:error", "unexpected-end", 14, "close every"),
    ("status: error", "unexpected-token", 7, "right after the colon"),
    ("stauts:error", "unknown-field", 1, "did you mean `status`"),
    ("start_time:>2024", "unknown-field", 1, "API field"),
    ('eq(status, "error")', "api-syntax", 3, "filterql.parse"),
    ("status:error AND", "unexpected-end", 17, ""),
    ("", "empty", 1, ""),
])
def test_syntax_errors_say_where(text, code, column, hint) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        from_ui(text)
    assert (info.value.code, info.value.column) == (code, column)
    assert hint in info.value.hint


@pytest.mark.parametrize("api, construct", [
    ('has(metadata, "{\\"a\\": 1}")', "has(metadata"),
    ('like(name, "a_b")', "like(name"),
    ('eq(metadata_value, "x")', "eq(metadata_value"),
    ("eq(is_root, true)", "eq(is_root"),
    ('and(eq(metadata_key, "a"), eq(metadata_key, "b"), eq(metadata_value, 1))', "and("),
    ('eq(metadata_key, "a")', "eq(metadata_key"),
    ('search(metadata, "x")', None),  # expressible: metadata:~x
])
def test_to_ui_refuses_what_the_search_bar_cannot_say(api, construct) -> None:
    expr = filterql.check(api)
    if construct is None:
        assert from_ui(to_ui(expr)) == parse(api)
        return
    with pytest.raises(FilterTranslationError) as info:
        to_ui(expr)
    assert info.value.construct.startswith(construct)
    assert "no search-bar form" in str(info.value)


def test_to_ui_renders_exact_forms() -> None:
    cases = {
        'neq(status, "error")': "status:* AND -status:error",
        'neq(name, "x")': "-name:x",
        'notlike(name, "a%")': "-name:a*",
        'in(run_type, ["llm", "tool"])': "run_type:llm OR run_type:tool",
        'not(or(eq(name, "a"), eq(name, "b")))': "NOT (name:a OR name:b)",
        'eq(name, "AND")': 'name:"AND"',
        'eq(name, "5")': 'name:"5"',
        r'like(name, "a b\\%%")': r"name:a\ b%*",
        'search("a b")': "a AND b",
        'and(eq(metadata_key, "k"), gte(metadata_value, 1), lt(metadata_value, 5))': "metadata.k:[1 TO 5}",
        'exists(inputs, "a b.c")': 'input."a b".c:*',
    }
    for api, ui in cases.items():
        assert to_ui(parse(api)) == ui, api


# ------------------------------------------------------------------ properties

_UI_NAMES = tuple(n for n in NAMES if n)
_V = st.sampled_from


def _s(v: str) -> ast.String:
    return ast.String(v)


def _f(n: str) -> ast.Field:
    return ast.Field(n)


@st.composite
def _ui_leaves(draw: st.DrawFn) -> ast.Expr:
    """A condition with a search-bar form (what to_ui must render and from_ui read back)."""
    kind = draw(st.integers(0, 13))
    if kind == 0:
        return ast.Compare(draw(_V(("eq", "neq"))), _f("name"), _s(draw(_V(NAMES))))
    if kind == 1:
        return ast.Compare(draw(_V(("eq", "neq"))), _f(draw(_V(("status", "run_type")))),
                           _s(draw(_V(("error", "success", "llm", "tool", "pending")))))
    if kind == 2:
        return ast.Compare(draw(_V(("gt", "gte", "lt", "lte"))), _f("latency"),
                           draw(_V((ast.Number("1"), ast.Number("2.5"), _s("2s"), _s("500ms")))))
    if kind == 3:
        return ast.Compare(draw(_V(("gt", "gte", "lt", "lte", "eq"))), _f(draw(_V(("total_tokens", "total_cost")))),
                           ast.Number(draw(_V(("0", "5", "300", "0.5")))))
    if kind == 4:
        return ast.Compare(draw(_V(("gt", "lt"))), _f(draw(_V(("first_token_time",)))), _s(draw(_V(FILTER_TIMESTAMPS))))
    if kind == 5:
        return ast.Compare(draw(_V(("eq", "neq"))), _f(draw(_V(("status", "latency", "total_tokens")))),
                           ast.Null())
    if kind == 6:
        return ast.Like(_f("name"), _s(draw(_V(("Chat%", "%Query", "%a%", "a\\%b%", "%", "chat o%")))),
                        negated=draw(st.booleans()))
    if kind == 7:
        return ast.Has(_f("tags"), _s(draw(_V(TAGS))))
    if kind == 8:
        return ast.In(_f(draw(_V(("run_type", "tags")))),
                      ast.ListLit([_s(v) for v in draw(st.lists(_V(("llm", "tool", "production", "dev")), min_size=1,
                                                                     max_size=3))]))
    if kind == 9:
        field = draw(_V((None, "name", "inputs", "outputs", "error", "tags", "metadata")))
        return ast.Search(_s(draw(_V(("image", "chat", "timeout", "a%b", "conv", "prod")))),
                          None if field is None else _f(field))
    if kind == 10:
        key, values = draw(_V((("metadata_key", "metadata_value"), ("input_key", "input_value"),
                               ("output_key", "output_value"))))
        k = _s(draw(_V(("environment", "user_id", "thread_id", "a", "a.b", "input", "output", "query"))))
        cond = draw(st.one_of(
            _V(("production", "5", "555", "conv-1", "true", "")).map(lambda v: ast.Compare("eq", _f(values), _s(v))),
            _V(("prod%", "%1")).map(lambda p: ast.Like(_f(values), _s(p)))))
        return ast.And([ast.Compare("eq", _f(key), k), cond])
    if kind == 11:
        op = draw(_V(("gt", "gte", "lt", "lte")))
        return ast.And([ast.Compare("eq", _f("metadata_key"), _s(draw(_V(("user_id", "a", "k"))))),
                        ast.Compare(op, _f("metadata_value"), ast.Number(draw(_V(("0", "5", "1.5")))))])
    if kind == 12:
        key = _s(draw(_V(("user_score", "Correctness", "helpfulness"))))
        return ast.And([ast.Compare("eq", _f("feedback_key"), key),
                        ast.Compare(draw(_V(("gt", "lt", "eq", "gte"))), _f("feedback_score"),
                                    ast.Number(draw(_V(("0", "0.5", "1", "4")))))])
    return ast.Exists(_f(draw(_V(("metadata", "inputs", "outputs")))), _s(draw(_V(("environment", "a", "a.b", "query")))))


def _ui_filters() -> st.SearchStrategy[ast.Expr]:
    return st.recursive(_ui_leaves(), lambda c: st.one_of(
        st.lists(c, min_size=1, max_size=3).map(ast.And),
        st.lists(c, min_size=1, max_size=3).map(ast.Or),
        c.map(ast.Not)), max_leaves=6)


@settings(max_examples=60 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ui_filters(), run_lists())
def test_from_ui_of_to_ui_matches_the_same_runs(expr, runs) -> None:
    checked = filterql.check(expr)
    text = to_ui(checked)
    back = filterql.check(from_ui(text))
    original, translated = filterql.compile(checked), filterql.compile(back)
    for run in runs:
        assert original(run) == translated(run), (text, run)
    assert filterql.check(from_ui(to_ui(back))) == back  # a fixed point after one trip


_UI_ALPHABET = st.sampled_from(list('abc:~*-<>=[]{}()" \\.TOANDRNO\n5_') + ["AND", "OR", "NOT", " TO ", "status:",
                                                                           "metadata.", "feedback."])


@settings(max_examples=300 * FUZZ, deadline=None)
@given(st.lists(_UI_ALPHABET, max_size=20).map("".join))
def test_random_text_raises_only_syntax_errors(text) -> None:
    try:
        expr = from_ui(text)
    except FilterSyntaxError as e:
        assert 1 <= e.line and 1 <= e.column
        str(e)
        return
    assert isinstance(expr, ast.Expr)


@settings(max_examples=100 * FUZZ, deadline=None)
@given(st.text(max_size=30))
def test_any_text_raises_only_syntax_errors(text) -> None:
    try:
        from_ui(text)
    except FilterSyntaxError:
        pass


def test_scopes_map_to_filter_arguments() -> None:
    assert [scope_context(s) for s in ("single run", "Root run", "any_run", "any-run")] == [
        "filter", "trace_filter", "tree_filter", "tree_filter"]
    with pytest.raises(ValueError):
        scope_context("trace")


def test_deep_nesting_is_a_clean_error() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        from_ui("(" * 200 + "a" + ")" * 200)
    assert info.value.code == "too-deep"


def test_thread_values_round_trip() -> None:
    for tid in THREADS:
        assert from_ui(to_ui(parse(f'eq(thread_id, "{tid}")'))) == parse(f'eq(thread_id, "{tid}")')


# ------------------------------------------------------------------ CLI


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "filterql.cli", *args], capture_output=True, text=True, timeout=120)


def test_translate_both_ways() -> None:
    out = _cli("translate", "run_type:llm AND latency:>10", "--from", "ui", "--to", "api")
    assert (out.returncode, out.stdout) == (0, 'and(eq(run_type, "llm"), gt(latency, 10))\n')
    out = _cli("translate", 'and(eq(run_type, "llm"), gt(latency, 10))', "--from", "api", "--to", "ui")
    assert (out.returncode, out.stdout) == (0, "run_type:llm AND latency:>10\n")
    out = _cli("translate", "has(metadata, '{\"a\": 1}')", "--from", "api", "--to", "ui")
    assert out.returncode == 1 and "no search-bar form" in out.stderr
    out = _cli("translate", '"two words"', "--from", "ui", "--to", "api")
    assert out.returncode == 1 and "column 1" in out.stderr and "^" in out.stderr


def test_check_names_the_api_form_of_search_bar_text() -> None:
    out = _cli("check", "status:error AND latency:>10")
    assert out.returncode == 1
    assert 'the API language writes it and(eq(status, "error"), gt(latency, 10))' in out.stdout


def test_thread_scope() -> None:
    """The Thread scope is thread_filter over the thread summary; refused while filterql has no thread_filter."""
    from filterql import catalog

    if "thread_filter" not in catalog.CONTEXTS:
        with pytest.raises(FilterSyntaxError) as info:
            from_ui("turn_count:>20", scope="thread")
        assert info.value.code == "unsupported-scope" and "thread_filter" in info.value.message
        return
    expr = from_ui("turn_count:>20 AND num_errored_turns:>0 OR trace_latency_p99:>=2.5", scope="thread")
    assert expr == parse("or(and(gt(count, 20), gt(num_errored_turns, 0)), gte(latency_p99, 2.5))")
    checked = filterql.check(expr, context="thread_filter")
    assert from_ui(to_ui(checked, scope="thread"), scope="thread") == expr
    assert to_ui(parse("gt(count, 3)"), scope="thread") == "turn_count:>3"
    assert from_ui("feedback.correctness.score:>0.5", scope="thread") == parse(
        'and(eq(feedback_key, "correctness"), gt(feedback_score, 0.5))')
    for text, words in [("name:x", "Any run"), ("timeout", "bare-term"), ("thread_duration:>5", "duration")]:
        with pytest.raises(FilterSyntaxError) as info:
            from_ui(text, scope="thread")
        assert words in info.value.message + info.value.hint


def test_a_bare_wildcard_on_a_key_path_has_no_search_bar_form() -> None:
    """`inputs.query:*` reads back as exists(inputs, "query"), which {"query": {"input": ...}} satisfies;
    like(input_value, "%") on the key "query" asks for a value at exactly that key (found by hypothesis)."""
    expr = filterql.check('and(eq(input_key, "query"), like(input_value, "%"))')
    with pytest.raises(FilterTranslationError, match="exists"):
        to_ui(expr)
