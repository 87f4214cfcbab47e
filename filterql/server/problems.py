"""Answers other than 200: a :class:`Problem` raised anywhere in a request becomes JSON.

LangSmith answers errors as ``{"detail": ...}``; so does this server, with a
``detail`` object the SDK's raised error shows whole: ``error`` (a stable
code), ``message``, and, for an invalid filter or call, ``diagnostics`` —
filterql's findings with ``parameter``, ``code``, ``message``, ``line``,
``column`` and ``hint``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..diagnostics import Diagnostic, format_diagnostics

__all__ = ["Problem", "invalid_call"]


class Problem(Exception):
    """An HTTP error answer: ``status``, a stable ``code``, a ``message`` and extra ``detail`` fields."""

    def __init__(self, status: int, code: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def detail(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.fields}


def _diagnostic_json(d: Diagnostic, parameter: str) -> dict[str, Any]:
    return {"parameter": parameter, **d.to_json()}


def invalid_call(diagnostics: Iterable[Diagnostic], texts: Mapping[str, str],
                 names: Mapping[str, str]) -> Problem:
    """The 400 (a filter is invalid) or 422 (another parameter is) for a call's error diagnostics.

    ``texts`` maps argument names to filter texts (for the caret excerpts);
    ``names`` maps argument names to the parameter names of the request.
    """
    errors = [d for d in diagnostics if d.is_error]
    filter_error = any(d.line for d in errors)
    items = [_diagnostic_json(d, names.get(d.argument or "filter", d.argument or "filter")) for d in errors]
    what = "invalid filter" if filter_error else "invalid parameter"
    first = items[0]
    where = f"line {first['line']}, column {first['column']}: " if first["line"] else ""
    hint = f" (hint: {first['hint']})" if first["hint"] else ""
    head = f"{what}: {first['parameter']}: {where}{first['message']}{hint}"
    return Problem(400 if filter_error else 422, "invalid-filter" if filter_error else "invalid-parameter",
                   head, parameters=sorted({i["parameter"] for i in items}), diagnostics=items,
                   text=format_diagnostics(errors, dict(texts)))
