"""A bounded load test of ``filterql serve`` (a child process, loopback only).

8 concurrent clients send 2,000 mixed requests (filtered lists, searches, a
thread's traces, a trace's runs, single runs, invalid filters) drawn from a
fixed seed. Every answer must be the in-process answer (``filterql.select``
over the same runs) and no answer may be a 5xx. Latency p50/p99 is printed,
not asserted (timing belongs to ``benchmarks/``).
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import filterql
from filterql.server.store import file_project
from filterql.server.v1 import RUN_FIELDS, clean

from served import serving_process

CLIENTS, REQUESTS = 8, 2_000
_WORDS = ("timeout", "paris", "invoice", "refund", "weather", "python", "error", "retry", "image", "label")
_NAMES = ("AgentExecutor", "ChatOpenAI", "Retriever", "ToolCall", "Parser")
_TYPES = ("chain", "llm", "retriever", "tool", "parser")


def make_runs(n_traces: int, seed: int = 13) -> list[dict[str, Any]]:
    """Traces of 1-6 runs; root runs carry one of 40 thread ids in their metadata."""
    rng = random.Random(seed)
    base = datetime(2024, 5, 1, tzinfo=timezone.utc)
    runs: list[dict[str, Any]] = []
    for t in range(n_traces):
        trace_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        parent = None
        for i in range(rng.randint(1, 6)):
            rid = trace_id if i == 0 else str(uuid.UUID(int=rng.getrandbits(128), version=4))
            start = base + timedelta(seconds=t * 10 + i, microseconds=rng.randrange(1_000_000))
            meta: dict[str, Any] = {"environment": rng.choice(("prod", "dev"))}
            if i == 0:
                meta["thread_id"] = f"t-{rng.randrange(40)}"
            runs.append({
                "id": rid, "trace_id": trace_id, "parent_run_id": parent, "name": rng.choice(_NAMES),
                "run_type": rng.choice(_TYPES), "start_time": start.isoformat().replace("+00:00", "Z"),
                "end_time": (start + timedelta(milliseconds=rng.randrange(1, 9000))).isoformat(),
                "status": "success", "error": "TimeoutError" if rng.random() < 0.1 else None,
                "tags": rng.sample(("prod", "beta", "v2"), rng.randint(0, 2)), "extra": {"metadata": meta},
                "inputs": {"q": " ".join(rng.choice(_WORDS) for _ in range(5))},
                "outputs": {"a": " ".join(rng.choice(_WORDS) for _ in range(5))},
                "total_tokens": rng.randrange(5000),
            })
            parent = rid
    return runs


def requests_for(runs: list[dict[str, Any]], project: str, rng: random.Random) -> list[tuple[str, str, Any]]:
    """(kind, path, body or None) for each request, from a fixed seed."""
    traces = sorted({r["trace_id"] for r in runs})
    out: list[tuple[str, str, Any]] = []
    for _ in range(REQUESTS):
        kind = rng.choice(("list", "list", "search", "thread", "trace", "run", "bad"))
        if kind == "list":
            body = {"session": [project], "filter": rng.choice([
                'eq(run_type, "llm")', 'and(gt(total_tokens, 2500), has(tags, "prod"))',
                'and(eq(metadata_key, "environment"), eq(metadata_value, "dev"))', 'neq(error, null)']),
                "limit": rng.choice((5, 20, 100)), "is_root": rng.choice((None, True))}
            if rng.random() < 0.5:
                body["select"] = ["name", "total_tokens", "tags"]
        elif kind == "search":
            body = {"session": [project], "filter": f'search("{rng.choice(_WORDS)}")', "limit": 20}
        elif kind == "thread":
            body = {"session": [project], "is_root": True, "filter": f'eq(thread_id, "t-{rng.randrange(40)}")'}
        elif kind == "trace":
            body = {"session": [project], "trace": rng.choice(traces)}
        elif kind == "bad":
            body = {"session": [project], "filter": rng.choice(['eq(nmae, "x")', "and(eq(name, 1)", 'gt(tags, 5)'])}
        else:
            out.append((kind, f"/runs/{rng.choice(runs)['id']}", None))
            continue
        out.append((kind, "/runs/query", {k: v for k, v in body.items() if v is not None}))
    return out


_ARGUMENTS = {"filter": "filter", "is_root": "is_root", "trace": "trace_id", "select": "select", "limit": "limit"}


def expected(runs: list[dict[str, Any]], by_id: dict[str, dict[str, Any]], kind: str, path: str,
             body: Any) -> tuple[int, Any]:
    """The in-process answer: (status, JSON body or error code)."""
    if body is None:
        return 200, clean(by_id[path.rsplit("/", 1)[1]])
    if kind == "bad":
        diagnostics = [d for d in filterql.validate(body["filter"]) if d.is_error]
        return 400, diagnostics[0].code
    args = {_ARGUMENTS[k]: v for k, v in body.items() if k in _ARGUMENTS}
    if "select" in args:
        args["select"] = list(dict.fromkeys([*RUN_FIELDS, *args["select"]]))
    args.setdefault("limit", 100)
    return 200, [clean(r) for r in filterql.select(runs, **args)]


def test_load(tmp_path: Path) -> None:
    path = tmp_path / "load.jsonl"
    pid = file_project(path)[0]
    runs = [dict(r, session_id=pid) for r in make_runs(700)]
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "session_id"}) + "\n" for r in runs))
    by_id = {r["id"]: r for r in runs}
    plan = requests_for(runs, pid, random.Random(5))
    answers: dict[str, tuple[int, Any]] = {}
    for kind, p, body in plan:
        key = json.dumps([p, body], sort_keys=True)
        if key not in answers:
            answers[key] = expected(runs, by_id, kind, p, body)
    answers = json.loads(json.dumps(answers))  # as JSON carries them

    def client(part: list[tuple[str, str, Any]]) -> list[tuple[float, int, str, Any]]:
        out = []
        with httpx.Client(base_url=url, timeout=60) as c:
            for _kind, p, body in part:
                t = time.perf_counter()
                r = c.get(p) if body is None else c.post(p, json=body)
                out.append((time.perf_counter() - t, r.status_code, json.dumps([p, body], sort_keys=True), r.json()))
        return out

    with serving_process(str(path)) as url:
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = [x for part in pool.map(client, [plan[i::CLIENTS] for i in range(CLIENTS)]) for x in part]

    assert len(results) == REQUESTS
    assert not [s for _, s, _, _ in results if s >= 500]
    for _, status, key, got in results:
        want_status, want = answers[key]
        assert status == want_status, (key, got)
        if status == 400:
            assert got["detail"]["diagnostics"][0]["code"] == want, key
        elif isinstance(want, list):
            assert got["runs"] == want, key
        else:
            assert got == want, key
    times = sorted(t for t, _, _, _ in results)
    print(f"\nfilterql serve load: {REQUESTS} requests from {CLIENTS} clients over {len(runs):,} runs: "
          f"p50 {statistics.median(times) * 1e3:.1f} ms, p99 {times[int(len(times) * 0.99) - 1] * 1e3:.1f} ms")
