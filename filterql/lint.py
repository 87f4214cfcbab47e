"""Warnings: filters that are valid but probably not what the user meant.

Each rule is a function over a checked tree without errors, yielding
diagnostics of severity ``warning``; :data:`RULES` lists them in order. Rules
read the coerced values (:class:`ast.Const`) and only the direct operands of
one ``and`` at a time: deeper reasoning is the optimizer's.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator

from . import ast, catalog
from .catalog import FieldType
from .diagnostics import Diagnostic, at
from .ast import family_of, positive_key_family
from .hints import close_names, did_you_mean
from .errors import FilterSyntaxError
from .renderer import render

__all__ = ["lint", "RULES", "ui_syntax_hint"]

Rule = Callable[[ast.Expr], Iterator[Diagnostic]]


def _warn(node: ast.Node, code: str, message: str, hint: str = "", suggestions: tuple[str, ...] = ()) -> Diagnostic:
    return at(getattr(node, "span", None), "warning", code, message, hint, suggestions)


def _walk_with_parents(root: ast.Node) -> Iterator[tuple[ast.Node, tuple[ast.Node, ...]]]:
    """Every node with its ancestors (nearest last), parents first."""
    stack: list[tuple[ast.Node, tuple[ast.Node, ...]]] = [(root, ())]
    while stack:
        node, parents = stack.pop()
        yield node, parents
        stack.extend((c, parents + (node,)) for c in reversed(ast.children(node)))


def _consts(node: ast.Node) -> list[Any] | None:
    """The coerced values of a checked Compare or In, or None when it was not checked."""
    if isinstance(node, ast.Compare):
        return [node.value.value] if isinstance(node.value, ast.Const) else None
    if isinstance(node, ast.In):
        items = node.values.items
        return [i.value for i in items] if items and all(isinstance(i, ast.Const) for i in items) else None
    return None


def _spec(node: ast.Node) -> catalog.FieldSpec | None:
    field = getattr(node, "field", None)
    return catalog.lookup(field.name) if isinstance(field, ast.Field) else None


# ------------------------------------------------------------------ rules


def unknown_value(root: ast.Expr) -> Iterator[Diagnostic]:
    """``eq(run_type, "LLM")``: a value the enum field never has; suggest the closest."""
    for node in ast.walk(root):
        spec = _spec(node)
        values = _consts(node)
        if spec is None or not spec.choices or values is None:
            continue
        if isinstance(node, ast.Compare) and node.op not in ("eq", "neq"):
            continue
        items = node.values.items if isinstance(node, ast.In) else (node.value,)  # type: ignore[attr-defined]
        for item, value in zip(items, values):
            if isinstance(value, str) and value not in spec.choices:
                names = close_names(value, spec.choices) if value else ()
                hint = (did_you_mean(names) + " " if names else "") + f"known values: {', '.join(spec.choices)}"
                yield _warn(item, "unknown-value", f"`{spec.name}` is never {render(item)}", hint, names)


def error_boolean(root: ast.Expr) -> Iterator[Diagnostic]:
    """``eq(error, "true")``: ``error`` is the message, not a flag."""
    for node in ast.walk(root):
        if not (isinstance(node, ast.Compare) and node.op in ("eq", "neq") and node.field.name == "error"):
            continue
        value = node.value.value if isinstance(node.value, ast.Const) else None
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            errored = (node.op == "eq") == (value.strip().lower() == "true")
            hint = ('for errored runs write neq(error, null) or eq(status, "error")' if errored
                    else 'for runs without an error write eq(error, null) or neq(status, "error")')
            yield _warn(node, "error-boolean",
                        f"{render(node)} compares the error message with the text {render(node.value)}", hint)


def family_two_keys(root: ast.Expr) -> Iterator[Diagnostic]:
    """Two positive key conditions of one family in one ``and``: both bind to one entry (SPEC §5)."""
    for node in ast.walk(root):
        if not isinstance(node, ast.And):
            continue
        first: dict[str, ast.Node] = {}
        for child in node.args:
            family = positive_key_family(child)
            if family is None:
                continue
            if family not in first:
                first[family] = child
                continue
            key = catalog.FAMILIES[family].key
            value = catalog.FAMILIES[family].values[0]
            yield _warn(child, "family-two-keys",
                        f"{render(child)} and {render(first[family])} are in one and(), so they must hold "
                        f"for the same {family} entry",
                        f"to require two entries write one and() per pair: and(and(eq({key}, \"a\"), "
                        f"eq({value}, ...)), and(eq({key}, \"b\"), eq({value}, ...)))")


def unbound_value(root: ast.Expr) -> Iterator[Diagnostic]:
    """A value condition of a family that no key condition binds, where one was probably meant."""
    keyed: dict[int, set[str]] = {}  # id of an and -> families with any key condition among its operands
    positive: dict[int, set[str]] = {}  # id of an and -> families with a positive key condition

    def families(scope: ast.And) -> tuple[set[str], set[str]]:
        if id(scope) not in keyed:
            keyed[id(scope)] = {f for c in scope.args if (f := family_of(c)) and _is_key(c)}
            positive[id(scope)] = {f for c in scope.args if (f := positive_key_family(c))}
        return keyed[id(scope)], positive[id(scope)]

    for node, parents in _walk_with_parents(root):
        family = family_of(node)
        if family is None or _is_key(node):
            continue
        key = catalog.FAMILIES[family].key
        parent = parents[-1] if parents else None
        if isinstance(parent, ast.And):
            if family not in families(parent)[0]:
                yield _warn(node, "unbound-value",
                            f"{render(node)} has no {key} condition in its and(), so it matches a value under any key",
                            f'to test one key add eq({key}, "...") to the same and()')
            continue
        # Inside or()/not(): not bound to a key condition of an enclosing and().
        for i in range(len(parents) - 1, -1, -1):
            scope = parents[i]
            if isinstance(scope, ast.And) and family in families(scope)[1]:
                field = node.field.name  # type: ignore[attr-defined]
                hint = (f"or() does not bind; write in({field}, [...]) or one and({key}, ...) per branch"
                        if isinstance(parents[i + 1], ast.Or)
                        else "not() does not bind; put the negated comparison (neq, notlike) directly in the and()")
                via = "or()" if isinstance(parents[i + 1], ast.Or) else "not()"
                yield _warn(node, "unbound-value",
                            f"{render(node)} is inside {via}, so the {key} condition of the enclosing and() "
                            f"does not apply to it", hint)
                break


def _is_key(node: ast.Node) -> bool:
    family = family_of(node)
    return family is not None and node.field.name == catalog.FAMILIES[family].key  # type: ignore[attr-defined]


_FRESH = object()  # a value equal to no constant: stands for "any other value"

#: Conditions on one field in one and() that never_true compares (its cost is cubic in them).
_MAX_CONDITIONS = 16


def _predicate(node: ast.Node) -> Callable[[Any], bool] | None:
    """``node`` as a test on one field's value (None = absent), or None when not understood."""
    values = _consts(node)
    if values is None:
        return None
    if isinstance(node, ast.In):
        allowed = frozenset(values)
        return lambda v: v is not None and v is not _FRESH and v in allowed
    op, c = node.op, values[0]  # type: ignore[attr-defined]
    if c is None:
        return (lambda v: v is None) if op == "eq" else (lambda v: v is not None)
    if op == "eq":
        return lambda v: v is not None and v is not _FRESH and v == c
    if op == "neq":
        return lambda v: v is not None and (v is _FRESH or v != c)
    compare = {"gt": lambda v: v > c, "gte": lambda v: v >= c, "lt": lambda v: v < c, "lte": lambda v: v <= c}[op]
    return lambda v: v is not None and v is not _FRESH and compare(v)


def _midpoint(a: Any, b: Any) -> Any:
    if isinstance(a, datetime):
        return a + (b - a) / 2
    return (Decimal(a) + Decimal(b)) / 2


def _candidates(spec: catalog.FieldSpec, nodes: list[ast.Node]) -> list[Any]:
    """Values that between them take every combination of truth values of ``nodes``."""
    consts = [v for n in nodes for v in (_consts(n) or []) if v is not None]
    if spec.type is FieldType.BOOLEAN:
        return [None, True, False]
    if spec.type in (FieldType.TIMESTAMP, FieldType.SECONDS, FieldType.INTEGER, FieldType.DECIMAL):
        points = sorted(set(consts))
        if not points:
            return [None, _FRESH]
        step = timedelta(days=1) if isinstance(points[0], datetime) else 1
        mids = [_midpoint(a, b) for a, b in zip(points, points[1:])]
        return [None, points[0] - step, points[-1] + step, *points, *mids]
    return [None, _FRESH, *consts]


def _satisfiable(spec: catalog.FieldSpec, nodes: list[ast.Node]) -> bool:
    tests = [_predicate(n) for n in nodes]
    try:
        return any(all(t(v) for t in tests if t is not None) for v in _candidates(spec, nodes))
    except TypeError:  # values that do not compare: say nothing
        return True


def never_true(root: ast.Expr) -> Iterator[Diagnostic]:
    """An ``and`` whose comparisons on one plain field cannot all hold (local; the optimizer folds more)."""
    for node in ast.walk(root):
        if not isinstance(node, ast.And):
            continue
        seen: dict[str, list[ast.Node]] = {}
        reported: set[str] = set()
        for child in node.args:
            spec = _spec(child)
            if spec is None or spec.family or _consts(child) is None or spec.type in (
                    FieldType.STRING_LIST, FieldType.OBJECT):
                continue
            earlier = seen.setdefault(spec.name, [])
            earlier.append(child)
            if spec.name in reported or len(earlier) > _MAX_CONDITIONS or _satisfiable(spec, earlier):
                continue
            reported.add(spec.name)
            other = next((e for e in earlier[:-1] if not _satisfiable(spec, [e, child])), None)
            against = render(other) if other is not None else f"the other conditions on `{spec.name}`"
            yield _warn(child, "never-true",
                        f"this and() can never be true: {render(child)} contradicts {against}",
                        "every operand of and() must hold at once; if any one should do, use or(...)"
                        + (f" or in({spec.name}, [...])" if isinstance(child, ast.Compare) and child.op == "eq"
                           and "in" in spec.operators else ""))


_UI_TERM_RE = re.compile(r"-?([A-Za-z_][\w.]*):(\S*)")


def ui_syntax_hint(term: str) -> str:
    """The hint for a UI search-bar term (``status:error``) searched as text: its API form, or why it has
    none; '' when the term is not search-bar syntax. The translation is :func:`filterql.from_ui`'s, so the
    search bar has one meaning in filterql."""
    if not _UI_TERM_RE.fullmatch(term):
        return ""
    from .ui_parser import from_ui  # start-up: the search bar's grammar loads only for such a term

    try:
        return f"the API language writes it {render(from_ui(term))}"
    except FilterSyntaxError as e:
        if e.code in ("unknown-field", "unexpected-character", "unexpected-token", "unexpected-end"):
            return ""  # not a search-bar field (a URL, a time of day): plain text
        return f"it has no form in the API language: {e.message}" + (f" ({e.hint})" if e.hint else "")


def ui_syntax(root: ast.Expr) -> Iterator[Diagnostic]:
    """``search("status:error")``: the UI search bar's syntax searched as text."""
    for node in ast.walk(root):
        if not (isinstance(node, ast.Search) and isinstance(node.text, ast.Const)):
            continue
        for term in node.text.value.split():
            hint = ui_syntax_hint(term)
            if hint:
                yield _warn(node.text, "ui-syntax",
                            f"{term!r} looks like the UI search-bar syntax; search() looks for it as text", hint)


def quoted_field(root: ast.Expr) -> Iterator[Diagnostic]:
    """``has("metadata", ...)``: a field name written as a string (accepted, but not the style)."""
    for node in ast.walk(root):
        if isinstance(node, ast.Field) and node.quoted:
            yield _warn(node, "quoted-field", f"the field `{node.name}` is written as a string",
                        f"write it bare: {node.name} (filterql fmt and --fix do)")


#: Every warning rule, in order.
RULES: tuple[Rule, ...] = (unknown_value, error_boolean, family_two_keys, unbound_value, never_true, ui_syntax,
                           quoted_field)


def lint(typed: ast.Expr) -> list[Diagnostic]:
    """Every warning for the checked, error-free tree ``typed``."""
    return [d for rule in RULES for d in rule(typed)]
