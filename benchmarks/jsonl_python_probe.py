"""The Python engine on JSONL against merely parsing every line with orjson, side by side in one run.

Run: ``python -m benchmarks.jsonl_python_probe [--runs N] [--repeat K]``. Over N generated runs
(:func:`benchmarks.memory_bench.jsonl_file`), for each filter: lines/s of ``orjson.loads`` on every
line, and runs/s of ``filterql match --ids-only`` in process (``output_lines``, every id ordered) with
``validate="all"`` and ``validate="candidates"``; the ratio engine ÷ orjson, best of K, in CPU time.
"""

from __future__ import annotations

import argparse

import orjson

from benchmarks import jsonl_bench
from benchmarks.jsonl_bench import cpu_best, parse_all
from benchmarks.memory_bench import jsonl_file
from filterql.query import list_runs_query
from filterql.run_files import read_runs
from filterql.select_runs import output_lines

#: (label, filter): the filters of :mod:`benchmarks.jsonl_bench`.
FILTERS: list[tuple[str, str | None]] = [(label, text) for label, text, _ in jsonl_bench.FILTERS]


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--runs", type=int, default=200_000)
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args(argv)
    path = jsonl_file(opts.runs)

    print(f"{opts.runs} runs, {path.stat().st_size / 1e6:.0f} MB; best of {opts.repeat}")
    print(f"{'filter':18} {'matches':>8} {'orjson l/s':>11} {'all r/s':>9} {'ratio':>6} {'cand r/s':>9} {'ratio':>6}")
    for label, text in FILTERS:
        query = list_runs_query(filter=text)
        row = []
        for validate in ("all", "candidates"):
            seconds, matches = cpu_best(
                lambda: sum(1 for _ in output_lines(read_runs(path, validate=validate), query, ids_only=True)),
                opts.repeat)
            parse, lines = cpu_best(lambda: parse_all(path, orjson.loads), opts.repeat)  # interleaved: the machine's load drifts
            row.append((lines / parse, opts.runs / seconds, parse / seconds))
        (p1, e1, r1), (p2, e2, r2) = row
        print(f"{label:18} {matches:>8} {min(p1, p2):>11,.0f} {e1:>9,.0f} {r1:>6.2f} {e2:>9,.0f} {r2:>6.2f}")


if __name__ == "__main__":
    main()
