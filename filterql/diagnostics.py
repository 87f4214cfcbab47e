"""Diagnostics: what the validator finds, as data, and their compiler-style rendering.

Rendering never adds colour; the CLI colours only when writing to a terminal.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import attrs

from .ast import Span

__all__ = ["Diagnostic", "format_diagnostic", "format_diagnostics", "at", "call_level", "excerpt"]

#: Longest source line shown whole in an excerpt.
EXCERPT_WIDTH = 100


def excerpt(text: str, line: int, column: int, width: int = 1) -> str:
    """The source line ``line`` with a caret (or underline of ``width``) under ``column``.

    Tabs before the column are kept so the caret lines up in a terminal.
    A line longer than :data:`EXCERPT_WIDTH` is cut to a window around the
    column, marked with ``…`` (a 1 MB one-line filter gives a short excerpt).
    """
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    src = lines[line - 1].rstrip("\r")
    width = max(1, min(width, len(src) - column + 1)) if column <= len(src) else 1
    if len(src) > EXCERPT_WIDTH:
        start = max(0, min(column - 1 - EXCERPT_WIDTH // 2, len(src) - EXCERPT_WIDTH))
        end = start + EXCERPT_WIDTH
        width = max(1, min(width, end - column + 1))
        head = "…" if start > 0 else ""
        src, column = head + src[start:end] + ("…" if end < len(src) else ""), column - start + len(head)
    pad = "".join(c if c == "\t" else " " for c in src[: column - 1])
    return f"{src}\n{pad}{'^' * width}"



@attrs.frozen
class Diagnostic:
    """One finding. ``code`` is stable (tests and tools key on it).

    ``line``/``column`` are 1-based positions in the filter text; both are 0
    for a finding about a keyword argument of a call rather than a place in a
    filter. ``argument`` names the ``list_runs`` argument the finding is about
    (``"filter"``, ``"trace_filter"``, ``"limit"``, ...) when a whole call was
    checked, else None.
    """

    severity: str  # "error" | "warning"
    kind: str  # "syntax" | "validation"
    code: str
    message: str
    line: int
    column: int
    span: Span | None = None
    hint: str = ""
    argument: str | None = None
    #: What could replace the name or string at ``span`` (the hint's "did you mean"), closest first.
    suggestions: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict[str, Any]:
        """The JSON form printed by ``filterql check --format json``."""
        return {
            "severity": self.severity,
            "kind": self.kind,
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "suggestions": list(self.suggestions),
        }

    def __str__(self) -> str:
        return format_diagnostic(self)


def at(span: Any, severity: str, code: str, message: str, hint: str = "",
       suggestions: tuple[str, ...] = ()) -> Diagnostic:
    """A validation diagnostic located at ``span`` (line 1, column 1 when unknown)."""
    if isinstance(span, Span):
        return Diagnostic(severity, "validation", code, message, span.line, span.column, span, hint,
                          suggestions=suggestions)
    return Diagnostic(severity, "validation", code, message, 1, 1, None, hint, suggestions=suggestions)


def call_level(argument: str, severity: str, code: str, message: str, hint: str = "") -> Diagnostic:
    """A diagnostic about keyword argument ``argument`` of a call (no position)."""
    return Diagnostic(severity, "validation", code, message, 0, 0, None, hint, argument)


def format_diagnostic(d: Diagnostic, text: str = "") -> str:
    """``line L, column C: error[code]: message``, then the source line, a caret, the hint.

    ``text`` is the filter the diagnostic points into; without it no source line is shown.
    """
    where = f"line {d.line}, column {d.column}: " if d.line else ""
    if d.argument:
        where = f"{d.argument}: {where}"
    out = f"{where}{d.severity}[{d.code}]: {d.message}"
    if text and d.line:
        width = 1
        if d.span is not None and d.span.end_line == d.span.line:
            width = max(1, d.span.end - d.span.start)
        snippet = excerpt(text, d.line, d.column, width)
        if snippet:
            out += "\n  " + snippet.replace("\n", "\n  ")
    if d.hint:
        out += f"\n  hint: {d.hint}"
    return out


def format_diagnostics(diagnostics: Iterable[Diagnostic], text: str | Mapping[str, str] = "") -> str:
    """Every diagnostic, one block each. ``text`` is the filter, or a mapping from
    argument name (``"filter"``, ``"trace_filter"``, ...) to filter text for a whole call."""
    def source(d: Diagnostic) -> str:
        if isinstance(text, str):
            return text
        return text.get(d.argument or "filter", "")

    return "\n".join(format_diagnostic(d, source(d)) for d in diagnostics)
