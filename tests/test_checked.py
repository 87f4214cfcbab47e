"""``check()`` returns a ``Checked``: the ordinary tree, with a guarantee every later stage trusts."""

from __future__ import annotations

import pickle
from typing import Any

import attrs
import pytest

import filterql
from filterql import FilterValidationError, ast, canonical, check, compile, lowering, optimize, parse, validator
from filterql.checked import Checked, mark, plain
from filterql.sql import build_query

TEXT = 'and(gt(latency, "5s"), eq(metadata_key, "k"), eq(metadata_value, 1), in(run_type, ["llm", "chain"]))'


def test_a_checked_tree_is_the_ordinary_tree() -> None:
    typed = check(TEXT)
    assert isinstance(typed, filterql.Checked) and filterql.Checked is Checked and isinstance(typed, ast.And)
    assert typed.context == "filter" and typed.profile == "offline"
    assert typed == plain(typed) and plain(typed) == typed and hash(typed) == hash(plain(typed))
    assert type(plain(typed)) is ast.And and typed.args == plain(typed).args
    assert str(typed) == TEXT and typed.to_json() == parse(TEXT).to_json()
    assert list(ast.walk(typed))[1:] == list(ast.walk(plain(typed)))[1:]
    assert pickle.loads(pickle.dumps(typed)) == typed and isinstance(pickle.loads(pickle.dumps(typed)), Checked)


def test_rebuilding_a_checked_node_gives_a_plain_node() -> None:
    typed = check(TEXT)
    for rebuilt in (attrs.evolve(typed, args=typed.args[:1]), type(typed)(typed.args[:1])):
        assert type(rebuilt) is ast.And and not isinstance(rebuilt, Checked)
    leaf = check('eq(name, "x")')
    assert type(attrs.evolve(leaf, op="neq")) is ast.Compare


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every run of the validator's analysis, recorded."""
    calls: list[Any] = []
    real = validator._analyze

    def counted(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(validator, "_analyze", counted)
    return calls


@pytest.mark.parametrize("stage", [
    lambda f: compile(f),
    lambda f: optimize(f),
    lambda f: canonical(f),
    lambda f: build_query(f, trace_filter=f if isinstance(f, str) else None),
    lambda f: lowering.lower(f),
    lambda f: check(f),
    lambda f: check(f, profile="offline"),
])
def test_no_stage_checks_a_checked_tree_again(stage: Any, analyses: list[Any]) -> None:
    typed = check(TEXT)
    analyses.clear()
    stage(typed)
    assert analyses == []


def test_anything_else_is_checked_once(analyses: list[Any]) -> None:
    for f in (TEXT, parse(TEXT)):
        analyses.clear()
        compile(f, search_limit=7)  # (text is also cached; search_limit keeps this call apart)
        assert len(analyses) == 1
        analyses.clear()
        result = optimize(f)
        assert len(analyses) == 1 and isinstance(result, Checked)
        analyses.clear()
        compile(result)
        assert analyses == []


def test_another_context_or_profile_is_checked_again() -> None:
    typed = check('search(name, "x")')
    with pytest.raises(FilterValidationError):
        check(typed, profile="langsmith-v1")  # v1 rejects search(field, text)
    assert check(typed, "trace_filter").context == "trace_filter"
    strict = check('eq(name, "x")', profile="langsmith-v1")
    assert check(strict) is strict  # a profile's check implies the offline one


def test_optimized_and_canonical_forms_stay_checked() -> None:
    for result in (optimize(TEXT), canonical(TEXT), filterql.optimize(check(TEXT))):
        assert isinstance(result, Checked) and result.context == "filter"
    assert mark(check(TEXT), "tree_filter").context == "tree_filter"
