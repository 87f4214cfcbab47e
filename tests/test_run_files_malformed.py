"""Run files (issue 11): every malformed input is a ``file:line: why`` error, or a counted skip under
``--skip-invalid``, on both engines and with the same decision.

The property: take a valid JSONL export, damage it the ways real files are damaged (bytes that are
not UTF-8, a byte-order mark, CR-only line ends, gzip that is truncated, corrupt or not gzip at all,
JSON nested past the limit, lone surrogate escapes, Parquet under another name, random byte flips),
then ``filterql match`` on the Python and DuckDB engines gives the same exit code, the same ids and
the same first stderr line (the error, or the skip count); never a traceback.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from filterql.run_files import MAX_RUN_DEPTH
from conftest import run_cli
from fuzz_budget import examples
from shared_data import shared_dir

LINES = (shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl").read_bytes().splitlines(keepends=True)


def _deep(line: bytes, depth: int) -> bytes:
    """The run of ``line`` with a member nesting ``depth`` levels in all (the run object is level 1)."""
    return b'{"deep": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b", " + line.lstrip()[1:]


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


#: name -> (file suffix, damage(lines, position, byte) -> file bytes)
DAMAGE = {
    "clean": (".jsonl", lambda ls, i, b: b"".join(ls)),
    "not utf-8": (".jsonl", lambda ls, i, b: b"".join(ls[:i] + [ls[i][:30] + bytes([0x80 | b]) + ls[i][30:]] + ls[i + 1:])),
    "byte-order mark": (".jsonl", lambda ls, i, b: b"\xef\xbb\xbf" + b"".join(ls)),
    "CR only": (".jsonl", lambda ls, i, b: b"".join(ls).replace(b"\n", b"\r")),
    "CRLF": (".jsonl", lambda ls, i, b: b"".join(ls).replace(b"\n", b"\r\n")),
    "gzip": (".jsonl.gz", lambda ls, i, b: _gzip(b"".join(ls))),
    "truncated gzip": (".jsonl.gz", lambda ls, i, b: _gzip(b"".join(ls))[: 10 + b % 200]),
    "corrupt gzip": (".jsonl.gz", lambda ls, i, b: (lambda z: z[:20] + bytes(x ^ 0x5A for x in z[20:60]) + z[60:])(
        _gzip(b"".join(ls)))),
    "gz that is not gzip": (".jsonl.gz", lambda ls, i, b: b"".join(ls)),
    "nested too deep": (".jsonl", lambda ls, i, b: b"".join(ls[:i] + [_deep(ls[i], MAX_RUN_DEPTH + 1 + b)] + ls[i + 1:])),
    "nested just within": (".jsonl", lambda ls, i, b: b"".join(ls[:i] + [_deep(ls[i], MAX_RUN_DEPTH - b % 3)] + ls[i + 1:])),
    "lone surrogate": (".jsonl", lambda ls, i, b: b"".join(
        ls[:i] + [ls[i].replace(b'"name": "', b'"name": "\\ud8' + b"%02x" % (b % 256) + b"x", 1)] + ls[i + 1:])),
    "huge integer": (".jsonl", lambda ls, i, b: b"".join(
        ls[:i] + [ls[i].replace(b'"total_tokens": ', b'"total_tokens": ' + b"9" * (4000 + b * 10) + b", \"t\": ", 1)]
        + ls[i + 1:])),
    "trailing comma": (".jsonl", lambda ls, i, b: b"".join(ls[:i] + [ls[i].replace(b"}", b", }", 1 + b % 3)] + ls[i + 1:])),
    "byte flip": (".jsonl", lambda ls, i, b: (lambda d: d[:b * 7 % len(d)] + bytes([b]) + d[b * 7 % len(d) + 1:])(
        b"".join(ls))),
    "truncated line": (".jsonl", lambda ls, i, b: b"".join(ls[:i] + [ls[i][: b % len(ls[i])]])),
}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code, lines, first = run_cli(argv, capsys)
    return code, lines, first.split("; first:")[0]


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(sorted(DAMAGE)), st.integers(0, len(LINES) - 1), st.integers(0, 255), st.booleans())
def test_both_engines_make_the_same_decision_on_damaged_files(tmp_path, capsys, damage, line, byte, skip):
    suffix, make = DAMAGE[damage]
    path = tmp_path / f"runs{suffix}"
    path.write_bytes(make(list(LINES), line, byte))
    argv = ["match", str(path), "--ids-only"] + (["--skip-invalid"] if skip else [])
    python = _run(argv, capsys)
    duckdb = _run(argv + ["--engine", "duckdb"], capsys)
    assert python == duckdb
    code, ids, message = python
    assert code in (0, 1)
    if code == 1:  # an error names the file and the line: file:line: why
        assert message.startswith(f"{path}:"), message


def test_parquet_is_recognized_by_its_magic_bytes(tmp_path, capsys):
    runs = [json.loads(line) for line in LINES]
    table = pa.Table.from_pylist([{k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in runs])
    path = tmp_path / "export.jsonl"  # a Parquet file under a JSONL name
    pq.write_table(table, path)
    python = _run(["match", str(path), "--ids-only"], capsys)
    assert python[0] == 0 and len(python[1]) == len(runs)
    assert _run(["match", str(path), "--ids-only", "--engine", "duckdb"], capsys) == python


@pytest.mark.parametrize("skip", [False, True])
def test_parquet_columns_of_unexpected_types_are_refused_or_read_alike(tmp_path, capsys, skip):
    runs = [json.loads(line) for line in LINES]
    for run in runs:
        run["start_time"] = 1714557600000  # epoch milliseconds: a unit the file does not state
    table = pa.Table.from_pylist([{k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in runs])
    path = tmp_path / "epoch.parquet"
    pq.write_table(table, path)
    argv = ["match", str(path), "--ids-only"] + (["--skip-invalid"] if skip else [])
    python = _run(argv, capsys)
    assert python[0] == 1 and "column start_time is int64, not a timestamp" in python[2]
    duckdb = _run(argv + ["--engine", "duckdb"], capsys)
    assert duckdb[0] == 1 and "column start_time" in duckdb[2] and duckdb[1] == []


def test_tags_stored_as_json_text_in_parquet_match_alike(tmp_path, capsys):
    runs = [json.loads(line) for line in LINES]
    table = pa.Table.from_pylist([{k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in r.items()}
                                  for r in runs])
    path = tmp_path / "tags.parquet"
    pq.write_table(table, path)
    argv = ["match", str(path), "--ids-only", "--filter", 'has(tags, "production")']
    python = _run(argv, capsys)
    assert python[0] == 0 and python[1]
    assert _run(argv + ["--engine", "duckdb"], capsys) == python


def test_integer_fields_read_whole_numbers_within_64_bits_alike(tmp_path, capsys):
    values = [5, 5.0, 1.5, "7", 1e3, 2**63, -(2**63), 1e30, True, None]
    runs = [json.loads(line) for line in LINES[: len(values)]]
    for run, value in zip(runs, values):
        run["total_tokens"] = value
    path = tmp_path / "tokens.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in runs))
    for source in ("gt(total_tokens, 0)", "lt(total_tokens, 0)", "eq(total_tokens, 5)", "eq(total_tokens, null)"):
        argv = ["match", str(path), "--ids-only", "--filter", source]
        python = _run(argv, capsys)
        assert _run(argv + ["--engine", "duckdb"], capsys) == python, source
    expected = {runs[i]["id"] for i in (0, 1, 4)}  # 5, 5.0, 1e3
    assert set(_run(["match", str(path), "--ids-only", "--filter", "gt(total_tokens, 0)"], capsys)[1]) == expected
