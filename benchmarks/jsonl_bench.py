"""JSONL workload (issue 17): both engines against raw parsing and hand-written DuckDB, in one run.

Run: ``python -m benchmarks.jsonl_bench [--runs N] [--repeat R]``. Writes N synthetic runs as JSONL
(:func:`benchmarks.memory_bench.jsonl_file`: the Parquet generator's runs, git-ignored, reused when
present) and measures, in CPU time (the machine is shared), best of R, on the same file:

- ``json.loads`` and ``orjson.loads`` on every line (no filter): the parse floor;
- ``filterql match FILE --ids-only [--filter F]`` in process: the Python engine with
  ``--validate candidates`` (lines that cannot match pass unread) and with the default (every line
  checked), and the DuckDB engine;
- the hand-written DuckDB query a user would write: ``SELECT CAST(id AS VARCHAR) FROM
  read_json_auto(FILE) WHERE ... ORDER BY start_time DESC, id`` (filterql's order), on a fresh connection;

for a selective scalar filter, a metadata pair, a selective ``search``, a ``search`` matching 37% of
the runs, and no filter (also the filters of :mod:`benchmarks.jsonl_python_probe`). Every contender must print the same ids in the same order.
Keys: ``jsonl_python_vs_orjson_parse`` (Python engine runs/s ÷ orjson lines/s, geometric mean over
the selective filters; target ≥ 1.0), ``jsonl_python_vs_orjson_parse_no_filter`` (target ≥ 0.8) and
``jsonl_duckdb_ratio_vs_handwritten`` (DuckDB engine time ÷ hand-written time, geometric mean over
every filter; target ≤ 1.5).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.memory_bench import jsonl_file
from benchmarks.sql_bench import time_best

__all__ = ["FILTERS", "SELECTIVE", "cpu_best", "parse_all", "measure", "report", "main"]

def _search(term: str) -> str:
    """The hand-written ``search(term)``: a case-insensitive substring of name, error, a tag, or a string in
    inputs, outputs or metadata (on these runs no key holds the term)."""
    found = lambda text: f"strpos(lower({text}), '{term}') > 0"  # noqa: E731
    return " OR ".join([found("name"), found("error"), f"len(list_filter(tags, lambda t: {found('t')})) > 0"]
                       + [found(f"CAST({c} AS VARCHAR)") for c in ("inputs", "outputs", "extra.metadata")])


#: (label, filterql filter or None, the hand-written WHERE clause over read_json_auto's columns);
#: the filters of benchmarks.jsonl_python_probe.
FILTERS: list[tuple[str, str | None, str]] = [
    ("scalar", 'and(eq(run_type, "llm"), gt(total_tokens, 990))', "run_type = 'llm' AND total_tokens > 990"),
    ("metadata pair", 'and(eq(metadata_key, "user_id"), eq(metadata_value, "u-147"))',
     "extra.metadata.user_id = 'u-147'"),
    ("search", 'search("timeouterror")', _search("timeouterror")),
    ("search, 37%", 'search("france")', _search("france")),
    ("no filter", None, "true"),
]
#: name -> ``filterql match --ids-only`` options, or None for the hand-written query. ``python``: the
#: Python engine passing over the lines that cannot match unread (``--validate candidates``);
#: ``python_all``: checking every line (the default).
CONTENDERS: dict[str, tuple[str, ...] | None] = {
    "python": ("--engine", "python", "--validate", "candidates"), "python_all": ("--engine", "python"),
    "duckdb": ("--engine", "duckdb"), "handwritten": None}
#: The filters the ``jsonl_python_vs_orjson_parse`` key averages over: those that match few runs. The
#: scalar matches 8% (its needle ``"llm"`` is in one line in six), the metadata pair 0.1%, ``search``
#: 8% (the error text); ``search("france")``, a word in 37% of the inputs, is reported beside them.
SELECTIVE = ("scalar", "metadata pair", "search")


def cpu_best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Least CPU time (this process's threads, DuckDB's included) of ``repeat`` calls, and the last result:
    the machine is shared, and waiting for a core is no reader's cost."""
    return time_best(fn, repeat, time.process_time)


def parse_all(path: Path, loads: Callable[[bytes], Any]) -> int:
    """Parse every line of ``path`` with ``loads``; the number of lines."""
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            loads(line)
            n += 1
    return n


def _match(path: Path, text: str | None, *options: str) -> list[str]:
    """The ids ``filterql match PATH --ids-only [--filter TEXT] OPTIONS`` prints, run in process."""
    from filterql.cli import main

    argv = ["match", str(path), "--ids-only", *options] + ([] if text is None else ["--filter", text])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    if code != 0:
        raise RuntimeError(f"filterql {' '.join(argv)} exited {code}")
    return out.getvalue().split()


def _handwritten(path: Path, where: str) -> list[str]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(f"SELECT CAST(id AS VARCHAR) FROM read_json_auto('{path}') WHERE {where} ORDER BY start_time DESC, id").fetchall()
    con.close()
    return [r[0] for r in rows]


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def measure(n: int, repeat: int = 3, seed: int = 7) -> dict[str, Any]:
    """Every figure of the workload on ``n`` runs (best of ``repeat``), and the keys."""
    import orjson

    path = jsonl_file(n, seed)
    lines = sum(1 for _ in open(path, "rb"))
    t_json, _ = cpu_best(lambda: parse_all(path, json.loads), repeat)
    t_orjson, _ = cpu_best(lambda: parse_all(path, orjson.loads), repeat)
    rows = []
    for label, text, where in FILTERS:
        # The contenders take turns, so a busy moment of the machine hits each alike.
        times = dict.fromkeys(CONTENDERS, math.inf)
        found: dict[str, list[str]] = {}
        for _ in range(repeat):
            for name, options in CONTENDERS.items():
                run = (lambda: _handwritten(path, where)) if options is None else (lambda: _match(path, text, *options))
                t, found[name] = cpu_best(run, 1)
                times[name] = min(times[name], t)
        for name in CONTENDERS:
            if found[name] != found["handwritten"]:
                raise AssertionError(f"{label}: {name} printed {len(found[name])} ids, "
                                     f"the hand-written query {len(found['handwritten'])} (or another order)")
        rows.append({"filter": label, "filterql": text, "handwritten_where": where,
                     "matches": len(found["handwritten"]), **{f"{k}_s": v for k, v in times.items()},
                     "python_vs_orjson_parse": t_orjson / times["python"],
                     "python_all_vs_orjson_parse": t_orjson / times["python_all"],
                     "duckdb_ratio_vs_handwritten": times["duckdb"] / times["handwritten"]})
    by = {r["filter"]: r for r in rows}
    return {
        "runs": n, "file": path.name, "mb": path.stat().st_size / 1e6, "repeat": repeat, "lines": lines,
        "json_loads_s": t_json, "orjson_loads_s": t_orjson, "filters": rows,
        "jsonl_python_vs_orjson_parse": _geomean([by[f]["python_vs_orjson_parse"] for f in SELECTIVE]),
        "jsonl_python_vs_orjson_parse_no_filter": by["no filter"]["python_vs_orjson_parse"],
        "jsonl_duckdb_ratio_vs_handwritten": _geomean([r["duckdb_ratio_vs_handwritten"] for r in rows]),
    }


def report(result: dict[str, Any]) -> None:
    """The issue's table: runs (lines) per CPU second of each reader, per filter."""
    n = result["lines"]
    print(f"   {result['runs']:,} runs in {result['file']} ({result['mb']:,.0f} MB), runs per CPU second, "
          f"best of {result['repeat']}")
    print(f"   json.loads per line (stdlib), no filter {n / result['json_loads_s']:>12,.0f}")
    print(f"   orjson.loads per line, no filter        {n / result['orjson_loads_s']:>12,.0f}")
    print(f"   {'filter':<14} {'matches':>8} {'python':>10} {'python all':>10} {'duckdb':>10} {'hand-written':>12} "
          f"{'py/orjson':>9} {'duck/hand':>9}")
    for r in result["filters"]:
        print(f"   {r['filter']:<14} {r['matches']:>8,} {n / r['python_s']:>10,.0f} {n / r['python_all_s']:>10,.0f} "
              f"{n / r['duckdb_s']:>10,.0f} {n / r['handwritten_s']:>12,.0f} {r['python_vs_orjson_parse']:>8.2f}x "
              f"{r['duckdb_ratio_vs_handwritten']:>8.2f}x")
    print("   python: --validate candidates; python all: the default, every line checked")
    print(f"   Python engine vs orjson parse: {result['jsonl_python_vs_orjson_parse']:.2f}x over the selective filters "
          f"(target >= 1.0), {result['jsonl_python_vs_orjson_parse_no_filter']:.2f}x with no filter (target >= 0.8); "
          f"DuckDB engine vs hand-written: {result['jsonl_duckdb_ratio_vs_handwritten']:.2f}x (target <= 1.5)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report(measure(args.runs, args.repeat, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
