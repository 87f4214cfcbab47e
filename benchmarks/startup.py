"""Start-up of ``filterql check EXPR`` against the floor of its two core dependencies.

``python -m benchmarks.startup [--rounds N]``: each round runs, in turn, ``python -c
"import attrs, lark"`` and the ``filterql check`` command (the installed console
script, else ``python -m filterql.cli``), each as a fresh process; the figure is
the median of the per-round ratios, so a machine busy for a moment skews one
round, not the result. A warm-up round goes first, so the parse tables are in the
user cache and the bytecode is written, as after any first use of an installed
package.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

#: What editors and pre-commit hooks run.
FILTER = 'and(eq(run_type, "llm"), gt(latency, "5s"))'


def commands() -> tuple[list[str], list[str]]:
    """(the floor, the check command)."""
    floor = [sys.executable, "-c", "import attrs, lark"]
    script = shutil.which("filterql")
    ours = [script] if script else [sys.executable, "-m", "filterql.cli"]
    return floor, [*ours, "check", FILTER]


#: Bytecode is written and read, as in an installed package (pip compiles it at install time).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, Any]:
    floor, ours = commands()
    _wall(floor), _wall(ours)  # warm-up: disk cache, and the parse-table cache
    pairs = []
    for i in range(rounds):
        # Alternate which goes first, so neither always runs right after the other.
        if i % 2:
            t_ours, t_floor = _wall(ours), _wall(floor)
        else:
            t_floor, t_ours = _wall(floor), _wall(ours)
        pairs.append((t_floor, t_ours))
    ratios = [o / f for f, o in pairs]
    return {"rounds": rounds, "command": " ".join(ours[:-1]) + f" '{FILTER}'",
            "floor_ms": statistics.median(f for f, _ in pairs) * 1e3,
            "check_ms": statistics.median(o for _, o in pairs) * 1e3,
            "ratio": statistics.median(ratios)}


def report(result: dict[str, Any]) -> None:
    print(f"   {result['command']}: median {result['check_ms']:.0f} ms; python -c \"import attrs, lark\": "
          f"{result['floor_ms']:.0f} ms; median ratio over {result['rounds']} interleaved rounds "
          f"{result['ratio']:.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=21)
    args = ap.parse_args(argv)
    print("Start-up, interleaved fresh processes")
    report(measure(args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
