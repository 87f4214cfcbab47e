"""AST → UI search-bar text (SPEC §11), for every filter the search bar can express.

The inverse of :mod:`filterql.ui_parser`: ``from_ui(to_ui(e))`` matches the same runs as ``e``.
A construct with no search-bar form (``has(metadata, ...)``, a family condition without its key,
``in`` on a key, a LIKE ``_``, a boolean field, ...) raises :class:`FilterTranslationError`
naming it, rather than rendering something that means more or less.
"""

from __future__ import annotations

import contextvars
import re
from typing import Callable, Mapping

from . import ast, catalog
from .errors import FilterTranslationError
from .lexicon import is_number
from .renderer import render
from .ui_fields import API_TO_THREAD, API_TO_UI, FEEDBACK_SUBFIELDS, UIField, scope_context

__all__ = ["to_ui"]

_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_KEYWORDS = frozenset({"and", "or", "not", "to"})
# What an unquoted value or term cannot hold without a backslash.
_SPECIAL_RE = re.compile(r'[\s"\\(){}*:]')
_BARE_SEGMENT_RE = re.compile(r"[A-Za-z0-9_$@-]+")
#: The search-bar field of each API field, for the scope being rendered.
_FIELDS: contextvars.ContextVar[Mapping[str, UIField]] = contextvars.ContextVar("ui_fields", default=API_TO_UI)


def to_ui(expr: ast.Expr, scope: str = "single run") -> str:
    """``expr`` (parsed or checked) in the search bar's syntax, for a row of ``scope``
    (the Thread scope names the thread summary's fields its own way: ``count`` is ``turn_count``).

    Raises :class:`FilterTranslationError` naming the first construct with no search-bar form.
    """
    token = _FIELDS.set(API_TO_THREAD if scope_context(scope) == "thread_filter" else API_TO_UI)
    try:
        return _expr(expr)
    finally:
        _FIELDS.reset(token)


class _Compound(str):
    """Text of several clauses joined by AND/OR: parenthesized when nested."""


def _refuse(node: ast.Node, why: str) -> FilterTranslationError:
    text = render(node) if isinstance(node, ast.Node) else repr(node)
    return FilterTranslationError(f"{text} has no search-bar form: {why}", construct=text)


def _group(text: str) -> str:
    return f"({text})" if isinstance(text, _Compound) else text


def _literal(node: ast.Node) -> ast.Node:
    return node.literal if isinstance(node, ast.Const) else node


def _value(node: ast.Node, owner: ast.Node) -> str:
    """A scalar literal as a search-bar value: bare when it can be, else quoted."""
    lit = _literal(node)
    if isinstance(lit, ast.Number):
        return lit.text
    if not isinstance(lit, ast.String):
        raise _refuse(owner, "the search bar has only text and number values")
    return _text(lit.value)


def _text(value: str) -> str:
    """A value or search term: bare when it reads back as the same text, else double-quoted.
    Number-like text is quoted too, so a numeric field reads it back as text, not as a number."""
    if value and not is_number(value) and not _SPECIAL_RE.search(value) and value.lower() not in _KEYWORDS and value[0] not in "-<>~[{:":
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wildcard(pattern: str, owner: ast.Node) -> str:
    """A LIKE pattern as an unquoted wildcard value (``%`` -> ``*``, other characters escaped)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            i += 1
            c = pattern[i]
            out.append("\\" + c if _SPECIAL_RE.match(c) or c == ":" else c)
        elif c == "%":
            out.append("*")
        elif c == "_":
            raise _refuse(owner, "the search bar has no one-character wildcard (LIKE _)")
        else:
            out.append("\\" + c if _SPECIAL_RE.match(c) else c)
        i += 1
    text = "".join(out)
    if not text or text[0] in "-<>~[{" or text.lower() in _KEYWORDS:
        text = "\\" + text if text else text
    if "*" not in text:  # no wildcard: an equality, written quoted so nothing is read as a pattern
        return _text(_unlike(pattern))
    return text


def _unlike(pattern: str) -> str:
    return re.sub(r"\\(.)", r"\1", pattern)


def _ui_field(field: ast.Field, node: ast.Node) -> str:
    spec = _FIELDS.get().get(field.name)
    if spec is None:
        raise _refuse(node, f"`{field.name}` is not a search-bar field")
    return spec.ui


def _segments(key: str) -> str:
    return ".".join(s if _BARE_SEGMENT_RE.fullmatch(s) else _text_quoted(s) for s in key.split("."))


def _text_quoted(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ------------------------------------------------------------------ nodes


def _and(node: ast.And) -> str:
    pair = _family_scope(node)
    if pair is not None:
        return pair
    if any(_family(a) for a in node.args):
        raise _refuse(node, "its key/value conditions are bound in one and(); the search bar writes one "
                            "key path per clause (metadata.<key>:value)")
    return _Compound(" AND ".join(_group(_expr(a)) for a in node.args))


def _or(node: ast.Or) -> str:
    return _Compound(" OR ".join(_group(_expr(a)) for a in node.args))


def _not(node: ast.Not) -> str:
    inner = _expr(node.arg)
    if isinstance(inner, _Compound) or inner.startswith(("-", "NOT ")):
        return f"NOT ({inner})" if isinstance(inner, _Compound) else f"NOT {inner}"
    return "-" + inner


def _compare(node: ast.Compare) -> str:
    if (node.op == "eq" and node.field.name == "feedback_key" and isinstance(_literal(node.value), ast.String)):
        return f"feedback.{_segments_feedback(_literal(node.value).value)}:*"  # type: ignore[attr-defined]
    if _family(node):
        raise _refuse(node, "a key/value condition needs its key: and(eq(metadata_key, \"k\"), ...)")
    ui = _ui_field(node.field, node)
    if _FIELDS.get()[node.field.name].kind != "scalar":
        raise _refuse(node, f"`{ui}` takes no comparison in the search bar")
    null = isinstance(_literal(node.value), ast.Null)
    if node.op == "eq":
        return f"-{ui}:*" if null else f"{ui}:{_value(node.value, node)}"
    if node.op == "neq":
        if null:
            return f"{ui}:*"
        # neq is false on a missing field; -f:v is true there, so require the field unless every run has it.
        negated = f"-{ui}:{_value(node.value, node)}"
        return negated if not catalog.FIELDS[node.field.name].nullable else _Compound(f"{ui}:* AND {negated}")
    return f"{ui}:{_OPS[node.op]}{_value(node.value, node)}"


def _has(node: ast.Has) -> str:
    if node.field.name != "tags":
        raise _refuse(node, "the search bar matches one key path per clause, not a JSON object")
    return f"tags:{_value(node.value, node)}"


def _in(node: ast.In) -> str:
    if _family(node):
        raise _refuse(node, "a key/value condition needs its key")
    ui = _ui_field(node.field, node)
    if _FIELDS.get()[node.field.name].kind not in ("scalar", "tags"):
        raise _refuse(node, f"`{ui}` takes no list of values")
    return _Compound(" OR ".join(f"{ui}:{_value(item, node)}" for item in node.values.items))


def _like(node: ast.Like) -> str:
    if node.field.name == "feedback_key" and not node.negated and _literal(node.pattern).value == "%":  # type: ignore[attr-defined]
        return "feedback:*"
    if _family(node):
        raise _refuse(node, "a key/value condition needs its key")
    ui = _ui_field(node.field, node)
    if _FIELDS.get()[node.field.name].kind != "scalar":
        raise _refuse(node, f"`{ui}` takes no wildcard in the search bar")
    clause = f"{ui}:{_wildcard(_literal(node.pattern).value, node)}"  # type: ignore[attr-defined]
    if not node.negated:
        return clause
    return f"-{clause}" if not catalog.FIELDS[node.field.name].nullable else _Compound(f"{ui}:* AND -{clause}")


def _search(node: ast.Search) -> str:
    terms = _literal(node.text).value.split()  # type: ignore[attr-defined]
    if node.field is None:
        clauses = [_text(t) for t in terms]
    else:
        ui = _ui_field(node.field, node)
        clauses = [f"{ui}:~{_text(t)}" for t in terms]
    if not clauses:
        raise _refuse(node, "an empty search")
    return clauses[0] if len(clauses) == 1 else _Compound(" AND ".join(clauses))


def _exists(node: ast.Exists) -> str:
    ui = _ui_field(node.field, node)
    if _FIELDS.get()[node.field.name].kind != "object":
        raise _refuse(node, f"`{ui}` has no key paths")
    return f"{ui}.{_segments(_literal(node.key).value)}:*"  # type: ignore[attr-defined]


def _call(node: ast.Call) -> str:
    raise _refuse(node, f"{node.name}() is not a valid call")


# ------------------------------------------------------------------ key/value scopes


def _family(node: ast.Node) -> str | None:
    field = getattr(node, "field", None)
    if not isinstance(field, ast.Field):
        return None
    spec = catalog.lookup(field.name)
    return spec.family if spec is not None else None


def _family_scope(node: ast.And) -> str | None:
    """``and(eq(K, "k"), <value conditions>)`` as one key-path clause, or None when it is not one."""
    if not node.args or not all(_family(a) for a in node.args):
        return None
    first = node.args[0]
    family = _family(first)
    spec = catalog.FAMILIES[family]  # type: ignore[index]
    if not (isinstance(first, ast.Compare) and first.op == "eq" and first.field.name == spec.key
            and isinstance(_literal(first.value), ast.String)):
        return None
    key = _literal(first.value).value  # type: ignore[attr-defined]
    rest = node.args[1:]
    if family == "feedback":
        if not rest:
            return f"feedback.{_segments_feedback(key)}:*"
        head = f"feedback.{_segments_feedback(key)}"
    else:
        ui = _FIELDS.get()[{"input": "inputs", "output": "outputs"}.get(family, family)].ui  # type: ignore[arg-type]
        head = f"{ui}.{_segments(key)}"
    if not rest or any(_family(a) != family or a.field.name == spec.key for a in rest):  # type: ignore[attr-defined]
        return None
    fields = {a.field.name for a in rest}  # type: ignore[attr-defined]
    if len(fields) != 1:
        return None
    (vfield,) = fields
    if family == "feedback":
        sub = next(s for s, f in FEEDBACK_SUBFIELDS.items() if f == vfield)
        head = f"{head}.{sub}"
    if len(rest) == 1:
        return _scope_clause(head, rest[0], family, vfield)
    return _range(head, rest, family)


def _segments_feedback(key: str) -> str:
    return key if _BARE_SEGMENT_RE.fullmatch(key) else _text_quoted(key)


def _scope_clause(head: str, cond: ast.Node, family: str, vfield: str) -> str | None:
    score = vfield == "feedback_score"
    if isinstance(cond, ast.Compare) and not isinstance(_literal(cond.value), ast.Null):
        lit = _literal(cond.value)
        if cond.op == "eq":
            # The search bar's value is text for a key path (a number's JSON text matches it too), a number for a score.
            if score and isinstance(lit, ast.Number) or not score and isinstance(lit, ast.String):
                return f"{head}:{_value(lit, cond)}"
            return None
        if cond.op in _OPS and family in ("metadata", "feedback"):
            return f"{head}:{_OPS[cond.op]}{_value(lit, cond)}"
        return None
    if isinstance(cond, ast.Compare) and cond.op == "neq" and family == "feedback":
        return f"{head}:*"
    if isinstance(cond, ast.Like) and not cond.negated and not score:
        text = _wildcard(_literal(cond.pattern).value, cond)  # type: ignore[attr-defined]
        if text == "*":  # `path:*` reads back as exists(...), which a nested key under the path satisfies too
            raise _refuse(cond, "the search bar's `path:*` asks whether the key exists (nested keys too); "
                                "a value at exactly that key has no search-bar form")
        return f"{head}:{text}" if "*" in text else None
    return None


def _range(head: str, rest: tuple[ast.Expr, ...], family: str) -> str | None:
    if family not in ("metadata", "feedback") or len(rest) != 2:
        return None
    lower = next((c for c in rest if isinstance(c, ast.Compare) and c.op in ("gt", "gte")), None)
    upper = next((c for c in rest if isinstance(c, ast.Compare) and c.op in ("lt", "lte")), None)
    if lower is None or upper is None:
        return None
    lo, hi = _literal(lower.value), _literal(upper.value)
    if not (isinstance(lo, ast.Number) and isinstance(hi, ast.Number)):
        return None
    return f"{head}:{'[' if lower.op == 'gte' else '{'}{lo.text} TO {hi.text}{']' if upper.op == 'lte' else '}'}"


_RENDER: dict[type, Callable[..., str]] = {
    ast.And: _and,
    ast.Or: _or,
    ast.Not: _not,
    ast.Compare: _compare,
    ast.Has: _has,
    ast.In: _in,
    ast.Like: _like,
    ast.Search: _search,
    ast.Exists: _exists,
    ast.Call: _call,
}


def _expr(node: ast.Node) -> str:
    # By class or base class: a checked tree's root is a subclass (filterql.check's Checked).
    rule = next((_RENDER[c] for c in type(node).__mro__ if c in _RENDER), None)
    if rule is None:
        raise TypeError(f"to_ui: no rule for node {type(node).__name__}")
    return rule(node)
