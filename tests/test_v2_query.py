"""The v2 query API offline (issue 12): checked against the langsmith SDK's own types and models."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

import filterql
from filterql.cursor import CursorError
from filterql.endpoints import ENDPOINTS, RUN_SELECT_FIELDS, THREAD_TRACE_SELECT_FIELDS
from filterql.pages import QueryError

from langsmith.types import run_query_v2_params, thread_list_traces_params, thread_query_params, trace_query_params
from langsmith.types.run import Run
from langsmith.types.run_select_field import RunSelectField
from langsmith.types.thread import Thread
from langsmith.types.thread_trace import ThreadTrace
from langsmith.types.trace import Trace
from shared_data import shared_dir

RUNS = shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl"

_TYPED_DICTS = {
    "runs.query": run_query_v2_params.RunQueryV2Params,
    "traces.query": trace_query_params.TraceQueryParams,
    "threads.query": thread_query_params.ThreadQueryParams,
    "threads.list_traces": thread_list_traces_params.ThreadListTracesParams,
}
MODELS = {"runs.query": Run, "traces.query": Trace, "threads.query": Thread, "threads.list_traces": ThreadTrace}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_every_parameter_exists_in_the_sdk_typeddict(endpoint: str) -> None:
    sdk = set(typing.get_type_hints(_TYPED_DICTS[endpoint], include_extras=True))
    ours = {p.name for p in ENDPOINTS[endpoint].params} - set(ENDPOINTS[endpoint].path)
    assert ours == sdk


def test_enumerations_are_the_sdks() -> None:
    assert set(RUN_SELECT_FIELDS) == set(typing.get_args(RunSelectField))
    selects = typing.get_type_hints(thread_list_traces_params.ThreadListTracesParams)["selects"]
    assert set(THREAD_TRACE_SELECT_FIELDS) == set(typing.get_args(typing.get_args(selects)[0]))


def _all_selects(endpoint: str) -> dict[str, object]:
    if endpoint == "threads.query":
        return {}
    fields = THREAD_TRACE_SELECT_FIELDS if endpoint == "threads.list_traces" else RUN_SELECT_FIELDS
    return {"selects": list(fields)}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_items_validate_as_the_sdk_models(endpoint: str) -> None:
    runs = filterql.read_runs(RUNS)
    extra = {"thread_id": "conv-1"} if endpoint == "threads.list_traces" else {}
    page = filterql.query_page(runs, endpoint, page_size=100, **extra, **_all_selects(endpoint))
    assert page.items and page.next_cursor is None
    for item in page.items:
        model = MODELS[endpoint].model_validate(item)
        # nothing dropped or renamed: the model's JSON holds every key we sent
        assert set(item) <= set(model.model_dump(exclude_unset=True)), set(item) - set(model.model_dump())
        json.dumps(item)


def test_only_selected_fields() -> None:
    runs = filterql.read_runs(RUNS)
    assert all(set(i) == {"id"} for i in filterql.query_page(runs, "runs.query").items)
    assert all(set(i) == {"name", "status"} for i in filterql.query_page(runs, "runs.query", selects=["NAME", "STATUS"]).items)
    trace = filterql.query_page(runs, "traces.query", selects=["NAME", "TOTAL_TOKENS"]).items[0]
    assert set(trace) == {"root_run", "trace_aggregates"} and set(trace["root_run"]) == {"name"}
    assert set(trace["trace_aggregates"]) == {"total_tokens"}
    assert set(filterql.query_page(runs, "traces.query").items[0]) == {"root_run"}
    assert all(set(i) == {"trace_id"} for i in filterql.query_page(runs, "threads.list_traces", thread_id="conv-1").items)


@pytest.mark.parametrize(("thread", "turns"), [
    ("conv-1", ["1786e201-08d7-55c4-af9a-ac3dabbf26cd", "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"]),
    ("conv-2", ["c3acafc0-5532-5148-9c54-db5f8e5b8c7c"]),
    # 4900e24e's thread metadata sits on a child run only: that trace is not part of the thread
    ("a1b2c3d4-e5f6-7890", ["09c80e85-26b7-5630-aabc-f5de350e1e8b"]),
])
def test_conformance_threads_in_conversation_order(thread: str, turns: list[str]) -> None:
    runs = filterql.read_runs(RUNS)
    page = filterql.query_page(runs, "threads.list_traces", thread_id=thread, selects=["TURN_NUMBER", "THREAD_ID"])
    assert [i["trace_id"] for i in page.items] == turns
    assert [i["turn_number"] for i in page.items] == list(range(1, len(turns) + 1))
    assert {i["thread_id"] for i in page.items} == {thread}


def test_turn_numbers_are_counted_before_the_filter() -> None:
    runs = filterql.read_runs(RUNS)
    page = filterql.query_page(runs, "threads.list_traces", thread_id="conv-1", filter='eq(name, "AgentExecutor")',
                          selects=["TURN_NUMBER"])
    assert [(i["trace_id"][:8], i["turn_number"]) for i in page.items] == [("77aa5f11", 2)]


def test_threads_and_thread_filter() -> None:
    runs = filterql.read_runs(RUNS)
    threads = filterql.query_page(runs, "threads.query").items
    assert [t["thread_id"] for t in threads] == ["a1b2c3d4-e5f6-7890", "conv-2", "conv-1"]
    conv1 = threads[2]
    assert conv1["count"] == 2 and conv1["first_trace_id"].startswith("1786e201")
    assert conv1["last_trace_id"].startswith("77aa5f11")
    only = filterql.query_page(runs, "threads.query", thread_filter="gt(count, 1)").items
    assert [t["thread_id"] for t in only] == ["conv-1"]
    errored = filterql.query_page(runs, "threads.query", thread_filter="gt(num_errored_turns, 0)").items
    assert [t["thread_id"] for t in errored] == ["conv-2"]


def test_cursor_paging_and_tamper_evidence() -> None:
    runs = list(filterql.read_runs(RUNS))
    whole = filterql.query_page(runs, "runs.query", page_size=1000).items
    got, cursor = [], None
    while True:
        page = filterql.query_page(runs, "runs.query", page_size=3, **({"cursor": cursor} if cursor else {}))
        got += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == whole and len(whole) == len(runs)
    first = filterql.query_page(runs, "runs.query", page_size=3)
    with pytest.raises(CursorError, match="other parameters"):
        filterql.query_page(runs, "runs.query", is_root=True, cursor=first.next_cursor)
    with pytest.raises(CursorError, match="another data set"):
        filterql.query_page(runs[:-1], "runs.query", cursor=first.next_cursor)
    with pytest.raises(CursorError, match="belongs to runs.query"):
        filterql.query_page(runs, "traces.query", cursor=first.next_cursor)
    forged = first.next_cursor.replace(".", "x.", 1)
    with pytest.raises(CursorError):
        filterql.query_page(runs, "runs.query", cursor=forged)
    with pytest.raises(CursorError, match="not produced by filterql"):
        filterql.query_page(runs, "runs.query", cursor="abc")


def test_bad_parameters_raise_with_every_diagnostic() -> None:
    with pytest.raises(QueryError) as e:
        filterql.query_page([], "runs.query", run_type="llm", selects=["LATENCY"], page_size=0)
    text = str(e.value)
    assert '"LLM"' in text and '"LATENCY_SECONDS"' in text and "between 1 and 1000" in text
    with pytest.raises(QueryError, match="no offline meaning"):
        filterql.query_page([], "runs.query", ai_search="slow runs")
    with pytest.raises(ValueError, match="unknown endpoint"):
        filterql.query_page([], "runs.list")


def test_check_query_v2_rules() -> None:
    codes = lambda **kw: {(d.argument, d.code) for d in filterql.check_query(**kw).diagnostics}  # noqa: E731
    assert ("reference_dataset_id", "exclusive-arguments") in codes(
        endpoint="runs.query", project_ids=["77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"],
        reference_dataset_id="77aa5f11-2ccd-54dc-9b0b-ec6e0357edce")
    assert ("project_ids", "server-required") in codes(endpoint="runs.query", profile="langsmith-v2")
    assert ("project_ids", "server-required") not in codes(endpoint="runs.query")
    assert ("min_start_time", "server-default-window") in codes(endpoint="traces.query", profile="langsmith-v2")
    assert ("page_size", "bad-value") in codes(endpoint="traces.query", page_size=101)
    assert ("page_size", "bad-value") not in codes(endpoint="runs.query", page_size=1000)
    assert ("min_start_time", "not-rfc3339") in codes(endpoint="runs.query", min_start_time="2024-05-01")
    assert ("sem_filter", "exclusive-arguments") in codes(endpoint="runs.query", ai_search="x", sem_filter="y",
                                                          profile="langsmith-v2")
    assert ("thread_filter", "field-context") in codes(endpoint="threads.query", thread_filter='eq(name, "x")')
    assert ("filter", "field-context") in codes(endpoint="runs.query", filter="gt(count, 1)")
    assert ("limit", "unknown-argument") in codes(endpoint="runs.query", limit=5)
    assert ("min_feedback_modified_at", "server-feedback-window") in codes(
        endpoint="runs.query", min_feedback_modified_at="2024-05-01T00:00:00Z", profile="langsmith-v2")
    assert filterql.check_query(endpoint="threads.query", thread_filter="and(gt(count, 2), gt(total_tokens, 5))").valid


def test_migrate_query() -> None:
    assert filterql.migrate_query(filter='eq(name, "x")', run_type="llm", error=False, start_time="2024-05-01T00:00:00Z",
                                  select=["name", "latency"], run_ids=None) == {
        "filter": 'eq(name, "x")', "run_type": "LLM", "has_error": False, "min_start_time": "2024-05-01T00:00:00Z",
        "selects": ["NAME", "LATENCY_SECONDS"]}
    with pytest.raises(filterql.MigrationError) as e:
        filterql.migrate_query(limit=10, order="desc", parent_run_id="x", query="q")
    assert set(e.value.problems) == {"limit", "order", "parent_run_id", "query"}
    migrated = filterql.migrate_query(filter='eq(run_type, "llm")', is_root=False, select=["name"])
    assert filterql.check_query(endpoint="runs.query", **migrated).valid


def test_migrated_call_answers_like_list_runs() -> None:
    runs = list(filterql.read_runs(RUNS))
    v1 = dict(filter='eq(run_type, "llm")', trace_filter='eq(name, "AgentExecutor")', is_root=False)
    ids = [r["id"] for r in filterql.select(runs, **v1)]
    page = filterql.query_page(runs, "runs.query", page_size=1000, **filterql.migrate_query(**v1))
    assert [i["id"] for i in page.items] == ids


def test_v2_runs_as_input(tmp_path: Path) -> None:
    runs = list(filterql.read_runs(RUNS))
    v2 = filterql.query_page(runs, "runs.query", page_size=1000, selects=[
        "ID", "NAME", "RUN_TYPE", "STATUS", "START_TIME", "LATENCY_SECONDS", "METADATA", "PROJECT_ID", "TRACE_ID",
        "PARENT_RUN_IDS", "TAGS", "ERROR", "INPUTS", "OUTPUTS", "TOTAL_TOKENS", "FEEDBACK_STATS"]).items
    path = tmp_path / "v2.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in v2))
    again = filterql.read_runs(path)
    for f in ['eq(run_type, "llm")', 'eq(status, "error")', 'gt(latency, "1s")', 'eq(is_root, true)',
              'eq(thread_id, "conv-1")', 'and(eq(metadata_key, "conversation_id"), eq(metadata_value, "conv-1"))']:
        assert [r["id"] for r in filterql.select(again, filter=f)] == [r["id"] for r in filterql.select(runs, filter=f)], f
    pred = filterql.compile('eq(run_type, "llm")')
    assert sum(pred(Run.model_validate(r)) for r in v2) == sum(pred(r) for r in runs)


def test_cli_query_page_and_all(capsys: pytest.CaptureFixture[str]) -> None:
    from filterql.cli import main

    assert main(["query", "threads.list_traces", str(RUNS), "--param", "thread_id=conv-1",
                 "--param", "selects=TURN_NUMBER,NAME"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [i["turn_number"] for i in page["items"]] == [1, 2] and page["next_cursor"] is None
    assert main(["query", "runs.query", str(RUNS), "--param", "page_size=5", "--param", "selects=NAME", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 16 and all(set(json.loads(line)) == {"name"} for line in lines)
    assert main(["query", "runs.query", str(RUNS), "--engine", "duckdb", "--param", "page_size=5"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == 5


def test_cli_errors_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    from filterql.cli import main

    assert main(["query", "runs.query", str(RUNS), "--param", "limit=3"]) == 1
    assert "runs.query calls it `page_size`" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["query", "runs.list", str(RUNS)])
    assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["query", "runs.query", str(RUNS), "--param", "page_size"])
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["check", "--endpoint", "runs.query", "--param", "run_type=llm", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert not out["valid"] and '"LLM"' in out["diagnostics"][0]["hint"] and "rate_limit" not in out
    assert main(["check", "--endpoint", "threads.query", "--thread-filter", "gt(count, 1)"]) == 0
    assert capsys.readouterr().out.strip() == "valid"


def test_docs_hold_the_endpoint_table() -> None:
    from filterql.endpoints import markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "v2-api.md").read_text("utf-8")
    assert markdown() in doc, "regenerate the tables of docs/v2-api.md from filterql.endpoints.markdown()"
    assert "docs/v2-api.md" in (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def test_iter_pages_are_the_pages_query_gives() -> None:
    from filterql.pages import iter_pages

    runs = list(filterql.read_runs(RUNS))
    pages = list(iter_pages(runs, "runs.query", page_size=4, selects=["NAME"]))
    assert len(pages) == 4 and pages[-1].next_cursor is None
    again = [filterql.query_page(runs, "runs.query", page_size=4, selects=["NAME"])]
    while again[-1].next_cursor:
        again.append(filterql.query_page(runs, "runs.query", page_size=4, selects=["NAME"], cursor=again[-1].next_cursor))
    assert pages == again
