"""The optimizer never changes which runs match (hypothesis), and the conformance suite agrees.

For random typed filters (family scopes, nesting, nulls, ranges, duplicates)
and random runs (missing fields, nulls, repeated metadata values, several
feedback entries) the compiled original and the compiled optimized filter
agree on every run; the result is a fixed point, never larger, and renders
to text that checks back to the same tree.
"""

from __future__ import annotations

import os

import pytest
from conformance import case_id, expect_cases, load_runs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import comparisons, family_scopes, runs, typed_filters

from filterql import AlwaysFalse, AlwaysTrue, ast, canonical, check, equivalent, optimize, render, select
from filterql.evaluate import compile_checked
from filterql.optimizer import Verdict, size

_and, _or, _not = ast.And, ast.Or, ast.Not

# Few fields, so conditions meet on one field often: ranges, lists, complements.
_CROWDED = ("latency", "total_tokens", "name", "error", "start_time", "run_type", "is_root", "tags",
            "metadata_key", "metadata_value")


def crowded_filters(max_leaves: int = 10) -> st.SearchStrategy:
    leaves = st.one_of(comparisons(_CROWDED), *(comparisons((f,)) for f in _CROWDED[:6]), family_scopes())
    return st.recursive(leaves, lambda c: st.one_of(
        st.lists(c, min_size=1, max_size=4).map(_and),
        st.lists(c, min_size=1, max_size=4).map(_or),
        c.map(_not),
        c.map(lambda x: _and([x, x])),
    ), max_leaves=max_leaves)


@st.composite
def _metadata_leaf(draw: st.DrawFn):
    if draw(st.booleans()):
        key = ast.String(draw(st.sampled_from(("a", "b"))))
        if draw(st.integers(0, 4)) == 0:
            return ast.In(ast.Field("metadata_key"), ast.ListLit([key, ast.String("c")]))
        return ast.Compare(draw(st.sampled_from(("eq", "eq", "neq"))), ast.Field("metadata_key"), key)
    op = draw(st.sampled_from(("eq", "neq", "neq", "gt", "lte")))
    return ast.Compare(op, ast.Field("metadata_value"), ast.Number(draw(st.sampled_from(("1", "2")))))


@st.composite
def _echo_scopes(draw: st.DrawFn):
    """A scope with a copy of one of its conditions elsewhere: what absorption, complements and De Morgan see."""
    key = ast.Compare("eq", ast.Field("metadata_key"), ast.String(draw(st.sampled_from(("a", "b")))))
    values = draw(st.lists(_metadata_leaf(), min_size=1, max_size=2))
    scope = [key] + values
    draw(st.randoms()).shuffle(scope)
    x, y = draw(st.sampled_from(values)), draw(_metadata_leaf())
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return _and(scope + [_or([x, y])])
    if shape == 1:
        return _and(scope + [_not(x)])
    if shape == 2:
        return _or([x, _and(scope)])
    return _not(_or([_not(c) for c in scope]))


def scoped_filters(max_leaves: int = 8) -> st.SearchStrategy:
    """Metadata key/value conditions over two keys and two values, nested: binding scopes meet often."""
    leaves = st.one_of(_metadata_leaf(), comparisons(("name",)))
    # An and of scopes: leaves, nested ands, and wrappers that mean their operand (or(x), not(not(x))).
    item = st.one_of(leaves, st.lists(leaves, min_size=1, max_size=3).map(_and),
                     leaves.map(lambda x: _or([x])), leaves.map(lambda x: _not(_not(x))))
    scopes = st.lists(item, min_size=2, max_size=4).map(_and)
    echo = _echo_scopes()
    return st.one_of(scopes, scopes.map(_not), st.lists(scopes, min_size=2, max_size=3).map(_or), echo, echo, echo,
                     st.recursive(leaves, lambda c: st.one_of(
                         st.lists(c, min_size=1, max_size=3).map(_and),
                         st.lists(c, min_size=1, max_size=3).map(_or),
                         c.map(_not),
                     ), max_leaves=max_leaves))


#: Runs whose metadata uses the keys and values of scoped_filters.
scoped_runs = st.builds(lambda run, meta: {**run, "extra": {"metadata": meta}}, runs(),
                        st.fixed_dictionaries({}, optional={k: st.sampled_from((1, 2, "1")) for k in "abc"}))




def _predicate(result):
    if result is AlwaysTrue:
        return lambda run: True
    if result is AlwaysFalse:
        return lambda run: False
    return compile_checked(result)


# Tiny value pools shared by filters and runs, so bounds meet run values exactly (ties, nulls, gaps).
_SMALL = {
    "total_tokens": (("eq", "neq", "in") + ("gt", "gte", "lt", "lte") * 2, ("1", "2", "3"), (0, 1, 2, 3, None)),
    "start_time": (("eq", "neq") + ("gt", "gte", "lt", "lte") * 2, ('"2024-05-01"', '"2024-05-02"', '"2024-05-03"'),
                   ("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z")),
    "name": (("eq", "neq", "in", "like", "notlike"), ('"a"', '"b"', '"c"'), ("a", "b", "c")),
    "error": (("eq", "neq", "in", "like", "notlike"), ('"a"', '"b"', '"c"'), ("a", "b", None)),
}


@st.composite
def _small_leaf(draw: st.DrawFn, fields: tuple[str, ...]):
    from filterql.parser import parse
    field = draw(st.sampled_from(fields))
    ops, literals, _ = _SMALL[field]
    op = draw(st.sampled_from(ops))
    if op == "in":
        items = draw(st.lists(st.sampled_from(literals), min_size=1, max_size=3))
        return parse(f"in({field}, [{', '.join(items)}])")
    if op in ("eq", "neq") and draw(st.integers(0, 5)) == 0:
        return parse(f"{op}({field}, null)")
    return parse(f"{op}({field}, {draw(st.sampled_from(literals))})")


def small_filters(max_leaves: int = 10) -> st.SearchStrategy:
    """Conditions on four scalar fields with tiny pools: every range, list and null rule fires often."""
    subsets = [(f,) for f in sorted(_SMALL)] + [("error", "total_tokens"), tuple(sorted(_SMALL))]
    def tree(fields: tuple[str, ...]) -> st.SearchStrategy:
        sub = st.recursive(_small_leaf(fields), lambda c: st.one_of(
            st.lists(c, min_size=1, max_size=4).map(_and),
            st.lists(c, min_size=1, max_size=4).map(_or),
            c.map(_not),
        ), max_leaves=max_leaves // 2)
        top = st.lists(st.one_of(_small_leaf(fields), sub), min_size=2, max_size=5)
        return st.one_of(top.map(_and), top.map(_or), sub)

    return st.sampled_from(subsets).flatmap(tree)


@st.composite
def small_runs(draw: st.DrawFn):
    run = {"id": "00000000-0000-4000-8000-000000000001", "trace_id": "00000000-0000-4000-8000-000000000001",
           "run_type": "llm"}
    for field, (_, _, values) in _SMALL.items():
        value = draw(st.sampled_from(values))
        if value is not None or field == "total_tokens" and draw(st.booleans()):
            run[field] = value
    return run


_SETTINGS = settings(max_examples=int(os.environ.get("FILTERQL_OPT_EXAMPLES", 75)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_agrees(raw, sample):
    typed = check(raw)
    result = optimize(typed)
    original, optimized = compile_checked(typed), _predicate(result)
    for run in sample:
        assert optimized(run) == original(run), (render(typed), str(result), run)
    return typed, result


@_SETTINGS
@given(typed_filters(), st.lists(runs(), min_size=1, max_size=6))
def test_optimized_filter_matches_the_same_runs(raw, sample):
    _check_agrees(raw, sample)


@_SETTINGS
@given(crowded_filters(), st.lists(runs(), min_size=1, max_size=6))
def test_optimized_crowded_filter_matches_the_same_runs(raw, sample):
    _check_agrees(raw, sample)


@_SETTINGS
@given(scoped_filters(), st.lists(scoped_runs, min_size=1, max_size=6))
def test_optimized_scoped_filter_matches_the_same_runs(raw, sample):
    _check_agrees(raw, sample)


@_SETTINGS
@given(small_filters(), st.lists(small_runs(), min_size=1, max_size=8))
def test_optimized_small_pool_filter_matches_the_same_runs(raw, sample):
    _check_agrees(raw, sample)


@settings(max_examples=100, deadline=None)
@given(st.one_of(typed_filters(), crowded_filters(), scoped_filters(), small_filters()))
def test_optimize_is_idempotent_smaller_and_round_trips(raw):
    typed = check(raw)
    result = optimize(typed)
    assert size(result) <= size(typed)
    if isinstance(result, Verdict):
        return
    assert optimize(result) == result
    assert check(render(result)) == result
    assert check(render(result, pretty=True)) == result


@settings(max_examples=60, deadline=None)
@given(st.one_of(typed_filters(), crowded_filters(), scoped_filters(), small_filters()))
def test_canonical_is_a_fixed_point_and_equivalent_is_reflexive(raw):
    typed = check(raw)
    form = canonical(typed)
    assert canonical(form if not isinstance(form, Verdict) else typed) == form
    assert equivalent(typed, optimize(typed) if not isinstance(optimize(typed), Verdict) else typed)


_FILTER_ARGS = ("filter", "trace_filter", "tree_filter")
CASES = [c for c in expect_cases() if any(k in c["args"] for k in _FILTER_ARGS)]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_conformance_suite_with_every_filter_optimized(case):
    args = dict(case["args"])
    expect = set(case["expect"])
    for name in _FILTER_ARGS:
        if name not in args:
            continue
        result = optimize(args[name], context=name)
        if result is AlwaysTrue:
            del args[name]
        elif result is AlwaysFalse:
            del args[name]
            if "run_ids" not in args:
                expect = set()  # no run can match; the case's expectation must agree
                assert case["expect"] == [], case["id"]
        else:
            args[name] = render(result)
    assert {r["id"] for r in select(load_runs(), **args)} == expect
