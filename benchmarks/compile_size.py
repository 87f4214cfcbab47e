"""Compile time against filter size: an ``and`` of N operands against one of 2N (issue 11).

The operands mix scalar conditions (``gt(total_tokens, i)``, ``eq(name, ...)``), tag tests and
family conditions (``eq(metadata_key, ...)`` beside ``eq(metadata_value, ...)``, so the ``and`` is
one large binding scope), the shape that was quadratic in the evaluator. Each stage (parse, check,
the Python predicate, DuckDB SQL) is timed for N and 2N, the two sizes taking turns, best of a few;
linear work gives a ratio near 2, quadratic near 4.

    python -m benchmarks.compile_size [--operands 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable

import filterql
from filterql.evaluate import compile_checked
from filterql.sql import to_sql


def big_and(n: int) -> str:
    kinds = (lambda i: f"gt(total_tokens, {i})", lambda i: f'eq(name, "run-{i}")', lambda i: f'has(tags, "t{i}")',
             lambda i: f'eq(metadata_key, "k{i}")', lambda i: f'eq(metadata_value, "v{i}")')
    return "and(" + ", ".join(kinds[i % len(kinds)](i) for i in range(n)) + ")"


STAGES: dict[str, Callable[[str, Any], Any]] = {
    "parse": lambda text, checked: filterql.parse(text),
    "check": lambda text, checked: filterql.check(text),
    "python predicate": lambda text, checked: compile_checked(checked),
    "duckdb sql": lambda text, checked: to_sql(checked, dialect="duckdb"),
}


def _seconds(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(operands: int = 50_000, repeat: int = 3) -> dict[str, Any]:
    texts = big_and(operands), big_and(2 * operands)
    checked = [filterql.check(t) for t in texts]
    out: dict[str, Any] = {"operands": [operands, 2 * operands], "bytes": [len(t) for t in texts]}
    for name, stage in STAGES.items():
        best = [float("inf"), float("inf")]
        for _ in range(repeat):  # the sizes take turns, so a busy moment hits both
            for k in (0, 1):
                best[k] = min(best[k], _seconds(lambda: stage(texts[k], checked[k])))
        out[name] = {"seconds": best, "ratio_2x": best[1] / best[0]}
    return out


def report(result: dict[str, Any]) -> None:
    n, m = result["operands"]
    print(f"compile size: and() of {n:,} vs {m:,} operands ({result['bytes'][0]:,} vs {result['bytes'][1]:,} bytes)")
    for name in STAGES:
        (a, b), ratio = result[name]["seconds"], result[name]["ratio_2x"]
        print(f"  {name:17} {a:8.3f} s  {b:8.3f} s  ratio {ratio:.2f} (linear 2, quadratic 4)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operands", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    report(measure(args.operands, args.repeat))


if __name__ == "__main__":
    main()
