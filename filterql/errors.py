"""The exceptions filterql raises, and the caret excerpt they show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .diagnostics import Diagnostic

__all__ = ["FilterError", "FilterSyntaxError", "FilterValidationError", "FilterJSONError", "excerpt"]


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


class FilterError(Exception):
    """Base class of every error filterql raises on purpose."""


class FilterSyntaxError(FilterError):
    """The filter text is not in the language (SPEC §2).

    ``line`` and ``column`` are 1-based, ``offset`` 0-based; ``found`` is the
    offending text (or ``"end of input"``), ``expected`` readable labels.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str,
        offset: int,
        line: int,
        column: int,
        found: str = "",
        expected: Sequence[str] = (),
        hint: str = "",
        code: str = "syntax",
        width: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.offset = offset
        self.line = line
        self.column = column
        self.found = found
        self.expected = tuple(expected)
        self.hint = hint
        self.code = code
        self.width = width

    def __str__(self) -> str:
        out = f"line {self.line}, column {self.column}: {self.message}"
        snippet = excerpt(self.text, self.line, self.column, self.width)
        if snippet:
            out += "\n" + snippet
        if self.hint:
            out += f"\nhint: {self.hint}"
        return out


class FilterValidationError(FilterError):
    """The filter parses but is not valid; ``diagnostics`` holds every finding."""

    def __init__(self, diagnostics: Sequence[Diagnostic], text: str = "") -> None:
        self.diagnostics = list(diagnostics)
        self.text = text
        errors = [d for d in self.diagnostics if d.is_error]
        super().__init__(errors[0].message if errors else "invalid filter")

    def __str__(self) -> str:
        from .diagnostics import format_diagnostics

        return format_diagnostics(self.diagnostics, self.text)


class FilterJSONError(FilterError):
    """A JSON form (see :func:`filterql.from_json`) that does not describe a filter.

    ``path`` is a JSON pointer to the offending value (``""`` for the root).
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"at {self.path or '/'}: {self.message}"
