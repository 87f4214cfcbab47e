"""``filterql serve`` driven by the real ``langsmith`` SDK: its answers are ``filterql.select``'s.

A server per engine (DuckDB, Python) serves the conformance runs with pages of
3 runs, so every multi-page answer goes through the SDK's cursor loop. Nothing
may connect off this machine (:func:`served.loopback_only`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
import warnings
from decimal import Decimal
from typing import Any, Iterator

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
langsmith = pytest.importorskip("langsmith")

import filterql
from filterql import runs as R
from filterql.server import create_app, open_store
from filterql.server.store import file_project

from conformance import RUNS_FILE, case_id, error_cases, expect_cases
from served import loopback_only, running

PROJECT = file_project(RUNS_FILE)[1]
#: Fields compared between the SDK's Run objects and select's dicts.
COMPARED = ("name", "run_type", "start_time", "end_time", "error", "tags", "total_tokens", "parent_run_id",
            "trace_id", "inputs", "outputs", "feedback_stats", "status", "session_id")


@pytest.fixture(scope="module")
def guard() -> Iterator[list[Any]]:
    with loopback_only() as refused:
        yield refused
    assert not refused, f"the SDK tried to connect off this machine: {refused}"


@pytest.fixture(scope="module", params=["duckdb", "python"])
def server(request: pytest.FixtureRequest, guard: list[Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(base URL, the runs as served) for each engine."""
    store = open_store([RUNS_FILE], request.param)
    try:
        with running(create_app(store, page_size=3)) as url:
            pid = file_project(RUNS_FILE)[0]
            runs = [dict(r, session_id=pid) for r in filterql.read_runs(RUNS_FILE)]
            yield url, runs
    finally:
        store.close()


def client(url: str) -> Any:
    return langsmith.Client(api_url=url, api_key="test-key", auto_batch_tracing=False)


def _sdk_args(args: dict[str, Any]) -> dict[str, Any]:
    """A conformance case's arguments as ``list_runs`` takes them (``start_time`` a datetime)."""
    out = dict(args)
    if "start_time" in out:
        out["start_time"] = R.timestamp(out["start_time"])
    return out


def norm(value: Any) -> Any:
    """A value as JSON would carry it, with times as instants and ids as canonical text."""
    if isinstance(value, dt.datetime):
        return R.timestamp(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        t = R.timestamp(value) if len(value) >= 19 and value[4:5] == "-" and value[10:11] in "T " else None
        return t if t is not None else R.uuid_text(value) or value
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def assert_same_runs(got: list[Any], want: list[dict[str, Any]], fields: tuple[str, ...] = COMPARED) -> None:
    assert [str(r.id) for r in got] == [w["id"] for w in want]
    for run, expected in zip(got, want):
        for name in fields:
            assert norm(getattr(run, name)) == norm(expected.get(name)), (expected["id"], name)


def listed(url: str, **kwargs: Any) -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(client(url).list_runs(project_name=PROJECT, **kwargs))


@pytest.mark.parametrize("case", expect_cases(), ids=case_id)
def test_list_runs_is_select(server: tuple[str, list[dict[str, Any]]], case: dict[str, Any]) -> None:
    url, runs = server
    want = filterql.select(runs, **case["args"])
    assert {r["id"] for r in want} == set(case["expect"])
    assert_same_runs(listed(url, **_sdk_args(case["args"])), want)


@pytest.mark.parametrize("case", expect_cases()[::3], ids=case_id)
def test_list_runs_select_and_limit(server: tuple[str, list[dict[str, Any]]], case: dict[str, Any]) -> None:
    url, runs = server
    fields = ["name", "start_time", "feedback_stats", "child_run_ids", "thread_id"]
    for limit in (1, 2, 5, None):
        want = filterql.select(runs, **case["args"], select=fields, limit=limit)
        got = listed(url, **_sdk_args(case["args"]), select=fields, limit=limit)
        assert_same_runs(got, want, ("name", "start_time", "feedback_stats", "child_run_ids"))


def test_list_runs_keyword_arguments(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, runs = server
    root = next(r for r in runs if r["parent_run_id"] is None and any(c["parent_run_id"] == r["id"] for c in runs))
    cases = [
        {"trace_id": root["trace_id"]},
        {"parent_run_id": root["id"]},
        {"trace_id": root["trace_id"], "is_root": False, "filter": 'eq(run_type, "llm")'},
        {"run_type": "chain", "error": False},
    ]
    for args in cases:
        assert_same_runs(listed(url, **args), filterql.select(runs, **args))
    by_id = listed(url, run_ids=[r["id"] for r in runs[:3]])
    assert_same_runs(by_id, filterql.select(runs, run_ids=[r["id"] for r in runs[:3]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_project_id = list(client(url).list_runs(project_id=file_project(RUNS_FILE)[0], is_root=True))
    assert_same_runs(by_project_id, filterql.select(runs, is_root=True))


@pytest.mark.parametrize("case", error_cases(), ids=case_id)
def test_invalid_filter_raises_with_the_diagnostic(server: tuple[str, list[dict[str, Any]]],
                                                   case: dict[str, Any]) -> None:
    url, _ = server
    kind = case["expect_error"]
    problems = {name: [d for d in filterql.validate(text, name) if d.is_error]
                for name, text in case["args"].items() if name in ("filter", "trace_filter", "tree_filter")}
    if kind in ("any", "no_crash") and not any(problems.values()):
        listed(url, **_sdk_args(case["args"]))  # a clean answer
        return
    with pytest.raises(langsmith.utils.LangSmithError) as raised:
        listed(url, **_sdk_args(case["args"]))
    assert not isinstance(raised.value, langsmith.utils.LangSmithAPIError)  # a 4xx, not a 5xx
    message = str(raised.value)
    first = next(d for found in problems.values() for d in found)
    assert "400 Client Error" in message
    assert f'"code":"{first.code}"' in message
    assert f'"line":{first.line},"column":{first.column}' in message
    response = raised.value.__context__.response  # the HTTPError the SDK's error was raised from
    detail = response.json()["detail"]
    assert detail["error"] == "invalid-filter"
    assert detail["diagnostics"][0] == {"parameter": next(n for n, found in problems.items() if found),
                                        **first.to_json()}


def test_async_client_list_runs(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, runs = server

    async def collect(args: dict[str, Any]) -> list[Any]:
        async with langsmith.AsyncClient(api_url=url, api_key="test-key") as aclient:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return [r async for r in aclient.list_runs(project_name=PROJECT, **_sdk_args(args))]

    async def everything() -> list[list[Any]]:
        return await asyncio.gather(*(collect(c["args"]) for c in expect_cases()))

    for case, got in zip(expect_cases(), asyncio.run(everything())):
        assert_same_runs(got, filterql.select(runs, **case["args"]))


def test_read_run(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, runs = server
    c = client(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for run in runs:
            got = c.read_run(run["id"])
            assert_same_runs([got], [run])
        with pytest.raises(langsmith.utils.LangSmithNotFoundError):
            c.read_run(uuid.UUID(int=7))


def test_projects(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, runs = server
    c = client(url)
    project = c.read_project(project_name=PROJECT)
    assert (str(project.id), project.name, project.run_count) == (file_project(RUNS_FILE)[0], PROJECT, len(runs))
    assert c.read_project(project_id=project.id).name == PROJECT
    assert [p.name for p in c.list_projects()] == [PROJECT]
    with pytest.raises(langsmith.utils.LangSmithNotFoundError):
        c.read_project(project_name="no-such-project")


async def _collect(paginator: Any) -> list[Any]:
    """Every item of an SDK v2 paginator (the Client's v2 resources are async), following next_cursor."""
    return [item async for item in paginator]


def test_threads_list_traces_pages_through_a_thread(server: tuple[str, list[dict[str, Any]]]) -> None:
    """``client.threads.list_traces`` follows ``next_cursor`` through pages of one trace each."""
    url, runs = server
    pid = file_project(RUNS_FILE)[0]
    want = filterql.query_page(runs, "threads.list_traces", thread_id="conv-1", project_id=pid,
                               selects=["TRACE_ID", "TURN_NUMBER", "NAME"], page_size=100).items
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = asyncio.run(_collect(client(url).threads.list_traces(
            "conv-1", project_id=pid, page_size=1, selects=["TRACE_ID", "TURN_NUMBER", "NAME"])))
    assert [(t.trace_id, t.turn_number, t.name) for t in got] == [(w["trace_id"], w["turn_number"], w["name"])
                                                                 for w in want]
    assert [t.turn_number for t in got] == [1, 2]


def test_runs_query_v2_pages_through_runs(server: tuple[str, list[dict[str, Any]]]) -> None:
    """``client.runs.query_v2`` over pages of 4 gives ``filterql.query_page``'s whole answer, in order."""
    url, runs = server
    params = {"filter": 'eq(run_type, "llm")', "selects": ["ID", "NAME", "RUN_TYPE"]}
    want = filterql.query_page(runs, "runs.query", page_size=1000, **params).items
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = asyncio.run(_collect(client(url).runs.query_v2(page_size=4, **params)))
    assert [(str(r.id), r.name, r.run_type) for r in got] == [(w["id"], w["name"], w["run_type"]) for w in want]
    assert len(want) > 4
