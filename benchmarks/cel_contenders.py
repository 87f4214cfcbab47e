"""CEL contenders for the evaluation benchmark: ``cel-python`` and the Rust-backed ``common-expression-language``.

:data:`CEL` holds, for each filter of :data:`benchmarks.eval_bench.FILTERS` (by
label), the CEL expression a user would write for the same question over the
synthetic runs of :func:`benchmarks.eval_bench.make_runs`. CEL has no
recursive walk over JSON and no case folding in either library, so ``search``
is written against the runs' known shape, with ``matches("(?i)...")`` (RE2).

Each program is compiled once. Per run, the activation is a dict of only the
variables the program references (its identifiers not after a dot, less
comprehension variables), built from the run dict: the
cheapest idiomatic activation — passing the whole run costs the Rust library
about nine times more (4-condition filter), all of it in converting values it never reads.
"""

from __future__ import annotations

import re
from typing import Any, Callable

__all__ = ["CEL", "rust_cel", "cel_python"]

_TIMEOUT = '.matches("(?i)timeout")'

#: label in ``eval_bench.FILTERS`` -> equivalent CEL expression
CEL: dict[str, str] = {
    "4 conditions": 'run_type == "llm" && total_tokens > 100 && "production" in tags && status == "success"',
    "metadata pair": '"environment" in extra.metadata && extra.metadata.environment == "production"',
    "search": " || ".join([
        f"name{_TIMEOUT}",
        f"(type(error) == string && error{_TIMEOUT})",
        f"tags.exists(t, t{_TIMEOUT})",
        f"inputs.messages.exists(m, m.role{_TIMEOUT} || m.content{_TIMEOUT})",
        f"outputs.generations.exists(g, g.text{_TIMEOUT})",
        f"extra.metadata.exists(k, type(extra.metadata[k]) == string && extra.metadata[k]{_TIMEOUT})",
    ]),
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_VARIABLES = {"true", "false", "null", "in", "type", "string", "has", "exists", "matches", "t", "m", "g", "k"}


def _top_level_names(expression: str) -> list[str]:
    """Run fields an expression reads: identifiers not after a dot, outside string literals."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    names = {m.group() for m in _IDENT.finditer(code) if code[m.start() - 1: m.start()] != "."}
    return sorted(names - _NOT_VARIABLES)


def rust_cel(expression: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate running ``expression`` with ``common-expression-language`` (``import cel``)."""
    import cel

    program = cel.compile(expression)
    names = tuple(_top_level_names(expression))
    execute = program.execute
    return lambda run: execute({n: run.get(n) for n in names}) is True


def cel_python(expression: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate running ``expression`` with ``cel-python`` (``import celpy``)."""
    import celpy

    env = celpy.Environment()
    program = env.program(env.compile(expression))
    names = tuple(_top_level_names(expression))
    to_cel = celpy.json_to_cel
    evaluate = program.evaluate
    return lambda run: bool(evaluate(to_cel({n: run.get(n) for n in names})))
