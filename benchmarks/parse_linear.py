"""Parse time against filter size: an ``or`` of 40,000 conditions (~1 MB) against one of 10,000.

Linear work gives 4x; a quadratic step would give 16x. The two sizes take turns,
best of a few passes each; the same ratio for an *unclosed* ``or(`` measures
how a syntax error is reported (it must not re-parse or copy per token).

``python -m benchmarks`` measures it in a fresh process (:func:`measure_apart`): in its own process,
after the other workloads, CPython's full collections also walk what those left alive, and that
walk, not the parser, grows the ratio (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from filterql import FilterSyntaxError, parse


def big_or(n: int, closed: bool = True) -> str:
    return "or(" + ", ".join(f'eq(name, "run-{i:07d}")' for i in range(n)) + (")" if closed else ", ")


def _seconds(text: str) -> float:
    """CPU seconds to parse ``text`` (the machine is shared: waiting for a core is not the parser's cost)."""
    start = time.process_time()
    try:
        parse(text)
    except FilterSyntaxError:
        pass
    return time.process_time() - start


def measure(small: int = 10_000, repeat: int = 3) -> dict[str, Any]:
    out: dict[str, Any] = {"operands": [small, 4 * small]}
    for label, closed in (("valid", True), ("unclosed", False)):
        texts = big_or(small, closed), big_or(4 * small, closed)
        _seconds(texts[0])  # warm-up: tables, caches
        best = [float("inf")] * len(texts)
        for _ in range(repeat):  # the sizes take turns, so a busy moment of the machine hits both alike
            best = [min(b, _seconds(t)) for b, t in zip(best, texts)]
        out[label] = {"bytes": [len(t) for t in texts], "seconds": best, "growth": best[1] / best[0]}
    return out


def report(result: dict[str, Any]) -> None:
    for label in ("valid", "unclosed"):
        r = result[label]
        print(f"   {label:<8} or(): {r['bytes'][0] / 1e6:.2f} MB {r['seconds'][0] * 1e3:7.1f} ms, "
              f"{r['bytes'][1] / 1e6:.2f} MB {r['seconds'][1] * 1e3:7.1f} ms -> growth {r['growth']:.2f}x for 4x")


def measure_apart(small: int = 10_000, repeat: int = 3) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.parse_linear", "--operands", str(small),
                           "--repeat", str(repeat), "--json"], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operands", type=int, default=10_000, help="operands of the smaller or()")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure(args.operands, args.repeat)
    if args.json:
        print(json.dumps(result))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
