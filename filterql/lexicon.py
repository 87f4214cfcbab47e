"""The language's tokens without a parser: the grammar file, name and number shapes, string quoting.

The grammar (``grammar/filterql.lark``, packaged as ``filterql/filterql.lark``)
is the only description of the syntax; :func:`terminal_pattern` reads a token's
regular expression from it, so the builder and the JSON form accept exactly the
names and numbers the parser does without importing Lark.
"""

from __future__ import annotations

import functools
import os
import re

__all__ = ["grammar_text", "terminal_pattern", "is_name", "is_number", "quote"]


@functools.lru_cache(maxsize=None)
def grammar_text(name: str = "filterql.lark") -> str:
    """A grammar's source (``filterql.lark``, or the UI search bar's ``ui_search.lark``): packaged in
    the wheel, or ``grammar/`` in a source checkout."""
    # Plain paths: importlib.resources and pathlib would cost 25 ms at every start.
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, name)
    path = packaged if os.path.isfile(packaged) else os.path.join(os.path.dirname(here), "grammar", name)
    with open(path, encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def terminal_pattern(name: str) -> re.Pattern[str]:
    """The regular expression of terminal ``name``, defined in the grammar as ``NAME: /regex/``."""
    m = re.search(rf"^{re.escape(name)}:\s*/(.*)/\s*$", grammar_text(), re.MULTILINE)
    if m is None:
        raise LookupError(f"the grammar defines no single-regex terminal {name!r}")
    return re.compile(m.group(1))


def is_name(text: str) -> bool:
    """Whether ``text`` is a NAME token of the grammar (a field or function name, or true/false/null)."""
    return terminal_pattern("NAME").fullmatch(text) is not None


def is_number(text: str) -> bool:
    """Whether ``text`` is a NUMBER token of the grammar, e.g. ``-1.5e3``."""
    return terminal_pattern("NUMBER").fullmatch(text) is not None


# Backslash, double quote and every control character (C0, DEL, C1), plus
# lone surrogates, which have no UTF-8 form. Everything else is written as is.
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\ud800-\udfff]')
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return _SHORT_ESCAPES.get(c) or f"\\u{ord(c):04x}"


def quote(value: str) -> str:
    """``value`` as a double-quoted string literal of the language (SPEC §2)."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'
