"""``filterql serve`` over HTTP against the same query in process: ``python -m benchmarks.serve_bench``.

The Parquet file of :mod:`benchmarks.sql_bench` (1,000,000 runs by default) is
served by ``filterql serve`` (DuckDB engine) in a child process. Three
requests the SDK sends are timed as HTTP round trips from this process (body
as ``Client.list_runs`` sends it, response parsed): a filtered ``list_runs``
page (``limit=100``), a ``search()`` page, and one trace's runs. The same
queries run in process too — a store over the same file in this process,
translated by the same code (``v1.query_runs``), no HTTP, no JSON — taking
turns with the round trips, and the ratio of the p50s is reported (target:
HTTP at most 1.25x in process). Both must return the same run ids.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from . import sql_bench

__all__ = ["REQUESTS", "measure", "main"]

#: The SDK's default ``select`` (langsmith ``Client.list_runs``), so each page carries what it would.
SDK_SELECT = ["app_path", "completion_cost", "completion_tokens", "dotted_order", "end_time", "error", "events",
              "extra", "feedback_stats", "first_token_time", "id", "inputs", "name", "outputs", "parent_run_id",
              "parent_run_ids", "prompt_cost", "prompt_tokens", "reference_example_id", "run_type", "s3_urls",
              "session_id", "start_time", "status", "tags", "total_cost", "total_tokens", "trace_id"]

#: (label, request body without the project) — the trace id is filled in from the data.
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("filtered page", {"filter": 'and(eq(run_type, "llm"), gt(total_tokens, 100), has(tags, "production"))',
                       "select": SDK_SELECT, "limit": 100}),
    ("search page", {"filter": 'search("timeout")', "select": SDK_SELECT, "limit": 100}),
    ("trace's runs", {"trace": None, "select": SDK_SELECT}),
]

#: LangSmith's published P50s (SmithDB announcement; another machine, another data size).
LANGSMITH_P50_MS = {"filtered page": 82, "search page": 400, "trace's runs": 92}


def _start(path: Path) -> tuple[subprocess.Popen[str], str, float]:
    """``filterql serve path --port 0``: the process, its URL and the seconds it took to load."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "filterql.cli", "serve", str(path), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("listening on "):
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            return proc, line.split()[-1], time.perf_counter() - t
    raise RuntimeError(f"filterql serve exited with {proc.wait()}")


def _p50s(fns: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, float], dict[str, Any]]:
    """p50 seconds of each function, called in turns (one round calls each once), after a warm-up round."""
    results = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}, results


def measure(n: int, repeat: int = 15, seed: int = 7) -> dict[str, Any]:
    """p50 seconds per request over HTTP and in process, for :data:`REQUESTS` over ``n`` runs."""
    import httpx

    from filterql.server import open_store
    from filterql.server.cursors import Cursors
    from filterql.server.store import file_project
    from filterql.server.v1 import query_runs

    path = sql_bench.data_file(n, seed)
    project = file_project(path)[0]
    proc, url, load_s = _start(path)
    rows = []
    try:
        t = time.perf_counter()
        store = open_store([path], "duckdb", progress=False)
        in_load_s = time.perf_counter() - t
        cursors = Cursors()
        with httpx.Client(base_url=url, timeout=600) as client:
            some = client.post("/runs/query", json={"session": [project], "is_root": True, "limit": 1}).json()
            trace = some["runs"][0]["trace_id"]
            for label, body in REQUESTS:
                body = {"session": [project], **body}
                if "trace" in body:
                    body["trace"] = trace

                def round_trip(body: dict[str, Any] = body) -> list[str]:
                    response = client.post("/runs/query", json=body)
                    response.raise_for_status()
                    return [r["id"] for r in response.json()["runs"]]

                def in_process(body: dict[str, Any] = body) -> list[str]:
                    return [r["id"] for r in query_runs(body, store, cursors)["runs"]]

                p50, ids = _p50s({"http": round_trip, "in_process": in_process}, repeat)
                if ids["http"] != ids["in_process"]:
                    raise AssertionError(f"{label}: the server and the in-process store disagree")
                rows.append({"request": label, "runs": len(ids["http"]), "http_ms": p50["http"] * 1e3,
                             "in_process_ms": p50["in_process"] * 1e3, "ratio": p50["http"] / p50["in_process"],
                             "langsmith_p50_ms": LANGSMITH_P50_MS[label]})
        store.close()
    finally:
        proc.terminate()
        proc.wait()
    return {"runs": n, "repeat": repeat, "server_load_s": load_s, "in_process_load_s": in_load_s, "requests": rows,
            "ratio_geomean": statistics.geometric_mean([r["ratio"] for r in rows]),
            "ratio_max": max(r["ratio"] for r in rows)}


def report(result: dict[str, Any]) -> None:
    print(f"   filterql serve over {result['runs']:,} runs (DuckDB engine; loaded in {result['server_load_s']:.1f} s), "
          f"p50 of {result['repeat']} requests each:")
    print(f"   {'request':<15} {'runs':>5} {'HTTP':>9} {'in process':>11} {'ratio':>6}   LangSmith P50*")
    for r in result["requests"]:
        print(f"   {r['request']:<15} {r['runs']:>5} {r['http_ms']:>7.1f} ms {r['in_process_ms']:>8.1f} ms "
              f"{r['ratio']:>5.2f}x   {r['langsmith_p50_ms']} ms")
    print("   * LangSmith's published SmithDB P50s: another machine and another data size, for scale only")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.serve_bench", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    result = measure(args.runs, args.repeat)
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
