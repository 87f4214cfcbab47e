"""Server profiles (SPEC §9): what a LangSmith endpoint rejects in a valid filter.

The facts (message, alternative, source, severity) are the ``SERVER_RULES``
table of :mod:`filterql.catalog`; this module holds one matcher per rule code,
which finds the nodes the rule is about. The ``offline`` profile reports nothing.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from . import ast, catalog
from .diagnostics import Diagnostic, at
from .lexicon import quote

__all__ = ["server_diagnostics", "MATCHERS", "like_for_search"]

#: A matcher yields (node to point at, format arguments of the rule's texts).
Matcher = Callable[[ast.Expr, catalog.ServerRule], Iterator[tuple[ast.Node, dict[str, Any]]]]


def _neq_error_null(root: ast.Expr, rule: catalog.ServerRule) -> Iterator[tuple[ast.Node, dict[str, Any]]]:
    for node in ast.walk(root):
        if isinstance(node, ast.Compare) and node.op == "neq" and node.field.name in rule.fields:
            value = node.value.literal if isinstance(node.value, ast.Const) else node.value
            if isinstance(value, ast.Null):
                yield node, {}


def _fields(root: ast.Expr, rule: catalog.ServerRule) -> Iterator[tuple[ast.Node, dict[str, Any]]]:
    for node in ast.walk(root):
        if isinstance(node, ast.Field) and node.name in rule.fields:
            yield node, {"field": node.name}


def like_for_search(field: str, text: str) -> str | None:
    """``like(field, "%text%")``, the condition closest to ``search(field, text)``, or None when
    ``field`` takes no ``like`` (case-sensitive and one phrase, where search is neither)."""
    if "like" not in catalog.FIELDS[field].operators:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"like({field}, {quote('%' + escaped + '%')})"


def _like_for_search(field: str, text: str) -> str:
    written = like_for_search(field, text)
    if written is not None:
        return f"{written} (case-sensitive, one phrase)"
    return f"search({quote(text)}), which also looks outside `{field}`"


def _search_field(root: ast.Expr, rule: catalog.ServerRule) -> Iterator[tuple[ast.Node, dict[str, Any]]]:
    for node in ast.walk(root):
        if isinstance(node, ast.Search) and node.field is not None and isinstance(node.text, ast.Const):
            yield node, {"field": node.field.name, "written": _like_for_search(node.field.name, node.text.value)}


def _or_feedback(root: ast.Expr, rule: catalog.ServerRule) -> Iterator[tuple[ast.Node, dict[str, Any]]]:
    """Each innermost or() that mixes feedback fields with run fields (one bottom-up pass)."""
    feedback = set(rule.fields)
    # id of a node -> (uses feedback fields, uses run fields, an or() below it mixes them)
    seen: dict[int, tuple[bool, bool, bool]] = {}
    for node in reversed(list(ast.walk(root))):  # children before their parents
        kids = [seen[id(c)] for c in ast.children(node) if id(c) in seen]
        fb = any(k[0] for k in kids) or isinstance(node, ast.Field) and node.name in feedback
        run = (any(k[1] for k in kids) or isinstance(node, ast.Field) and node.name not in feedback
               or isinstance(node, ast.Search) and node.field is None)  # full-text search reads run fields
        inner = any(k[2] for k in kids)
        if isinstance(node, ast.Or) and fb and run and not inner:
            yield node, {}
            inner = True
        seen[id(node)] = (fb, run, inner)


_NUMBER_TERM_RE = re.compile(r"[+-]?[\d.,:/-]+")
_URL_TERM_RE = re.compile(r"(?i)[a-z][a-z0-9+.-]*://|www\.")


def _why_unindexed(term: str) -> str:
    low, high = catalog.V2_TOKEN_LENGTHS
    if not term.isascii():
        return "it has non-ASCII characters"
    if len(term) < low:
        return f"it is shorter than {low} characters"
    if len(term) > high:
        return f"it is longer than {high} characters"
    if _URL_TERM_RE.match(term):
        return "it is a URL"
    if _NUMBER_TERM_RE.fullmatch(term):
        return "it is a number"
    if term.lower() in catalog.V2_STOP_WORDS:
        return "it is a stop word"
    return ""


def _search_terms(root: ast.Expr) -> Iterator[tuple[ast.Search, str]]:
    for node in ast.walk(root):
        if isinstance(node, ast.Search) and isinstance(node.text, ast.Const) and isinstance(node.text.value, str):
            for term in node.text.value.split():
                yield node, term


def _unindexed_term(root: ast.Expr, rule: catalog.ServerRule) -> Iterator[tuple[ast.Node, dict[str, Any]]]:
    for node, term in _search_terms(root):
        why = _why_unindexed(term)
        if why:
            yield node.text, {"term": term, "why": why}


def _long_term(root: ast.Expr, rule: catalog.ServerRule) -> Iterator[tuple[ast.Node, dict[str, Any]]]:
    for node, term in _search_terms(root):
        if len(term) > catalog.V1_INDEXED_CHARS:
            yield node.text, {"length": len(term)}


#: The matcher of each filter-level rule; rules about call arguments are checked by :mod:`filterql.calls`.
MATCHERS: dict[str, Matcher] = {
    "server-neq-error-null": _neq_error_null,
    "server-unknown-field": _fields,
    "server-unfilterable-field": _fields,
    "server-search-field": _search_field,
    "server-or-feedback": _or_feedback,
    "server-unindexed-term": _unindexed_term,
    "server-long-term": _long_term,
}


def rule_diagnostic(rule: catalog.ServerRule, node: ast.Node | None, profile: str | None = None,
                    **args: Any) -> Diagnostic:
    """The diagnostic of ``rule`` at ``node``, naming the profiles and the alternative,
    and quoting the server's own error text for ``profile`` where it is known."""
    message = rule.message.format(**args) + f" ({', '.join(rule.profiles)})"
    if profile in rule.server_says:
        message += f'; the server says: "{rule.server_says[profile].format(**args)}"'
    return at(getattr(node, "span", None), rule.severity, rule.code, message, rule.alternative.format(**args))


def server_diagnostics(typed: ast.Expr, profile: str) -> list[Diagnostic]:
    """What the server of ``profile`` rejects (errors) or quietly mishandles (warnings) in ``typed``."""
    out = []
    for code, matcher in MATCHERS.items():
        rule = catalog.SERVER_RULES[code]
        if profile in rule.profiles:
            out.extend(rule_diagnostic(rule, node, profile, **args) for node, args in matcher(typed, rule))
    return out
