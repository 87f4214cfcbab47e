"""Hand-built trees of any depth (issue 11): ``==``, ``hash``, ``repr`` and ``to_json`` never recurse.

The property: for random trees thousands of levels deep, equality agrees with a flat (iterative)
signature of the two trees, equal trees hash alike, and ``repr``/``to_json`` return; shallow trees
print exactly as before.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

from filterql import ast, check, parse
from fuzz_budget import examples

_LEAVES = [ast.Compare("eq", ast.Field("name"), ast.String("x")), ast.Has(ast.Field("tags"), ast.String("t")),
           ast.In(ast.Field("run_type"), ast.ListLit([ast.String("llm"), ast.Number("1")])),
           ast.Search(ast.String("q")), ast.Compare("gt", ast.Field("latency"), ast.Number("2"))]


@st.composite
def deep_trees(draw: st.DrawFn) -> tuple[ast.Expr, list[int]]:
    """A tree up to 3,000 levels deep, and the choices that built it (to build an equal twin)."""
    choices = draw(st.lists(st.integers(0, 3 * len(_LEAVES) - 1), min_size=1, max_size=3000))
    return build(choices), choices


def build(choices: list[int]) -> ast.Expr:
    tree: ast.Expr = _LEAVES[choices[0] % len(_LEAVES)]
    for c in choices[1:]:
        kind, leaf = divmod(c, len(_LEAVES))
        leaf_node = _LEAVES[leaf]
        tree = (ast.Not(tree), ast.And([leaf_node, tree]), ast.Or([tree, leaf_node]))[kind]
    return tree


def signature(tree: ast.Node) -> list[Any]:
    return [(type(n).__name__, n.to_json() if not ast.children(n) else len(ast.children(n))) for n in ast.walk(tree)]


@settings(max_examples=examples(25), deadline=None)
@given(deep_trees(), deep_trees())
def test_deep_trees_compare_hash_and_print(first, second):
    (a, choices), (b, _) = first, second
    twin = build(choices)
    assert a == twin and not a != twin and hash(a) == hash(twin)
    assert (a == b) == (signature(a) == signature(b))
    if a == b:
        assert hash(a) == hash(b)
    assert repr(a).count("(") >= len(choices)
    document = a.to_json()
    count, stack = 0, [document]
    while stack:  # walk the JSON without recursion: one node object per tree node
        node = stack.pop()
        count += 1
        stack.extend(node.get("args", node.get("list", [])))
    assert count == sum(1 for _ in ast.walk(a))


def test_a_5000_level_tree_and_a_checked_tree_behave():
    tree: ast.Expr = _LEAVES[0]
    for _ in range(5000):
        tree = ast.Not(tree)
    assert tree == build([0] + [0] * 5000) and {tree: 1}[build([0] + [0] * 5000)] == 1
    assert repr(tree).startswith("Not(Not(") and tree.to_json()["call"] == "not"
    assert check('gt(latency, "2s")') == check("gt(latency, 2)")
    assert hash(check('gt(latency, "2s")')) == hash(check("gt(latency, 2)"))
    assert repr(parse('and(eq(name, "x"), in(run_type, ["a", 1]))')) == (
        "And([Compare('eq', Field('name'), String('x')), In(Field('run_type'), ListLit([String('a'), Number('1')]))])")
