"""Differential: every SQL engine returns exactly what the Python evaluator's ``select`` returns.

Random typed filters (``strategies.typed_filters``) over random run lists
(``strategies.run_lists``: nulls, absent keys, families, nested arrays,
timestamps with offsets), with random ``trace_filter``, ``tree_filter`` and
``list_runs`` keyword arguments, compared in result order.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import UUIDS, list_runs_keywords, run_lists, typed_filters

from filterql import select
from filterql.sql.load import connect

@st.composite
def _arguments(draw: st.DrawFn) -> dict[str, Any]:
    args: dict[str, Any] = {"filter": draw(typed_filters(max_leaves=6))}
    if draw(st.integers(0, 3)) == 0:
        args["trace_filter"] = draw(typed_filters(max_leaves=3))
    if draw(st.integers(0, 3)) == 0:
        args["tree_filter"] = draw(typed_filters(max_leaves=3))
    if draw(st.integers(0, 2)) == 0:
        args.update(draw(list_runs_keywords))
    if draw(st.integers(0, 15)) == 0:
        args["run_ids"] = draw(st.lists(st.sampled_from(UUIDS), max_size=3))
    if draw(st.integers(0, 5)) == 0:
        args["search_limit"] = draw(st.sampled_from((1, 3, 6, 250)))
    return args


_CON: dict[str, Any] = {}
# Moderate budgets keep the suite fast; FILTERQL_SQL_EXAMPLES=10 runs ten times more.
_SCALE = int(os.environ.get("FILTERQL_SQL_EXAMPLES", "1"))
# Spark takes about a second a load and a query, so it gets fewer examples.
_BUDGET = {"duckdb": 30 * _SCALE, "duckdb-flat": 10 * _SCALE, "clickhouse": 8 * _SCALE, "datafusion": 8 * _SCALE,
           "postgres": 8 * _SCALE, "spark": 4 * _SCALE}


def _check(engine_name: str, runs: list[dict[str, Any]], argument_sets: list[dict[str, Any]], open_on: Any) -> None:
    con = _CON.setdefault(engine_name, connect(progress=False))
    flat = engine_name == "duckdb-flat"
    with open_on(runs, "duckdb" if flat else engine_name, con=con, nested=not flat) as engine:
        for args in argument_sets:
            want = [r["id"] for r in select(runs, **args)]
            got = engine.select_ids(**args)
            assert got == want, f"{engine_name} disagrees with the evaluator on {args}"


@pytest.mark.parametrize("engine_name", sorted(_BUDGET))
def test_engines_agree_with_the_evaluator(engine_name, open_on):
    @settings(max_examples=_BUDGET[engine_name], deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(run_lists(), st.lists(_arguments(), min_size=1, max_size=4))
    def run(runs, argument_sets):
        _check(engine_name, runs, argument_sets, open_on)

    run()
