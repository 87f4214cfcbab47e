"""The exceptions filterql raises (docs/errors.md).

``FilterError`` is the base of every error raised on purpose. A filter that is
not valid raises ``FilterValidationError`` with every diagnostic; one that does
not even parse raises its subclass ``FilterSyntaxError``, the same exception
with the same ``code`` whether it came from ``parse``, ``check``, ``compile``,
``optimize``, ``to_sql`` or ``select``.
"""

from __future__ import annotations

from typing import Sequence

from .ast import Span
from .diagnostics import Diagnostic, excerpt, format_diagnostics

__all__ = ["FilterError", "FilterSyntaxError", "FilterValidationError", "FilterJSONError", "FilterTranslationError"]


class FilterError(Exception):
    """Base class of every error filterql raises on purpose."""


class FilterValidationError(FilterError):
    """The filter is not valid; ``diagnostics`` holds every finding, ``code`` the first error's."""

    def __init__(self, diagnostics: Sequence[Diagnostic], text: str = "") -> None:
        self.diagnostics = list(diagnostics)
        self.text = text
        errors = [d for d in self.diagnostics if d.is_error]
        #: The code of the first error (``"unknown-field"``, ``"unexpected-token"``, ...).
        self.code = errors[0].code if errors else "invalid"
        super().__init__(errors[0].message if errors else "invalid filter")

    def __str__(self) -> str:
        return format_diagnostics(self.diagnostics, self.text)


class FilterSyntaxError(FilterValidationError):
    """The filter text is not in the language (SPEC §2).

    ``line`` and ``column`` are 1-based, ``offset`` 0-based; ``found`` is the
    offending text (or ``"end of input"``), ``expected`` readable labels.
    It is a :class:`FilterValidationError` whose one diagnostic is :attr:`diagnostic`.
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
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
        self.found = found
        self.expected = tuple(expected)
        self.hint = hint
        self.width = width
        span = Span(offset, offset + width, line, column, line, column + width)
        super().__init__([Diagnostic("error", "syntax", code, message, line, column, span, hint)], text)

    @property
    def diagnostic(self) -> Diagnostic:
        """This error as a diagnostic of kind ``syntax``."""
        return self.diagnostics[0]

    def __str__(self) -> str:
        out = f"line {self.line}, column {self.column}: {self.message}"
        snippet = excerpt(self.text, self.line, self.column, self.width)
        if snippet:
            out += "\n" + snippet
        if self.hint:
            out += f"\nhint: {self.hint}"
        return out


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


class FilterTranslationError(FilterError):
    """A filter that has no form in the target syntax (see :func:`filterql.to_ui`).

    ``construct`` is the part of the filter, as text, that cannot be written there.
    """

    def __init__(self, message: str, construct: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.construct = construct
