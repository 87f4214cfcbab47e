"""Rate-limit tiers of ``POST /runs/query`` (``Client.list_runs``), SPEC §7.

:data:`TABLE` is the documented table (seeds/000, "Rate limits"); :func:`tier`
places a query in it and lists the documented advice that would move the query
to a faster tier.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

__all__ = ["Tier", "RateLimit", "TABLE", "WINDOW_SECONDS", "SHORT_WINDOW", "tier", "as_utc"]

#: Every limit counts requests per this many seconds, per tenant.
WINDOW_SECONDS = 10

#: A time window up to this long is "short" (the table's "≤ 7 days").
SHORT_WINDOW = timedelta(days=7)


@attrs.frozen
class Tier:
    """One row of the documented table."""

    name: str
    kind: str  # "structured" | "search" | "child_run_ids"
    large_window: bool
    requests: int


# Source: seeds/000 "Query traces using the SDK", section "Rate limits" (SPEC §7).
TABLE: tuple[Tier, ...] = (
    Tier("short-window", "structured", False, 10),
    Tier("large-window", "structured", True, 3),
    Tier("search-short-window", "search", False, 3),
    Tier("search-large-window", "search", True, 1),
    Tier("child-run-ids-short-window", "child_run_ids", False, 3),
    Tier("child-run-ids-large-window", "child_run_ids", True, 1),
)

# The documented best practices (seeds/000, "Best practices"), by what they change.
_ADVICE = {
    "start_time": "Set start_time: omitting it triggers the large time window tier; use a window of 7 days or less",
    "window": "Use a time window (end_time - start_time) of 7 days or less",
    "search": 'Avoid full-text search: use structured filters (e.g. eq(), has()) instead of search("...")',
    "child_run_ids": "Avoid selecting child_run_ids: it triggers a stricter rate limit tier",
}


@attrs.frozen
class RateLimit:
    """The tier a query falls in, and what would move it to a faster one."""

    tier: str
    requests: int
    window_seconds: int
    advice: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "window_seconds": self.window_seconds, "tier": self.tier,
                "advice": list(self.advice)}


def _row(kind: str, large: bool) -> Tier:
    return next(t for t in TABLE if t.kind == kind and t.large_window == large)


def _lookup(search: bool, child_run_ids: bool, large: bool) -> Tier:
    # A query that is both is held to the stricter row; the table gives them equal limits.
    rows = [_row(k, large) for k, on in (("search", search), ("child_run_ids", child_run_ids)) if on]
    return min(rows or [_row("structured", large)], key=lambda t: t.requests)


def as_utc(value: datetime) -> datetime:
    """``value`` with UTC as its zone when it has none."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def tier(*, start_time: datetime | None = None, end_time: datetime | None = None, search: bool = False,
         child_run_ids: bool = False, now: datetime | None = None) -> RateLimit:
    """The rate-limit tier of a ``list_runs`` call.

    The window is ``end_time - start_time``, ``end_time`` defaulting to ``now``
    (the current time); no ``start_time`` is a large window. ``search``: the
    filters use full-text ``search``; ``child_run_ids``: ``select`` names it.
    Naive datetimes are read as UTC. Each advice line names the limit it would give.
    """
    if start_time is None:
        large = True
    else:
        end = as_utc(end_time) if end_time is not None else (now or datetime.now(timezone.utc))
        large = as_utc(end) - as_utc(start_time) > SHORT_WINDOW
    row = _lookup(search, child_run_ids, large)
    changes = []  # (advice key, the row the query would move to)
    if large:
        changes.append(("start_time" if start_time is None else "window", _lookup(search, child_run_ids, False)))
    # search and child_run_ids give the same limits, so with both only dropping both helps.
    both = search and child_run_ids
    if search:
        changes.append(("search", _lookup(False, False, large)))
    if child_run_ids:
        changes.append(("child_run_ids", _lookup(False, False, large)))
    advice = tuple(f"{_ADVICE[key]} ({to.requests} requests per {WINDOW_SECONDS} s instead of {row.requests}"
                   + (", together with the other advice" if both and key in ("search", "child_run_ids") else "")
                   + ")" for key, to in changes if to.requests > row.requests)
    return RateLimit(row.name, row.requests, WINDOW_SECONDS, advice)
