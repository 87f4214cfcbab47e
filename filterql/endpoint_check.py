"""Pre-send check of a whole API call, v1 or v2: :func:`check_query`.

``endpoint="list_runs"`` (the default) is today's ``Client.list_runs`` check
(:mod:`filterql.query_check`). The v2 endpoints (``runs.query``,
``traces.query``, ``threads.query``, ``threads.list_traces``) are checked
against their rows in :mod:`filterql.endpoints`: every parameter's type and
range, the required and mutually exclusive ones, the upper-case enumerations
(with a did-you-mean), RFC 3339 times, each filter in its context, and under
the ``langsmith-v2`` profile what the server requires or silently defaults.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Mapping

import attrs

from . import ast, catalog
from .checked import mark
from .coerce import CoercionError, parse_timestamp
from .diagnostics import Diagnostic, call_level
from .endpoints import ENDPOINT_NAMES, ENDPOINTS, Endpoint, Kind, Param
from .query_check import QueryCheck
from .query_check import check_query as check_list_runs
from .hints import suggest
from .validator import analyze

__all__ = ["check_query", "V1_NAMES_IN_V2"]

#: RFC 3339 ``date-time`` (what the v2 API's ``format: date-time`` fields take).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

#: v1 (list_runs) argument names a v2 call gets by mistake, and what to write instead.
V1_NAMES_IN_V2: Mapping[str, str] = {
    "start_time": "min_start_time", "end_time": "max_start_time", "select": "selects", "limit": "page_size",
    "error": "has_error", "run_ids": "ids", "id": "ids", "project_id": "project_ids", "project_ids": "project_id",
    "reference_example_id": "reference_examples", "query": "filter",
}


class _Report:
    """Collects the call-level diagnostics of one check."""

    def __init__(self, endpoint: Endpoint, profile: str) -> None:
        self.endpoint = endpoint
        self.profile = profile
        self.out: list[Diagnostic] = []

    def add(self, argument: str, severity: str, code: str, message: str, hint: str = "") -> None:
        self.out.append(call_level(argument, severity, code, message, hint))

    def wrong_type(self, p: Param, value: Any, hint: str = "") -> None:
        self.add(p.name, "error", "argument-type",
                 f"`{p.name}` takes {p.kind.value}, not {type(value).__name__} {value!r}", hint)

    @property
    def server(self) -> bool:
        return self.profile == "langsmith-v2"


def _uuid(r: _Report, p: Param, value: Any) -> str | None:
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        r.wrong_type(p, value)
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        r.add(p.name, "error", "bad-value", f"`{p.name}`: {value!r} is not a UUID",
              'ids look like "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"')
        return None


def _time(r: _Report, p: Param, value: Any) -> datetime | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            r.add(p.name, "warning", "naive-datetime", f"`{p.name}` has no time zone; it is read as UTC",
                  "pass an aware datetime, e.g. datetime.now(timezone.utc) - timedelta(days=1)")
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    if not isinstance(value, str):
        r.wrong_type(p, value)
        return None
    try:
        when = parse_timestamp(value)
    except CoercionError as e:
        r.add(p.name, "error", "bad-value", f"`{p.name}`: {e.message}", e.hint)
        return None
    if not _RFC3339.fullmatch(value.strip()):
        # Offline a date or a time without offset is read as UTC; the API's date-time format wants both.
        r.add(p.name, "error" if r.server else "warning", "not-rfc3339",
              f"`{p.name}`: {value!r} is not an RFC 3339 date-time (the v2 API's format)",
              f"write {when.isoformat().replace('+00:00', 'Z')!r}")
    return when


def _int(r: _Report, p: Param, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        r.wrong_type(p, value)
        return None
    if (p.low is not None and value < p.low) or (p.high is not None and value > p.high):
        r.add(p.name, "error", "bad-value", f"`{p.name}` must be between {p.low} and {p.high} on "
              f"{r.endpoint.name}, not {value}",
              f"the server answers 400; omit it for the default ({p.default})" if p.default else "")
        return None
    return value


def _choice_hint(value: str, choices: Sequence[str]) -> str:
    """'did you mean' for an enumeration value: same name upper-cased, a longer name it starts, or a close one."""
    up = value.upper()
    if up in choices:
        return f'did you mean "{up}"? the v2 API spells its values in upper case'
    close = [c for c in choices if c.startswith(up + "_") or up.startswith(c + "_")]
    close = close or difflib.get_close_matches(up, choices, n=3, cutoff=0.6)
    return ("did you mean " + " or ".join(f'"{c}"' for c in close) + "?") if close else \
        f"known values: {', '.join(choices)}"


def _enum(r: _Report, p: Param, value: Any) -> str | None:
    if not isinstance(value, str):
        r.wrong_type(p, value)
        return None
    if value not in p.choices:
        r.add(p.name, "error", "unknown-value", f"`{p.name}` is never {value!r}", _choice_hint(value, p.choices))
        return None
    return value


def _list(r: _Report, p: Param, value: Any) -> list[Any] | None:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        r.wrong_type(p, value, f"wrap it in a list: {p.name}=[{value!r}]" if isinstance(value, str) else "")
        return None
    return list(value)


def _enums(r: _Report, p: Param, value: Any) -> list[str] | None:
    items = _list(r, p, value)
    if items is None:
        return None
    good = [v for v in (_enum(r, p, item) for item in items) if v is not None]
    if len(good) != len(items):
        return None
    if len(set(good)) != len(good):
        r.add(p.name, "warning", "duplicate-value", f"`{p.name}` lists a value twice", "list each field once")
    return list(dict.fromkeys(good))


def _uuids(r: _Report, p: Param, value: Any) -> list[str] | None:
    items = _list(r, p, value)
    if items is None:
        return None
    ids = [_uuid(r, p, item) for item in items]
    return None if any(i is None for i in ids) else ids  # type: ignore[return-value]


def _bool(r: _Report, p: Param, value: Any) -> bool | None:
    if not isinstance(value, bool):
        r.wrong_type(p, value)
        return None
    return value


def _text(r: _Report, p: Param, value: Any) -> str | None:
    if not isinstance(value, str):
        r.wrong_type(p, value)
        return None
    if p.name == "ai_search" and not 0 < len(value.encode("utf-8")) <= 2000:
        r.add(p.name, "error", "bad-value", "`ai_search` must be nonempty text of at most 2000 UTF-8 bytes")
        return None
    return value


def _cursor(r: _Report, p: Param, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        r.wrong_type(p, value, "pass the next_cursor of the previous page unchanged")
        return None
    return value


_CHECKS = {
    Kind.TEXT: _text, Kind.BOOL: _bool, Kind.UUID: _uuid, Kind.UUIDS: _uuids, Kind.TIME: _time, Kind.INT: _int,
    Kind.ENUM: _enum, Kind.ENUMS: _enums, Kind.CURSOR: _cursor,
}


def _feedback_condition(trees: list[ast.Expr]) -> bool:
    return any(isinstance(n, ast.Field) and catalog.FIELDS[n.name].family == "feedback"
               for t in trees for n in ast.walk(t) if isinstance(n, ast.Field) and n.name in catalog.FIELDS)


def _check_v2(endpoint: Endpoint, profile: str, params: Mapping[str, Any]) -> QueryCheck:
    r = _Report(endpoint, profile)
    diagnostics: list[Diagnostic] = []
    filters: dict[str, ast.Expr] = {}
    texts: dict[str, str] = {}
    values: dict[str, Any] = {}
    spec = endpoint.by_name
    given = {k: v for k, v in params.items() if v is not None}

    for name in given:
        if name in spec:
            continue
        instead = V1_NAMES_IN_V2.get(name)
        hint = (f"{endpoint.name} calls it `{instead}`" if instead in spec else
                suggest(name, sorted(spec)) or f"{endpoint.name} takes {', '.join(sorted(spec))}")
        r.add(name, "error", "unknown-argument", f"{endpoint.name} has no parameter `{name}`", hint)

    for p in endpoint.params:
        if p.name not in given:
            if p.required:
                r.add(p.name, "error", "missing-argument", f"{endpoint.name} requires `{p.name}`",
                      f"{endpoint.sdk}({p.name}=...)")
            continue
        value = given[p.name]
        if p.kind is Kind.FILTER:
            if not isinstance(value, (str, ast.Expr)):
                r.wrong_type(p, value)
                continue
            typed, found, text = analyze(value, p.context, profile)
            if isinstance(value, str):
                texts[p.name] = text
            diagnostics.extend(attrs.evolve(d, argument=p.name) for d in found)
            if typed is not None and not any(d.is_error for d in found):
                filters[p.name] = mark(typed, p.context, profile)  # the backends take it without checking again
            continue
        checked = _CHECKS[p.kind](r, p, value)
        if checked is not None:
            values[p.name] = checked
        if not p.offline and profile != "langsmith-v2":
            r.add(p.name, "error", "not-offline", f"`{p.name}` has no offline meaning: the server answers it",
                  "drop it to run the call offline, or check with profile='langsmith-v2'")

    for group in endpoint.one_of:
        present = [n for n in group if n in given]
        if len(present) > 1:
            r.add(present[1], "error", "exclusive-arguments",
                  f"{' and '.join(f'`{n}`' for n in present)} are mutually exclusive: give exactly one", "drop one")
        elif not present and r.server:
            names = " or ".join(f"`{n}`" for n in group)
            r.add(group[0], "error", "server-required", f"{endpoint.name} requires {names} on the server",
                  "offline it is an optional filter on the runs' project")
    for a, b in endpoint.exclusive:
        if a in given and b in given:
            r.add(b, "error", "exclusive-arguments", f"`{a}` cannot be combined with `{b}`", f"drop `{b}`")

    low, high = values.get("min_start_time"), values.get("max_start_time")
    if low is not None and high is not None and high <= low:
        r.add("max_start_time", "warning", "empty-window", "`max_start_time` is not after `min_start_time`, "
              "so nothing matches (the upper bound is exclusive)", "swap them")
    if r.server and "min_start_time" in spec and "min_start_time" not in given and \
            "reference_dataset_id" not in given:
        rule = catalog.SERVER_RULES["server-default-window"]
        r.add("min_start_time", rule.severity, rule.code,
              f"without min_start_time {endpoint.name} only looks at the last day",
              "set min_start_time to the beginning of the period you want")
    if r.server and "ai_search" in given and filters:
        r.add("ai_search", "warning", "server-ai-search-filters",
              "with full AI search enabled the server refuses ai_search together with explicit filters",
              "use sem_filter for a semantic criterion AND-ed with structured filters")
    for bound in ("min_feedback_modified_at", "max_feedback_modified_at"):
        if bound in given and not _feedback_condition(list(filters.values())):
            r.add(bound, "error", "server-feedback-window",
                  f"`{bound}` requires at least one feedback condition in the filters",
                  'add e.g. eq(feedback_key, "correctness") to a filter, or drop it')
    return QueryCheck(tuple(diagnostics + r.out), None, filters, texts, endpoint=endpoint.name, params=values)


def check_query(*, endpoint: str = "list_runs", profile: str = "offline", now: datetime | None = None,
                **params: Any) -> QueryCheck:
    """Validate the parameters of one API call before sending it (never raises on bad parameters).

    ``endpoint`` is ``list_runs`` (``Client.list_runs``, SPEC §7 rate-limit
    tiers included), ``runs.query``, ``traces.query``, ``threads.query`` or
    ``threads.list_traces`` (whose ``thread_id`` is a parameter here).
    ``profile`` is ``offline``, ``langsmith-v1`` or ``langsmith-v2``; ``now``
    is the time an omitted ``end_time`` stands for (``list_runs`` only).
    """
    if profile not in catalog.PROFILES:
        raise ValueError(f"profile must be one of {', '.join(catalog.PROFILES)}, not {profile!r}")
    if endpoint == "list_runs":
        return check_list_runs(profile=profile, now=now, **params)
    found = ENDPOINTS.get(endpoint)
    if found is None:
        hint = suggest(endpoint, list(ENDPOINT_NAMES))
        raise ValueError(f"unknown endpoint {endpoint!r}; endpoints are {', '.join(ENDPOINT_NAMES)}"
                         + (f" ({hint})" if hint else ""))
    return _check_v2(found, profile, params)
