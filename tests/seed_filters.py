"""The filter strings quoted in the seed pages (``../shared/seeds``) and the conformance cases.

The seeds are documentation pages saved as text: filters appear in Python
(``filter='...'``, ``f'...'``), JavaScript (backtick templates), Java
(``.filter("... \\"x\\" ...")``, escaped), and in prose; one page has its curly
quotes mangled (``β€œ`` for “). ``seed_filters()`` finds every call of a
language function, takes the host string it sits in (unescaping a
double-quoted host), and cuts the call at its balancing parenthesis.
"""

from __future__ import annotations

import functools
import re

from conformance import load_cases
from shared_data import shared_dir

from filterql import ast

#: The seed pages: ``../shared/seeds`` next to the repository, or ``$FILTERQL_SEEDS``.
SEEDS = shared_dir("seeds", "FILTERQL_SEEDS")

# UTF-8 curly quotes read as cp1253, then the curly quotes themselves.
_QUOTE_FIXES = {"β€œ": '"', "β€\ufffd": '"', "“": '"', "”": '"', "‘": "'", "’": "'"}
_CALL_START = re.compile(r"(?<![A-Za-z0-9_.])(?:%s)\(" % "|".join(ast.FUNCTION_NAMES))
_HOST_QUOTES = "\"'`"


def _normalize(text: str) -> str:
    for bad, good in _QUOTE_FIXES.items():
        text = text.replace(bad, good)
    return text


def _balanced_call(s: str, i: int) -> str | None:
    """``s[i:j]`` where ``j`` ends the call opening at ``i``, honouring quoted strings; None if unclosed."""
    depth, quote, j = 0, "", i
    while j < len(s):
        c = s[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = ""
            elif c == "\n":
                return None
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return s[i : j + 1]
        j += 1
    return None


def _host_string(text: str, start: int, host: str) -> str:
    """The rest of the host string literal opened by ``host`` just before ``start``."""
    j = start
    while j < len(text) and text[j] != host:
        j += 2 if text[j] == "\\" and host == '"' else 1
    content = text[start:j]
    if host == '"':  # a Java/JavaScript double-quoted string: the filter is escaped inside it
        content = re.sub(r"\\(.)", r"\1", content)
    return content


def filters_in(text: str) -> list[str]:
    """Every filter call quoted in ``text``, outermost calls only, in order."""
    text = _normalize(text)
    found: list[str] = []
    consumed = 0
    for m in _CALL_START.finditer(text):
        p = m.start()
        if p < consumed:
            continue
        host = text[p - 1] if p > 0 and text[p - 1] in _HOST_QUOTES else ""
        if host:
            content = _host_string(text, p, host)
            call = _balanced_call(content, 0)
            consumed = p + len(content)
        else:
            call = _balanced_call(text, p)
            consumed = p + len(call) if call else p + 1
        if call:
            found.append(call)
    return found


def seed_filters() -> list[str]:
    """Distinct filters quoted in the seed pages, in first-seen order."""
    return list(_seed_filters())


@functools.lru_cache(maxsize=None)
def _seed_filters() -> tuple[str, ...]:
    paths = sorted(SEEDS.glob("*.txt"))
    if not paths:
        raise FileNotFoundError(f"no seed pages in {SEEDS} (set FILTERQL_SEEDS to their directory)")
    out: dict[str, None] = {}
    for path in paths:
        for f in filters_in(path.read_text("utf-8")):
            out.setdefault(f, None)
    return tuple(out)


def case_filters() -> list[tuple[str, str, str, str | None]]:
    """``(case id, argument, filter, expect_error)`` for every filter argument of every case."""
    out = []
    for case in load_cases():
        for arg in ("filter", "trace_filter", "tree_filter"):
            if arg in case.get("args", {}):
                out.append((case["id"], arg, case["args"][arg], case.get("expect_error")))
    return out
