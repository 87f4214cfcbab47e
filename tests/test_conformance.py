"""The shared conformance suite through ``select`` and through ``filterql match --ids-only``."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conformance import RUNS_FILE, case_id, cli_args, error_cases, expect_cases, load_runs

from filterql import FilterError, select
from filterql.errors import FilterSyntaxError, FilterValidationError

EXPECT = expect_cases()
ERRORS = error_cases()
_ERROR_TYPES = {"syntax": (FilterSyntaxError, FilterValidationError), "validation": FilterValidationError,
                "any": FilterError}


def _syntax_kind(error: FilterError) -> bool:
    if isinstance(error, FilterSyntaxError):
        return True
    return any(d.kind == "syntax" for d in getattr(error, "diagnostics", ()))


@pytest.mark.parametrize("case", EXPECT, ids=[case_id(c) for c in EXPECT])
def test_select_matches_expected_ids(case):
    got = select(load_runs(), **case["args"])
    assert {r["id"] for r in got} == set(case["expect"])


@pytest.mark.parametrize("case", ERRORS, ids=[case_id(c) for c in ERRORS])
def test_select_invalid_filter_is_a_clean_error(case):
    kind = case["expect_error"]
    if kind == "no_crash":
        try:
            select(load_runs(), **case["args"])
        except FilterError:
            pass
        return
    with pytest.raises(_ERROR_TYPES[kind]) as info:
        select(load_runs(), **case["args"])
    if kind == "syntax":
        assert _syntax_kind(info.value)
    if kind == "validation":
        assert not _syntax_kind(info.value)


def _match(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "filterql.cli", "match", str(RUNS_FILE), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", EXPECT, ids=[case_id(c) for c in EXPECT])
def test_cli_match_ids_only(case):
    done = _match([*cli_args(case["args"]), "--ids-only"])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    ids = done.stdout.splitlines()
    assert len(ids) == len(set(ids))
    assert set(ids) == set(case["expect"])


@pytest.mark.parametrize("case", ERRORS, ids=[case_id(c) for c in ERRORS])
def test_cli_match_invalid_filter_exits_1_without_traceback(case):
    done = _match([*cli_args(case["args"]), "--ids-only"])
    assert "Traceback" not in done.stderr
    if case["expect_error"] == "no_crash":
        assert done.returncode in (0, 1)
        return
    assert done.returncode == 1
    assert done.stdout == ""
    assert "line " in done.stderr and "^" in done.stderr  # a located diagnostic with a caret
