"""like/notlike on inputs and outputs (issue 15): some / no leaf matches, on every backend."""

from __future__ import annotations

import pytest
from conformance import RUNS_FILE, load_runs

import filterql
from filterql.like import like_matcher
from filterql.runs import flatten, json_text

RUNS = load_runs()
ENGINES = ["python", "duckdb", "clickhouse", "datafusion"]
PATTERNS = ["%report%", "%image%", "What%", "%", "_", "%France?", "x%"]


def _texts(obj: object) -> list[str]:
    """The JSON texts like matches: string leaves, and numbers' and booleans' JSON text."""
    return [v if isinstance(v, str) else json_text(v) for _, v in flatten(obj) if v is not None] \
        if isinstance(obj, dict) else []


def _expected(field: str, pattern: str, negated: bool) -> list[str]:
    ids = {r["id"] for r in RUNS if any(like_matcher(pattern)(t) for t in _texts(r.get(field))) != negated}
    return [r["id"] for r in filterql.select(RUNS) if r["id"] in ids]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("field", ["inputs", "outputs"])
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("negated", [False, True])
def test_like_on_objects_every_backend(engine, field, pattern, negated) -> None:
    text = f'{"notlike" if negated else "like"}({field}, {filterql.quote(pattern)})'
    if engine == "python":
        got = [r["id"] for r in filterql.select(RUNS, filter=text)]
    else:
        got = list(filterql.select_sql(str(RUNS_FILE), filter=text, engine=engine))
    assert got == _expected(field, pattern, negated)


def test_like_on_inputs_stands_alone_in_a_scope() -> None:
    """A key condition in the same and() does not bind it: it is about the whole object."""
    text = 'and(eq(input_key, "question"), like(inputs, "%France%"))'
    ids = [r["id"] for r in filterql.select(RUNS, filter=text)]
    expected = [r["id"] for r in filterql.select(RUNS)
                if "question" in (r.get("inputs") or {}) and any("France" in t for t in _texts(r.get("inputs")))]
    assert ids == expected and ids
    # like(input_value, ...) there would bind to the entry `question`; like(inputs, ...) reads every leaf.
    assert filterql.select(RUNS, filter='and(eq(input_key, "input"), like(inputs, "%France%"))') == []
