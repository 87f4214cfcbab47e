"""Options and extras (issue 11): a bad option value or a missing optional extra is a usage error, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from filterql.cli import main
from fuzz_budget import examples
from shared_data import shared_dir

RUNS = str(shared_dir("conformance", "FILTERQL_CONFORMANCE") / "runs.jsonl")


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code  # type: ignore[return-value]


@pytest.mark.parametrize("argv", [
    ["match", RUNS, "--search-limit", "0"], ["match", RUNS, "--search-limit", "-3"],
    ["match", RUNS, "--limit", str(2**64)], ["match", RUNS, "--limit", "9" * 5000], ["match", RUNS, "--limit", "-1"],
    ["match", RUNS, "--limit", "1e3"], ["match", RUNS, "--limit", "１２"], ["check", "--filter", "eq(a, 1)", "--limit", "9" * 5000],
])
def test_out_of_range_options_are_usage_errors(argv, capsys):
    assert _exit_code(argv) == 2
    assert "error:" in capsys.readouterr().err


@settings(max_examples=examples(30), deadline=None)
@given(st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from(["--limit", "--search-limit"]))
def test_integer_options_are_accepted_exactly_in_range(value, option):
    low = 1 if option == "--search-limit" else 0
    argv = ["match", RUNS, option, str(value), "--ids-only", "--run-id", "00000000-0000-0000-0000-000000000000"]
    if low <= value <= 2**63 - 1:
        assert main(argv) == 0
    else:
        assert _exit_code(argv) == 2


@pytest.mark.parametrize("blocked, argv, extra", [
    ("sqlglot", ["sql", 'eq(name, "x")'], "sql"),
    ("duckdb", ["match", RUNS, "--engine", "duckdb", "--ids-only"], "sql"),
])
def test_a_missing_extra_is_named_with_its_install_command(blocked, argv, extra):
    code = f"import sys; sys.modules[{blocked!r}] = None\nfrom filterql.cli import main\nsys.exit(main({argv!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"pip install 'filterql[{extra}]'" in done.stderr and "Traceback" not in done.stderr
