"""``filterql lint`` over a generated tree of Python files: how long a 10,000-file repository takes.

    python -m benchmarks.lint_bench [--files 10000] [--repeat 3]

Writes the tree to a temporary directory (seeded, nothing downloaded): one file in five calls the
SDK with filters in the styles of the lint corpus (literals, f-strings with and without escaping,
``%``/``.format``, concatenation, filters in variables); the rest is ordinary code of the same size.
Times ``filterql.python_lint.lint_paths`` in this process (best of ``--repeat``; wall clock and this
process's CPU time) and the ``filterql lint`` command once, end to end, and prints the seconds and the
findings counted.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from filterql.python_lint import lint_paths

_FILTER_SNIPPETS = [
    "client.list_runs(project_name=\"p\", filter='and(eq(run_type, \"llm\"), gt(latency, \"5s\"))')",
    "client.list_runs(filter=f'eq(thread_id, \"{thread_id}\")')",
    "client.list_runs(filter=f\"eq(thread_id, {quote(thread_id)})\")",
    "client.list_runs(filter=\"eq(metadata_value, '%s')\" % user)",
    "client.list_runs(filter='eq(name, \"{}\")'.format(name))",
    "client.list_runs(filter=\"eq(name, '\" + name + \"')\")",
    "flt = 'and(eq(metadata_key, \"env\"), eq(metadata_value, \"prod\"))'\n    client.list_runs(filter=flt)",
    "client.list_runs(filter='eq(run_tipe, \"llm\")', trace_filter='has(tags, \"prod\")')",
    "client.runs.query_v2(filter='search(\"timeout\")', tree_filter='eq(name, \"Retriever\")')",
]

_FILLER = '''
def helper_{i}(values, scale={i}):
    """Sum the values after scaling; skip None."""
    total = 0
    for v in values:
        if v is None:
            continue
        total += v * scale
    return {{"total": total, "count": len(values), "name": "helper_{i}"}}


class Thing{i}:
    def __init__(self, items):
        self.items = list(items)

    def filtered(self):
        return [x for x in self.items if x]
'''


def make_tree(root: Path, files: int, seed: int = 7) -> int:
    """Write ``files`` Python files under ``root`` (100 per directory); return how many hold filters."""
    rng = random.Random(seed)
    with_filters = 0
    for n in range(files):
        directory = root / f"pkg{n // 100:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        parts = ["import os\nfrom filterql import quote\nfrom langsmith import Client\n\nclient = Client()\n"]
        parts += [_FILLER.format(i=n * 10 + k) for k in range(3)]
        if rng.random() < 0.2:
            with_filters += 1
            calls = rng.sample(_FILTER_SNIPPETS, 3)
            body = "\n    ".join(calls)
            parts.append(f"\n\ndef fetch(thread_id, user, name):\n    {body}\n")
        (directory / f"mod{n}.py").write_text("".join(parts), "utf-8")
    return with_filters


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="filterql-lint-bench-") as tmp:
        root = Path(tmp)
        with_filters = make_tree(root, args.files)
        size = sum(f.stat().st_size for f in root.rglob("*.py"))
        print(f"{args.files} files ({size / 1e6:.1f} MB), {with_filters} with filters")
        best, cpu, findings = float("inf"), float("inf"), 0
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            findings = len(list(lint_paths([str(root)])))
            best, cpu = min(best, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
        # CPU time too: on a shared machine the wall clock also counts other jobs' turns.
        print(f"lint_paths, in process: {best:.2f} s wall, {cpu:.2f} s CPU (best of {args.repeat}), {findings} findings")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "filterql.cli", "lint", str(root)], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        print(f"filterql lint, end to end: {elapsed:.2f} s (exit {done.returncode}, "
              f"{sum(1 for line in done.stdout.splitlines() if not line.startswith('  '))} findings)")


if __name__ == "__main__":
    main()
