"""Checked AST: type-check a filter against the field catalog and coerce its literals.

``validate`` returns every diagnostic; ``check`` returns the typed AST (each
literal replaced by an :class:`ast.Const` holding the coerced value) or raises
:class:`FilterValidationError`. The evaluator and SQL backends consume only
checked trees, so values are interpreted here and nowhere else.

The stages, in order: parse (text only); :func:`_too_deep`, for hand-built
trees nested past the parser's limit (every other wrong shape, the node classes
refuse when built); the type check (``_Checker``, one rule per node type); then
the warnings of :mod:`filterql.lint` and the server rules of :mod:`filterql.profiles`.
"""

from __future__ import annotations

from typing import Any, Callable, Union

import attrs

from . import ast, catalog, lint, profiles
from .ast import MAX_DEPTH, make_call
from .catalog import FieldSpec, FieldType
from .checked import Checked, mark, plain
from .coerce import CoercionError, coerce, describe, metadata_json, surrogate_error
from .diagnostics import Diagnostic, at
from .errors import FilterSyntaxError, FilterValidationError
from .hints import close_names, did_you_mean, dotted_field_hint
from .lexicon import quote
from .parser import parse
from .renderer import render

__all__ = ["validate", "check", "analyze", "ui_translation", "SIGNATURES"]

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

# ------------------------------------------------------------ depth

_SCALARS = (ast.String, ast.Number, ast.Bool, ast.Null)


def _children(node: ast.Node) -> tuple[Any, ...]:
    kids = ast.children(node)
    if isinstance(node, ast.Const):
        kids = (node.literal,)
    return kids


def _too_deep(root: ast.Node) -> list[Diagnostic]:
    """An error for a hand-built tree nested deeper than :data:`MAX_DEPTH` (parsed text never is).

    Iterative, so a tree nested deeper than Python's recursion limit is reported
    instead of crashing the recursive stages after it. Every other shape a tree
    could have wrong, its node classes refuse when it is built.
    """
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        # Depth counts calls and lists, as the parser's limit does.
        depth += isinstance(node, (ast.Expr, ast.ListLit))
        if depth > MAX_DEPTH:
            return [at(getattr(root, "span", None), "error", "too-deep",
                       f"the filter is nested deeper than {MAX_DEPTH} levels",
                       "flatten nested and()/or() calls")]
        stack.extend((child, depth) for child in _children(node))
    return []


def _unencodable(root: ast.Node) -> list[Diagnostic]:
    """An error for each string literal holding a lone surrogate: UTF-8, and so every engine, cannot hold it."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.String):
            error = surrogate_error(node.value)
            if error is not None:
                found.append(at(node.span, "error", "bad-value", error.message, error.hint))
        stack.extend(_children(node))
    return found


# ------------------------------------------------------------------ type check


@attrs.define
class _Checker:
    context: str
    diagnostics: list[Diagnostic] = attrs.Factory(list)

    def error(self, node: Any, code: str, message: str, hint: str = "", suggestions: tuple[str, ...] = ()) -> None:
        self.diagnostics.append(at(getattr(node, "span", None), "error", code, message, hint, suggestions))

    # Each check_* returns the typed node (unchanged when it has an error).
    def check(self, node: ast.Node) -> ast.Expr:
        checker = _DISPATCH.get(type(node))
        if checker is None:
            if isinstance(node, ast.Expr):
                raise TypeError(f"validate: no rule for node {type(node).__name__}")
            self.error(node, "argument-kind", f"expected a condition, found {describe(node)}",
                       'a filter is a call such as eq(name, "x")')
            return node  # type: ignore[return-value]
        return checker(self, node)

    def field(self, node: ast.Field, function: str) -> FieldSpec | None:
        spec = catalog.lookup(node.name)
        if spec is None:
            dotted = dotted_field_hint(node.name)
            names = () if dotted else close_names(node.name, catalog.field_names(self.context))
            hint = dotted or did_you_mean(names)
            if node.quoted:
                hint = hint or f"the first argument is a field, so the string {quote(node.name)} is read as one"
            self.error(node, "unknown-field", f"unknown field `{node.name}`", hint, names)
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
            self.error(node, "field-context", f"`{spec.name}` cannot be used in {self.context}",
                       f"`{spec.name}` is allowed in {', '.join(spec.contexts)}")
            return None
        return spec

    def value(self, spec: FieldSpec, lit: ast.Node, function: str) -> ast.Const | None:
        # A Const (an already-checked tree) is re-checked from its source literal,
        # so checking is idempotent and a hand-made Const cannot smuggle a bad value.
        source = lit.literal if isinstance(lit, ast.Const) else lit
        try:
            if function == "has" and spec.name == "metadata":
                return ast.Const(metadata_json(source), source)  # type: ignore[arg-type]
            if spec.name == "error" and isinstance(source, ast.Bool):
                self.error(lit, "error-boolean", f"`error` holds the error message, not {describe(source)}",
                           _error_boolean_hint(function, source.value))
                return None
            value = coerce(spec.type, source)
        except CoercionError as e:
            self.error(lit, "bad-value", f"`{spec.name}` ({spec.type.value}): {e.message}", e.hint)
            return None
        return ast.Const(value, source)  # type: ignore[arg-type]


def _error_boolean_hint(function: str, value: bool) -> str:
    errored = (function != "neq") == value
    if errored:
        return 'for errored runs write neq(error, null) or eq(status, "error")'
    return 'for runs without an error write eq(error, null) or neq(status, "error")'


def _operator_hint(spec: FieldSpec, function: str) -> str:
    if spec.type is FieldType.STRING_LIST and function in ("eq", "neq"):
        return f'; to test membership write has({spec.name}, "x")'
    if function == "has" and spec.type is FieldType.STRING:
        return f'; to test a substring write like({spec.name}, "%x%")'
    if function in ("like", "notlike") and spec.type is FieldType.SECONDS:
        return "; compare durations with gt/lt"
    if function == "has" and spec.type is FieldType.OBJECT:
        return f'; for a key write exists({spec.name}, "key")'
    return ""


def _check_bool(c: _Checker, node: ast.And | ast.Or) -> ast.Expr:
    if not node.args:  # the one shape a node class allows and the language does not: and()
        return _check_call(c, ast.Call("and" if isinstance(node, ast.And) else "or", [], span=node.span))
    return attrs.evolve(node, args=tuple(c.check(a) for a in node.args))


def _check_not(c: _Checker, node: ast.Not) -> ast.Expr:
    return attrs.evolve(node, arg=c.check(node.arg))


def _check_compare(c: _Checker, node: ast.Compare) -> ast.Expr:
    spec = c.field(node.field, node.op)
    if spec is None:
        return node
    literal = node.value.literal if isinstance(node.value, ast.Const) else node.value
    if isinstance(literal, ast.Null) and node.op not in ("eq", "neq"):
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
    key = _text(c, node.key, "exists", 'exists(metadata, "user_id")')
    return node if key is None else attrs.evolve(node, key=key)


def _check_in(c: _Checker, node: ast.In) -> ast.Expr:
    spec = c.field(node.field, "in")
    if spec is None:
        return node
    if not node.values.items:
        c.error(node.values, "empty-in", "in() needs at least one value", "an empty list never matches; remove the condition")
        return node
    items = [c.value(spec, item, "in") for item in node.values.items]
    for item, lit in zip(items, node.values.items):
        if item is not None and item.value is None:
            c.error(lit, "null-in-list", "null cannot be in an in() list",
                    f"use or(in({spec.name}, [...]), eq({spec.name}, null))")
            return node
    if any(i is None for i in items):
        return node
    return attrs.evolve(node, values=attrs.evolve(node.values, items=items))


def _text(c: _Checker, lit: ast.Node, function: str, example: str) -> ast.Const | None:
    """The string argument of like/notlike/search, as a Const."""
    source = lit.literal if isinstance(lit, ast.Const) else lit
    if not isinstance(source, ast.String):
        c.error(lit, "bad-value", f"{function}() takes a string, found {describe(source)}", f"e.g. {example}")
        return None
    return c.value(catalog.FIELDS["name"], lit, function)


def _check_like(c: _Checker, node: ast.Like) -> ast.Expr:
    fn = "notlike" if node.negated else "like"
    spec = c.field(node.field, fn)
    if spec is None:
        return node
    pattern = _text(c, node.pattern, fn, f'{fn}({spec.name}, "%text%")')
    return node if pattern is None else attrs.evolve(node, pattern=pattern)


def _check_search(c: _Checker, node: ast.Search) -> ast.Expr:
    if node.field is not None and c.field(node.field, "search") is None:
        return node
    text = _text(c, node.text, "search", 'search("timeout")')
    if text is None:
        return node
    if not text.value.split():
        c.error(node.text, "empty-search", "search() needs at least one term", "an empty search is not a filter; remove it")
        return node
    return attrs.evolve(node, text=text)


def _check_call(c: _Checker, node: ast.Call) -> ast.Expr:
    name = node.name
    typed = make_call(name, node.args, node.span)
    if not isinstance(typed, ast.Call):  # a hand-built Call of a valid shape
        return c.check(typed)
    if name not in ast.FUNCTION_NAMES:
        names = close_names(name, ast.FUNCTION_NAMES)
        hint = did_you_mean(names)
        if name.lower() in ast.FUNCTION_NAMES:
            hint += " function names are lowercase"
        elif catalog.lookup(name) is not None:
            hint = hint or f"`{name}` is a field; a condition is a call such as eq({name}, ...)"
        hint = hint or "the functions are " + ", ".join(ast.FUNCTION_NAMES)
        c.error(node, "unknown-function", f"unknown function `{name}`", hint, names)
    else:
        c.error(node, *_shape_problem(node))
    # Still check what can be checked below, so one pass reports everything.
    for arg in node.args:
        if isinstance(arg, ast.Expr):
            c.check(arg)
    return node


def _arity(name: str, n: int) -> str:
    """What ``name`` takes when ``n`` arguments are wrong for it, or '' when ``n`` fits."""
    if name in ("and", "or"):
        return "at least 1 argument" if n == 0 else ""
    if name == "search":
        return "" if n in (1, 2) else "1 or 2 arguments"
    want = 1 if name == "not" else 2
    return "" if n == want else f"{want} argument{'s' if want != 1 else ''}"


def _shape_problem(node: ast.Call) -> tuple[str, str, str]:
    """(code, message, hint) for a known function called with the wrong arguments."""
    name, args, sig = node.name, node.args, SIGNATURES[node.name]
    want = _arity(name, len(args))
    if want:
        return "wrong-arity", f"{name}() takes {want}, found {len(args)}", f"usage: {sig}"
    if name in ("and", "or", "not"):
        bad = next((a for a in args if not isinstance(a, ast.Expr)), args[0])
        hint = f"usage: {sig}"
        if isinstance(bad, ast.Field) and name == "not":
            hint = f"not() negates a condition, e.g. not(eq({bad.name}, ...))"
        return "argument-kind", f"{name}() takes conditions, found {describe(bad)}", hint
    first, rest = args[0], args[1:]
    if name == "search" and len(args) == 2 and not isinstance(first, ast.Field):
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
        shown = _literal_text(bad)
        return "argument-kind", f"in() takes a list, found {describe(bad)}", f"write in(field, [{shown or '...'}])"
    if isinstance(bad, ast.ListLit):
        return ("argument-kind", f"{name}() takes a single value, found a list",
                f"to match any of several values write in({first.name if isinstance(first, ast.Field) else 'field'}, [...])")
    return "argument-kind", f"{name}() takes a value here, found {describe(bad)}", f"usage: {sig}"


def _literal_text(node: ast.Node) -> str:
    """A scalar literal as written in the language, or '' for anything else."""
    if isinstance(node, ast.Const):
        node = node.literal
    if isinstance(node, _SCALARS):
        return ast.text(node)
    return ""


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


# ------------------------------------------------------------------ entry points


def _position(d: Diagnostic) -> tuple[int, int]:
    return (d.line, d.column)


def analyze(filter: FilterInput, context: str = "filter",
            profile: str = "offline") -> tuple[ast.Expr | None, list[Diagnostic], str]:
    """Parse if needed, type-check, lint, and return (typed tree or None, diagnostics, source text).

    The tree is None when the text does not parse or the tree is malformed;
    the diagnostics are in source order. Warnings and server rules are reported
    once the filter has no type error.
    """
    try:
        return _analyze(filter, context, profile)
    except FilterSyntaxError as e:
        return None, [_with_ui_translation(e.diagnostic, e.text)], e.text


def _analyze(filter: FilterInput, context: str, profile: str) -> tuple[ast.Expr | None, list[Diagnostic], str]:
    """:func:`analyze`, raising :class:`FilterSyntaxError` when the text does not parse."""
    if context not in catalog.CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(catalog.CONTEXTS)}, not {context!r}")
    if profile not in catalog.PROFILES:
        raise ValueError(f"profile must be one of {', '.join(catalog.PROFILES)}, not {profile!r}")
    if isinstance(filter, str):
        expr, text = parse(filter), filter
    elif isinstance(filter, ast.Expr):
        expr, text = plain(filter), ""
    else:
        raise TypeError(f"expected a filter string or an Expr, not {type(filter).__name__}")
    too_deep = _too_deep(expr)
    if too_deep:
        return None, too_deep, text
    checker = _Checker(context)
    typed = checker.check(expr)
    diagnostics = _unencodable(expr) + checker.diagnostics
    if not diagnostics:  # the later stages read only well-typed trees
        diagnostics = lint.lint(typed) + profiles.server_diagnostics(typed, profile)
    return typed, sorted(diagnostics, key=_position), text


def ui_translation(text: str) -> str:
    """The API form of ``text`` when it is UI search-bar syntax with one, else ''."""
    from .ui_parser import from_ui  # start-up: only a filter that does not parse is read as UI syntax

    try:
        return render(from_ui(text))
    except FilterSyntaxError:
        return ""


def _with_ui_translation(d: Diagnostic, text: str) -> Diagnostic:
    """A syntax error on search-bar text (status:error) says what it is and its API form."""
    written = ui_translation(text)
    if not written:
        return d
    return attrs.evolve(d, hint=f"this is the LangSmith UI search-bar syntax; the API language writes it {written} "
                               "(filterql translate, or check --fix)")


def validate(filter: FilterInput, context: str = "filter", profile: str = "offline") -> list[Diagnostic]:
    """Every diagnostic for ``filter`` (errors and warnings), in source order.

    ``context`` is ``filter``, ``trace_filter`` or ``tree_filter``; ``profile``
    is ``offline`` (the whole spec) or ``langsmith-v1`` / ``langsmith-v2``,
    which also report as errors what that server rejects. A syntax error is one
    diagnostic of kind ``syntax``.
    """
    return analyze(filter, context, profile)[1]


def check(filter: FilterInput, context: str = "filter", profile: str = "offline") -> Checked:
    """The typed, validated AST of ``filter``; raises :class:`FilterValidationError` on any error.

    The result is a :class:`~filterql.checked.Checked` (still the ordinary tree: ``check("and(...)")``
    is an ``ast.And``) that every later stage takes without checking again; a ``Checked`` for the same
    context (and the same profile, or any when ``profile`` is ``offline``) is returned as is.

    Text that does not parse raises :class:`FilterSyntaxError` (a subclass), the
    very exception :func:`filterql.parse` raises. Warnings do not raise; get
    them with :func:`validate`.
    """
    if isinstance(filter, Checked) and filter.context == context and profile in ("offline", filter.profile):
        return filter
    typed, diagnostics, text = _analyze(filter, context, profile)
    if typed is None or any(d.is_error for d in diagnostics):
        raise FilterValidationError(diagnostics, text)
    return mark(typed, context, profile)
