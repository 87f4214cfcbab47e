"""Text → AST: an LALR(1) parse driven by Lark's tables, string escapes and syntax errors.

The grammar lives in ``grammar/filterql.lark`` (packaged as
``filterql/filterql.lark``) and is the only description of the syntax: Lark
compiles it once into a lexer and LALR(1) tables. Valid input is then parsed by
:func:`_drive`, a small loop over those same tables whose reductions build AST
nodes directly (no parse tree, no recursion, no Lark token objects), which is
about 2.5x cheaper per filter than Lark's own driver and tree builder. On any syntax error
the text is handed to Lark's parser, whose exception (with the parser state)
becomes the :class:`FilterSyntaxError`. Nesting is bounded by
:data:`MAX_DEPTH` while tokens are read.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, NamedTuple, Sequence

import lark
from lark.parsers.lalr_analysis import Shift

from . import ast
from .ast import MAX_DEPTH, make_call
from .errors import FilterSyntaxError
from .lexicon import grammar_text

__all__ = ["parse"]

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
_OPENERS = frozenset({"LPAR", "LSQB"})
_CLOSERS = frozenset({"RPAR", "RSQB"})


@functools.lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    """Lark's LALR parser for the grammar: the source of the tables, and of error reports."""
    return lark.Lark(grammar_text(), parser="lalr", maybe_placeholders=False)


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
    try:
        return _drive(text)
    except _EscapeError as e:
        return _fail(text, e.offset, e.message, found=e.found, hint=e.hint, code="bad-escape", width=len(e.found))
    except _ListItemError as e:
        return _fail(text, e.tok[2], f"expected a string, a number, true, false or null in a list, found {e.tok[1]!r}",
                     found=e.tok[1], expected=["a string", "a number", "true", "false", "null"],
                     hint="lists hold only literals, not field names", code="bad-list-item", width=len(e.tok[1]))


# ------------------------------------------------------------------- driver

# A token: (terminal name, text, offset, line, column). Tokens never span lines.
_Tok = tuple


class _Tables(NamedTuple):
    token_re: re.Pattern[str]  # ignored text, then one token in a group named after its terminal
    ignore_re: re.Pattern[str]  # ignored text only (what may trail the last token)
    actions: list[dict[str, int]]  # per state: terminal/nonterminal → ≥0 shift/goto state, <0 reduce rule ~n
    rules: list[tuple[int, str, Callable[[list[Any]], Any] | None]]  # (size, origin, action or None to inline)
    start: int
    end: int


@functools.lru_cache(maxsize=None)
def _tables() -> _Tables:
    """The lexer pattern and LALR(1) tables Lark built from the grammar, in plain lists and dicts."""
    lk = _parser()
    # Same order as Lark's basic lexer: priority, then longest possible match first.
    terminals = sorted(lk.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
    ignored = [t for t in terminals if t.name in lk.ignore_tokens]
    tokens = [t for t in terminals if t.name not in lk.ignore_tokens]
    ignore_re = "|".join(t.pattern.to_regexp() for t in ignored) or "(?!)"
    # One match per token: any ignored text, then the token in its named group.
    token_re = re.compile(f"(?:{ignore_re})*(?:" + "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in tokens) + ")")
    table = lk.parser.parser.parser.parse_table  # type: ignore[attr-defined]
    rule_ids: dict[Any, int] = {}
    rules: list[tuple[int, str, Callable[[list[Any]], Any] | None]] = []
    for rule in lk.rules:
        name = str(rule.origin.name)  # plain str: Lark's Token compares slowly as a dict key
        if name.startswith("_"):  # inlined rule: its items join the parent's
            action = None
        elif name in _ACTIONS:
            action = _ACTIONS[name]
        else:
            raise RuntimeError(f"grammar rule {name!r} has no AST action in filterql/parser.py")
        rule_ids[rule] = len(rules)
        rules.append((len(rule.expansion), name, action))
    states = list(table.states)
    index = {s: i for i, s in enumerate(states)}
    actions = [
        {str(sym): index[arg] if act is Shift else ~rule_ids[arg] for sym, (act, arg) in table.states[s].items()}
        for s in states
    ]
    return _Tables(token_re, re.compile(f"(?:{ignore_re})*"), actions, rules,
                   index[table.start_states["start"]], index[table.end_states["start"]])


def _drive(text: str) -> ast.Expr:
    """Tokenize and LALR-parse ``text`` with the tables, building nodes at each reduction.

    Every stack value is a list of items (tokens and nodes): an inlined ``_rule``
    concatenates its children's items, a named rule replaces them with its node.
    The first child's list is extended in place, so long argument lists stay linear.
    """
    t = _tables()
    match, actions, rules, end_state = t.token_re.match, t.actions, t.rules, t.end
    states = [t.start]
    values: list[list[Any]] = []
    pos, n, line, line_start, depth = 0, len(text), 1, 0, 0
    while True:
        m = match(text, pos) if pos < n else None
        if m is not None:
            kind = m.lastgroup
            start = m.start(kind)  # type: ignore[arg-type]
            if start != pos:  # ignored text (whitespace) before the token
                gap = text.count("\n", pos, start)
                if gap:
                    line += gap
                    line_start = text.rindex("\n", pos, start) + 1
            pos = m.end()
            value = text[start:pos]
            tok: _Tok | None = (kind, value, start, line, start - line_start + 1)
            if kind in _OPENERS:
                depth += 1
                if depth > MAX_DEPTH:
                    return _fail(text, start, f"nesting deeper than {MAX_DEPTH} levels", found=value,
                                 hint="split the filter or flatten nested and()/or() calls", code="too-deep")
            elif kind in _CLOSERS:
                depth -= 1
        elif pos >= n or t.ignore_re.fullmatch(text, pos):
            kind, tok = "$END", None
        else:
            return _syntax_error(text)
        while True:
            act = actions[states[-1]].get(kind)  # type: ignore[arg-type]
            if act is None:
                return _syntax_error(text)
            if act >= 0:
                states.append(act)
                values.append([tok])
                break
            size, origin, action = rules[~act]
            if size == 1:  # the common case: no concatenation
                if action is not None:
                    values[-1] = [action(values[-1])]
                states[-1] = actions[states[-2]][origin]
            else:
                base = len(values) - size
                items = values[base] if size else []
                for i in range(base + 1, len(values)):
                    items.extend(values[i])
                del values[base:], states[len(states) - size:]
                values.append([action(items)] if action is not None else items)
                states.append(actions[states[-1]][origin])
            if kind == "$END" and states[-1] == end_state:
                return values[-1][0]  # type: ignore[no-any-return]


def _syntax_error(text: str) -> Any:
    """Report the syntax error in ``text`` through Lark's parser, which knows what it expected."""
    try:
        _parser().parse(text)
    except lark.exceptions.UnexpectedCharacters as e:
        _unexpected_character(text, e)
    except lark.exceptions.UnexpectedToken as e:
        _unexpected_token(text, e)
    # Unreachable while the driver and Lark read the same tables; never let it pass silently.
    return _fail(text, 0, "syntax error", code="syntax")


# ------------------------------------------------------------------- AST actions


class _ListItemError(Exception):
    def __init__(self, tok: _Tok) -> None:
        super().__init__(tok[1])
        self.tok = tok


def _span(first: _Tok, last: _Tok) -> ast.Span:
    return ast.Span(first[2], last[2] + len(last[1]), first[3], first[4], last[3], last[4] + len(last[1]))


def _start(items: list[Any]) -> ast.Expr:
    return items[0]  # type: ignore[no-any-return]


def _call(items: list[Any]) -> ast.Expr:
    # items: NAME "(" arg ("," arg)* ")"
    args = [c for c in items[2:-1] if type(c) is not tuple]
    return make_call(items[0][1], args, _span(items[0], items[-1]))


def _name(items: list[Any]) -> ast.Node:
    tok = items[0]
    value = tok[1]
    if value == "true" or value == "false":
        return ast.Bool(value == "true", span=_span(tok, tok))
    if value == "null":
        return ast.Null(span=_span(tok, tok))
    return ast.Field(value, span=_span(tok, tok))


def _string(items: list[Any]) -> ast.String:
    tok = items[0]
    return ast.String(_decode(tok[1], tok[2]), span=_span(tok, tok))


def _number(items: list[Any]) -> ast.Number:
    tok = items[0]
    return ast.Number(tok[1], span=_span(tok, tok))


def _list(items: list[Any]) -> ast.ListLit:
    values = [c for c in items[1:-1] if type(c) is not tuple]
    for item in values:
        if isinstance(item, ast.Field):  # the grammar lets names in for true/false/null
            sp = item.span
            raise _ListItemError(("NAME", item.name, sp.start, sp.line, sp.column))
    return ast.ListLit(values, span=_span(items[0], items[-1]))


#: One action per named grammar rule, applied at its reduction.
_ACTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "start": _start,
    "call": _call,
    "name": _name,
    "string": _string,
    "number": _number,
    "list": _list,
}


# ------------------------------------------------------------------- strings

_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SURROGATE_PAIR_RE = re.compile("[\ud800-\udbff][\udc00-\udfff]")


class _EscapeError(Exception):
    def __init__(self, offset: int, found: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.offset, self.found, self.message, self.hint = offset, found, message, hint


def _decode(literal: str, offset: int) -> str:
    """The value of string token ``literal`` found at ``offset``, escapes decoded."""
    body = literal[1:-1]
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
        raise _EscapeError(offset + 1 + m.start(), found, f"invalid escape {found!r} in string", hint)

    decoded = _ESCAPE_RE.sub(sub, body)
    # \ud83d\ude00 is one character, as in JSON.
    return _SURROGATE_PAIR_RE.sub(
        lambda m: m.group(0).encode("utf-16", "surrogatepass").decode("utf-16"), decoded
    )


# ------------------------------------------------------------------- errors

_BRACKETS_RE = re.compile(r"""[()\[\]]|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")


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
