"""--fix: every rewrite whose meaning is certain, and nothing else (issue 15)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conformance import load_runs

import filterql
from filterql.fixes import fix_filter

FIXES = [
    ("""has("metadata", '{"a": 1}')""", "offline", """has(metadata, '{"a": 1}')"""),
    ('eq("name", "x")', "offline", 'eq(name, "x")'),
    ('eq(metadata.user_id, "u1")', "offline", 'and(eq(metadata_key, "user_id"), eq(metadata_value, "u1"))'),
    ('eq(extra.metadata.thread_id, "t")', "offline", 'and(eq(metadata_key, "thread_id"), eq(metadata_value, "t"))'),
    ("gt(metadata.n,  5)", "offline", 'and(eq(metadata_key, "n"), gt(metadata_value, 5))'),
    ('in(inputs.q, ["a", "b"])', "offline", 'and(eq(input_key, "q"), in(input_value, ["a", "b"]))'),
    ('and(eq(run_type, "llm"),\n    eq(metadata.env, "prod"))', "offline",
     'and(eq(run_type, "llm"),\n    and(eq(metadata_key, "env"), eq(metadata_value, "prod")))'),
    ('search(name, "Chat")', "langsmith-v1", 'like(name, "%Chat%")'),
    ('search(inputs, "a_b")', "langsmith-v2", r'like(inputs, "%a\\_b%")'),
    ("neq(error, null)", "langsmith-v2", 'eq(status, "error")'),
    ("status:error AND latency:>10", "offline", 'and(eq(status, "error"), gt(latency, 10))'),
    ('and(search(name, "x"), eq("metadata.k", 1))', "langsmith-v1",
     'and(like(name, "%x%"), and(eq(metadata_key, "k"), eq(metadata_value, 1)))'),
]

UNFIXED = [
    ('eq(name, "x")', "offline"),
    ('search(name, "x")', "offline"),            # offline accepts it: no reason to change meaning
    ("neq(error, null)", "offline"),
    ('search(name, "two words")', "langsmith-v1"),  # like() would ask for the phrase: not the same
    ('neq(metadata.k, "v")', "offline"),          # "no entry k with v" or "entry k with another value"?
    ('notlike(metadata.k, "v%")', "offline"),
    ("eq(name", "offline"),                       # does not parse, in either syntax
]


@pytest.mark.parametrize("text, profile, expected", FIXES, ids=[f[0] for f in FIXES])
def test_certain_rewrites(text, profile, expected) -> None:
    fixed = fix_filter(text, profile)
    assert fixed is not None and fixed.text == expected and fixed.applied
    filterql.check(fixed.text)


@pytest.mark.parametrize("text, profile", UNFIXED, ids=[u[0] for u in UNFIXED])
def test_uncertain_rewrites_are_left_as_diagnostics(text, profile) -> None:
    assert fix_filter(text, profile) is None


@pytest.mark.parametrize("text, original", [
    ("""has("metadata", '{"environment": "production"}')""", filterql.parse('has(metadata, "{\\"environment\\": \\"production\\"}")')),
    ('eq("name", "ChatOpenAI")', filterql.parse('eq(name, "ChatOpenAI")')),
    ("status:error AND latency:>5", filterql.from_ui("status:error AND latency:>5")),
])
def test_offline_fixes_keep_the_meaning(text, original) -> None:
    """Quoted fields and UI syntax: the fixed filter selects what the original means."""
    runs = load_runs()
    fixed = fix_filter(text).text
    ids = [r["id"] for r in filterql.select(runs, filter=fixed)]
    assert ids == [r["id"] for r in filterql.select(runs, filter=original)] and ids


def test_check_fix_prints_the_diff_and_checks_the_result() -> None:
    out = subprocess.run([sys.executable, "-m", "filterql.cli", "check", "--fix", "--profile", "langsmith-v1",
                          'and(eq(metadata.user_id, "u1"), neq(error, null))'], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert '-and(eq(metadata.user_id, "u1"), neq(error, null))' in out.stdout
    assert '+and(and(eq(metadata_key, "user_id"), eq(metadata_value, "u1")), eq(status, "error"))' in out.stdout
    assert out.stdout.rstrip().endswith("valid")
    left = subprocess.run([sys.executable, "-m", "filterql.cli", "check", "--fix", 'neq(metadata.k, "v")'],
                          capture_output=True, text=True, timeout=120)
    assert left.returncode == 1 and "unknown-field" in left.stdout and "+++" not in left.stdout


def test_fmt_fix() -> None:
    out = subprocess.run([sys.executable, "-m", "filterql.cli", "fmt", "--fix", 'eq(metadata.user_id,"u1")'],
                         capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stdout) == (0, 'and(eq(metadata_key, "user_id"), eq(metadata_value, "u1"))\n')
