"""Shared test helpers: the one run factory, and the engines that need a server or a session.

Every test that needs a run in LangSmith's run JSON builds it with :func:`make_run`
(hypothesis strategies in ``strategies.py`` too), so the required fields are
written once. Spark (a local session) and PostgreSQL (a throwaway server,
``benchmarks/pg_server.py``) start once per test process, on first use.
"""

from __future__ import annotations

import atexit
import functools
from typing import Any, Callable

import pytest

from filterql.cli import main

__all__ = ["make_run", "run_id", "run_cli", "open_on", "postgres_server_dsn"]


def run_id(i: int = 1) -> str:
    """The ``i``-th test run id: ``00000000-0000-4000-8000-000000000001`` for 1."""
    return f"00000000-0000-4000-8000-{i:012d}"


def make_run(i: int = 1, **fields: Any) -> dict[str, Any]:
    """A root run with the required fields (``id`` and ``trace_id`` from ``i``), overridden by ``fields``.

    ``metadata=`` is a shortcut for ``extra={"metadata": ...}``.
    """
    rid = run_id(i)
    run: dict[str, Any] = {"id": rid, "trace_id": rid, "name": "r", "run_type": "chain",
                           "start_time": "2024-05-01T10:00:00Z"}
    if "metadata" in fields:
        fields["extra"] = {"metadata": fields.pop("metadata")}
    run.update(fields)
    return run


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """``filterql argv`` in process: (exit code, stdout lines, first stderr line); never a traceback."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.splitlines(), (err.strip().splitlines() or [""])[0]


@functools.cache
def postgres_server_dsn() -> str:
    """The DSN of this test process's throwaway PostgreSQL server (stopped when the process exits)."""
    from benchmarks.pg_server import PostgresServer

    server = PostgresServer()
    atexit.register(server.stop)
    return server.dsn


def open_on(source: Any, name: str, **kw: Any) -> Any:
    """:func:`open_engine` with the session or server engine ``name`` needs."""
    from filterql.sql import open_engine

    if name == "spark":
        from filterql.sql.spark_engine import local_session

        kw.setdefault("session", local_session())
    if name == "postgres":
        kw.setdefault("dsn", postgres_server_dsn())
    return open_engine(source, name, **kw)


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    return postgres_server_dsn()


@pytest.fixture(scope="session", name="open_on")
def open_on_fixture() -> Callable[..., Any]:
    return open_on
