"""``migrate_query``: a ``Client.list_runs`` call as ``client.runs.query_v2`` parameters.

``V1_TO_V2`` is the table the README's "Moving to the v2 API" page prints:
each ``list_runs`` argument, its ``runs.query`` counterpart (or why there is
none). Selected fields map through ``SELECT_TO_V2``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable, Mapping

from .endpoints import RUN_SELECT_FIELDS
from .errors import FilterError

__all__ = ["MigrationError", "migrate_query", "V1_TO_V2", "SELECT_TO_V2", "NO_V2_EQUIVALENT"]


class MigrationError(FilterError):
    """``list_runs`` arguments with no ``runs.query`` equivalent; ``problems`` maps each to the reason."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{len(self.problems)} list_runs argument{'s' if len(self.problems) != 1 else ''} "
                 "without a runs.query equivalent:"]
        lines += [f"  {name}: {why}" for name, why in self.problems.items()]
        return "\n".join(lines)


def _same(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda value: {name: value}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _ids(value: Any) -> list[str]:
    return [str(v) if isinstance(v, uuid.UUID) else v for v in _as_list(value)]


def _one_id(value: Any) -> str:
    return str(value) if isinstance(value, uuid.UUID) else value


def _time(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


#: v1 ``select`` names whose v2 ``RunSelectField`` is not just the name upper-cased.
SELECT_TO_V2: Mapping[str, str] = {
    "session_id": "PROJECT_ID", "in_dataset": "IS_IN_DATASET", "latency": "LATENCY_SECONDS",
    "parent_run_id": "PARENT_RUN_IDS",
}

#: list_runs arguments with no runs.query counterpart, and what to do instead.
NO_V2_EQUIVALENT: Mapping[str, str] = {
    "limit": "runs.query pages instead: set page_size (1..1000) and follow next_cursor until you have enough",
    "order": "runs.query always returns the newest runs first",
    "parent_run_id": "runs.query has no parent filter; query trace_id and keep runs whose parent_run_ids end "
                     "with the parent",
    "query": "the legacy query string has no v2 form; write the condition as a filter",
    "project_name": "runs.query takes project ids: resolve the name with client.read_project(project_name=...).id "
                    "and pass project_ids=[...]",
    "execution_order": "deprecated in v1 and absent from v2",
}


class _Unmapped(Exception):
    """An argument whose value has no v2 form (carried to the MigrationError)."""


def _selects(value: Any) -> dict[str, Any]:
    out, missing = [], []
    for name in _as_list(value):
        v2 = SELECT_TO_V2.get(name, str(name).upper())
        (out if v2 in RUN_SELECT_FIELDS else missing).append(v2 if v2 in RUN_SELECT_FIELDS else name)
    if missing:
        raise _Unmapped(f"no RunSelectField for {', '.join(map(repr, missing))}"
                        + ("; child_run_ids: select PARENT_RUN_IDS on the children instead"
                           if "child_run_ids" in missing else ""))
    return {"selects": list(dict.fromkeys(out))}


#: list_runs argument → its runs.query parameters.
V1_TO_V2: Mapping[str, Callable[[Any], dict[str, Any]]] = {
    "filter": _same("filter"),
    "trace_filter": _same("trace_filter"),
    "tree_filter": _same("tree_filter"),
    "is_root": lambda v: {"is_root": bool(v)},
    "run_type": lambda v: {"run_type": str(v).upper()},
    "error": lambda v: {"has_error": bool(v)},
    "start_time": lambda v: {"min_start_time": _time(v)},
    "end_time": lambda v: {"max_start_time": _time(v)},
    "trace_id": lambda v: {"trace_id": _one_id(v)},
    "run_ids": lambda v: {"ids": _ids(v)},
    "id": lambda v: {"ids": _ids(v)},
    "project_id": lambda v: {"project_ids": _ids(v)},
    "reference_example_id": lambda v: {"reference_examples": _ids(v)},
    "select": _selects,
}


#: What list_runs still honours next to run_ids (everything else it ignores).
_KEPT_WITH_RUN_IDS = frozenset({"run_ids", "id", "select", "limit", "project_id", "project_name"})


def migrate_query(**list_runs_kwargs: Any) -> dict[str, Any]:
    """The ``runs.query`` (``client.runs.query_v2``) parameters equivalent to a ``list_runs`` call.

    Raises :class:`MigrationError` naming every argument with no v2 equivalent
    (``limit``, ``order``, ``parent_run_id``, ``query``, ``project_name``, ...)
    and why. ``None`` values are dropped, as ``list_runs`` drops them.
    ``run_ids`` becomes ``ids``; since v1 then ignores every other filtering
    argument (SPEC §1) and v2's ``ids`` only narrows, those are left out.
    """
    out: dict[str, Any] = {}
    problems: dict[str, str] = {}
    given = {k: v for k, v in list_runs_kwargs.items() if v is not None}
    if "run_ids" in given or "id" in given:  # v1 then ignores every other filtering argument
        given = {k: v for k, v in given.items() if k in _KEPT_WITH_RUN_IDS}
    for name, value in given.items():
        if name in NO_V2_EQUIVALENT:
            problems[name] = NO_V2_EQUIVALENT[name]
            continue
        convert = V1_TO_V2.get(name)
        if convert is None:
            problems[name] = "not a list_runs argument filterql knows"
            continue
        try:
            out.update(convert(value))
        except _Unmapped as e:
            problems[name] = str(e)
    if problems:
        raise MigrationError(problems)
    return out
