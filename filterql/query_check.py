"""Pre-send check of a whole ``Client.list_runs`` call: :func:`check_query`.

Validates ``filter``, ``trace_filter`` and ``tree_filter`` in their contexts,
the keyword arguments of ``list_runs`` (seeds/002) and places the call in its
rate-limit tier (SPEC §7).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Mapping

import attrs

from . import ast, catalog, ratelimit
from .coerce import CoercionError, parse_timestamp
from .diagnostics import Diagnostic, call_level, format_diagnostics
from .hints import suggest
from .validator import analyze

__all__ = ["check_query", "QueryCheck", "SELECT_NAMES", "FILTER_ARGUMENTS"]

#: The filter-string arguments, each validated in the context of the same name.
FILTER_ARGUMENTS = ("filter", "trace_filter", "tree_filter")

#: Names ``select`` accepts on ``POST /runs/query``: the ``RunSelect`` enum of LangSmith's
#: OpenAPI schema (as generated in bsorrentino/langsmith4j-sdk docs/RunSelect.md), which includes
#: every name of the langsmith SDK's default ``select`` (client.py, ``list_runs``).
SELECT_NAMES = frozenset("""
    id name run_type start_time end_time status error extra events inputs inputs_preview inputs_s3_urls
    inputs_or_signed_url outputs outputs_preview outputs_s3_urls outputs_or_signed_url s3_urls error_or_signed_url
    events_or_signed_url extra_or_signed_url serialized_or_signed_url parent_run_id manifest_id manifest_s3_id
    manifest session_id serialized reference_example_id reference_dataset_id total_tokens prompt_tokens
    prompt_token_details completion_tokens completion_token_details total_cost prompt_cost prompt_cost_details
    completion_cost completion_cost_details price_model_id first_token_time trace_id dotted_order last_queued_at
    feedback_stats child_run_ids parent_run_ids tags in_dataset app_path share_token trace_tier
    trace_first_received_at ttl_seconds trace_upgrade thread_id
""".split())

#: ``list_runs`` arguments that take one UUID.
_ID_ARGUMENTS = ("trace_id", "parent_run_id", "reference_example_id")
#: Every keyword argument of ``list_runs`` (seeds/002), plus ``end_time`` and ``id``, which it passes on.
_KNOWN = frozenset(FILTER_ARGUMENTS + _ID_ARGUMENTS + (
    "run_type", "is_root", "error", "start_time", "end_time", "run_ids", "id", "select", "limit",
    "project_id", "project_name", "query",
))
#: Arguments that do not narrow which runs match (``run_ids`` overrides all the others).
_NOT_FILTERING = frozenset({"select", "limit", "run_ids", "id"})


@attrs.frozen
class QueryCheck:
    """The result of :func:`check_query`.

    ``filters`` holds the typed AST of each filter argument that is valid;
    ``texts`` the text of each filter argument given as a string.
    """

    diagnostics: tuple[Diagnostic, ...]
    rate_limit: ratelimit.RateLimit
    filters: Mapping[str, ast.Expr]
    texts: Mapping[str, str]

    @property
    def valid(self) -> bool:
        """No diagnostic is an error (warnings allowed)."""
        return not any(d.is_error for d in self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        """The ``filterql check --format json`` document; messages name their argument."""
        items = []
        for d in self.diagnostics:
            item = d.to_json()
            if d.argument:
                item["message"] = f"{d.argument}: {d.message}"
            items.append(item)
        return {"valid": self.valid, "diagnostics": items, "rate_limit": self.rate_limit.to_json()}

    def format(self) -> str:
        """The diagnostics rendered like a compiler, each under the filter it points into."""
        return format_diagnostics(self.diagnostics, dict(self.texts))


class _Args:
    """Collects the diagnostics of the keyword arguments."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.out: list[Diagnostic] = []

    def report(self, argument: str, severity: str, code: str, message: str, hint: str = "") -> None:
        self.out.append(call_level(argument, severity, code, message, hint))

    def wrong_type(self, argument: str, value: Any, expected: str, hint: str = "") -> None:
        self.report(argument, "error", "argument-type",
                    f"`{argument}` takes {expected}, not {type(value).__name__} {value!r}", hint)

    def uuid(self, argument: str, value: Any) -> None:
        if isinstance(value, uuid.UUID):
            return
        if not isinstance(value, str):
            self.wrong_type(argument, value, "a UUID")
            return
        try:
            uuid.UUID(value)
        except ValueError:
            self.report(argument, "error", "bad-value", f"`{argument}`: {value!r} is not a UUID",
                        'ids look like "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"')

    def timestamp(self, argument: str, value: Any) -> datetime | None:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                self.report(argument, "warning", "naive-datetime",
                            f"`{argument}` has no time zone; LangSmith reads it as UTC",
                            "pass an aware datetime, e.g. datetime.now(timezone.utc) - timedelta(days=1)")
            return value
        if isinstance(value, str):
            try:
                return parse_timestamp(value)
            except CoercionError as e:
                self.report(argument, "error", "bad-value", f"`{argument}`: {e.message}", e.hint)
                return None
        self.wrong_type(argument, value, "a datetime or an ISO-8601 string")
        return None

    def boolean(self, argument: str, value: Any) -> None:
        # seeds/002 itself passes is_root=1, so 0 and 1 are accepted.
        if not (isinstance(value, bool) or isinstance(value, int) and value in (0, 1)):
            self.wrong_type(argument, value, "True or False")

    def names(self, argument: str, value: Any, expected: str) -> list[Any] | None:
        """A list argument (``select``, ``run_ids``); a bare string is the common slip."""
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            self.wrong_type(argument, value, expected, f"wrap it in a list: {argument}=[{value!r}]"
                            if isinstance(value, str) else "")
            return None
        return list(value)


def _run_type(a: _Args, value: Any) -> None:
    if not isinstance(value, str):
        a.wrong_type("run_type", value, "a string")
    elif value not in catalog.RUN_TYPES:
        hint = suggest(value, catalog.RUN_TYPES)
        a.report("run_type", "warning", "unknown-value", f"`run_type` is never {value!r}",
                 (hint + " " if hint else "") + f"known values: {', '.join(catalog.RUN_TYPES)}")


def _select(a: _Args, value: Any) -> bool:
    """Check ``select``; True when it names ``child_run_ids``."""
    names = a.names("select", value, "a list of field names")
    if names is None:
        return False
    severity = "warning" if a.profile == "offline" else "error"
    for name in names:
        if not isinstance(name, str):
            a.wrong_type("select", name, "field names (strings)")
        elif name not in SELECT_NAMES:
            hint = suggest(name, sorted(SELECT_NAMES))
            a.report("select", severity, "unknown-select", f"`select` has an unknown name {name!r}",
                     hint or "see the RunSelect enum of the /runs/query API")
    if "child_run_ids" in names:
        a.report("select", "warning", "deprecated-select", "`child_run_ids` is deprecated and slows the query",
                 "select parent_run_ids on the children, or query with trace_id, instead")
    return "child_run_ids" in names


def _limit(a: _Args, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        a.wrong_type("limit", value, "an integer")
    elif value < 1:
        a.report("limit", "error", "bad-value", f"`limit` must be at least 1, not {value}", "omit limit to get every run")
    elif value > catalog.MAX_LIST_RUNS_LIMIT:
        rule = catalog.SERVER_RULES["server-limit"]
        severity = "error" if a.profile in rule.profiles else "warning"
        says = rule.server_says.get(a.profile, "").format(max=catalog.MAX_LIST_RUNS_LIMIT)
        a.report("limit", severity, rule.code, rule.message.format(max=catalog.MAX_LIST_RUNS_LIMIT) + f", not {value}"
                 + (f'; the server says: "{says}"' if says else ""), rule.alternative.format(max=catalog.MAX_LIST_RUNS_LIMIT))


def _run_ids(a: _Args, argument: str, value: Any, given: Mapping[str, Any]) -> None:
    ids = a.names(argument, value, "a list of run ids")
    for run_id in ids or ():
        a.uuid(argument, run_id)
    ignored = sorted(k for k, v in given.items() if v is not None and k in _KNOWN and k not in _NOT_FILTERING)
    if ignored:
        a.report(argument, "warning", "run-ids-override",
                 f"with `{argument}` the server ignores every other filtering argument: {', '.join(ignored)}",
                 f"drop {', '.join(ignored)}, or drop {argument} and filter with in(id, [...])")


def _search_anywhere(trees: list[ast.Expr]) -> bool:
    return any(isinstance(n, ast.Search) for t in trees for n in ast.walk(t))


def check_query(*, profile: str = "offline", now: datetime | None = None, **kwargs: Any) -> QueryCheck:
    """Validate the keyword arguments of a ``Client.list_runs`` call before sending it.

    ``filter``, ``trace_filter`` and ``tree_filter`` (strings or ASTs) are
    validated in their contexts under ``profile``; ``run_type``, ``is_root``,
    ``error``, ``start_time``, ``end_time``, ``run_ids`` (or ``id``), ``select``,
    ``limit`` and the id arguments are type-checked. ``now`` is the time an
    omitted ``end_time`` stands for (default: the current time). Never raises on
    bad arguments: everything is reported in :attr:`QueryCheck.diagnostics`.
    """
    if profile not in catalog.PROFILES:
        raise ValueError(f"profile must be one of {', '.join(catalog.PROFILES)}, not {profile!r}")
    a = _Args(profile)
    diagnostics: list[Diagnostic] = []
    filters: dict[str, ast.Expr] = {}
    texts: dict[str, str] = {}
    trees: list[ast.Expr] = []
    for name in FILTER_ARGUMENTS:
        value = kwargs.get(name)
        if value is None:
            continue
        if not isinstance(value, (str, ast.Expr)):
            a.wrong_type(name, value, "a filter string")
            continue
        typed, found, text = analyze(value, name, profile)
        if isinstance(value, str):
            texts[name] = text
        diagnostics.extend(attrs.evolve(d, argument=name) for d in found)
        if typed is not None:
            trees.append(typed)
            if not any(d.is_error for d in found):
                filters[name] = typed

    if kwargs.get("run_type") is not None:
        _run_type(a, kwargs["run_type"])
    for name in ("is_root", "error"):
        if kwargs.get(name) is not None:
            a.boolean(name, kwargs[name])
    start = a.timestamp("start_time", kwargs["start_time"]) if kwargs.get("start_time") is not None else None
    end = a.timestamp("end_time", kwargs["end_time"]) if kwargs.get("end_time") is not None else None
    if start is not None and end is not None and ratelimit.as_utc(end) < ratelimit.as_utc(start):
        a.report("end_time", "warning", "empty-window", "`end_time` is before `start_time`, so no run matches",
                 "swap them")
    if start is None and kwargs.get("start_time") is None and "server-default-window" in _rules(profile):
        rule = catalog.SERVER_RULES["server-default-window"]
        a.report("start_time", rule.severity, rule.code, rule.message, rule.alternative)
    for name in _ID_ARGUMENTS:
        if kwargs.get(name) is not None:
            a.uuid(name, kwargs[name])
    if kwargs.get("project_id") is not None:
        value = kwargs["project_id"]
        for pid in (value if isinstance(value, (list, tuple)) else [value]):
            a.uuid("project_id", pid)
    if kwargs.get("project_name") is not None:
        value = kwargs["project_name"]
        if not (isinstance(value, str) or isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            a.wrong_type("project_name", value, "a project name or a list of them")
    for name in ("run_ids", "id"):
        if kwargs.get(name) is not None:
            _run_ids(a, name, kwargs[name], kwargs)
    child_run_ids = _select(a, kwargs["select"]) if kwargs.get("select") is not None else False
    if kwargs.get("limit") is not None:
        _limit(a, kwargs["limit"])
    for name in sorted(set(kwargs) - _KNOWN):
        hint = suggest(name, sorted(_KNOWN))
        a.report(name, "warning", "unknown-argument", f"list_runs passes `{name}` to the API unchecked",
                 hint or "check the spelling against Client.list_runs")

    limit = ratelimit.tier(start_time=start, end_time=end, search=_search_anywhere(trees),
                           child_run_ids=child_run_ids, now=now)
    return QueryCheck(tuple(diagnostics + a.out), limit, filters, texts)


def _rules(profile: str) -> set[str]:
    return {code for code, rule in catalog.SERVER_RULES.items() if profile in rule.profiles}
