"""The shared conformance suite, through every backend, from one runner.

A backend is one entry of :data:`BACKENDS`: a function taking a case's ``list_runs``
arguments and returning the matching run ids, raising the :class:`FilterError` the
Python API raises for invalid input. To add one (an engine, a server, a front-end),
add one line. Every backend must give each case's expected ids; for an invalid case
it must raise the same exception class with the same ``code`` as ``select`` (the
reference), and the CLI must print exactly the report of that error.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gzip
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest
from conformance import RUNS_FILE, case_id, cli_args, error_cases, expect_cases, load_runs
from conftest import open_on

from filterql import FilterError, FilterSyntaxError, FilterValidationError, optimize, read_runs, select
from filterql.cli import main
from filterql.optimizer import Verdict

EXPECT = expect_cases()
ERRORS = error_cases()
_FILTERS = ("filter", "trace_filter", "tree_filter")


# ------------------------------------------------------------------ inputs


@functools.cache
def _inputs() -> Path:
    """A directory holding the conformance runs as JSONL.gz and as bulk-export Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(tempfile.mkdtemp(prefix="filterql-conformance-"))
    atexit.register(shutil.rmtree, out, True)
    with RUNS_FILE.open("rb") as src, gzip.open(out / "runs.jsonl.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    rows = []
    for run in load_runs():
        row = dict(run)
        for column in ("extra", "inputs", "outputs", "feedback_stats"):  # JSON documents as text, as exported
            if row.get(column) is not None:
                row[column] = json.dumps(row[column])
        rows.append(row)
    pq.write_table(pa.Table.from_pylist(rows), out / "runs.parquet")
    return out


def _file(fmt: str) -> Path:
    return RUNS_FILE if fmt == "jsonl" else _inputs() / f"runs.{fmt}"


# ------------------------------------------------------------------ backends


def _ids(runs: list[Any]) -> list[str]:
    return [r["id"] for r in runs]


def _python(fmt: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda args: _ids(select(read_runs(_file(fmt)) if fmt != "memory" else load_runs(), **args))


def _optimized_first(args: dict[str, Any]) -> list[str]:
    """``select`` given each filter already optimized (a verdict stays text: its meaning is the rule's)."""
    args = dict(args)
    for name in _FILTERS:
        if name in args:
            result = optimize(args[name], context=name)
            if not isinstance(result, Verdict):
                args[name] = result
    return _ids(select(load_runs(), **args))


_ENGINES: dict[tuple[str, str], Any] = {}


def _engine(name: str, fmt: str) -> Any:
    """An engine over the runs, opened once for the module (closed by :func:`_close_engines`)."""
    if (name, fmt) not in _ENGINES:
        nested = not name.endswith("-flat")
        source = load_runs() if fmt == "memory" else _file(fmt)
        _ENGINES[name, fmt] = open_on(source, name.removesuffix("-flat"), nested=nested)
    return _ENGINES[name, fmt]


@pytest.fixture(scope="module", autouse=True)
def _close_engines():
    """chdb keeps one database per process: an engine left open would clash with the next one."""
    yield
    for engine in _ENGINES.values():
        engine.close()
    _ENGINES.clear()


def _sql(name: str, fmt: str = "jsonl") -> Callable[[dict[str, Any]], list[str]]:
    return lambda args: _engine(name, fmt).select_ids(**args)


class CliFailure(Exception):
    """``filterql match`` exited with an error: its exit code and what it printed on stderr."""

    def __init__(self, code: int, stderr: str) -> None:
        super().__init__(stderr)
        self.exit_code, self.stderr = code, stderr


def _cli(*extra: str, subprocess_run: bool = False) -> Callable[[dict[str, Any]], list[str]]:
    def run(args: dict[str, Any]) -> list[str]:
        argv = ["match", str(RUNS_FILE), *cli_args(args), *extra, "--ids-only"]
        if subprocess_run:  # the installed command, as a user runs it
            done = subprocess.run([sys.executable, "-m", "filterql.cli", *argv], capture_output=True, text=True,
                                  timeout=120)
            code, out, err = done.returncode, done.stdout, done.stderr
        else:
            code, out, err = _in_process(argv)
        if code != 0:
            raise CliFailure(code, err)
        assert err == ""
        return out.split()

    return run


def _in_process(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


#: name -> backend. The reference for errors is "python".
BACKENDS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "python": _python("memory"),
    "python-jsonl": _python("jsonl"),
    "python-jsonl.gz": _python("jsonl.gz"),
    "python-parquet": _python("parquet"),
    "optimized-first": _optimized_first,
    "cli": _cli(subprocess_run=True),
    "cli-duckdb": _cli("--engine", "duckdb"),
    "duckdb": _sql("duckdb"),
    "duckdb-flat": _sql("duckdb-flat"),
    "duckdb-memory": _sql("duckdb", "memory"),
    "duckdb-jsonl.gz": _sql("duckdb", "jsonl.gz"),
    "duckdb-parquet": _sql("duckdb", "parquet"),
    "clickhouse": _sql("clickhouse"),
    "datafusion": _sql("datafusion"),
    "spark": _sql("spark"),
    "postgres": _sql("postgres"),
}


# ------------------------------------------------------------------ the runner


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", EXPECT, ids=[case_id(c) for c in EXPECT])
def test_backend_matches_expected_ids(backend: str, case: dict[str, Any]) -> None:
    ids = BACKENDS[backend](case["args"])
    assert len(ids) == len(set(ids))
    assert set(ids) == set(case["expect"])


def _reference(args: dict[str, Any]) -> FilterError | None:
    try:
        select(load_runs(), **args)
    except FilterError as e:
        return e
    return None


def _kind(error: FilterError) -> str:
    """``syntax`` or ``validation``, as the cases name them."""
    return "syntax" if isinstance(error, FilterSyntaxError) else "validation"


def _report(error: FilterError) -> str:
    """What the CLI prints for ``error`` (no colour: stderr is not a terminal)."""
    return (f"error: {error}" if isinstance(error, FilterSyntaxError) else str(error)) + "\n"


@pytest.mark.parametrize("case", ERRORS, ids=[case_id(c) for c in ERRORS])
def test_reference_error_is_the_documented_kind(case: dict[str, Any]) -> None:
    expected, error = case["expect_error"], _reference(case["args"])
    if expected == "no_crash":
        return
    assert isinstance(error, FilterValidationError) and error.code, error
    if expected in ("syntax", "validation"):
        assert _kind(error) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ERRORS, ids=[case_id(c) for c in ERRORS])
def test_backend_raises_the_reference_error(backend: str, case: dict[str, Any]) -> None:
    reference = _reference(case["args"])
    try:
        BACKENDS[backend](case["args"])
    except CliFailure as e:
        assert reference is not None, e.stderr
        assert e.exit_code == 1 and e.stderr == _report(reference)
    except FilterError as e:
        assert reference is not None, e
        assert (type(e), getattr(e, "code", None)) == (type(reference), reference.code)
    else:
        assert reference is None, f"{backend} accepted what select refuses: {reference}"
