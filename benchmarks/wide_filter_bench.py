"""Compile time of a very wide ``and``: lowering and both backends must grow linearly.

Run: ``python -m benchmarks.wide_filter_bench [--operands N] [--repeat R]``. Builds an ``and``
of N and of 2N operands mixing family scopes (``metadata_key``/``metadata_value`` pairs,
``neq(feedback_key, ...)``) and scalar conditions, checks each once (not timed), then times
:func:`filterql.lowering.lower`, the Python predicate (:func:`filterql.evaluate.compile_checked`)
and the SQL text (``compile_where`` rendered for DuckDB), best of R, and prints the time ratio
2N / N (linear: ~2; the quadratic 0.1 evaluator gave ~4). ``tests/test_plan.py`` checks the
same claim by counting function calls instead of reading the clock.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any, Callable

from filterql import check, lowering
from filterql.evaluate import compile_checked
from filterql.sql.compile import compile_where

__all__ = ["wide_filter", "main"]


def wide_filter(n: int) -> str:
    """An ``and`` of ``n`` operands, a quarter each of: name, metadata key, metadata value, feedback key."""
    kinds = ('eq(name, "n{}")', 'eq(metadata_key, "k{}")', "eq(metadata_value, {})", 'neq(feedback_key, "f{}")')
    return "and(" + ", ".join(kinds[i % 4].format(i) for i in range(n)) + ")"


def _seconds(fn: Callable[[], Any]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operands", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.operands
    small, large = check(wide_filter(n)), check(wide_filter(2 * n))
    stages: dict[str, Callable[[Any], Any]] = {
        "lower": lowering.lower,
        "python": compile_checked,
        "sql": lambda f: compile_where(f).sql(dialect="duckdb"),
    }
    print(f"and() of {n:,} and {2 * n:,} operands; best of {args.repeat}")
    print(f"{'stage':8} {'N':>10} {'2N':>10} {'ratio':>7}")
    for name, stage in stages.items():
        # Interleaved, so a busy machine slows both sizes alike.
        a = b = float("inf")
        for _ in range(args.repeat):
            a = min(a, _seconds(lambda: stage(small)))
            b = min(b, _seconds(lambda: stage(large)))
        print(f"{name:8} {a:9.2f}s {b:9.2f}s {b / a:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
