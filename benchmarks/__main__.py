"""filterql side by side with the alternatives users have: ``python -m benchmarks [--quick] [--json FILE]``.

One run, one machine, synthetic data from a fixed seed (nothing is downloaded):

1. cold parse — filterql vs LangChain's ``query_constructor`` parser (:mod:`benchmarks.parse_vs_langchain`);
2. evaluation — filterql's compiled predicate vs a hand-written lambda vs ``common-expression-language``
   vs ``cel-python`` (:mod:`benchmarks.eval_bench`, :mod:`benchmarks.cel_contenders`);
3. ``tree_filter`` growth from 1x to 2x data (:mod:`benchmarks.eval_bench`);
4. engines over Parquet — Python engine vs DuckDB engine vs hand-written DuckDB SQL vs hand-written
   Polars (:mod:`benchmarks.sql_bench`, :mod:`benchmarks.polars_contender`);
5. start-up — ``filterql check EXPR`` against ``python -c "import attrs, lark"``, interleaved
   fresh processes (:mod:`benchmarks.startup`);
6. parse growth — a 1 MB ``or`` against a quarter of it, valid and unclosed, in a fresh process
   (:mod:`benchmarks.parse_linear`);
7. ``filterql serve`` — p50 of a filtered ``list_runs`` page, a ``search()`` page and one trace's runs over
   HTTP, against the same query in process (:mod:`benchmarks.serve_bench`);
8. memory — peak RSS of ``filterql match --ids-only`` over generated JSONL runs, with and without a
   filter, on both engines (:mod:`benchmarks.memory_bench`);
9. each engine against its own hand-written query, data loaded: DuckDB on one open connection,
   PostgreSQL (a throwaway server) and Spark (local) (:mod:`benchmarks.server_engines`);
10. JSONL — ``json.loads`` and ``orjson.loads`` per line, ``filterql match --ids-only`` on both engines and
   the hand-written DuckDB query over ``read_json_auto`` (:mod:`benchmarks.jsonl_bench`).

Every time is the best of a few repeats (the machine may be shared). ``--quick``
uses smaller sizes (printed, and stored in the JSON); ``--tiny`` is for the
test suite only. The summary keys are geometric means over each workload's
filters (the engine keys at the largest size). Targets are the issue's; a miss
is printed, never hidden.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from . import eval_bench, parse_linear, parse_vs_langchain, serve_bench, startup

#: key -> (target, "min" if the measured value must be >= target, "max" if <=)
TARGETS: dict[str, tuple[float, str]] = {
    "parse_speedup_vs_langchain": (2.0, "min"),
    "eval_ratio_vs_lambda": (1.5, "max"),
    "eval_speedup_vs_rust_cel": (20.0, "min"),
    "eval_speedup_vs_cel_python": (500.0, "min"),
    "duckdb_speedup_vs_python": (20.0, "min"),
    "duckdb_ratio_vs_handwritten_sql": (1.2, "max"),
    "duckdb_worst_filter_ratio": (1.5, "max"),
    "duckdb_open_ratio_vs_same_connection": (1.1, "max"),
    "postgres_ratio_vs_handwritten_sql": (1.5, "max"),
    "spark_ratio_vs_handwritten_sql": (1.5, "max"),
    "tree_filter_growth_2x": (2.3, "max"),
    "check_startup_ratio_vs_import": (1.4, "max"),
    "parse_linear_growth_4x": (5.0, "max"),
    "parse_error_growth_4x": (5.0, "max"),
    "serve_http_ratio_vs_in_process": (1.25, "max"),
    "match_ids_only_peak_mb": (300.0, "max"),
    "jsonl_python_vs_orjson_parse": (1.0, "min"),
    "jsonl_python_vs_orjson_parse_no_filter": (0.8, "min"),
    "jsonl_duckdb_ratio_vs_handwritten": (1.5, "max"),
}

#: Sizes per mode. ``cel_runs`` / ``cel_python_runs``: the CEL engines take 10-6000 µs a run, so
#: they (and filterql again, for an identical-input ratio) run on the first runs of the data set.
MODES: dict[str, dict[str, Any]] = {
    "full": {"parse_number": 500, "parse_repeat": 5, "eval_runs": 200_000, "cel_runs": 10_000,
             "cel_python_runs": 1_000, "engine_sizes": (100_000, 1_000_000), "tree_runs": 200_000, "repeat": 3,
             "startup_rounds": 21, "parse_operands": 10_000, "serve_runs": 1_000_000, "serve_repeat": 15,
             "memory_runs": 2_000_000, "server_runs": 100_000, "jsonl_runs": 200_000},
    "quick": {"parse_number": 100, "parse_repeat": 3, "eval_runs": 100_000, "cel_runs": 2_000,
              "cel_python_runs": 300, "engine_sizes": (100_000, 1_000_000), "tree_runs": 100_000, "repeat": 3,
              "startup_rounds": 11, "parse_operands": 10_000, "serve_runs": 200_000, "serve_repeat": 9,
              "memory_runs": 200_000, "server_runs": 100_000, "python_runs": 50_000, "jsonl_runs": 50_000},
    "tiny": {"parse_number": 3, "parse_repeat": 1, "eval_runs": 600, "cel_runs": 100,
             "cel_python_runs": 30, "engine_sizes": (300, 600), "tree_runs": 600, "repeat": 1,
             "startup_rounds": 1, "parse_operands": 200, "serve_runs": 600, "serve_repeat": 1,
             "memory_runs": 300, "server_runs": 300, "jsonl_runs": 300},
}


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# --- 1. parse ---------------------------------------------------------------------------------

def bench_parse(number: int, repeat: int) -> dict[str, Any]:
    rows = parse_vs_langchain.measure(number, repeat)
    ours = sum(r[1] for r in rows)
    theirs = sum(r[2] for r in rows)
    print(f"\n1. Cold parse of {len(rows)} realistic filters, best of {repeat} rounds of {number}")
    print(f"   filterql {ours * 1e6:9.1f} µs   LangChain query_constructor {theirs * 1e6:9.1f} µs   "
          f"-> filterql {theirs / ours:.2f}x faster")
    return {"filters": len(rows), "filterql_us": ours * 1e6, "langchain_us": theirs * 1e6, "speedup": theirs / ours}


# --- 2. evaluation ----------------------------------------------------------------------------

def bench_eval(runs: list[dict[str, Any]], cel_runs: int, cel_python_runs: int, repeat: int) -> dict[str, Any]:
    from filterql import compile

    from .cel_contenders import CEL, cel_python, rust_cel

    print(f"\n2. Evaluation, µs per run (filterql and lambda over {len(runs):,} runs; "
          f"Rust CEL over the first {cel_runs:,}, cel-python over the first {cel_python_runs:,}, "
          "each against filterql on the same runs)")
    print(f"   {'filter':<14} {'matches':>8} {'filterql':>9} {'lambda':>8} {'ratio':>6} "
          f"{'Rust CEL':>9} {'speed-up':>9} {'cel-python':>11} {'speed-up':>9}")
    rows = []
    for label, text, hand in eval_bench.FILTERS:
        pred = compile(text)
        # filterql and the lambda take turns pass by pass, after a warm-up; the counts must agree.
        versus = eval_bench.compare(label, text, hand, runs, repeat)
        t_q, t_l, n_q = versus["generated"], versus["lambda"], versus["matches"]
        row: dict[str, Any] = {"filter": label, "filterql": text, "cel": CEL[label], "matches": n_q,
                               "filterql_us": t_q / len(runs) * 1e6, "lambda_us": t_l / len(runs) * 1e6,
                               "ratio_vs_lambda": t_q / t_l}
        for name, make, n in (("rust_cel", rust_cel, cel_runs), ("cel_python", cel_python, cel_python_runs)):
            part = runs[:n]
            t_c, n_c = eval_bench.time_pass(make(CEL[label]), part, min(repeat, 2))
            t_s, n_s = eval_bench.time_pass(pred, part, repeat)
            if n_c != n_s:
                raise AssertionError(f"{label}: {name} matched {n_c} of {n} runs, filterql {n_s}")
            row[f"{name}_us"] = t_c / n * 1e6
            row[f"{name}_speedup"] = t_c / t_s
        rows.append(row)
        print(f"   {label:<14} {n_q:>8,} {row['filterql_us']:>9.2f} {row['lambda_us']:>8.2f} "
              f"{row['ratio_vs_lambda']:>5.2f}x {row['rust_cel_us']:>9.1f} {row['rust_cel_speedup']:>8.0f}x "
              f"{row['cel_python_us']:>11.0f} {row['cel_python_speedup']:>8.0f}x")
    summary = {key: _geomean([r[key] for r in rows])
               for key in ("ratio_vs_lambda", "rust_cel_speedup", "cel_python_speedup")}
    print(f"   {'geometric mean':<14} {'':>8} {'':>9} {'':>8} {summary['ratio_vs_lambda']:>5.2f}x {'':>9} "
          f"{summary['rust_cel_speedup']:>8.0f}x {'':>11} {summary['cel_python_speedup']:>8.0f}x")
    return {"runs": len(runs), "cel_runs": cel_runs, "cel_python_runs": cel_python_runs, "filters": rows, **summary}


# --- 3. tree_filter growth --------------------------------------------------------------------

def bench_tree(runs: list[dict[str, Any]]) -> dict[str, Any]:
    text = 'eq(name, "Retriever")'
    (n1, t1, m1), (n2, t2, m2) = eval_bench.tree_scaling(runs, text)
    print(f"\n3. select(tree_filter={text!r}), best of 4 passes, sizes alternating")
    print(f"   {n1:>9,} runs {t1 * 1e3:8.1f} ms ({m1:,} kept)\n   {n2:>9,} runs {t2 * 1e3:8.1f} ms ({m2:,} kept)"
          f"\n   growth {t2 / t1:.2f}x for {n2 / n1:.0f}x data")
    return {"tree_filter": text, "sizes": [n1, n2], "seconds": [t1, t2], "kept": [m1, m2], "growth": t2 / t1}


# --- 4. engines -------------------------------------------------------------------------------

def bench_engines(sizes: tuple[int, ...], repeat: int, seed: int, python_runs: int | None = None) -> dict[str, Any]:
    from . import sql_bench
    from .polars_contender import polars_query

    print(f"\n4. Engines over Parquet, seconds end to end from the file (best of {repeat}; "
          "the Python engine once)")
    seconds: dict[str, list[float]] = {"Python engine": [], "DuckDB engine": [], "hand-written SQL": [],
                                       "hand-written Polars": []}
    per_size = []
    for n in sizes:
        rows = sql_bench.compare(n, repeat, python_runs=python_runs and min(python_runs, n), seed=seed)
        path = sql_bench.data_file(n, seed)
        for row, (label, _text, where) in zip(rows, sql_bench.FILTERS):
            t_pl, got = sql_bench.time_best(lambda: polars_query(path, label), repeat)
            if got != sql_bench.handwritten(path, where):
                raise AssertionError(f"{label}: Polars and the hand-written SQL disagree on {path.name}")
            row["polars_s"] = t_pl
        print("   hand-written Polars: " + ", ".join(f"{r['filter']} {r['polars_s']:.3f} s" for r in rows))
        for name, key in (("Python engine", "python_s"), ("DuckDB engine", "duckdb_s"),
                          ("hand-written SQL", "handwritten_s"), ("hand-written Polars", "polars_s")):
            seconds[name].append(sum(r[key] for r in rows))
        per_size.append({"runs": n, "filters": rows,
                         "speedup_vs_python": _geomean([r["speedup_vs_python"] for r in rows]),
                         "ratio_vs_handwritten": _geomean([r["ratio_vs_handwritten"] for r in rows]),
                         "ratio_vs_polars": _geomean([r["duckdb_s"] / r["polars_s"] for r in rows])})
    last = per_size[-1]
    print(f"   at {last['runs']:,} runs (geometric mean over filters): DuckDB engine "
          f"{last['speedup_vs_python']:.0f}x faster than the Python engine, "
          f"{last['ratio_vs_handwritten']:.2f}x the hand-written SQL, {last['ratio_vs_polars']:.2f}x hand-written Polars")
    # The ratio targets hold at every size: the keys are the worst size's geometric mean and the worst filter.
    return {"sizes": list(sizes), "filters": len(sql_bench.FILTERS), "seconds": seconds, "per_size": per_size,
            "duckdb_speedup_vs_python": last["speedup_vs_python"],
            "duckdb_ratio_vs_handwritten_sql": max(p["ratio_vs_handwritten"] for p in per_size),
            "duckdb_worst_filter_ratio": max(r["ratio_vs_handwritten"] for p in per_size for r in p["filters"])}


# --- 9. each engine against its own hand-written query ---------------------------------------

def bench_own_handwritten(duckdb_runs: int, server_runs: int, repeat: int, seed: int) -> dict[str, Any]:
    from . import server_engines, sql_bench

    print(f"\n9. Each engine against its own hand-written query, data loaded, query seconds (best of {repeat}, "
          "taking turns): DuckDB engine open once vs the hand-written query on its connection "
          f"({duckdb_runs:,} runs); PostgreSQL and Spark (local) ({server_runs:,} runs)")
    print(f"   {'engine':<10} {'filter':<16} {'matches':>9} {'engine s':>9} {'hand s':>9} {'ratio':>8}")
    results = [server_engines.duckdb_open(sql_bench.data_file(duckdb_runs, seed), repeat)]
    path = sql_bench.data_file(server_runs, seed)
    results += [server_engines.postgres(path, repeat), server_engines.spark(path, repeat)]
    out: dict[str, Any] = {"duckdb_runs": duckdb_runs, "server_runs": server_runs, "engines": results}
    for result in results:
        result["ratio"] = _geomean([r["ratio"] for r in result["filters"]])
        print(f"   {result['engine']:<10} geometric mean {result['ratio']:.2f}x (load {result['load_s']:.1f} s)")
    out["duckdb_open_ratio_vs_same_connection"], out["postgres_ratio"], out["spark_ratio"] = (
        r["ratio"] for r in results)
    return out


# --- 5. start-up, 6. parse growth -------------------------------------------------------------

def bench_startup(rounds: int) -> dict[str, Any]:
    print(f"\n5. Start-up of filterql check, {rounds} interleaved rounds of fresh processes")
    result = startup.measure(rounds)
    startup.report(result)
    return result


def bench_parse_growth(operands: int, repeat: int) -> dict[str, Any]:
    print(f"\n6. Parse time growth for 4x the operands of an or(), best of {repeat}, in a fresh process")
    result = parse_linear.measure_apart(operands, repeat)
    parse_linear.report(result)
    return result


def bench_serve(runs: int, repeat: int, seed: int) -> dict[str, Any]:
    print(f"\n7. filterql serve: HTTP round trip against the same query in process, p50 of {repeat}")
    result = serve_bench.measure(runs, repeat, seed)
    serve_bench.report(result)
    return result


# --- 8. memory --------------------------------------------------------------------------------

def bench_memory(n: int, seed: int) -> dict[str, Any]:
    from . import memory_bench

    print("\n8. Peak RSS of `filterql match --ids-only` in a fresh process (target <= 300 MB at 2,000,000 runs)")
    rows = memory_bench.measure(n, seed=seed)
    return {"runs": n, "rows": rows, "peak_mb": max(r["peak_mb"] for r in rows)}


# --- 10. JSONL ---------------------------------------------------------------------------------

def bench_jsonl(n: int, repeat: int, seed: int) -> dict[str, Any]:
    from . import jsonl_bench

    print("\n10. JSONL: raw parse rates, both engines and the hand-written DuckDB query, CPU time")
    result = jsonl_bench.measure(n, repeat, seed)
    jsonl_bench.report(result)
    return result


# --- report -----------------------------------------------------------------------------------

def headline(results: dict[str, Any]) -> dict[str, float]:
    """The issue's keys from the detailed results."""
    ev, en = results["eval"], results["engines"]
    return {
        "parse_speedup_vs_langchain": results["parse"]["speedup"],
        "eval_ratio_vs_lambda": ev["ratio_vs_lambda"],
        "eval_speedup_vs_rust_cel": ev["rust_cel_speedup"],
        "eval_speedup_vs_cel_python": ev["cel_python_speedup"],
        "duckdb_speedup_vs_python": en["duckdb_speedup_vs_python"],
        "duckdb_ratio_vs_handwritten_sql": en["duckdb_ratio_vs_handwritten_sql"],
        "duckdb_worst_filter_ratio": en["duckdb_worst_filter_ratio"],
        "duckdb_open_ratio_vs_same_connection": results["own"]["duckdb_open_ratio_vs_same_connection"],
        "postgres_ratio_vs_handwritten_sql": results["own"]["postgres_ratio"],
        "spark_ratio_vs_handwritten_sql": results["own"]["spark_ratio"],
        "tree_filter_growth_2x": results["tree"]["growth"],
        "check_startup_ratio_vs_import": results["startup"]["ratio"],
        "parse_linear_growth_4x": results["parse_growth"]["valid"]["growth"],
        "parse_error_growth_4x": results["parse_growth"]["unclosed"]["growth"],
        "serve_http_ratio_vs_in_process": results["serve"]["ratio_max"],
        "match_ids_only_peak_mb": results["memory"]["peak_mb"],
        **{key: results["jsonl"][key] for key in ("jsonl_python_vs_orjson_parse",
                                                  "jsonl_python_vs_orjson_parse_no_filter",
                                                  "jsonl_duckdb_ratio_vs_handwritten")},
    }


def met(key: str, value: float) -> bool:
    target, kind = TARGETS[key]
    return value >= target if kind == "min" else value <= target


def print_summary(keys: dict[str, float]) -> None:
    print(f"\n{'key':<38} {'measured':>9}  {'target':>8}  verdict")
    for key, value in keys.items():
        target, kind = TARGETS[key]
        print(f"{key:<38} {value:>9.2f}  {('>= ' if kind == 'min' else '<= ') + format(target, 'g'):>8}  "
              f"{'met' if met(key, value) else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split(": ``")[0] + ".")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="mode",
                      help="fewer repeats and smaller evaluation sizes; the engine sizes of the targets, "
                           "with the Python engine timed on 50,000 runs and scaled")
    size.add_argument("--tiny", action="store_const", const="tiny", dest="mode", help=argparse.SUPPRESS)
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    ap.add_argument("--chart", metavar="PNG", help="draw the chart there (default: benchmarks/results.png "
                    "for a full run, none otherwise)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    mode = args.mode or "full"
    cfg = MODES[mode]
    chart = args.chart or (str(Path(__file__).with_name("results.png")) if mode == "full" else None)

    start = time.perf_counter()
    info = machine()
    print(f"filterql benchmarks, {mode} mode — {info['date']}, Python {info['python']}, "
          f"{info['cpus']} CPUs ({info['cpu']}), seed {args.seed}")
    if mode != "full":
        print(f"sizes: {json.dumps({k: v for k, v in cfg.items() if not k.startswith('parse')})} "
              "(smaller than a full run)")

    results: dict[str, Any] = {"mode": mode, "seed": args.seed, "machine": info, "sizes": cfg}
    results["parse"] = bench_parse(cfg["parse_number"], cfg["parse_repeat"])
    runs = eval_bench.make_runs(max(cfg["eval_runs"], cfg["tree_runs"]), args.seed)
    results["eval"] = bench_eval(runs[:cfg["eval_runs"]], cfg["cel_runs"], cfg["cel_python_runs"], cfg["repeat"])
    results["tree"] = bench_tree(runs[:cfg["tree_runs"]])
    del runs
    results["engines"] = bench_engines(cfg["engine_sizes"], cfg["repeat"], args.seed, cfg.get("python_runs"))
    results["startup"] = bench_startup(cfg["startup_rounds"])
    results["parse_growth"] = bench_parse_growth(cfg["parse_operands"], cfg["repeat"])
    results["serve"] = bench_serve(cfg["serve_runs"], cfg["serve_repeat"], args.seed)
    results["memory"] = bench_memory(cfg["memory_runs"], args.seed)
    results["own"] = bench_own_handwritten(cfg["engine_sizes"][-1], cfg["server_runs"], cfg["repeat"], args.seed)
    results["jsonl"] = bench_jsonl(cfg["jsonl_runs"], cfg["repeat"], args.seed)

    keys = headline(results)
    print_summary(keys)
    results["seconds"] = time.perf_counter() - start
    print(f"\n{mode} run took {results['seconds']:.0f} s")
    if args.json:
        out = {**keys, "targets": {k: {"target": t, "kind": kind, "met": met(k, keys[k])}
                                   for k, (t, kind) in TARGETS.items()}, "details": results}
        Path(args.json).write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    if chart:
        from .chart import draw

        draw(results, keys, chart)
        print(f"drew {chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
