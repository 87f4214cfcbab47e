"""Fuzz suite (issue 11): random and mutated inputs to every CLI command, every public API entry
point and every run-file reader. The only outcomes allowed: a result, a ``FilterError`` subclass,
or a usage error (exit 2) on the command line; never another exception, never a traceback.

Budgets are small so CI stays fast; ``FILTERQL_FUZZ=10`` runs ten times the examples.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import filterql
from filterql import FilterError, ast
from filterql.cli import main
from filterql.sql import DIALECTS, load_files, to_sql
from fuzz_budget import examples
from seed_filters import case_filters, seed_filters
from shared_data import shared_dir

RUNS_PATH = shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl"
RUNS = [json.loads(line) for line in RUNS_PATH.open()]
SEEDS = sorted({f for f in seed_filters()} | {c[2] for c in case_filters() if c[2]})
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_PIECES = ['and(', 'or(', 'not(', ')', ',', '"', "'", '\\', '[', ']', 'eq(', 'gt(latency, ', '1e999999', '\\ud800',
           'metadata_key', 'null', 'true', '9' * 50, '\x00', '\n', 'é', '𝔘', '%', '_', ' ']


@st.composite
def mutated_filters(draw: st.DrawFn) -> str:
    """A seed filter with a few insertions, deletions, replacements or duplications; or random text."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=80))
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)))
        text = {"insert": text[:i] + piece + text[i:], "delete": text[:i] + text[j:],
                "replace": text[:i] + piece + text[j:], "duplicate": text[:j] + text[i:j] + text[j:]}[kind]
    return text


def _cli(argv: list[str], stdin: bytes = b"") -> int:
    """Run the CLI in process: its exit code; any exception but SystemExit fails the test."""
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code  # type: ignore[assignment]
    finally:
        sys.stdin = old
    return code  # type: ignore[return-value]


@settings(max_examples=examples(60), **_SETTINGS)
@given(mutated_filters(), st.sampled_from(["parse", "parse --json", "fmt", "fmt --pretty", "optimize --explain",
                                            "check", "check --format json --profile langsmith-v1", "sql",
                                            "sql --dialect clickhouse", "sql --dialect spark", "sql --dialect postgres",
                                            "check --filter", "match", "match duckdb"]))
def test_every_cli_command_answers_any_filter(capsys, text, command):
    words = command.split()
    if words[0] == "match":
        argv = ["match", str(RUNS_PATH), "--filter", text, "--ids-only"] + (["--engine", "duckdb"] if len(words) > 1 else [])
    elif words[-1] == "--filter":
        argv = [*words, text]
    else:
        argv = [words[0], text, *words[1:]]
    assert _cli(argv) in (0, 1, 2)
    assert "Traceback" not in capsys.readouterr().err


@settings(max_examples=examples(30), **_SETTINGS)
@given(st.binary(max_size=200), st.sampled_from(["parse", "fmt", "check", "optimize", "sql"]))
def test_every_cli_command_answers_any_bytes_on_stdin(capsys, data, command):
    assert _cli([command, "-"], stdin=data) in (0, 1, 2)
    assert "Traceback" not in capsys.readouterr().err


@settings(max_examples=examples(40), **_SETTINGS)
@given(st.lists(st.one_of(st.sampled_from(["--limit", "--search-limit", "--select", "--run-id", "--is-root",
                                           "--start-time", "--trace-id", "--engine", "--error", "--run-type",
                                           "--skip-invalid", "--ids-only", "-", "--filter", "--tree-filter"]),
                          st.text(max_size=12), st.integers(-(2**70), 2**70).map(str)), max_size=6))
def test_match_answers_any_options(capsys, words):
    assert _cli(["match", str(RUNS_PATH), *words]) in (0, 1, 2)
    assert "Traceback" not in capsys.readouterr().err


def _api_calls(text: str) -> list[Any]:
    return [
        lambda: filterql.parse(text), lambda: filterql.check(text), lambda: filterql.validate(text, profile="langsmith-v2"),
        lambda: filterql.compile(text), lambda: filterql.optimize(text), lambda: filterql.canonical(text),
        lambda: filterql.equivalent(text, 'eq(name, "x")'), lambda: filterql.render(filterql.parse(text), pretty=True),
        lambda: filterql.check_query(filter=text, trace_filter=text, select=["name"], limit=5),
        lambda: filterql.select(RUNS, filter=text), lambda: filterql.select(RUNS, tree_filter=text, limit=3),
        *[(lambda d: lambda: to_sql(text, dialect=d))(d) for d in DIALECTS],
        lambda: filterql.select_sql(RUNS, filter=text, engine="duckdb"),
    ]


@settings(max_examples=examples(40), **_SETTINGS)
@given(mutated_filters())
def test_every_api_entry_point_answers_any_filter(text):
    for call in _api_calls(text):
        try:
            call()
        except FilterError:
            pass


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                         st.sampled_from(["call", "args", "field", "string", "number", "bool", "null", "list", "x"]),
                         inner, max_size=3), max_leaves=12)


@settings(max_examples=examples(60), **_SETTINGS)
@given(st.one_of(_JSON, st.sampled_from(SEEDS).map(lambda s: filterql.parse(s).to_json() if _parses(s) else s)))
def test_from_json_answers_any_json(document):
    try:
        node = filterql.from_json(document)
    except FilterError:
        return
    assert isinstance(node, ast.Node) and filterql.from_json(node.to_json()) == node


def _parses(text: str) -> bool:
    try:
        filterql.parse(text)
    except FilterError:
        return False
    return True


@st.composite
def damaged_run_files(draw: st.DrawFn) -> bytes:
    """The conformance runs with random byte damage, random bytes, or random lines of JSON."""
    data = RUNS_PATH.read_bytes()
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=300))
    if kind == 1:
        lines = [json.dumps(draw(_JSON)).encode() for _ in range(draw(st.integers(0, 3)))]
        return data[: draw(st.integers(0, len(data)))] + b"\n".join(lines)
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + draw(st.binary(min_size=0, max_size=4)) + data[i + draw(st.integers(0, 4)):]
    return data


@settings(max_examples=examples(40), **_SETTINGS)
@given(damaged_run_files(), st.sampled_from(["runs.jsonl", "runs.jsonl.gz", "runs.parquet"]), st.booleans())
def test_every_run_file_reader_answers_any_bytes(tmp_path, data, name, skip):
    path = Path(tmp_path) / name
    path.write_bytes(data)
    try:
        list(filterql.read_runs(path, skip_invalid=skip))
    except FilterError:
        pass
    try:
        load_files(path, skip_invalid=skip).execute("SELECT count(*) FROM runs").fetchall()
    except FilterError:
        pass


@pytest.mark.parametrize("argv", [["serve", "--help"]])
def test_help_is_not_an_error(argv, capsys):
    assert _cli(argv) == 0
