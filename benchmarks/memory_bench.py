"""Memory benchmark: peak RSS of ``filterql match`` over generated runs (issue 11).

Run: ``python -m benchmarks.memory_bench [--runs N] [--engines python,duckdb] [--full-output]``.
Writes N synthetic runs as JSONL (``benchmarks/data/runs_N_7.jsonl``, from the
same generator as :mod:`benchmarks.sql_bench`; git-ignored, reused when present)
and runs ``filterql match FILE --ids-only`` in a fresh process, once without a
filter (every run matches) and once with a filter matching about half of them,
on each engine. The peak resident set size of that process (its ``VmHWM``)
is what is reported. Targets: ``--ids-only`` under 300 MB and
full output under 1 GB over 2,000,000 runs, whatever matches.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.sql_bench import DATA_DIR, data_file

__all__ = ["FILTERS", "jsonl_file", "peak_rss_mb", "measure", "main"]

#: (label, filter or None): every run, and about 55% of them.
FILTERS: list[tuple[str, str | None]] = [("no filter", None), ("half match", "gt(total_tokens, 900)")]


def jsonl_file(n: int, seed: int = 7) -> Path:
    """The JSONL file of ``n`` runs (objects as JSON, ISO timestamps), converted from the Parquet generator."""
    path = DATA_DIR / f"runs_{n}_{seed}.jsonl"
    if path.is_file():
        return path
    import duckdb

    source = data_file(n, seed)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    iso = "strftime({0}, '%Y-%m-%dT%H:%M:%S.%fZ') AS {0}"
    tmp = path.with_suffix(".tmp")
    con.execute(f"""
COPY (SELECT id, trace_id, parent_run_id, name, run_type, {iso.format('start_time')}, {iso.format('end_time')},
             status, error, tags, json(extra) AS extra, json(inputs) AS inputs, json(outputs) AS outputs,
             total_tokens, CAST(total_cost AS VARCHAR) AS total_cost, json(feedback_stats) AS feedback_stats
      FROM read_parquet('{source}')) TO '{tmp}' (FORMAT json)""")
    con.close()
    tmp.rename(path)
    return path


#: Runs the CLI and, at exit, prints the process's own peak RSS (``VmHWM``: reset by exec, unlike
#: ``ru_maxrss``, which would count the benchmark process the child was forked from).
_CHILD = (
    "import atexit, sys\n"
    "def peak():\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
    "    sys.stderr.write(f'\\nfilterql-peak-kb {hwm}\\n')\n"
    "atexit.register(peak)\n"
    "from filterql.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def peak_rss_mb(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Peak RSS (MB) and wall time of a fresh ``filterql`` process run with ``args``, and the lines it printed."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    lines = 0
    assert proc.stdout is not None and proc.stderr is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
        lines += chunk.count(b"\n")
    err = proc.stderr.read().decode()
    if proc.wait() != 0:
        raise RuntimeError(f"filterql {' '.join(args)} failed ({proc.returncode}): {err[-2000:]}")
    kb = int(err.rsplit("filterql-peak-kb ", 1)[1].split()[0])
    return kb / 1024, time.perf_counter() - t, lines


def measure(n: int, engines: tuple[str, ...] = ("python", "duckdb"), *, full_output: bool = False,
            seed: int = 7, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Peak RSS of ``match --ids-only`` (and of full output, when asked) per engine and filter."""
    path = jsonl_file(n, seed)
    modes = [("--ids-only", True)] + ([("full output", False)] if full_output else [])
    rows = []
    print(f"{n:,} runs in {path.name} ({path.stat().st_size / 1e6:,.0f} MB)")
    print(f"   {'engine':<8} {'output':<12} {'filter':<12} {'matches':>10} {'peak MB':>8} {'seconds':>8}")
    for engine in engines:
        for output, ids_only in modes:
            for label, text in FILTERS:
                argv = ["match", str(path), "--engine", engine]
                argv += (["--ids-only"] if ids_only else []) + (["--filter", text] if text else [])
                mb, seconds, lines = peak_rss_mb(argv, env)
                rows.append({"engine": engine, "output": output, "filter": label, "matches": lines,
                             "peak_mb": mb, "seconds": seconds})
                print(f"   {engine:<8} {output:<12} {label:<12} {lines:>10,} {mb:>8.0f} {seconds:>8.1f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2_000_000)
    parser.add_argument("--engines", default="python,duckdb")
    parser.add_argument("--full-output", action="store_true", help="also measure full JSON output")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = measure(args.runs, tuple(args.engines.split(",")), full_output=args.full_output, seed=args.seed)
    ids = max(r["peak_mb"] for r in rows if r["output"] == "--ids-only")
    print(f"worst --ids-only peak {ids:.0f} MB (target <= 300 MB at 2,000,000 runs)")
    full = [r["peak_mb"] for r in rows if r["output"] != "--ids-only"]
    if full:
        print(f"worst full-output peak {max(full):.0f} MB (target <= 1,000 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
