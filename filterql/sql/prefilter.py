"""Which ``search`` terms DuckDB may check on a document's JSON text instead of walking its leaves.

In the text of a JSON object with no escape at all (no ``\\``), every string
appears verbatim between two quotes (:mod:`filterql.json_spelling`). A term
made of printable ASCII without ``"``, ``\\`` or ``/`` that holds at least one
character JSON cannot have outside a string (not whitespace, punctuation, a digit, or a letter of
``true``, ``false``, ``null``, ``nan``, ``infinity``) therefore occurs in the
lowercased text only inside one string; the string is a value (a leaf the
search must see) exactly when its closing quote is followed by ``,``, ``}``
or ``]`` rather than ``:``. :func:`value_pattern` is that test as an RE2
pattern; the macro ``filterql_doc_contains_ascii`` applies it (after the
cheaper necessary test :func:`text_pattern`) and falls back to the exact walk
for every other document. Only without ``search_limit``
(the pattern cannot see where a string starts).
"""

from __future__ import annotations

from ..json_spelling import OUTSIDE_STRINGS, verbatim

__all__ = ["text_exact", "value_pattern", "text_pattern"]


def text_exact(term: str) -> bool:
    """Whether an occurrence of ``term`` in an escape-free JSON text must lie inside one string."""
    return all(c < "\x7f" and verbatim(c) for c in term) and any(c not in OUTSIDE_STRINGS for c in term)


def _literal(term: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "\\" + c for c in term)  # RE2 escapes punctuation only


def value_pattern(term: str) -> str:
    """RE2: ``term``, the rest of its string, the closing quote, then what follows a value (not a key)."""
    return _literal(term) + r'[^"]*"\s*[,}\]]'


def text_pattern(term: str) -> str:
    """RE2 matching wherever ``lower(text)`` holds ``term`` (a :func:`text_exact` term), and possibly more.

    A necessary condition, cheaper than lowering the text: ``(?i)`` matches each
    ASCII letter in either case and the Kelvin sign for ``k``. The one other
    character DuckDB lowers into ASCII (:data:`~filterql.json_spelling.LOWERS_INTO_ASCII`), ``İ``
    (to ``i``), is not matched: the macro also lets through every text that holds it.
    """
    return "(?i)" + _literal(term)
