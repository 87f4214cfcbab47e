"""The page's routes on the served app: public files, key-guarded endpoints, errors as JSON 4xx."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from filterql.server import create_app, open_store
from filterql.web import routes as page

from conformance import RUNS_FILE
from served import running

KEY = "s3cret"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    store = open_store([RUNS_FILE], "python")
    try:
        with running(create_app(store, api_key=KEY, routes=page.routes(), public=page.PUBLIC)) as base:
            with httpx.Client(base_url=base, timeout=30) as client:
                yield client
    finally:
        store.close()


def test_page_and_its_files_need_no_key(http: httpx.Client):
    index = http.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert '<script src="/static/app.js"' in index.text
    for name, kind in (("app.js", "javascript"), ("style.css", "css")):
        r = http.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"]


def test_endpoints_and_the_api_need_the_key(http: httpx.Client):
    assert http.post("/filterql/check", json={"filter": "eq(name, 'x')"}).status_code == 401
    assert http.get("/sessions").status_code == 401
    assert http.post("/", json={}).status_code == 401  # public means GET only
    r = http.post("/filterql/check", json={"filter": "eq(name, 'x')"}, headers={"X-API-Key": KEY})
    assert r.status_code == 200 and r.json() == {"valid": True, "diagnostics": []}


@pytest.mark.parametrize("path, body, needle", [
    ("/filterql/check", b"not json", "not JSON"),
    ("/filterql/check", b"[1]", "JSON object"),
    ("/filterql/check", b'{"filter": 5}', "`filter` must be a string"),
    ("/filterql/check", b'{"filter": "x", "context": "thread"}', "`context` must be one of"),
    ("/filterql/check", b'{"filter": "x", "profile": "v3"}', "`profile` must be one of"),
    ("/filterql/format", b'{"filter": "eq(name"}', "expected"),
    ("/filterql/explain", b'{"filter": "eq(nam, 1)"}', "unknown field"),
    ("/filterql/code", b'{"query": []}', "`query` must be a JSON object"),
    ("/filterql/code", b'{"query": {"filter": ["x"]}}', "`filter` must be a string"),
])
def test_bad_requests_are_400_saying_why(http: httpx.Client, path: str, body: bytes, needle: str):
    r = http.post(path, content=body, headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    assert r.status_code == 400
    detail: dict[str, Any] = r.json()["detail"]
    assert needle in detail["message"] or any(needle in d["message"] for d in detail.get("diagnostics", ()))


def test_a_filter_past_the_size_limit_is_refused(http: httpx.Client):
    r = http.post("/filterql/check", json={"filter": "x" * (page.MAX_FILTER_CHARS + 1)}, headers={"X-API-Key": KEY})
    assert r.status_code == 400 and "longer than" in r.json()["detail"]["message"]


def test_catalog_is_served_from_the_catalog(http: httpx.Client):
    out = http.get("/filterql/catalog", headers={"X-API-Key": KEY}).json()
    assert "run_type" in {f["name"] for f in out["fields"]} and "search" in {f["name"] for f in out["functions"]}
