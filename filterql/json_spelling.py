"""How JSON text spells a string: which characters appear as themselves, and which lowercase into ASCII.

A JSON string may write any character as a ``\\uXXXX`` escape. Besides that,
``"``, ``\\`` and the control characters must be escaped, and ``/`` may be
(``\\/``). Every other character (:func:`verbatim`) therefore appears in the
text as itself (UTF-8) unless the text holds ``\\u``. Both byte-level
prefilters rely on this: the SQL backend's ``search`` on a document's text
(:mod:`filterql.sql.prefilter`) and the JSONL line prefilter
(:mod:`filterql.line_prefilter`).

Lowercasing (``search`` is case-insensitive; a v2 run's ``run_type`` and
``status`` are lowered) maps ASCII letters to ASCII letters, and two other
characters into ASCII: :data:`LOWERS_INTO_ASCII` (a test checks the table
against every code point).
"""

from __future__ import annotations

__all__ = ["verbatim", "verbatim_runs", "LOWERS_INTO_ASCII", "OUTSIDE_STRINGS"]

#: Characters JSON text may hold outside strings (lowercased), including DuckDB's NaN and Infinity.
OUTSIDE_STRINGS = frozenset(" \t\n\r{}[]:,+-.0123456789truefalsniy")

#: The characters outside ASCII whose lowercase (``str.lower``, and DuckDB's ``lower``) holds an
#: ASCII character: the Kelvin sign (to ``k``) and the capital I with a dot above (to ``i`` plus a
#: combining dot in Python, to ``i`` in DuckDB).
LOWERS_INTO_ASCII = {"\u212a": "k", "\u0130": "i"}


def verbatim(c: str) -> bool:
    """Whether character ``c`` appears in JSON string text as itself unless written as ``\\uXXXX``."""
    o = ord(c)
    return o >= 0x20 and c not in '"\\/' and not 0xD800 <= o <= 0xDFFF


def verbatim_runs(text: str, ascii_only: bool = False) -> list[tuple[int, int]]:
    """The maximal runs ``(start, end)`` of :func:`verbatim` characters of ``text`` (of ASCII ones
    with ``ascii_only``), in order."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, c in enumerate(text):
        ok = verbatim(c) and (not ascii_only or c < "\x80")
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(text)))
    return runs
