"""Checked AST: type-check a filter against the field catalog and coerce its literals.

``validate`` returns every diagnostic; ``check`` returns the typed AST (each
literal replaced by an :class:`ast.Const` holding the coerced value) or raises
:class:`FilterValidationError`. The evaluator and SQL backends consume only
checked trees, so values are interpreted here and nowhere else.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Union

import attrs

from . import ast, catalog
from .catalog import FieldSpec, FieldType
from .coerce import CoercionError, coerce, describe, metadata_json
from .diagnostics import Diagnostic, at, from_syntax_error
from .errors import FilterSyntaxError, FilterValidationError
from .parser import parse

__all__ = ["validate", "check", "analyze", "suggest"]

FilterInput = Union[str, ast.Expr]

#: Arguments each known function takes, for arity and shape messages.
SIGNATURES = {
    "and": "and(expr, ...)",
    "or": "or(expr, ...)",
    "not": "not(expr)",
    **{op: f"{op}(field, value)" for op in ast.COMPARISON_OPS},
    "has": "has(field, value)",
    "exists": 'exists(field, "key")',
    "in": "in(field, [value, ...])",
    "like": 'like(field, "pattern")',
    "notlike": 'notlike(field, "pattern")',
    "search": 'search("text") or search(field, "text")',
}


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """'did you mean ...' for the closest candidates, or ''."""
    lowered = [c for c in candidates if c == name.lower()]
    close = lowered or difflib.get_close_matches(name.lower(), candidates, n=3, cutoff=0.6)
    if not close:
        return ""
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"


@attrs.define
class _Checker:
    context: str
    diagnostics: list[Diagnostic] = attrs.Factory(list)

    def error(self, node: Any, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(at(getattr(node, "span", None), "error", code, message, hint))

    # Each check_* returns the typed node (unchanged when it has an error).
    def check(self, node: ast.Expr) -> ast.Expr:
        checker = _DISPATCH.get(type(node))
        if checker is None:
            raise TypeError(f"validate: no rule for node {type(node).__name__}")
        return checker(self, node)

    def field(self, node: ast.Field, function: str) -> FieldSpec | None:
        spec = catalog.lookup(node.name)
        if spec is None:
            hint = suggest(node.name, catalog.field_names())
            if node.name in ("metadata.", "extra"):
                hint = 'metadata keys are a key/value family: and(eq(metadata_key, "k"), eq(metadata_value, "v"))'
            self.error(node, "unknown-field", f"unknown field `{node.name}`", hint)
            return None
        if function not in spec.operators:
            accepts = sorted(f for f in ast.FUNCTION_NAMES if f in spec.operators)
            self.error(
                node,
                "operator-not-applicable",
                f"{function}() does not apply to `{spec.name}` ({spec.type.value})",
                f"`{spec.name}` takes {', '.join(accepts)}" + _operator_hint(spec, function),
            )
            return None
        if self.context not in spec.contexts:
            self.error(node, "field-context", f"`{spec.name}` cannot be used in {self.context}")
            return None
        return spec

    def value(self, spec: FieldSpec, lit: ast.Node, function: str) -> ast.Const | None:
        if isinstance(lit, ast.Const):
            return lit
        try:
            if function == "has" and spec.name == "metadata":
                return ast.Const(metadata_json(lit), lit)  # type: ignore[arg-type]
            value = coerce(spec.type, lit)
        except CoercionError as e:
            self.error(lit, "bad-value", f"`{spec.name}` ({spec.type.value}): {e.message}", e.hint)
            return None
        return ast.Const(value, lit)  # type: ignore[arg-type]


def _operator_hint(spec: FieldSpec, function: str) -> str:
    if spec.type is FieldType.STRING_LIST and function in ("eq", "neq"):
        return f'; to test membership write has({spec.name}, "x")'
    if function == "has" and spec.type is FieldType.STRING:
        return f'; to test a substring write like({spec.name}, "%x%")'
    if function in ("like", "notlike") and spec.type is FieldType.SECONDS:
        return "; compare durations with gt/lt"
    return ""


def _check_bool(c: _Checker, node: ast.And | ast.Or) -> ast.Expr:
    return attrs.evolve(node, args=tuple(c.check(a) for a in node.args))


def _check_not(c: _Checker, node: ast.Not) -> ast.Expr:
    return attrs.evolve(node, arg=c.check(node.arg))


def _check_compare(c: _Checker, node: ast.Compare) -> ast.Expr:
    spec = c.field(node.field, node.op)
    if spec is None:
        return node
    if isinstance(node.value, ast.Null) and node.op not in ("eq", "neq"):
        c.error(node.value, "null-ordering", f"{node.op}() cannot compare with null",
                f"use eq({spec.name}, null) or neq({spec.name}, null)")
        return node
    value = c.value(spec, node.value, node.op)
    return node if value is None else attrs.evolve(node, value=value)


def _check_has(c: _Checker, node: ast.Has) -> ast.Expr:
    spec = c.field(node.field, "has")
    value = spec and c.value(spec, node.value, "has")
    return attrs.evolve(node, value=value) if value is not None else node


def _check_exists(c: _Checker, node: ast.Exists) -> ast.Expr:
    spec = c.field(node.field, "exists")
    if spec is None:
        return node
    try:
        key = ast.Const(coerce(FieldType.STRING, node.key), node.key)  # type: ignore[arg-type]
    except CoercionError as e:
        c.error(node.key, "bad-value", f"exists() key: {e.message}", 'e.g. exists(metadata, "user_id")')
        return node
    return attrs.evolve(node, key=key)


def _check_in(c: _Checker, node: ast.In) -> ast.Expr:
    spec = c.field(node.field, "in")
    if spec is None:
        return node
    if not node.values.items:
        c.error(node.values, "empty-in", "in() needs at least one value", "an empty list never matches; remove the condition")
        return node
    items = [c.value(spec, item, "in") for item in node.values.items]
    for item, lit in zip(items, node.values.items):
        if item is not None and item.value is None and not isinstance(lit, ast.Const):
            c.error(lit, "null-in-list", "null cannot be in an in() list",
                    f"use or(in({spec.name}, [...]), eq({spec.name}, null))")
            return node
    if any(i is None for i in items):
        return node
    return attrs.evolve(node, values=attrs.evolve(node.values, items=items))


def _check_like(c: _Checker, node: ast.Like) -> ast.Expr:
    fn = "notlike" if node.negated else "like"
    spec = c.field(node.field, fn)
    if spec is None:
        return node
    if not isinstance(node.pattern, (ast.String, ast.Const)):
        c.error(node.pattern, "bad-value", f"{fn}() takes a pattern string, found {describe(node.pattern)}",
                f'e.g. {fn}({spec.name}, "%text%")')
        return node
    return attrs.evolve(node, pattern=c.value(catalog.FIELDS["name"], node.pattern, fn))


def _check_search(c: _Checker, node: ast.Search) -> ast.Expr:
    if node.field is not None and c.field(node.field, "search") is None:
        return node
    if not isinstance(node.text, (ast.String, ast.Const)):
        c.error(node.text, "bad-value", f"search() takes a string, found {describe(node.text)}", 'e.g. search("timeout")')
        return node
    if isinstance(node.text, ast.String) and not node.text.value.split():
        c.error(node.text, "empty-search", "search() needs at least one term", "an empty search is not a filter; remove it")
        return node
    return attrs.evolve(node, text=c.value(catalog.FIELDS["name"], node.text, "search"))


def _check_call(c: _Checker, node: ast.Call) -> ast.Expr:
    name = node.name
    if name not in ast.FUNCTION_NAMES:
        hint = suggest(name, ast.FUNCTION_NAMES)
        c.error(node, "unknown-function", f"unknown function `{name}`", hint + (" function names are lowercase" if name.lower() in ast.FUNCTION_NAMES else ""))
    else:
        c.error(node, *_shape_problem(node))
    # Still check what can be checked below, so one pass reports everything.
    for arg in node.args:
        if isinstance(arg, ast.Expr):
            c.check(arg)
    return node


def _shape_problem(node: ast.Call) -> tuple[str, str, str]:
    """(code, message, hint) for a known function called with the wrong arguments."""
    name, args, sig = node.name, node.args, SIGNATURES[node.name]
    n = len(args)
    expected_n = {"and": None, "or": None, "not": 1, "search": None}.get(name, 2)
    if name in ("and", "or") and n == 0 or name == "search" and n not in (1, 2) or expected_n and n != expected_n:
        want = "at least 1 argument" if expected_n is None and name != "search" else (
            "1 or 2 arguments" if name == "search" else f"{expected_n} argument{'s' if expected_n != 1 else ''}")
        return "wrong-arity", f"{name}() takes {want}, found {n}", f"usage: {sig}"
    if name in ("and", "or", "not"):
        bad = next(a for a in args if not isinstance(a, ast.Expr))
        return "argument-kind", f"{name}() takes conditions, found {describe(bad)}", f"usage: {sig}"
    first, rest = args[0], args[1:]
    if name == "search" and n == 2 and not isinstance(first, ast.Field):
        return "argument-kind", f"search() with two arguments takes a field first, found {describe(first)}", f"usage: {sig}"
    if not isinstance(first, ast.Field) and name != "search":
        hint = f"usage: {sig}"
        if rest and isinstance(rest[0], ast.Field):
            hint = f"the field comes first: {name}({rest[0].name}, ...)"
        return "argument-kind", f"{name}() takes a field first, found {describe(first)}", hint
    bad = rest[0] if rest else first
    if isinstance(bad, ast.Field):
        return ("argument-kind", f"{name}() takes a value here, found the field `{bad.name}`",
                f'quote it if you meant the string: "{bad.name}"')
    if name == "in":
        return "argument-kind", f"in() takes a list, found {describe(bad)}", f"write in(field, [{str(bad) if not isinstance(bad, ast.Expr) else '...'}])"
    return "argument-kind", f"{name}() takes a value here, found {describe(bad)}", f"usage: {sig}"


_DISPATCH: dict[type, Callable[[_Checker, Any], ast.Expr]] = {
    ast.And: _check_bool,
    ast.Or: _check_bool,
    ast.Not: _check_not,
    ast.Compare: _check_compare,
    ast.Has: _check_has,
    ast.Exists: _check_exists,
    ast.In: _check_in,
    ast.Like: _check_like,
    ast.Search: _check_search,
    ast.Call: _check_call,
}


def analyze(filter: FilterInput, context: str = "filter") -> tuple[ast.Expr | None, list[Diagnostic], str]:
    """Parse if needed, type-check, and return (typed tree or None, diagnostics, source text).

    The tree is None when the text does not parse.
    """
    if context not in catalog.CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(catalog.CONTEXTS)}, not {context!r}")
    if isinstance(filter, str):
        text = filter
        try:
            expr = parse(filter)
        except FilterSyntaxError as e:
            return None, [from_syntax_error(e)], text
    elif isinstance(filter, ast.Expr):
        expr, text = filter, ""
    else:
        raise TypeError(f"expected a filter string or an Expr, not {type(filter).__name__}")
    checker = _Checker(context)
    typed = checker.check(expr)
    return typed, checker.diagnostics, text


def validate(filter: FilterInput, context: str = "filter") -> list[Diagnostic]:
    """Every diagnostic for ``filter`` (errors and warnings), in source order."""
    return analyze(filter, context)[1]


def check(filter: FilterInput, context: str = "filter") -> ast.Expr:
    """The typed, validated AST of ``filter``; raises :class:`FilterValidationError` on any error.

    Syntax errors are reported the same way, as diagnostics of kind ``syntax``.
    """
    typed, diagnostics, text = analyze(filter, context)
    if typed is None or any(d.severity == "error" for d in diagnostics):
        raise FilterValidationError(diagnostics, text)
    return typed
