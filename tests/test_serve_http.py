"""``filterql serve`` over plain HTTP: errors, safety defaults, and a fuzz test where only 4xx may come back."""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Iterator, Mapping
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from filterql.server import create_app, open_store
from filterql.server.store import RunStore, file_project

from conformance import RUNS_FILE
from served import running

PROJECT_ID = file_project(RUNS_FILE)[0]
FUZZ = int(os.environ.get("FILTERQL_FUZZ", "1"))


@pytest.fixture(scope="module")
def store() -> Iterator[RunStore]:
    s = open_store([RUNS_FILE], "duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def url(store: RunStore) -> Iterator[str]:
    with running(create_app(store, page_size=4)) as base:
        yield base


@pytest.fixture(scope="module")
def http(url: str) -> Iterator[Any]:
    with httpx.Client(base_url=url, timeout=30) as c:
        yield c


def detail(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    return response.json()["detail"]


def test_unknown_paths_and_methods_say_read_only(http: Any) -> None:
    for method, path in (("GET", "/nope"), ("POST", "/runs/multipart"), ("POST", "/runs/batch"),
                         ("DELETE", "/runs/00000000-0000-0000-0000-000000000001"), ("PATCH", "/sessions"),
                         ("PUT", "/runs/query"), ("POST", "/sessions")):
        r = http.request(method, path)
        assert r.status_code in (404, 405), (method, path)
        d = detail(r)
        assert "read-only" in d["message"]
        assert "POST /runs/query" in d["endpoints"]


def test_info_enables_the_sdk(http: Any) -> None:
    info = http.get("/info").json()
    assert info["version"] >= "0.16"
    assert info["filterql"]["read_only"] is True


@pytest.mark.parametrize("body, status, parameter", [
    ({"limit": "ten"}, 422, "limit"),
    ({"limit": 0}, 422, "limit"),
    ({"is_root": "yes"}, 422, "is_root"),
    ({"select": "name"}, 422, "select"),
    ({"select": ["nmae"]}, 422, "select"),
    ({"start_time": "yesterday"}, 422, "start_time"),
    ({"trace": "not-a-uuid"}, 422, "trace"),
    ({"id": ["x"]}, 422, "id"),
    ({"session": ["x"]}, 422, "session"),
    ({"session": ["00000000-0000-0000-0000-000000000009"]}, 404, "session"),
    ({"frobnicate": 1}, 422, "frobnicate"),
    ({"query": "hello"}, 422, "query"),
    ({"filter": 'eq(nmae, "x")'}, 400, "filter"),
    ({"trace_filter": "and(", "filter": 'eq(name, "x")'}, 400, "trace_filter"),
    ({"filter": 5}, 422, "filter"),
    ({"filter": "x" * 100_001}, 413, "filter"),
    ({"cursor": "3.AAAA"}, 400, "cursor"),
    ({"cursor": 17}, 400, "cursor"),
])
def test_bad_parameters_are_named(http: Any, body: Mapping[str, Any], status: int, parameter: str) -> None:
    r = http.post("/runs/query", json=body)
    assert r.status_code == status, r.text
    assert parameter in detail(r)["parameters"]


def test_a_cursor_belongs_to_its_query(http: Any) -> None:
    body = {"session": [PROJECT_ID], "is_root": False}
    answer = http.post("/runs/query", json=body)
    assert answer.headers["server-timing"].startswith("query;dur=")
    first = answer.json()
    cursor = first["cursors"]["next"]
    assert cursor and len(first["runs"]) == 4
    second = http.post("/runs/query", json={**body, "cursor": cursor}).json()
    assert not {r["id"] for r in first["runs"]} & {r["id"] for r in second["runs"]}
    for other in ({**body, "is_root": True}, {"session": [PROJECT_ID]}, {**body, "limit": 3}):
        r = http.post("/runs/query", json={**other, "cursor": cursor})
        assert r.status_code == 400 and detail(r)["error"] == "invalid-cursor"
    offset, tag = cursor.split(".")
    forged = http.post("/runs/query", json={**body, "cursor": f"{int(offset) + 1}.{tag}"})
    assert forged.status_code == 400


def test_bodies_that_are_not_json_objects(http: Any) -> None:
    for raw in (b"", b"{", b"[1, 2]", b"null", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b'"text"'):
        r = http.post("/runs/query", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400, raw[:10]
        assert detail(r)["error"] == "invalid-body"


def test_run_ids_in_paths(http: Any) -> None:
    assert http.get("/runs/not-a-uuid").status_code == 422
    assert http.get("/runs/00000000-0000-0000-0000-000000000009").status_code == 404
    assert http.get("/sessions/unknown").status_code == 404
    assert http.get("/sessions", params={"limit": "many"}).status_code == 422


def test_body_size_limit(store: RunStore) -> None:
    with running(create_app(store, max_body=1000)) as base, httpx.Client(base_url=base, timeout=30) as c:
        big = {"filter": 'eq(name, "' + "x" * 2000 + '")'}
        r = c.post("/runs/query", json=big)
        assert r.status_code == 413 and detail(r)["error"] == "body-too-large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"filter": "eq(name, \\"'
            for _ in range(10):
                yield b"x" * 500
            yield b'\\")"}'

        r = c.post("/runs/query", content=chunks())
        assert r.status_code == 413


def test_api_key_and_cors(store: RunStore) -> None:
    app = create_app(store, api_key="s3cret", cors_origins=["http://localhost:3000"])
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/info").status_code == 401
        assert c.get("/info", headers={"x-api-key": "s3cre"}).status_code == 401
        assert c.get("/info", headers={"x-api-key": "s3cret\u00e9".encode("latin-1")}).status_code == 401
        ok = c.get("/info", headers={"x-api-key": "s3cret", "origin": "http://localhost:3000"})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "http://localhost:3000"
    with running(create_app(store)) as base, httpx.Client(base_url=base, timeout=30) as c:
        plain = c.get("/info", headers={"origin": "http://evil.example"})
        assert "access-control-allow-origin" not in plain.headers


class _Broken(RunStore):
    engine = "broken"

    def page(self, arguments: Mapping[str, Any], offset: int, size: int) -> Any:
        raise RuntimeError("secret detail /home/someone/runs.jsonl")

    def run(self, run_id: str) -> Any:
        raise RuntimeError("secret detail /home/someone/runs.jsonl")


def test_internal_errors_are_logged_and_leak_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="filterql.server"):
        with running(create_app(_Broken())) as base, httpx.Client(base_url=base, timeout=30) as c:
            for r in (c.post("/runs/query", json={}), c.get("/runs/00000000-0000-0000-0000-000000000001")):
                assert r.status_code == 500
                assert "secret" not in r.text and "Traceback" not in r.text
                assert detail(r)["error"] == "internal"
    assert any("secret detail" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)


# --- fuzz: malformed bodies, headers, cursors and filters get a 4xx, never a 5xx ------------------

_json = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=30),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)
_keys = st.sampled_from(["session", "filter", "trace_filter", "tree_filter", "is_root", "run_type", "error",
                         "start_time", "id", "trace", "parent_run", "reference_example", "select", "limit",
                         "cursor", "query", "end_time", "order"])
_filters = st.text(alphabet="eqnadortlikh(),\"' _0123456789:.[]-\\ximsu{}", max_size=60) | st.sampled_from([
    'eq(name, "x")', "and(", 'search("a")', 'eq(metadata_key, "k")', 'gt(latency, "5s")', 'has(tags, 1)'])
_bodies = st.dictionaries(_keys, _json | _filters, max_size=5) | _json
_cursors = st.text(max_size=60) | st.sampled_from(["0.", ".", "1." + "A" * 22, "9" * 150 + ".x"])
_headers = st.dictionaries(st.sampled_from(["x-api-key", "content-type", "accept", "x-tenant-id", "origin"]),
                           st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
                           .map(str.strip),  # HTTP itself trims a value's ends
                           max_size=3)


def _is_4xx_or_ok(response: Any) -> bool:
    if response.status_code >= 500:
        return False
    if response.status_code >= 400:
        return "detail" in response.json()
    return True


@settings(max_examples=150 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies, headers=_headers)
def test_fuzz_bodies_and_headers(http: Any, body: Any, headers: dict[str, str]) -> None:
    r = http.post("/runs/query", content=json.dumps(body).encode(), headers=headers)
    assert _is_4xx_or_ok(r), r.text


@settings(max_examples=100 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_fuzz_raw_bodies(http: Any, raw: bytes) -> None:
    assert _is_4xx_or_ok(http.post("/runs/query", content=raw))


@settings(max_examples=100 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=_cursors, flt=_filters)
def test_fuzz_cursors_and_filters(http: Any, cursor: str, flt: str) -> None:
    for body in ({"cursor": cursor}, {"filter": flt}, {"trace_filter": flt, "cursor": cursor},
                 {"tree_filter": flt, "select": ["name"]}):
        assert _is_4xx_or_ok(http.post("/runs/query", json=body))


@settings(max_examples=100 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=st.text(max_size=40), name=st.text(max_size=20), limit=st.text(max_size=8))
def test_fuzz_paths_and_query_strings(http: Any, segment: str, name: str, limit: str) -> None:
    quoted = quote(segment, safe="") or "x"  # every byte percent-encoded: the server sees the text itself
    for r in (http.get(f"/runs/{quoted}"), http.get("/sessions", params={"name": name, "limit": limit}),
              http.get(f"/sessions/{quoted}"), http.get(f"/api/v1/runs/{quoted}")):
        assert _is_4xx_or_ok(r), r.text


def test_a_lone_surrogate_is_answered_as_json(http: Any) -> None:
    # Run files refuse lone surrogates (UTF-8 cannot hold them), but a request may carry one
    # (a JSON \u escape), and the diagnostics quote the filter back.
    r = http.post("/runs/query", content=b'{"filter": "eq(nmae, \\"\\ud800\\")"}')
    assert r.status_code == 400
    assert "\ud800" in detail(r)["text"]
