"""The optimizer's public API: results, verdicts, explanations, canonical form and the CLI."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from conftest import make_run

import filterql
from filterql import AlwaysFalse, AlwaysTrue, FilterValidationError, canonical, check, equivalent, optimize, render
from filterql.evaluate import compile_checked
from filterql.optimizer import RULES, Step, Verdict, size


def test_accepts_text_and_trees_and_checks_text_first():
    text = 'and(gt(latency, 2), gt(latency, "5s"))'
    assert optimize(text) == optimize(check(text)) == optimize(filterql.parse(text)) == check('gt(latency, 5)')
    with pytest.raises(FilterValidationError):
        optimize("and(gt(latencyy, 2))")
    with pytest.raises(FilterValidationError):
        optimize("and(gt(latency, 2)")


def test_the_winning_literal_is_kept_as_written():
    assert render(optimize('and(gt(latency, 2), gt(latency, "5s"))')) == 'gt(latency, "5s")'
    assert render(optimize('and(lt(latency, "1m"), lt(latency, 90))')) == 'lt(latency, "1m")'


def test_verdicts_are_distinct_objects_named_in_words():
    assert optimize('and(eq(run_type, "llm"), eq(run_type, "chain"))') is AlwaysFalse
    assert optimize('or(has(tags, "x"), not(has(tags, "x")))') is AlwaysTrue
    assert AlwaysTrue is not AlwaysFalse and isinstance(AlwaysTrue, Verdict)
    assert (str(AlwaysTrue), str(AlwaysFalse)) == ("always true", "always false")
    assert not isinstance(AlwaysTrue, filterql.Expr)


def test_explain_lists_each_applied_rule_in_order():
    result, steps = optimize('and(and(eq(name, "x")), and(eq(name, "x"), gt(latency, 2), gt(latency, "5s")))',
                             explain=True)
    assert render(result) == 'and(eq(name, "x"), gt(latency, "5s"))'
    assert [s.rule for s in steps] == ["unwrap_single", "merge_ranges", "flatten_and", "dedupe"]
    assert all(isinstance(s, Step) and s.before != s.after for s in steps)
    assert str(steps[1]) == ('merge_ranges: and(eq(name, "x"), gt(latency, 2), gt(latency, "5s"))  =>  '
                             'and(eq(name, "x"), gt(latency, "5s"))')
    result, steps = optimize('and(gt(latency, 5), lt(latency, 2))', explain=True)
    assert result is AlwaysFalse and str(steps[-1]).endswith("=>  always false")
    assert optimize('eq(name, "x")', explain=True) == (check('eq(name, "x")'), [])


def test_rules_are_named_functions_and_leave_every_node_type_alone_when_they_do_not_apply():
    names = [r.__name__ for r in RULES]
    assert len(set(names)) == len(names)
    leaves = [check(t) for t in ('eq(name, "a")', 'has(tags, "a")', 'exists(metadata, "a")', 'in(name, ["a", "b"])',
                                 'like(name, "a%")', 'search("a")', 'search(inputs, "a")')]
    for rule in RULES:
        for leaf in leaves:
            for in_and in (False, True):
                assert rule(leaf, in_and) is leaf, (rule.__name__, leaf)


def test_not_pushdown_follows_the_null_rules():
    # A run without an error satisfies not(eq(error, "x")) but not neq(error, "x").
    run = make_run(name="a", run_type="llm", start_time="2024-05-01T00:00:00Z")
    for text in ('not(eq(error, "x"))', 'not(gt(latency, 1))', 'not(eq(name, "b"))', 'not(eq(error, null))'):
        typed = check(text)
        assert compile_checked(optimize(typed))(run) == compile_checked(typed)(run), text
    assert optimize('not(eq(error, "x"))') == check('not(eq(error, "x"))')


def test_family_values_are_multi_valued_unless_bound():
    assert optimize('and(eq(metadata_value, 1), eq(metadata_value, 2))') == check(
        'and(eq(metadata_value, 1), eq(metadata_value, 2))')
    run = make_run(name="a", run_type="llm", start_time="2024-05-01T00:00:00Z", metadata={"a": 1, "b": 2})
    assert compile_checked(optimize('and(eq(metadata_value, 1), eq(metadata_value, 2))'))(run)


def test_canonical_ignores_order_redundancy_and_spelling():
    a = 'and(gt(latency, "5s"), eq(run_type, "llm"), in(name, ["b", "a"]))'
    b = 'and(in(name, ["a", "b", "a"]), eq(run_type, "llm"), gt(latency, 5), gt(latency, 1), eq(run_type, "llm"))'
    assert canonical(a) == canonical(b)
    assert equivalent(a, b)
    assert equivalent('or(eq(name, "a"), eq(name, "b"))', 'in(name, ["b", "a"])')
    assert equivalent('and(eq(run_type, "llm"), eq(run_type, "tool"))', 'and(gt(latency, 5), lt(latency, 1))')
    assert not equivalent('gt(latency, 1)', 'gt(latency, 2)')
    # Sound, not complete: these match the same runs, but no rule proves it.
    assert not equivalent('like(name, "a%")', 'or(like(name, "a%"), like(name, "ab%"))')
    assert canonical(canonical(b)) == canonical(b)  # type: ignore[arg-type]


def _wide_filter(n: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    ops = []
    for i in range(n):
        ops.append(rng.choice([
            f'gt(total_tokens, {rng.randrange(100)})',
            f'neq(name, "n{rng.randrange(50)}")',
            f'and(eq(metadata_key, "k{i}"), eq(metadata_value, {rng.randrange(9)}))',
            f'or(eq(run_type, "llm"), eq(run_type, "{rng.choice(("chain", "tool"))}"))',
            f'has(tags, "t{rng.randrange(9)}")',
        ]))
    return "and(" + ", ".join(ops) + ")"


def test_a_2000_operand_filter_optimizes_to_an_equivalent_smaller_one():
    typed = check(_wide_filter(2000))
    result = optimize(typed)
    assert size(result) < size(typed)
    assert optimize(result) == result
    runs = [make_run(name=name, run_type=rt, start_time="2024-05-01T00:00:00Z", total_tokens=tokens,
                     tags=[f"t{i}" for i in range(9)], metadata={f"k{i}": i % 9 for i in range(2000)})
            for name in ("n1", "zz") for rt in ("llm", "tool") for tokens in (5, 500)]
    original, optimized = compile_checked(typed), compile_checked(result)  # type: ignore[arg-type]
    assert [optimized(r) for r in runs] == [original(r) for r in runs]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "filterql.cli", "optimize", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_optimize():
    done = _cli('and(search("x"), gt(latency, 2), gt(latency, "5s"), eq(run_type, "llm"))')
    assert (done.returncode, done.stdout) == (0, 'and(gt(latency, "5s"), eq(run_type, "llm"), search("x"))\n')
    assert _cli('and(gt(latency, 5), lt(latency, 2))').stdout == "always false\n"
    assert _cli('or(eq(error, null), neq(error, null))').stdout == "always true\n"
    explained = _cli("--explain", 'and(gt(latency, 2), gt(latency, "5s"))').stdout.splitlines()
    assert explained[0].startswith("1. merge_ranges: ") and explained[-1] == 'gt(latency, "5s")'
    long = "and(" + ", ".join(f'has(tags, "tag-number-{i}")' for i in range(3)) + ', like(name, "%abcdefghijklmnop%"))'
    pretty = _cli("--pretty", long).stdout
    assert pretty.startswith("and(\n  ") and check(pretty) == optimize(long)
    bad = _cli("gt(latencyy, 5)")
    assert bad.returncode == 1 and "latency" in bad.stderr and "Traceback" not in bad.stderr


def test_docs_list_every_rule_in_order():
    from pathlib import Path

    section = (Path(__file__).resolve().parents[1] / "docs" / "optimizer.md").read_text(encoding="utf-8")
    positions = [section.find(f"| `{r.__name__}` |") for r in RULES]
    assert -1 not in positions, [r.__name__ for r, p in zip(RULES, positions) if p == -1]
    assert positions == sorted(positions)


def test_checked_values_compare_by_value_and_json_type():
    # gt(latency, 5) is gt(latency, "5s"), but a family value true is not the number 1 (nor 0 false).
    assert check('gt(latency, 5)') == check('gt(latency, "5s")')
    assert check('eq(metadata_value, true)') != check('eq(metadata_value, 1)')
    assert check('eq(metadata_value, false)') != check('eq(metadata_value, 0)')
    assert len({check('eq(metadata_value, true)'), check('eq(metadata_value, 1)')}) == 2
    assert optimize('or(eq(metadata_value, true), eq(metadata_value, 1))') == check('in(metadata_value, [true, 1])')
