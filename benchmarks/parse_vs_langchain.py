"""Cold parsing: filterql vs LangChain's Lark-based ``query_constructor`` parser.

Run: ``python -m benchmarks.parse_vs_langchain [--number N] [--repeat R]`` (needs the
``bench`` extra: ``pip install -e '.[bench]'``, for ``langchain-classic``).

Both parsers get the same dozen realistic filters (from LangSmith's documentation
and the conformance cases), each parsed afresh from its text every time: grammars
are built once before timing, nothing is cached between parses. LangChain's
language needs quoted field names and has no ``null``, ``has``, ``search`` or
``notlike``, so each filter is translated once, before timing, from filterql's
AST: ``"field"``, ``neq`` → ``ne``, ``has``/``search``/``exists`` → ``contain``,
``notlike`` → ``not(like(...))``, ``null`` → the string ``"null"`` — the same
number of calls and literals. Each parser's time is the best of R rounds of N
parses (rounds alternate between the two). Target: filterql at least 2x faster.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

from filterql import ast, parse

__all__ = ["FILTERS", "to_langchain", "measure", "main"]

#: Realistic filters: LangSmith's documentation examples and conformance-case filters.
FILTERS = [
    'eq(name, "extractor")',
    'gt(latency, "5s")',
    "neq(error, null)",
    'search("image classification")',
    'and(eq(feedback_key, "user_score"), eq(feedback_score, 1))',
    'and(eq(run_type, "chain"), gt(latency, 10), gt(total_tokens, 5000))',
    'and(or(has(tags, "experimental"), has(tags, "beta")), gt(latency, 2))',
    'and(gt(start_time, "2023-07-15T12:34:56Z"), or(neq(error, null), and(eq(feedback_key, "Correctness"), '
    "eq(feedback_score, 0.0))))",
    'and(in(metadata_key, ["session_id","conversation_id","thread_id"]), eq(metadata_value, "conv-1"))',
    "and(eq(name, 'ChatOpenAI'), eq(metadata_key, 'conversation_id'), "
    "eq(metadata_value, '69b12c91-b1e2-46ce-91de-794c077e8151'))",
    'and(eq(output_key, "generations.message.kwargs.tool_calls.name"), eq(output_value, "Plan"))',
    'and(and(eq(metadata_key, "environment"), eq(metadata_value, "production")), '
    'and(eq(metadata_key, "phone"), eq(metadata_value, "555")))',
    "and(\n  eq(name, 'ChatOpenAI'),\n  notlike(name, \"%Query\"),\n  has(metadata, '{\"environment\": \"production\"}')\n)",
]

_LC_NAMES = {"neq": "ne", "has": "contain", "search": "contain", "exists": "contain"}


def to_langchain(node: ast.Node) -> str:
    """``node`` in LangChain's query language (see the module docstring for the mapping)."""
    if isinstance(node, ast.Field):
        return json.dumps(node.name)
    if isinstance(node, ast.String):
        return json.dumps(node.value)
    if isinstance(node, ast.Number):
        return node.text
    if isinstance(node, ast.Bool):
        return "true" if node.value else "false"
    if isinstance(node, ast.Null):
        return '"null"'
    if isinstance(node, ast.ListLit):
        return "[" + ", ".join(to_langchain(i) for i in node.items) + "]"
    if isinstance(node, ast.Like) and node.negated:
        return f"not(like({to_langchain(node.field)}, {to_langchain(node.pattern)}))"
    if isinstance(node, ast.Search) and node.field is None:
        return f'contain("content", {to_langchain(node.text)})'
    parts = ast.call_parts(node)
    if parts is None:
        raise TypeError(f"to_langchain: no rule for {type(node).__name__}")
    name, args = parts
    return f"{_LC_NAMES.get(name, name)}(" + ", ".join(to_langchain(a) for a in args) + ")"


def _best(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def measure(number: int, repeat: int) -> list[tuple[str, float, float]]:
    """``(filter, filterql seconds, langchain seconds)`` per filter, best of ``repeat`` rounds."""
    from langchain_classic.chains.query_constructor.parser import get_parser

    lc = get_parser()  # grammar built once, as filterql's is on first use
    rows = []
    for text in FILTERS:
        lc_text = to_langchain(parse(text))
        lc.parse(lc_text)  # both must accept their input before being timed
        ours = theirs = float("inf")
        for _ in range(repeat):
            ours = min(ours, _best(lambda: parse(text), number))
            theirs = min(theirs, _best(lambda: lc.parse(lc_text), number))
        rows.append((text, ours, theirs))
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--number", type=int, default=500, help="parses per round (default 500)")
    p.add_argument("--repeat", type=int, default=5, help="rounds; the best is kept (default 5)")
    args = p.parse_args(argv)
    rows = measure(args.number, args.repeat)
    print(f"{'filter':<62} {'filterql µs':>12} {'langchain µs':>13} {'ratio':>6}")
    for text, ours, theirs in rows:
        short = " ".join(text.split())
        short = short if len(short) <= 60 else short[:59] + "…"
        print(f"{short:<62} {ours * 1e6:>12.1f} {theirs * 1e6:>13.1f} {theirs / ours:>5.2f}x")
    total_ours = sum(r[1] for r in rows)
    total_theirs = sum(r[2] for r in rows)
    print(f"{'total (all filters once)':<62} {total_ours * 1e6:>12.1f} {total_theirs * 1e6:>13.1f} "
          f"{total_theirs / total_ours:>5.2f}x")
    print(f"filterql parses these filters {total_theirs / total_ours:.2f}x faster than LangChain's parser "
          "(target: >= 2x)")


if __name__ == "__main__":
    main()
