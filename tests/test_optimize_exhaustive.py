"""Every pair of conditions on one scalar field, under and/or/not: the optimized filter agrees with
the original on runs holding each interesting value (below, at and above every bound, null, missing).

Hypothesis rarely draws two bounds on one field with the same value; this enumerates them.
"""

from __future__ import annotations

import itertools

import pytest
from conftest import make_run

from filterql import AlwaysFalse, AlwaysTrue, check, optimize
from filterql.evaluate import compile_checked

_BASE = make_run(name="a", run_type="llm", start_time="2024-05-02T00:00:00Z")
_MISSING = object()

FIELDS = {
    # field: (literals, ops, run values)
    "total_tokens": (("1", "2"), ("eq", "neq", "gt", "gte", "lt", "lte"), (0, 1, 1.5, 2, 3, None, _MISSING)),
    "start_time": (('"2024-05-01"', '"2024-05-02"'), ("eq", "neq", "gt", "gte", "lt", "lte"),
                   ("2024-04-30T00:00:00Z", "2024-05-01T00:00:00Z", "2024-05-01T12:00:00Z", "2024-05-02T00:00:00Z",
                    "2024-05-03T00:00:00Z")),
    "error": (('"a"', '"b"'), ("eq", "neq"), ("a", "b", "c", None, _MISSING)),
}


def _leaves(field: str) -> list[str]:
    literals, ops, _ = FIELDS[field]
    out = [f"{op}({field}, {v})" for op in ops for v in literals]
    out += [f"eq({field}, null)", f"neq({field}, null)"]
    if field != "start_time":
        out += [f"in({field}, [{literals[0]}])", f"in({field}, [{', '.join(literals)}])"]
    return out + [f"not({leaf})" for leaf in out[:4]]


def _runs(field: str) -> list[dict]:
    out = []
    for value in FIELDS[field][2]:
        run = dict(_BASE)
        if value is not _MISSING:
            run[field] = value
        out.append(run)
    return out


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_pair_on_one_field(field):
    runs = _runs(field)
    leaves = _leaves(field)
    checked = 0
    for a, b in itertools.product(leaves, repeat=2):
        for shape in ("and({}, {})", "or({}, {})", "not(and({}, {}))", "and({}, or({}, eq(name, \"a\")))"):
            typed = check(shape.format(a, b))
            result = optimize(typed)
            original = compile_checked(typed)
            if result is AlwaysTrue or result is AlwaysFalse:
                expected = [result is AlwaysTrue] * len(runs)
            else:
                expected = [compile_checked(result)(r) for r in runs]
            assert [original(r) for r in runs] == expected, (shape.format(a, b), str(result))
            checked += 1
    assert checked == 4 * len(leaves) ** 2
