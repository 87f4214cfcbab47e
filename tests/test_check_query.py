"""Pre-send checks of a whole list_runs call, the rate-limit tiers, and ``filterql check``."""

from __future__ import annotations

import io
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from conformance import load_cases

from filterql import check_query, cli
from filterql.ratelimit import TABLE, tier

NOW = datetime(2024, 5, 20, tzinfo=timezone.utc)
DAY = timedelta(days=1)

# Every row of the documented table (seeds/000 "Rate limits"), as (tier arguments, requests per 10 s).
ROWS = [
    ("short-window", dict(start_time=NOW - 7 * DAY), 10),
    ("large-window", dict(start_time=NOW - 7 * DAY - timedelta(seconds=1)), 3),
    ("large-window", dict(), 3),  # no start_time is a large window
    ("search-short-window", dict(start_time=NOW - DAY, search=True), 3),
    ("search-large-window", dict(start_time=NOW - 30 * DAY, search=True), 1),
    ("child-run-ids-short-window", dict(start_time=NOW - DAY, child_run_ids=True), 3),
    ("child-run-ids-large-window", dict(child_run_ids=True), 1),
]


@pytest.mark.parametrize(("name", "kwargs", "requests"), ROWS, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_tier_rows(name: str, kwargs: dict, requests: int) -> None:
    limit = tier(now=NOW, **kwargs)
    assert (limit.tier, limit.requests, limit.window_seconds) == (name, requests, 10)


def test_every_table_row_is_tested() -> None:
    assert {r.name for r in TABLE} == {r[0] for r in ROWS}
    assert {(r.name, r.requests) for r in TABLE} == {(r[0], r[2]) for r in ROWS}


def test_window_uses_end_time_and_naive_is_utc() -> None:
    start = datetime(2024, 5, 1)
    assert tier(start_time=start, end_time=datetime(2024, 5, 8)).tier == "short-window"
    assert tier(start_time=start, end_time=datetime(2024, 5, 8, 0, 0, 1)).tier == "large-window"


def test_advice_names_the_faster_tier() -> None:
    assert tier(start_time=NOW - DAY, now=NOW).advice == ()
    [advice] = tier(now=NOW).advice
    assert advice.startswith("Set start_time") and "10 requests per 10 s instead of 3" in advice
    [advice] = tier(start_time=NOW - 30 * DAY, now=NOW).advice
    assert advice.startswith("Use a time window") and "7 days" in advice
    [advice] = tier(start_time=NOW - DAY, search=True, now=NOW).advice
    assert advice.startswith("Avoid full-text search") and "10 requests" in advice
    [advice] = tier(start_time=NOW - DAY, child_run_ids=True, now=NOW).advice
    assert advice.startswith("Avoid selecting child_run_ids")
    both = tier(start_time=NOW - DAY, search=True, child_run_ids=True, now=NOW).advice
    assert len(both) == 2 and all("together with the other advice" in a for a in both)


# ------------------------------------------------------------------ check_query


def codes(result) -> list[tuple[str | None, str, str]]:  # noqa: ANN001
    return [(d.argument, d.severity, d.code) for d in result.diagnostics]


def test_valid_call() -> None:
    r = check_query(filter='eq(name, "extractor")', trace_filter='and(eq(feedback_key, "user_score"), '
                    'eq(feedback_score, 1))', run_type="llm", is_root=True, error=False,
                    start_time=NOW - DAY, select=["name", "inputs"], limit=50, now=NOW)
    assert r.valid and r.diagnostics == ()
    assert set(r.filters) == {"filter", "trace_filter"}
    assert r.rate_limit.tier == "short-window"
    assert r.to_json() == {"valid": True, "diagnostics": [], "rate_limit": {
        "requests": 10, "window_seconds": 10, "tier": "short-window", "advice": []}}


def test_filters_are_checked_in_their_context_with_the_argument_named() -> None:
    r = check_query(tree_filter='eq(nmae, "x")')
    assert codes(r) == [("tree_filter", "error", "unknown-field")]
    assert not r.valid and "tree_filter" not in r.filters
    assert r.format().startswith("tree_filter: line 1, column 4: error[unknown-field]")
    assert r.to_json()["diagnostics"][0]["message"].startswith("tree_filter: ")


def test_argument_types() -> None:
    r = check_query(run_type=5, is_root="yes", error=2, start_time="yesterday", end_time=3, limit="10",
                    trace_id="abc", select="inputs", filter=5)
    assert codes(r) == [
        ("filter", "error", "argument-type"),
        ("run_type", "error", "argument-type"),
        ("is_root", "error", "argument-type"),
        ("error", "error", "argument-type"),
        ("start_time", "error", "bad-value"),
        ("end_time", "error", "argument-type"),
        ("trace_id", "error", "bad-value"),
        ("select", "error", "argument-type"),
        ("limit", "error", "argument-type"),
    ]
    select = next(d for d in r.diagnostics if d.argument == "select")
    assert select.hint == "wrap it in a list: select=['inputs']"


def test_is_root_accepts_one_as_in_the_docs() -> None:
    assert check_query(is_root=1).diagnostics == ()


def test_run_type_suggestion() -> None:
    [d] = check_query(run_type="LLM").diagnostics
    assert (d.severity, d.code) == ("warning", "unknown-value") and d.hint.startswith("did you mean `llm`?")


def test_run_ids_override_warning() -> None:
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    assert check_query(run_ids=ids).diagnostics == ()
    r = check_query(run_ids=ids + ["nope"], run_type="chain", filter='eq(name, "x")', limit=5)
    assert codes(r) == [("run_ids", "error", "bad-value"), ("run_ids", "warning", "run-ids-override")]
    assert "filter, run_type" in r.diagnostics[1].message
    assert codes(check_query(id=ids, is_root=True)) == [("id", "warning", "run-ids-override")]


def test_select_names() -> None:
    r = check_query(select=["name", "nmae", "child_run_ids"], start_time=NOW - DAY, now=NOW)
    assert codes(r) == [("select", "warning", "unknown-select"), ("select", "warning", "deprecated-select")]
    assert r.diagnostics[0].hint == "did you mean `name`?"
    assert r.rate_limit.tier == "child-run-ids-short-window"
    assert codes(check_query(select=["nmae"], profile="langsmith-v1")) == [("select", "error", "unknown-select")]


def test_limit() -> None:
    assert codes(check_query(limit=100)) == []
    assert codes(check_query(limit=101)) == [("limit", "warning", "server-limit")]
    for profile in ("langsmith-v1", "langsmith-v2"):
        [d] = [d for d in check_query(limit=101, profile=profile).diagnostics if d.argument == "limit"]
        assert (d.severity, d.code) == ("error", "server-limit") and "at most 100" in d.hint
    assert codes(check_query(limit=0)) == [("limit", "error", "bad-value")]


def test_times() -> None:
    r = check_query(start_time=datetime(2024, 5, 1), end_time="2024-04-01T00:00:00Z")
    assert codes(r) == [("start_time", "warning", "naive-datetime"), ("end_time", "warning", "empty-window")]
    assert codes(check_query(profile="langsmith-v2")) == [("start_time", "warning", "server-default-window")]


def test_search_anywhere_sets_the_search_tier() -> None:
    r = check_query(filter='eq(name, "x")', tree_filter='or(eq(name, "y"), search("timeout"))',
                    start_time="2024-05-19T00:00:00Z", now=NOW)
    assert r.rate_limit.tier == "search-short-window"


def test_unknown_argument() -> None:
    [d] = check_query(projct_name="x").diagnostics
    assert (d.argument, d.code) == ("projct_name", "unknown-argument") and "project_name" in d.hint


@pytest.mark.parametrize("case", load_cases(), ids=[c["id"] for c in load_cases()])
def test_conformance_case_arguments(case: dict) -> None:
    r = check_query(**case["args"])
    assert r.valid == ("expect_error" not in case), r.format()
    if case["id"] == "m05":  # run_ids with run_type
        assert [d.code for d in r.diagnostics] == ["run-ids-override"]


# ------------------------------------------------------------------ CLI


def run(argv: list[str], stdin: str = "", capsys=None) -> tuple[int, str]:  # noqa: ANN001
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        try:
            rc = cli.main(argv)
        except SystemExit as e:
            rc = e.code
    finally:
        sys.stdin = old
    return rc, capsys.readouterr().out


def test_cli_check_text(capsys) -> None:  # noqa: ANN001
    rc, out = run(["check", 'eq(nmae, "x")'], capsys=capsys)
    assert rc == 1
    assert out.splitlines() == ["line 1, column 4: error[unknown-field]: unknown field `nmae`", '  eq(nmae, "x")',
                                "     ^^^^", "  hint: did you mean `name`?", "invalid (1 error)"]
    rc, out = run(["check", 'eq(run_type, "LLM")'], capsys=capsys)
    assert rc == 0 and "warning[unknown-value]" in out
    assert out.splitlines()[-1] == "valid (1 warning)"
    rc, out = run(["check", 'eq(name, "x")'], capsys=capsys)
    assert (rc, out) == (0, "valid\n")


def test_cli_check_json_stdin_and_profile(capsys) -> None:  # noqa: ANN001
    rc, out = run(["check", "-", "--format", "json", "--profile", "langsmith-v1", "--context", "trace_filter"],
                  stdin="neq(error, null)", capsys=capsys)
    assert rc == 1
    doc = json.loads(out)
    assert doc == {"valid": False, "diagnostics": [{
        "severity": "error", "kind": "validation", "code": "server-neq-error-null",
        "message": doc["diagnostics"][0]["message"], "line": 1, "column": 1,
        "hint": 'write eq(status, "error") to keep errored runs', "suggestions": []}]}
    rc, out = run(["check", 'eq(name "x")', "--format", "json"], capsys=capsys)
    assert rc == 1 and json.loads(out)["diagnostics"][0]["kind"] == "syntax"


def test_cli_whole_call(capsys) -> None:  # noqa: ANN001
    argv = ["check", "--filter", 'search("timeout")', "--trace-filter", 'eq(name, "x")', "--start-time",
            "2024-05-01T00:00:00Z", "--end-time", "2024-05-02T00:00:00Z", "--run-type", "llm", "--is-root", "true",
            "--error", "false", "--select", "name,inputs", "--select", "outputs", "--limit", "10",
            "--format", "json"]
    rc, out = run(argv, capsys=capsys)
    assert rc == 0
    assert json.loads(out) == {"valid": True, "diagnostics": [], "rate_limit": {
        "requests": 3, "window_seconds": 10, "tier": "search-short-window",
        "advice": ['Avoid full-text search: use structured filters (e.g. eq(), has()) instead of search("...") '
                   "(10 requests per 10 s instead of 3)"]}}
    rc, out = run(["check", "--limit", "500", "--profile", "langsmith-v2", "--run-id", "x"], capsys=capsys)
    assert rc == 1
    assert "limit: error[server-limit]" in out and "run_ids: error[bad-value]" in out
    assert "rate limit: 3 requests per 10 s (large-window)" in out and "advice: Set start_time" in out


def test_cli_expr_joins_the_call_in_its_context(capsys) -> None:  # noqa: ANN001
    rc, out = run(["check", 'eq(nmae, "x")', "--context", "tree_filter", "--limit", "5"], capsys=capsys)
    assert rc == 1 and out.startswith("tree_filter: line 1, column 4: error[unknown-field]")


@pytest.mark.parametrize("argv", [
    ["check"],
    ["check", "--is-root", "maybe"],
    ["check", "--limit", "ten"],
    ["check", 'eq(name, "x")', "--filter", 'eq(name, "y")'],
    ["check", 'eq(name, "x")', "--profile", "langsmith-v3"],
])
def test_cli_usage_errors(argv: list[str], capsys) -> None:  # noqa: ANN001
    rc, _ = run(argv, capsys=capsys)
    assert rc == 2
