"""Pre-send check of a whole ``Client.list_runs`` call: :func:`check_query`.

Validates ``filter``, ``trace_filter`` and ``tree_filter`` in their contexts,
the keyword arguments of ``list_runs`` (seeds/002) and places the call in its
rate-limit tier (SPEC §7).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Mapping

import attrs

from . import ast, ratelimit
from .diagnostics import Diagnostic, format_diagnostics
from .projection import SELECT_NAMES
from .query import FILTER_ARGUMENTS, read_list_runs

__all__ = ["check_query", "QueryCheck", "SELECT_NAMES", "FILTER_ARGUMENTS"]


@attrs.frozen
class QueryCheck:
    """The result of :func:`check_query`.

    ``filters`` holds the typed AST of each filter argument that is valid;
    ``texts`` the text of each filter argument given as a string.
    ``rate_limit`` is the ``list_runs`` tier (None for a v2 endpoint);
    ``endpoint`` the endpoint checked; ``params`` the valid non-filter
    parameters of a v2 call, coerced (UTC datetimes, canonical UUID text).
    """

    diagnostics: tuple[Diagnostic, ...]
    rate_limit: ratelimit.RateLimit | None
    filters: Mapping[str, ast.Expr]
    texts: Mapping[str, str]
    endpoint: str = "list_runs"
    params: Mapping[str, Any] = attrs.field(factory=dict)

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
        out: dict[str, Any] = {"valid": self.valid, "diagnostics": items}
        if self.rate_limit is not None:
            out["rate_limit"] = self.rate_limit.to_json()
        return out

    def format(self) -> str:
        """The diagnostics rendered like a compiler, each under the filter it points into."""
        return format_diagnostics(self.diagnostics, dict(self.texts))


def _search_anywhere(trees: Sequence[ast.Expr]) -> bool:
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
    reading = read_list_runs(kwargs, profile=profile)
    limit = ratelimit.tier(start_time=reading.start_time, end_time=reading.end_time,
                           search=_search_anywhere(reading.trees), child_run_ids="child_run_ids" in reading.select,
                           now=now)
    return QueryCheck(reading.diagnostics, limit, reading.filters, reading.texts)
