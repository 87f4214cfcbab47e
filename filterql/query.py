"""The query object: the arguments of a run query, read and checked in one place.

Design
------
:class:`RunQuery` is the shared core every engine consumes: ``select``
(:mod:`filterql.select_runs`), the SQL engines (:mod:`filterql.sql.query`),
``filterql match`` and :func:`filterql.check_query`. Its fields are typed
values (checked filter trees, ``bool``, aware UTC ``datetime``, canonical id
text), never raw arguments, so no consumer interprets an argument again.

Every keyword argument that narrows the runs has exactly one meaning, written
once in :data:`CONDITIONS` as a filter-language condition (``is_root=True`` is
``eq(is_root, true)``, ``start_time=t`` is ``gte(start_time, t)``, ``run_ids``
is ``in(id, [...])``). :attr:`RunQuery.where` is the ``filter`` and those
conditions under one ``and`` (the filter stays one operand, so its binding
scopes are untouched); engines compile ``where`` like any filter, so a keyword
argument cannot mean one thing in Python and another in SQL. ``trace_filter``
and ``tree_filter`` stay separate: they are tested on other runs of the trace.

Construction is per endpoint. :func:`read_list_runs` reads the arguments of
``Client.list_runs`` / ``POST /runs/query`` (SPEC §1: ``run_ids`` ignores
every other filtering argument) into a :class:`Reading`: the query when the
arguments are valid, and every diagnostic. :func:`check_query` reports the
diagnostics; :func:`list_runs_query` raises on the first error. Another
endpoint (the v2 ``runs.query``, ``threads.list_traces``) adds its own reader
over the same :class:`ArgumentReader` helpers, fills the same core (one row of
:data:`CONDITIONS` per new narrowing field, e.g. ``max_start_time``), and
keeps what only it has (``page_size``, ``cursor``) in its own frozen class
holding a :class:`RunQuery`, instead of copying it.

Order is fixed, as in the API: newest ``start_time`` first, ties by id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import attrs

from . import ast, catalog
from .coerce import CoercionError, parse_timestamp
from .diagnostics import Diagnostic, call_level
from .errors import FilterValidationError
from .projection import SELECT_NAMES
from .checked import Checked, mark, plain
from .hints import suggest
from .validator import analyze, check

__all__ = [
    "RunQuery", "Reading", "ArgumentReader", "QueryArgumentError", "CONDITIONS", "FILTER_ARGUMENTS",
    "LIST_RUNS_ARGUMENTS", "read_list_runs", "list_runs_query",
]

#: The filter-string arguments, each validated in the context of the same name.
FILTER_ARGUMENTS = ("filter", "trace_filter", "tree_filter")
#: ``list_runs`` arguments that take one UUID.
_ID_ARGUMENTS = ("trace_id", "parent_run_id", "reference_example_id")
#: Every keyword argument of ``list_runs`` (seeds/002), plus ``end_time`` and ``id``, which it passes on.
LIST_RUNS_ARGUMENTS = frozenset(FILTER_ARGUMENTS + _ID_ARGUMENTS + (
    "run_type", "is_root", "error", "start_time", "end_time", "run_ids", "id", "select", "limit",
    "project_id", "project_name", "query",
))
#: Arguments that do not narrow which runs match (``run_ids`` overrides all the others).
_NOT_FILTERING = frozenset({"select", "limit", "run_ids", "id"})


class QueryArgumentError(FilterValidationError, ValueError):
    """An argument of a query other than a filter string is invalid (``limit``, ``start_time``, ``run_ids``, ...).

    A :class:`FilterValidationError` whose diagnostics name the argument, and a
    ``ValueError`` as bad argument values are in Python.
    """


def _text(value: str) -> ast.String:
    return ast.String(value)


#: The meaning of each narrowing keyword field of :class:`RunQuery`, as a filter condition.
#: ``run_ids=[]`` matches nothing: ``id`` is required, so ``eq(id, null)`` never holds.
CONDITIONS: tuple[tuple[str, Callable[[Any], ast.Expr]], ...] = (
    ("run_ids", lambda ids: ast.In(ast.Field("id"), ast.ListLit(tuple(map(_text, ids))))
     if ids else ast.Compare("eq", ast.Field("id"), ast.Null())),
    ("is_root", lambda v: ast.Compare("eq", ast.Field("is_root"), ast.Bool(v))),
    ("run_type", lambda v: ast.Compare("eq", ast.Field("run_type"), _text(v))),
    ("error", lambda v: ast.Compare("neq" if v else "eq", ast.Field("error"), ast.Null())),
    ("min_start_time", lambda t: ast.Compare("gte", ast.Field("start_time"), _text(t.isoformat()))),
    ("trace_id", lambda v: ast.Compare("eq", ast.Field("trace_id"), _text(v))),
    ("parent_run_id", lambda v: ast.Compare("eq", ast.Field("parent_run_id"), _text(v))),
)


@attrs.frozen(kw_only=True)
class RunQuery:
    """One run query, checked: what every engine evaluates, projects and orders.

    ``filter``, ``trace_filter`` and ``tree_filter`` are checked trees; the
    keyword fields are typed values (ids as canonical UUID text, times as aware
    UTC datetimes). ``run_ids`` set means every other narrowing field is None.
    ``select`` is the projection (None: whole runs); ``search_limit`` is
    filterql's option reproducing LangSmith's 250-character search index.
    """

    filter: ast.Expr | None = None
    trace_filter: ast.Expr | None = None
    tree_filter: ast.Expr | None = None
    is_root: bool | None = None
    run_type: str | None = None
    error: bool | None = None
    min_start_time: datetime | None = None
    trace_id: str | None = None
    parent_run_id: str | None = None
    run_ids: tuple[str, ...] | None = None
    select: tuple[str, ...] | None = None
    limit: int | None = None
    search_limit: int | None = None
    #: ``filter`` and the keyword conditions under one ``and``; None when nothing narrows the runs.
    where: ast.Expr | None = attrs.field(init=False, eq=False, repr=False)

    @where.default
    def _where(self) -> ast.Expr | None:
        conditions = [build(value) for name, build in CONDITIONS if (value := getattr(self, name)) is not None]
        if conditions:  # checked once here: the literals come from values already read, so this never fails
            checked = plain(check(ast.And(tuple(conditions))))
            conditions = list(checked.args) if isinstance(checked, ast.And) else [checked]
        parts = ([plain(check(self.filter))] if self.filter is not None else []) + conditions  # as is when Checked
        if not parts:
            return None
        # An and of checked filter-context trees is checked: the conditions are scalar, so
        # no binding scope changes (the filter stays one operand, with its own scopes).
        return mark(parts[0] if len(parts) == 1 else ast.And(tuple(parts)), "filter")

    @property
    def keeps_every_run(self) -> bool:
        """Whether no filter, trace or tree filter, or keyword condition narrows the runs."""
        return self.where is None and self.trace_filter is None and self.tree_filter is None

    @property
    def needs_children(self) -> bool:
        """Whether the projection lists each run's children (``child_run_ids``)."""
        return self.select is not None and "child_run_ids" in self.select


# ------------------------------------------------------------ reading arguments


class ArgumentReader:
    """Reads keyword arguments into typed values, collecting a diagnostic for each problem.

    Every reader method returns the typed value, or None when the argument is
    invalid (and reported). Shared by every endpoint's construction.
    """

    def __init__(self, profile: str = "offline") -> None:
        if profile not in catalog.PROFILES:
            raise ValueError(f"profile must be one of {', '.join(catalog.PROFILES)}, not {profile!r}")
        self.profile = profile
        self.out: list[Diagnostic] = []

    def report(self, argument: str, severity: str, code: str, message: str, hint: str = "") -> None:
        self.out.append(call_level(argument, severity, code, message, hint))

    def wrong_type(self, argument: str, value: Any, expected: str, hint: str = "") -> None:
        self.report(argument, "error", "argument-type",
                    f"`{argument}` takes {expected}, not {type(value).__name__} {value!r}", hint)

    def uuid(self, argument: str, value: Any) -> str | None:
        """Canonical UUID text of a ``uuid.UUID`` or a UUID string."""
        if isinstance(value, uuid.UUID):
            return str(value)
        if not isinstance(value, str):
            self.wrong_type(argument, value, "a UUID")
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            self.report(argument, "error", "bad-value", f"`{argument}`: {value!r} is not a UUID",
                        'ids look like "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"')
            return None

    def timestamp(self, argument: str, value: Any) -> datetime | None:
        """An aware UTC datetime from a ``datetime`` (naive: UTC, with a warning) or an ISO-8601 string."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                self.report(argument, "warning", "naive-datetime",
                            f"`{argument}` has no time zone; LangSmith reads it as UTC",
                            "pass an aware datetime, e.g. datetime.now(timezone.utc) - timedelta(days=1)")
                return value.replace(tzinfo=timezone.utc)
            return value.astimezone(timezone.utc)
        if isinstance(value, str):
            try:
                return parse_timestamp(value)
            except CoercionError as e:
                self.report(argument, "error", "bad-value", f"`{argument}`: {e.message}", e.hint)
                return None
        self.wrong_type(argument, value, "a datetime or an ISO-8601 string")
        return None

    def boolean(self, argument: str, value: Any) -> bool | None:
        # seeds/002 itself passes is_root=1, so 0 and 1 are accepted.
        if not (isinstance(value, bool) or isinstance(value, int) and value in (0, 1)):
            self.wrong_type(argument, value, "True or False")
            return None
        return bool(value)

    def names(self, argument: str, value: Any, expected: str) -> list[Any] | None:
        """A list argument (``select``, ``run_ids``); a bare string is the common slip."""
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) and not _iterable(value):
            self.wrong_type(argument, value, expected, f"wrap it in a list: {argument}=[{value!r}]"
                            if isinstance(value, str) else "")
            return None
        return list(value)

    def run_type(self, value: Any) -> str | None:
        if not isinstance(value, str):
            self.wrong_type("run_type", value, "a string")
            return None
        if value not in catalog.RUN_TYPES:
            hint = suggest(value, catalog.RUN_TYPES)
            self.report("run_type", "warning", "unknown-value", f"`run_type` is never {value!r}",
                        (hint + " " if hint else "") + f"known values: {', '.join(catalog.RUN_TYPES)}")
        return value

    def select(self, value: Any) -> tuple[str, ...] | None:
        """The projection: ``RunSelect`` names (an unknown one is an error against a server).

        Returns the names even when some are wrong (the rate-limit tier still reads them).
        """
        names = self.names("select", value, "a list of field names")
        if names is None:
            return None
        severity = "warning" if self.profile == "offline" else "error"
        for name in names:
            if not isinstance(name, str):
                self.wrong_type("select", name, "field names (strings)")
            elif name not in SELECT_NAMES:
                hint = suggest(name, sorted(SELECT_NAMES))
                self.report("select", severity, "unknown-select", f"`select` has an unknown name {name!r}",
                            hint or "see the RunSelect enum of the /runs/query API")
        if "child_run_ids" in names:
            self.report("select", "warning", "deprecated-select",
                        "`child_run_ids` is deprecated and slows the query",
                        "select parent_run_ids on the children, or query with trace_id, instead")
        return tuple(names)

    def limit(self, value: Any, *, least: int, most: int) -> int | None:
        """A page size or limit in ``least..``; above ``most`` is what the server refuses."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type("limit", value, "an integer")
            return None
        if value < least:
            self.report("limit", "error", "bad-value", f"`limit` must be at least {least}, not {value}",
                        "omit limit to get every run")
            return None
        if value > most:
            rule = catalog.SERVER_RULES["server-limit"]
            severity = "error" if self.profile in rule.profiles else "warning"
            says = rule.server_says.get(self.profile, "").format(max=most)
            self.report("limit", severity, rule.code, rule.message.format(max=most) + f", not {value}"
                        + (f'; the server says: "{says}"' if says else ""), rule.alternative.format(max=most))
        return value

    def ids(self, argument: str, value: Any) -> tuple[str, ...] | None:
        items = self.names(argument, value, "a list of run ids")
        if items is None:
            return None
        ids = [self.uuid(argument, i) for i in items]
        return None if any(i is None for i in ids) else tuple(ids)  # type: ignore[arg-type]


def _iterable(value: Any) -> bool:
    """A one-shot iterable of ids (a generator, a set) counts as a list."""
    return isinstance(value, (set, frozenset)) or hasattr(value, "__next__")


# ------------------------------------------------------------ list_runs


@attrs.frozen
class Reading:
    """What :func:`read_list_runs` made of a call: the query (None if any error) and every finding.

    ``filters`` holds each valid filter's checked tree, ``trees`` every filter
    that type-checked (for the rate-limit tier even when the call is invalid),
    ``texts`` the text of each filter given as a string, ``select`` the
    names given (even when some are invalid), ``failed`` the name and value
    of the first filter with an error.
    """

    query: RunQuery | None
    diagnostics: tuple[Diagnostic, ...]
    filters: Mapping[str, ast.Expr]
    texts: Mapping[str, str]
    trees: tuple[ast.Expr, ...]
    start_time: datetime | None
    end_time: datetime | None
    select: tuple[Any, ...]
    failed: tuple[str, Any] | None

    @property
    def valid(self) -> bool:
        return self.query is not None


def read_list_runs(arguments: Mapping[str, Any], *, profile: str = "offline",
                   least_limit: int = 1) -> Reading:
    """Read the keyword arguments of ``Client.list_runs`` into a :class:`RunQuery`; never raises on bad values.

    ``least_limit`` is the smallest ``limit`` allowed: 1 on the API, 0 offline
    (``select(limit=0)`` returns nothing). With ``run_ids`` (or ``id``) every
    other filtering argument is ignored (SPEC §1), with a warning.
    """
    a = ArgumentReader(profile)
    diagnostics: list[Diagnostic] = []
    filters: dict[str, ast.Expr] = {}
    texts: dict[str, str] = {}
    trees: list[ast.Expr] = []
    failed: tuple[str, Any] | None = None
    for name in FILTER_ARGUMENTS:
        value = arguments.get(name)
        if value is None:
            continue
        if not isinstance(value, (str, ast.Expr)):
            a.wrong_type(name, value, "a filter string")
            continue
        if isinstance(value, Checked) and value.context == name and profile in ("offline", value.profile):
            filters[name] = value  # checked already, for this context: taken as is
            trees.append(value)
            continue
        typed, found, text = analyze(value, name, profile)
        if isinstance(value, str):
            texts[name] = text
        diagnostics.extend(attrs.evolve(d, argument=name) for d in found)
        if typed is not None:
            trees.append(typed)
        if typed is not None and not any(d.is_error for d in found):
            filters[name] = mark(typed, name, profile)
        elif failed is None:
            failed = (name, value)

    typed_values: dict[str, Any] = {}

    def read(name: str, reader: Callable[[Any], Any]) -> None:
        if arguments.get(name) is not None:
            typed_values[name] = reader(arguments[name])

    read("run_type", a.run_type)
    read("is_root", lambda v: a.boolean("is_root", v))
    read("error", lambda v: a.boolean("error", v))
    read("start_time", lambda v: a.timestamp("start_time", v))
    read("end_time", lambda v: a.timestamp("end_time", v))
    start, end = typed_values.get("start_time"), typed_values.get("end_time")
    if start is not None and end is not None and end < start:
        a.report("end_time", "warning", "empty-window", "`end_time` is before `start_time`, so no run matches",
                 "swap them")
    if arguments.get("start_time") is None and profile in catalog.SERVER_RULES["server-default-window"].profiles:
        rule = catalog.SERVER_RULES["server-default-window"]
        a.report("start_time", rule.severity, rule.code, rule.message, rule.alternative)
    for name in _ID_ARGUMENTS:
        read(name, lambda v, name=name: a.uuid(name, v))
    if arguments.get("project_id") is not None:
        value = arguments["project_id"]
        for pid in (value if isinstance(value, (list, tuple)) else [value]):
            a.uuid("project_id", pid)
    if arguments.get("project_name") is not None:
        value = arguments["project_name"]
        if not (isinstance(value, str) or isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            a.wrong_type("project_name", value, "a project name or a list of them")
    for name in ("run_ids", "id"):
        if arguments.get(name) is not None:
            typed_values[name] = a.ids(name, arguments[name])
            ignored = sorted(k for k, v in arguments.items()
                             if v is not None and k in LIST_RUNS_ARGUMENTS and k not in _NOT_FILTERING)
            if ignored:
                a.report(name, "warning", "run-ids-override",
                         f"with `{name}` the server ignores every other filtering argument: {', '.join(ignored)}",
                         f"drop {', '.join(ignored)}, or drop {name} and filter with in(id, [...])")
    read("select", a.select)
    read("limit", lambda v: a.limit(v, least=least_limit, most=catalog.MAX_LIST_RUNS_LIMIT))
    search_limit = arguments.get("search_limit")
    if search_limit is not None and (isinstance(search_limit, bool) or not isinstance(search_limit, int)
                                     or search_limit < 1):
        a.report("search_limit", "error", "bad-value", f"`search_limit` must be a positive integer, not {search_limit!r}")
    for name in sorted(set(arguments) - LIST_RUNS_ARGUMENTS - {"search_limit"}):
        hint = suggest(name, sorted(LIST_RUNS_ARGUMENTS))
        a.report(name, "warning", "unknown-argument", f"list_runs passes `{name}` to the API unchecked",
                 hint or "check the spelling against Client.list_runs")

    found = tuple(diagnostics + a.out)
    query = None
    if not any(d.is_error for d in found):
        run_ids = typed_values.get("run_ids", typed_values.get("id"))
        narrowing: dict[str, Any] = {}
        if run_ids is None:
            narrowing = dict(filters, is_root=typed_values.get("is_root"), run_type=typed_values.get("run_type"),
                             error=typed_values.get("error"), min_start_time=start,
                             trace_id=typed_values.get("trace_id"), parent_run_id=typed_values.get("parent_run_id"))
        query = RunQuery(**narrowing, run_ids=run_ids, select=typed_values.get("select"),
                         limit=typed_values.get("limit"), search_limit=search_limit)
    return Reading(query, found, filters, texts, tuple(trees), start, end, typed_values.get("select") or (), failed)


def list_runs_query(*, profile: str = "offline", least_limit: int = 0, **arguments: Any) -> RunQuery:
    """The :class:`RunQuery` of ``list_runs`` keyword arguments; raises on the first invalid one.

    An invalid filter raises what :func:`filterql.check` raises for it
    (:class:`FilterSyntaxError`, :class:`FilterValidationError`; positions in
    that filter's text); any other invalid argument :class:`QueryArgumentError`.
    Offline, ``limit=0`` is allowed (no runs).
    """
    reading = read_list_runs(arguments, profile=profile, least_limit=least_limit)
    if reading.query is not None:
        return reading.query
    if reading.failed is not None:
        name, value = reading.failed
        check(value, name, profile)  # raises the filter's own error
    raise QueryArgumentError([d for d in reading.diagnostics if d.is_error])
