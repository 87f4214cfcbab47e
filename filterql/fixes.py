"""Rewrites whose meaning is certain, applied to filter text: what ``--fix`` does.

Each rule finds nodes of the parsed filter and gives the text that replaces each node's span, so the
rest of the filter keeps its layout. Rules that change meaning apply only for a server profile, where
the original is rejected anyway (the issue's list: ``search(field, x)`` -> ``like``, ``neq(error, null)``
-> ``eq(status, "error")``). Text in the UI search bar's syntax becomes its API form. Whatever no rule
can rewrite stays a diagnostic.
"""

from __future__ import annotations

from typing import Callable, Iterator

import attrs

from . import ast, catalog
from .errors import FilterSyntaxError
from .hints import dotted_key
from .lexicon import quote
from .parser import parse
from .profiles import like_for_search
from .renderer import render
from .ui_parser import from_ui

__all__ = ["Fixed", "fix_filter", "RULES"]

#: A rule yields (node to replace, replacement text, what was done).
Rule = Callable[[ast.Expr, str], Iterator[tuple[ast.Node, str, str]]]

#: Dotted fields are rewritten under these comparisons (neq/notlike would change meaning: left alone).
_PAIR_OPS = frozenset({"eq", "gt", "gte", "lt", "lte"})


@attrs.frozen
class Fixed:
    """The rewritten filter text and one line per rewrite applied."""

    text: str
    applied: tuple[str, ...]


def quoted_fields(root: ast.Expr, profile: str) -> Iterator[tuple[ast.Node, str, str]]:
    """``has("metadata", ...)`` -> ``has(metadata, ...)``."""
    for node in ast.walk(root):
        if isinstance(node, ast.Field) and node.quoted:
            yield node, node.name, f"field {quote(node.name)} written bare"


def dotted_fields(root: ast.Expr, profile: str) -> Iterator[tuple[ast.Node, str, str]]:
    """``eq(metadata.user_id, "u1")`` -> ``and(eq(metadata_key, "user_id"), eq(metadata_value, "u1"))``."""
    for node in ast.walk(root):
        if not isinstance(node, (ast.Compare, ast.Like, ast.In)) or getattr(node, "negated", False):
            continue
        if isinstance(node, ast.Compare) and (node.op not in _PAIR_OPS or isinstance(node.value, ast.Null)):
            continue
        pair = dotted_key(node.field.name)
        if pair is None:
            continue
        family, key = pair
        spec = catalog.FAMILIES[family]
        value = attrs.evolve(node, field=ast.Field(spec.values[0]))
        text = f"and(eq({spec.key}, {quote(key)}), {render(value)})"
        yield node, text, f"{node.field.name} written as the {family} key/value pair"


def search_field(root: ast.Expr, profile: str) -> Iterator[tuple[ast.Node, str, str]]:
    """``search(name, "x")`` -> ``like(name, "%x%")`` (one word; for a server profile, which rejects the form)."""
    if profile == "offline":
        return
    for node in ast.walk(root):
        if not (isinstance(node, ast.Search) and node.field is not None and isinstance(node.text, ast.String)):
            continue
        words = node.text.value.split()
        written = like_for_search(node.field.name, words[0]) if len(words) == 1 and catalog.lookup(
            node.field.name) is not None else None
        if written is not None:
            yield node, written, f"search({node.field.name}, ...) written as like() for {profile}"


def neq_error_null(root: ast.Expr, profile: str) -> Iterator[tuple[ast.Node, str, str]]:
    """``neq(error, null)`` -> ``eq(status, "error")`` (for a server profile, which rejects it)."""
    if profile == "offline":
        return
    for node in ast.walk(root):
        if (isinstance(node, ast.Compare) and node.op == "neq" and node.field.name == "error"
                and isinstance(node.value, ast.Null)):
            yield node, 'eq(status, "error")', f"neq(error, null) written as eq(status, \"error\") for {profile}"


#: Every rewrite, in order.
RULES: tuple[Rule, ...] = (quoted_fields, dotted_fields, search_field, neq_error_null)


def fix_filter(text: str, profile: str = "offline") -> Fixed | None:
    """``text`` with every certain rewrite applied, or None when none applies (or it does not parse)."""
    try:
        root = parse(text)
    except FilterSyntaxError:
        try:
            return Fixed(render(from_ui(text)), ("UI search-bar syntax written in the API language",))
        except FilterSyntaxError:
            return None
    edits: list[tuple[int, int, str, str]] = []
    for rule in RULES:
        for node, replacement, what in rule(root, profile):
            span = node.span
            if span is None or any(s < span.end and span.start < e for s, e, _, _ in edits):
                continue  # an overlapping rewrite: the next pass sees the result of the first
            edits.append((span.start, span.end, replacement, what))
    if not edits:
        return None
    out = text
    for start, end, replacement, _ in sorted(edits, reverse=True):
        out = out[:start] + replacement + out[end:]
    again = fix_filter(out, profile)
    applied = tuple(what for _, _, _, what in sorted(edits))
    return Fixed(again.text, applied + again.applied) if again is not None else Fixed(out, applied)
