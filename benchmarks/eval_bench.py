"""Evaluator benchmark: compiled predicates vs hand-written lambdas, and tree_filter scaling.

Run: ``python -m benchmarks.eval_bench [--runs N] [--seed S]``. Prints, for each
filter, the time of the compiled predicate (generated source, the shipped design),
of the closure-per-node variant, and of a hand-written lambda for the same
filter, with the ratios; then ``select(tree_filter=...)`` at N and 2N runs.
Target: compiled / lambda within 1.5x; tree_filter time growing linearly.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from filterql import select
from filterql.evaluate import compile, compile_checked
from filterql.validator import check

__all__ = ["make_runs", "time_pass", "FILTERS", "compare", "tree_scaling", "main"]

_NAMES = ("ChatOpenAI", "AgentExecutor", "Retriever", "extractor", "format_docs", "ToolCall")
_TYPES = ("llm", "chain", "retriever", "tool", "prompt", "parser")
_TAGS = ("production", "staging", "dev", "v2", "experimental")
_ENVS = ("production", "staging", "dev")
_WORDS = ("image", "classification", "timeout", "paris", "capital", "france", "query", "document", "model", "answer",
          "vector", "search", "retry", "agent", "tool", "result")


def make_runs(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` synthetic runs in LangSmith run JSON, deterministic for ``seed``, in traces of 1–8 runs."""
    rng = random.Random(seed)
    base = datetime(2024, 5, 1, tzinfo=timezone.utc)
    out: list[dict[str, Any]] = []
    trace_id = parent = None
    left = 0
    for i in range(n):
        rid = f"{rng.getrandbits(128):032x}"
        rid = f"{rid[:8]}-{rid[8:12]}-4{rid[13:16]}-a{rid[17:20]}-{rid[20:]}"
        if left == 0:
            trace_id, parent, left = rid, None, rng.randint(1, 8)
        start = base + timedelta(seconds=i, microseconds=rng.randrange(1_000_000))
        end = None if rng.random() < 0.05 else start + timedelta(milliseconds=rng.randrange(1, 10_000))
        errored = rng.random() < 0.08
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12)))
        out.append({
            "id": rid,
            "trace_id": trace_id,
            "parent_run_id": parent,
            "name": rng.choice(_NAMES),
            "run_type": rng.choice(_TYPES),
            "start_time": start.isoformat().replace("+00:00", "Z"),
            "end_time": end and end.isoformat().replace("+00:00", "Z"),
            "status": "error" if errored else "success",
            "error": "TimeoutError: request timed out" if errored else None,
            "tags": rng.sample(_TAGS, rng.randint(0, 3)),
            "extra": {"metadata": {"environment": rng.choice(_ENVS), "phone": rng.choice(("555", "556", 555)),
                                   "user_id": f"u-{rng.randrange(1000)}"}},
            "inputs": {"messages": [{"role": "user", "content": text}]},
            "outputs": {"generations": [{"text": " ".join(reversed(text.split()))}]},
            "total_tokens": rng.randrange(0, 2000),
            "total_cost": f"{rng.randrange(0, 10000) / 1e6:.6f}",
            "feedback_stats": {"user_score": {"n": 1, "avg": rng.choice((0, 1))}} if rng.random() < 0.2 else None,
        })
        if parent is None:
            parent = rid
        left -= 1
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _hand_search(r: dict[str, Any]) -> bool:
    """What a user would write for search("timeout"): every string value, lowercased."""
    meta = (r.get("extra") or {}).get("metadata")
    for s in _strings([r.get("name"), r.get("error"), r.get("tags"), r.get("inputs"), r.get("outputs"), meta]):
        if "timeout" in s.lower():
            return True
    return False


#: (label, filter, hand-written lambda for the same filter)
FILTERS: list[tuple[str, str, Callable[[dict[str, Any]], bool]]] = [
    ("4 conditions",
     'and(eq(run_type, "llm"), gt(total_tokens, 100), has(tags, "production"), eq(status, "success"))',
     lambda r: r.get("run_type") == "llm" and (r.get("total_tokens") or 0) > 100
     and "production" in (r.get("tags") or ()) and r.get("status") == "success"),
    ("metadata pair",
     'and(eq(metadata_key, "environment"), eq(metadata_value, "production"))',
     lambda r: ((r.get("extra") or {}).get("metadata") or {}).get("environment") == "production"),
    ("search",
     'search("timeout")',
     _hand_search),
]


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (garbage collection paused, as ``timeit`` does), and the last result."""
    best, result = float("inf"), None
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - t0)
    finally:
        if enabled:
            gc.enable()
    return best, result


def time_pass(pred: Callable[[Any], bool], runs: list[dict[str, Any]], repeat: int = 5) -> tuple[float, int]:
    """Best wall time of ``repeat`` passes of ``pred`` over ``runs``, and the match count."""
    return _best(lambda: sum(1 for r in runs if pred(r)), repeat)


def compare(label: str, text: str, hand: Callable[[dict[str, Any]], bool], runs: list[dict[str, Any]],
            repeat: int = 5) -> dict[str, Any]:
    """Time the compiled predicate, the closure-per-node variant and the lambda; check they agree.

    The three take turns, pass by pass, so a change in machine load hits all of them alike.
    """
    variants = {"generated": compile(text), "closures": compile_checked(check(text), inline=False), "lambda": hand}
    best = {name: float("inf") for name in variants}
    counts = {}
    for pred in variants.values():  # warm up: caches, the interpreter's specialisation
        time_pass(pred, runs, repeat=1)
    for _ in range(repeat):
        for name, pred in variants.items():
            t, counts[name] = time_pass(pred, runs, repeat=1)
            best[name] = min(best[name], t)
    if len(set(counts.values())) != 1:
        raise AssertionError(f"{label}: the variants disagree: {counts}")
    return {"label": label, "matches": counts["generated"], **best,
            "ratio": best["generated"] / best["lambda"], "closure_ratio": best["closures"] / best["lambda"]}


def tree_scaling(runs: list[dict[str, Any]], tree_filter: str = 'eq(name, "Retriever")') -> list[tuple[int, float, int]]:
    """``select(tree_filter=...)`` on the first half and on all of ``runs``: (size, seconds, matches)."""
    sizes = (len(runs) // 2, len(runs))
    best = {n: (float("inf"), 0) for n in sizes}
    for _ in range(4):  # alternate the sizes so drift in machine load hits both alike
        for n in sizes:
            part = runs[:n]
            t, found = _best(lambda: len(select(part, tree_filter=tree_filter)), 1)
            best[n] = min(best[n], (t, found))
    return [(n, *best[n]) for n in sizes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    runs = make_runs(args.runs, args.seed)
    print(f"{len(runs):,} synthetic runs (seed {args.seed}); best of 5 interleaved passes, gc paused\n")
    print(f"{'filter':<15} {'matches':>8} {'compiled':>9} {'closures':>9} {'lambda':>9} {'compiled/lambda':>16} {'closures/lambda':>16}")
    for label, text, hand in FILTERS:
        r = compare(label, text, hand, runs)
        print(f"{label:<15} {r['matches']:>8,} {r['generated']*1e3:>7.1f}ms {r['closures']*1e3:>7.1f}ms "
              f"{r['lambda']*1e3:>7.1f}ms {r['ratio']:>15.2f}x {r['closure_ratio']:>15.2f}x")
    print("\ntree_filter scaling (select, whole pipeline):")
    (n1, t1, m1), (n2, t2, m2) = tree_scaling(runs)
    print(f"  {n1:>8,} runs: {t1*1e3:7.1f}ms ({m1:,} kept, {t1 / n1 * 1e6:.2f} us/run)")
    print(f"  {n2:>8,} runs: {t2*1e3:7.1f}ms ({m2:,} kept, {t2 / n2 * 1e6:.2f} us/run)")
    print(f"  time ratio {t2 / t1:.2f} for size ratio {n2 / n1:.2f} (linear: ~2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
