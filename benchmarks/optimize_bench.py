"""Optimizer benchmark: time to optimize wide generated filters, and what cost-based ordering buys.

Run: ``python -m benchmarks.optimize_bench [--operands N] [--runs N]``. Prints
(1) the time to optimize generated filters of N/2, N and 2N operands (an
``and`` and an ``or`` shape), with the growth ratio per doubling (about 2 means
linear); (2) the time of ``and(search("needle"), eq(run_type, "tool"))``
unoptimized and optimized over the runs of ``benchmarks.eval_bench.make_runs``,
with the ratio, measured in the same run. Targets: N=2,000 optimizes in well
under a second; the optimized order is measurably faster.
"""

from __future__ import annotations

import argparse
import random
import time

from filterql import optimize
from filterql.evaluate import compile_checked
from filterql.optimizer import size
from filterql.validator import check

from .eval_bench import make_runs, time_pass

__all__ = ["and_filter", "or_filter", "time_optimize", "main"]


def _operand(rng: random.Random, i: int) -> str:
    """One operand of a generated filter, of the kinds UIs and scripts concatenate."""
    kind = rng.randrange(8)
    if kind == 0:
        return f'gt(total_tokens, {rng.randrange(1000)})'
    if kind == 1:
        return f'neq(name, "n{rng.randrange(300)}")'
    if kind == 2:
        return f'and(eq(metadata_key, "k{i}"), eq(metadata_value, {rng.randrange(50)}))'
    if kind == 3:
        return f'or(eq(run_type, "llm"), eq(run_type, "{rng.choice(("chain", "tool", "llm"))}"))'
    if kind == 4:
        return f'has(tags, "t{rng.randrange(40)}")'
    if kind == 5:
        return f'not(eq(id, "00000000-0000-4000-8000-{i:012d}"))'
    if kind == 6:
        return f'and(lt(latency, "{rng.randrange(1, 60)}s"), and(gte(start_time, "2024-05-0{rng.randrange(1, 9)}")))'
    return f'like(name, "%{rng.randrange(100)}%")'


def and_filter(n: int, seed: int = 1) -> str:
    """An ``and`` of ``n`` operands (with duplicates, nested ands, ranges, scopes)."""
    rng = random.Random(seed)
    ops = [_operand(rng, i) for i in range(n - n // 10)]
    ops += rng.sample(ops, n // 10)  # duplicates
    rng.shuffle(ops)
    return "and(" + ", ".join(ops) + ")"


def or_filter(n: int, seed: int = 2) -> str:
    """An ``or`` of ``n`` small ``and``s, the shape of "any of these cases" generated filters."""
    rng = random.Random(seed)
    parts = []
    for i in range(n // 2):
        parts.append(f'and(eq(name, "n{rng.randrange(500)}"), {_operand(rng, i)})')
        parts.append(f'eq(session_id, "00000000-0000-4000-8000-{rng.randrange(300):012d}")')
    return "or(" + ", ".join(parts) + ")"


def time_optimize(text: str, repeat: int = 3) -> tuple[float, int, int]:
    """Best time to optimize the checked ``text``; input and output node counts."""
    typed = check(text)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = optimize(typed)
        best = min(best, time.perf_counter() - t0)
    return best, size(typed), size(result)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--operands", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=200_000)
    args = ap.parse_args(argv)

    n = args.operands
    print("optimize: time for a generated filter (best of 3)")
    for label, build in (("and", and_filter), ("or", or_filter)):
        times = []
        for k in (n // 2, n, 2 * n):
            t, before, after = time_optimize(build(k))
            times.append(t)
            print(f"  {label:3} {k:6,} operands  {before:7,} -> {after:7,} nodes  {t * 1000:8.1f} ms")
        print(f"  {label:3} growth per doubling: {times[1] / times[0]:.2f}x, {times[2] / times[1]:.2f}x")

    text = 'and(search("needle"), eq(run_type, "tool"))'
    typed = check(text)
    optimized = optimize(typed)
    runs = make_runs(args.runs)
    before, n_before = time_pass(compile_checked(typed), runs)
    after, n_after = time_pass(compile_checked(optimized), runs)  # type: ignore[arg-type]
    assert n_before == n_after, (n_before, n_after)
    print(f"ordering: {text} over {len(runs):,} runs ({n_after:,} match)")
    print(f"  as written  {before:7.3f} s")
    print(f"  optimized   {after:7.3f} s   {optimized}")
    print(f"  speed-up    {before / after:7.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
