"""Loading the shared conformance suite (``../shared/conformance``) for every backend's tests.

``cases.jsonl`` holds one case a line: ``args`` for ``select``/``list_runs`` and
either ``expect`` (the matching run ids, as a set) or ``expect_error``
(``syntax``, ``validation``, ``any``, or ``no_crash``: a clean result or a clean
error). ``runs.jsonl`` holds the runs. ``FILTERQL_CONFORMANCE`` overrides the
directory. Import with ``from conformance import ...``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared_data import shared_dir

__all__ = ["DIRECTORY", "RUNS_FILE", "load_runs", "load_cases", "expect_cases", "error_cases", "case_id", "cli_args"]

DIRECTORY = shared_dir("conformance", "FILTERQL_CONFORMANCE")
RUNS_FILE = DIRECTORY / "runs.jsonl"
CASES_FILE = DIRECTORY / "cases.jsonl"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise FileNotFoundError(f"conformance data not found at {path} (set FILTERQL_CONFORMANCE to its directory)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@lru_cache(maxsize=None)
def _runs() -> tuple[dict[str, Any], ...]:
    return tuple(_read_jsonl(RUNS_FILE))


def load_runs() -> list[dict[str, Any]]:
    """The conformance runs, as fresh dicts (tests may not share mutations)."""
    return json.loads(json.dumps(list(_runs())))


def load_cases() -> list[dict[str, Any]]:
    """Every case, in file order."""
    return _read_jsonl(CASES_FILE)


def expect_cases() -> list[dict[str, Any]]:
    """Cases with an ``expect`` list of run ids."""
    return [c for c in load_cases() if "expect" in c]


def error_cases() -> list[dict[str, Any]]:
    """Cases with ``expect_error``."""
    return [c for c in load_cases() if "expect_error" in c]


def case_id(case: dict[str, Any]) -> str:
    """A pytest id: the case id and its description."""
    return f"{case['id']}-{case.get('description', '')}".replace(" ", "_")


def cli_args(args: dict[str, Any]) -> list[str]:
    """The ``filterql match`` flags for a case's ``args``."""
    out: list[str] = []
    for name, value in args.items():
        flag = "--" + ("run-id" if name == "run_ids" else name.replace("_", "-"))
        if isinstance(value, bool):
            out += [flag, "true" if value else "false"]
        elif isinstance(value, (list, tuple)):
            for item in value:
                out += [flag, str(item)]
        else:
            out += [flag, str(value)]
    return out
