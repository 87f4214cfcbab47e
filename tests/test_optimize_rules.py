"""One fixture file per optimizer rule: ``input ; expected`` pairs (sqlglot style).

``tests/fixtures/optimize/<rule>.txt`` holds, per line, a filter and what that
rule alone (applied to a fixed point) makes of it: a filter, ``always true`` /
``always false``, or ``=`` for a near miss the rule must leave alone.
``optimize.txt`` is the same for the whole optimizer. Results are compared as trees and
as rendered text, so a literal must be written as the rule keeps it (``"5s"``, not ``5``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from filterql import check, optimize, parse
from filterql.optimizer import RULES, AlwaysFalse, AlwaysTrue, by_name
from filterql.optimizer.engine import rewrite, verdict

FIXTURES = Path(__file__).parent / "fixtures" / "optimize"
_WORDS = {"always true": AlwaysTrue, "always false": AlwaysFalse}


def _cases(name: str) -> list[tuple[str, str]]:
    out = []
    for line in (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            source, _, expected = line.partition(" ; ")
            out.append((source.strip(), expected.strip()))
    return out


def _expected(source: str, expected: str):
    if expected == "=":
        return check(source)
    return _WORDS.get(expected) or check(expected)


def _same(got, source: str, expected: str) -> None:
    """Equal trees, and the same text: equality ignores how a literal was written (``5`` equals
    ``"5s"`` for latency), the rendered text does not, so a rule that drops the written form fails."""
    assert got == _expected(source, expected)
    want = _WORDS.get(expected) or parse(source if expected == "=" else expected)
    assert str(got) == str(want)


RULE_CASES = [(r.__name__, s, e) for r in RULES for s, e in _cases(r.__name__)]


def test_every_rule_has_a_fixture_with_a_near_miss():
    for rule in RULES:
        cases = _cases(rule.__name__)
        assert any(e == "=" for _, e in cases), rule.__name__
        assert any(e != "=" for _, e in cases), rule.__name__


@pytest.mark.parametrize("rule, source, expected", RULE_CASES, ids=[f"{r}:{s}" for r, s, _ in RULE_CASES])
def test_rule_fixture(rule, source, expected):
    _same(verdict(rewrite(check(source), [by_name(rule)])), source, expected)


OPT_CASES = _cases("optimize")


@pytest.mark.parametrize("source, expected", OPT_CASES, ids=[s for s, _ in OPT_CASES])
def test_optimize_fixture(source, expected):
    _same(optimize(source), source, expected)
