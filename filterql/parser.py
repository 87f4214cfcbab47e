"""Text → AST: the Lark LALR parser, string-escape decoding and syntax errors.

The grammar lives in ``grammar/filterql.lark`` (packaged as
``filterql/filterql.lark``). The builder runs inside the LALR parser at each
reduction, so no parse tree is built and no stage recurses on untrusted depth:
nesting is bounded by :data:`MAX_DEPTH` before parsing starts.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import lark
from lark import Token

from . import ast
from .errors import FilterSyntaxError

__all__ = ["parse", "make_call", "grammar_text", "MAX_DEPTH"]

#: Deepest nesting of calls and lists accepted. Every later stage recurses on
#: the tree, so this bound is what keeps them clear of Python's recursion limit.
MAX_DEPTH = 128

_LABELS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "LPAR": '"("',
    "COMMA": '","',
    "RPAR": '")"',
    "LSQB": '"["',
    "RSQB": '"]"',
    "$END": "end of input",
}
_LABEL_ORDER = list(_LABELS)


def grammar_text() -> str:
    """The grammar source: packaged in the wheel, or ``grammar/`` in a source checkout."""
    packaged = resources.files("filterql").joinpath("filterql.lark")
    if packaged.is_file():
        return packaged.read_text("utf-8")
    return (Path(__file__).resolve().parent.parent / "grammar" / "filterql.lark").read_text("utf-8")


@functools.lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        transformer=_Builder(),
        maybe_placeholders=False,
        keep_all_tokens=True,  # the brackets carry the end positions of spans
    )


def parse(text: str) -> ast.Expr:
    """Parse filter ``text`` into an AST.

    Raises :class:`FilterSyntaxError` (and nothing else) when ``text`` is not a
    filter.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() expects a str, not {type(text).__name__}")
    if not text.strip():
        return _fail(text, len(text), "empty filter", found="end of input",
                     expected=["a function call"], hint='a filter is one call, e.g. eq(run_type, "llm")',
                     code="empty")
    _check_depth(text)
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedCharacters as e:
        _unexpected_character(text, e)
    except lark.exceptions.UnexpectedToken as e:
        _unexpected_token(text, e)
    except _EscapeError as e:
        _fail(text, e.offset, e.message, found=e.found, hint=e.hint, code="bad-escape", width=len(e.found))
    assert isinstance(tree, ast.Expr)
    return tree


# ------------------------------------------------------------------- builder


class _Builder(lark.Transformer):  # type: ignore[type-arg]
    """One method per grammar rule; runs at each LALR reduction."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self._text = ""

    def start(self, children: list[Any]) -> ast.Expr:
        return children[0]

    def call(self, children: list[Any]) -> ast.Expr:
        name_tok, close = children[0], children[-1]
        args = [c for c in children[2:-1] if not isinstance(c, Token)]
        return make_call(name_tok.value, args, _span(name_tok, close))

    def name(self, children: list[Token]) -> ast.Node:
        tok = children[0]
        span = _span(tok, tok)
        if tok.value == "true" or tok.value == "false":
            return ast.Bool(tok.value == "true", span=span)
        if tok.value == "null":
            return ast.Null(span=span)
        return ast.Field(tok.value, span=span)

    def string(self, children: list[Token]) -> ast.String:
        tok = children[0]
        return ast.String(_decode(tok), span=_span(tok, tok))

    def number(self, children: list[Token]) -> ast.Number:
        tok = children[0]
        return ast.Number(tok.value, span=_span(tok, tok))

    def list(self, children: list[Any]) -> ast.ListLit:
        items = [c for c in children[1:-1] if not isinstance(c, Token)]
        for item in items:
            if isinstance(item, ast.Field):
                sp = item.span
                raise lark.exceptions.UnexpectedToken(
                    Token("NAME", item.name, sp.start, sp.line, sp.column, sp.end_line, sp.end_column, sp.end),
                    {"STRING", "NUMBER"},
                )
        return ast.ListLit(items, span=_span(children[0], children[-1]))


def _span(first: Token, last: Token) -> ast.Span:
    return ast.Span(first.start_pos, last.end_pos, first.line, first.column, last.end_line, last.end_column)


def make_call(name: str, args: Sequence[Any], span: ast.Span | None = None) -> ast.Expr:
    """Build the typed node for ``name(args...)``, or a generic :class:`ast.Call`.

    Shared by the parser and :func:`filterql.from_json`, so both give the same
    tree. A call whose name or argument shapes do not fit a typed node stays a
    ``Call`` for the validator to report.
    """
    n = len(args)
    kinds = [_kind(a) for a in args]
    if name in ("and", "or") and n >= 1 and all(k == "expr" for k in kinds):
        return (ast.And if name == "and" else ast.Or)(args, span=span)
    if name == "not" and kinds == ["expr"]:
        return ast.Not(args[0], span=span)
    if name in ast.COMPARISON_OPS and kinds == ["field", "scalar"]:
        return ast.Compare(name, args[0], args[1], span=span)
    if name == "has" and kinds == ["field", "scalar"]:
        return ast.Has(args[0], args[1], span=span)
    if name == "exists" and kinds == ["field", "scalar"]:
        return ast.Exists(args[0], args[1], span=span)
    if name == "in" and kinds == ["field", "list"]:
        return ast.In(args[0], args[1], span=span)
    if name in ("like", "notlike") and kinds == ["field", "scalar"]:
        return ast.Like(args[0], args[1], negated=name == "notlike", span=span)
    if name == "search" and kinds == ["scalar"]:
        return ast.Search(args[0], span=span)
    if name == "search" and kinds == ["field", "scalar"]:
        return ast.Search(args[1], args[0], span=span)
    return ast.Call(name, args, span=span)


def _kind(node: Any) -> str:
    if isinstance(node, ast.Expr):
        return "expr"
    if isinstance(node, ast.Field):
        return "field"
    if isinstance(node, ast.ListLit):
        return "list"
    return "scalar"


# ------------------------------------------------------------------- strings

_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SURROGATE_PAIR_RE = re.compile("[\ud800-\udbff][\udc00-\udfff]")


class _EscapeError(Exception):
    def __init__(self, offset: int, found: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.offset, self.found, self.message, self.hint = offset, found, message, hint


def _decode(tok: Token) -> str:
    body = tok.value[1:-1]
    if "\\" not in body:
        return body

    def sub(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc in _ESCAPES:
            return _ESCAPES[esc]
        if len(esc) == 5:
            return chr(int(esc[1:], 16))
        found = m.group(0) if esc != "u" else body[m.start() : m.start() + 6]
        hint = (
            "\\u takes exactly four hex digits, e.g. \\u00e9"
            if esc == "u"
            else 'known escapes: \\" \\\' \\\\ \\n \\t \\r \\uXXXX; write \\\\ for a backslash'
        )
        raise _EscapeError(tok.start_pos + 1 + m.start(), found, f"invalid escape {found!r} in string", hint)

    decoded = _ESCAPE_RE.sub(sub, body)
    # \ud83d\ude00 is one character, as in JSON.
    return _SURROGATE_PAIR_RE.sub(
        lambda m: m.group(0).encode("utf-16", "surrogatepass").decode("utf-16"), decoded
    )


# ------------------------------------------------------------------- errors

_BRACKETS_RE = re.compile(r"""[()\[\]]|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")


def _check_depth(text: str) -> None:
    depth = 0
    for m in _BRACKETS_RE.finditer(text):
        c = m.group(0)
        if c in "([":
            depth += 1
            if depth > MAX_DEPTH:
                _fail(text, m.start(), f"nesting deeper than {MAX_DEPTH} levels", found=c,
                      hint="split the filter or flatten nested and()/or() calls", code="too-deep")
        elif c in ")]":
            depth -= 1


def _unclosed(text: str, upto: int) -> int | None:
    """Offset of the innermost bracket still open at ``upto``."""
    stack: list[int] = []
    for m in _BRACKETS_RE.finditer(text, 0, upto):
        c = m.group(0)
        if c in "([":
            stack.append(m.start())
        elif c in ")]" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _fail(text: str, offset: int, message: str, *, found: str = "", expected: Sequence[str] = (),
          hint: str = "", code: str = "syntax", width: int = 1) -> Any:
    line, column = _position(text, offset)
    raise FilterSyntaxError(message, text=text, offset=offset, line=line, column=column, found=found,
                            expected=expected, hint=hint, code=code, width=width) from None


def _labels(terminals: Any) -> list[str]:
    names = [t for t in terminals if t in _LABELS]
    # A name can always start a nested call, so "(" after a name is noise next to "," or ")".
    if "LPAR" in names and len(names) > 1:
        names.remove("LPAR")
    return [_LABELS[t] for t in sorted(set(names), key=_LABEL_ORDER.index)]


def _or_list(labels: Sequence[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _context(text: str, offset: int) -> str:
    before = text[:offset].rstrip()
    line_start = before.rfind("\n") + 1
    ctx = before[line_start:].strip()
    return ctx if len(ctx) <= 30 else "…" + ctx[-29:]


def _unexpected_character(text: str, e: lark.exceptions.UnexpectedCharacters) -> None:
    offset = e.pos_in_stream
    ch = text[offset]
    if ch in "\"'":
        end = text.find("\n", offset)
        rest = text[offset : end if end >= 0 else len(text)]
        hint = f"close the string with {ch}; a string cannot span lines (write \\n for a newline)"
        if "\\" in rest and re.search(r"\\" + ch + r"\s*\)*\s*$", rest):
            hint = f"the closing {ch} is escaped by the backslash before it; write \\\\ for a backslash"
        _fail(text, offset, "unterminated string", found=rest[:20], expected=[], hint=hint,
              code="unterminated-string", width=len(rest))
    found = repr(ch)
    expected = _labels(e.allowed or ())
    hint = ""
    if ch == ":":
        hint = 'this looks like the UI search-bar syntax (status:error); the API language is eq(status, "error")'
    elif ch == ".":
        hint = "field names have no dots; for metadata.x write and(eq(metadata_key, \"x\"), eq(metadata_value, ...))"
    elif ch == "`" or ch == "\u201c" or ch == "\u2018":
        hint = "strings are quoted with \" or '"
    msg = f"unexpected character {found}"
    if expected:
        msg += f", expected {_or_list(expected)}"
    ctx = _context(text, offset)
    if ctx:
        msg += f" after {ctx}"
    _fail(text, offset, msg, found=ch, expected=expected, hint=hint, code="unexpected-character")


def _unexpected_token(text: str, e: lark.exceptions.UnexpectedToken) -> None:
    tok = e.token
    try:
        accepts = e.accepts or e.expected
    except Exception:  # pragma: no cover - interactive parser unavailable
        accepts = e.expected
    expected = _labels(accepts)
    ctx = _context(text, tok.start_pos if tok.type != "$END" else len(text))
    after = f" after {ctx}" if ctx else ""
    if tok.type == "$END":
        opened = _unclosed(text, len(text))
        hint = ""
        if opened is not None:
            line, col = _position(text, opened)
            closer = ")" if text[opened] == "(" else "]"
            hint = f'the "{text[opened]}" at line {line}, column {col} is never closed; add "{closer}"'
        _fail(text, len(text.rstrip()), f"unexpected end of input, expected {_or_list(expected)}{after}",
              found="end of input", expected=expected, hint=hint, code="unexpected-end")
    found = tok.value
    if accepts == {"$END"} or set(accepts) == {"$END"}:
        hint = 'a filter is a single call; combine several with and(...) or or(...)'
        if found == ")":
            hint = 'there is one ")" too many'
        _fail(text, tok.start_pos, f"unexpected {found!r} after the end of the filter", found=found,
              expected=expected, hint=hint, code="trailing-input", width=len(found))
    hint = ""
    if tok.type == "NAME" and "NAME" not in accepts and expected:
        if ctx.endswith("[") or ctx.endswith(","):
            hint = "lists hold only literals: strings, numbers, true, false or null"
    if tok.type in ("STRING", "NUMBER", "NAME") and '","' in expected:
        hint = hint or 'arguments are separated by ","'
    if tok.type == "NAME" and not accepts & {"NAME"} and ctx.endswith(")"):
        hint = 'arguments are separated by ","'
    if tok.type == "LPAR" and ctx.rstrip().endswith(("[", ",")) and "NAME" not in accepts:
        hint = "lists hold only literals, not calls"
    if tok.type == "STRING" and not ctx:
        hint = 'a filter is a call such as search("text"), not a bare string'
    _fail(text, tok.start_pos, f"expected {_or_list(expected)}{after}, found {found!r}", found=found,
          expected=expected, hint=hint, code="unexpected-token", width=max(1, len(found)))
