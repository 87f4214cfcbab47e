"""Diagnostics: what the validator finds, as data, and their compiler-style rendering."""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from .ast import Span
from .errors import FilterSyntaxError, excerpt

__all__ = ["Diagnostic", "format_diagnostic", "format_diagnostics", "from_syntax_error"]


@attrs.frozen
class Diagnostic:
    """One finding. ``code`` is stable (tests and tools key on it); ``line``/``column`` are 1-based."""

    severity: str  # "error" | "warning"
    kind: str  # "syntax" | "validation"
    code: str
    message: str
    line: int
    column: int
    span: Span | None = None
    hint: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "kind": self.kind,
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }


def at(span: Span | None, severity: str, code: str, message: str, hint: str = "") -> Diagnostic:
    """A validation diagnostic located at ``span`` (line 1, column 1 when unknown)."""
    line, column = (span.line, span.column) if span else (1, 1)
    return Diagnostic(severity, "validation", code, message, line, column, span, hint)


def from_syntax_error(e: FilterSyntaxError) -> Diagnostic:
    span = Span(e.offset, e.offset + e.width, e.line, e.column, e.line, e.column + e.width)
    return Diagnostic("error", "syntax", e.code, e.message, e.line, e.column, span, e.hint)


def format_diagnostic(d: Diagnostic, text: str = "") -> str:
    """``line L, column C: error[code]: message``, then the source line, a caret, the hint."""
    out = f"line {d.line}, column {d.column}: {d.severity}[{d.code}]: {d.message}"
    if text:
        width = 1
        if d.span is not None and d.span.end_line == d.span.line:
            width = max(1, d.span.end - d.span.start)
        snippet = excerpt(text, d.line, d.column, width)
        if snippet:
            out += "\n  " + snippet.replace("\n", "\n  ")
    if d.hint:
        out += f"\n  hint: {d.hint}"
    return out


def format_diagnostics(diagnostics: Iterable[Diagnostic], text: str = "") -> str:
    return "\n".join(format_diagnostic(d, text) for d in diagnostics)
