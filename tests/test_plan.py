"""The query plan: what lowering makes of each scope, every backend covers every node, work is linear."""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from typing import Any, Callable

import pytest

from filterql import ast, check, lowering
from filterql import evaluate as E
from filterql import plan as p
from filterql.catalog import FieldType
from filterql.sql import compile as S
from filterql.sql import to_sql


def test_every_plan_node_has_a_rule_in_every_backend() -> None:
    every = set(p.PLAN_NODES) | set(p.ENTRY_TESTS) | set(p.SOURCES) | set(p.READINGS)
    assert every <= E.HANDLED
    assert every <= S.HANDLED
    exprs = {c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.Expr) and c is not ast.Expr}
    assert exprs <= set(lowering.RULES)
    with pytest.raises(TypeError, match="Expr"):
        E._Gen(None, True, {}).expr(ast.Expr())  # type: ignore[arg-type]


def lower(text: str) -> p.Plan:
    return lowering.lower(check(text))


K, V = 'eq(metadata_key, "{}")', 'eq(metadata_value, {})'


@pytest.mark.parametrize("text, expected", [
    # a positive key and the values of its family bind to one entry, where the first of them was
    ('and(eq(name, "a"), eq(metadata_value, 1), eq(metadata_key, "k"))',
     p.All([p.Compare(p.Column("name", FieldType.STRING), "eq", "a"),
            p.EntryExists(p.MemberEntries("metadata", "k"), [p.EntryCompare("value", "eq", 1)])])),
    # a dotted key or feedback: entries picked by key; no eq key: every entry
    ('and(eq(metadata_key, "a.b"), gt(metadata_value, 2))',
     p.All([p.EntryExists(p.KeyEntries("metadata", "a.b"), [p.EntryCompare("value", "gt", 2)])])),
    ('and(eq(feedback_key, "s"), gt(feedback_score, 0.5))',
     p.All([p.EntryExists(p.KeyEntries("feedback", "s"), [p.EntryCompare("score", "gt", Decimal("0.5"))])])),
    ('and(like(input_key, "a%"), eq(input_value, "x"))',
     p.All([p.EntryExists(p.Entries("input"), [p.EntryLike("key", "a%"), p.EntryCompare("value", "eq", "x")])])),
    # neq alone: no entry has the positive form; a negative key never binds
    ('neq(metadata_value, "x")', p.NoEntry(p.Entries("metadata"), [p.EntryCompare("value", "eq", "x")])),
    ('and(eq(metadata_key, "k"), neq(metadata_key, "j"), neq(metadata_value, 2))',
     p.All([p.EntryExists(p.MemberEntries("metadata", "k"), [p.EntryCompare("value", "neq", 2)]),
            p.NoEntry(p.MemberEntries("metadata", "j"), [])])),
    # values without a key in their scope: each its own entry
    ('and(eq(metadata_value, 1), eq(metadata_value, 2))',
     p.All([p.EntryExists(p.Entries("metadata"), [p.EntryCompare("value", "eq", 1)]),
            p.EntryExists(p.Entries("metadata"), [p.EntryCompare("value", "eq", 2)])])),
    # a nested and is its own scope; or/not never bind
    ('and(eq(metadata_key, "k"), or(eq(metadata_value, 1)))',
     p.All([p.EntryExists(p.MemberEntries("metadata", "k"), []),
            p.AnyOf([p.EntryExists(p.Entries("metadata"), [p.EntryCompare("value", "eq", 1)])])])),
    # derived readings
    ('gt(latency, "2s")', p.Compare(p.Latency(), "gt", Decimal(2))),
    ('eq(thread_id, null)', p.IsNull(p.ThreadKey())),
    ('eq(is_root, false)', p.IsRoot(False)),
    ('neq(is_root, null)', p.Constant(True)),
    ('has(metadata, \'{}\')', p.Constant(True)),
    ('has(metadata, \'{"a": [1, {"b": true}]}\')', p.HasLeaves((("a", 1), ("a.b", True)))),
    ('exists(inputs, "q")', p.KeyPresent("input", "q")),
    ('search(outputs, "Paris  France")', p.Search(("paris", "france"), "outputs")),
    ('in(tags, ["a"])', p.TagsAny(("a",))),
])
def test_lowering(text: str, expected: p.Plan) -> None:
    assert lower(text) == expected


def _count_calls(fn: Callable[[], Any]) -> int:
    """Python function calls (generator steps included) while ``fn`` runs, in filterql and in the
    libraries it drives (sqlglot): a measure of work that no clock affects."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(old)
    return count


def _wide(n: int) -> ast.Expr:
    """An ``and`` of ``n`` operands mixing family scopes and scalar conditions."""
    parts = []
    for i in range(n):
        parts.append([f'eq(name, "n{i}")', f'eq(metadata_key, "k{i}")', f'eq(metadata_value, {i})',
                      f'neq(feedback_key, "f{i}")'][i % 4])
    return check("and(" + ", ".join(parts) + ")")


@pytest.mark.parametrize("stage", ["lower", "python", "sql"])
def test_work_is_linear_in_the_operands(stage: str) -> None:
    run = {"lower": lowering.lower, "python": E.compile_checked, "sql": S.compile_where}[stage]
    small, large = _wide(400), _wide(800)
    ratio = _count_calls(lambda: run(large)) / _count_calls(lambda: run(small))
    assert ratio < 2.3, ratio  # linear: 2.0; the quadratic scope grouping of 0.1 gave 3.8


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_sql_of_a_filter_wider_than_the_recursion_limit(dialect: str) -> None:
    # sqlglot chains an AND of n operands n deep: every pass over the WHERE clause must walk it iteratively.
    n = 3 * sys.getrecursionlimit()
    sql = to_sql(_wide(n), dialect=dialect)
    assert len(re.findall(r"'n\d+'", sql)) == n // 4 and sql.count(" AND ") >= n - 1
