"""Text → AST: an LALR(1) parse driven by Lark's tables, string escapes and syntax errors.

The grammar lives in ``grammar/filterql.lark`` (packaged as
``filterql/filterql.lark``) and is the only description of the syntax: Lark
compiles it into a lexer and LALR(1) tables. Valid input is then parsed by
:func:`_drive`, a small loop over those same tables whose reductions build AST
nodes directly (no parse tree, no recursion, no Lark token objects), about 1.8x
cheaper per filter than Lark's own parser with an inline transformer.

The tables are read from Lark's private attributes, once, and kept in the user
cache directory (:func:`cache_dir`), one file per table format, Lark version
and grammar, holding the grammar it was built from: a start-up does not rebuild
them, and a changed grammar never reads stale ones. Should a Lark release move those attributes,
:func:`parse` falls back to Lark's own parser with a transformer running the
same AST actions (:func:`_parse_with_lark`): the same trees and errors, slower.

Syntax errors are reported from Lark's interactive parser, whose state says
what was expected, so both paths raise the same :class:`FilterSyntaxError`.
Nesting is bounded by :data:`MAX_DEPTH` while tokens are read.
"""

from __future__ import annotations

import functools
import json
import os
import re
import zlib
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import lark

try:  # private: where Lark keeps its LALR actions; without it parse() uses Lark's own parser
    from lark.parsers.lalr_analysis import Shift
except ImportError:  # pragma: no cover - depends on the Lark release
    Shift = None

from . import ast
from .ast import MAX_DEPTH, make_call
from .errors import FilterSyntaxError
from .lexicon import grammar_text

__all__ = ["parse", "cache_dir"]

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

#: Bumped whenever the cached table layout changes.
_TABLE_FORMAT = 1


@functools.lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    """Lark's LALR parser for the grammar: the source of the tables, and the fallback parser.

    Every token is kept (``keep_all_tokens``) so that the AST actions see the
    brackets their spans end on, as they do in :func:`_drive`.
    """
    return lark.Lark(grammar_text(), parser="lalr", maybe_placeholders=False, keep_all_tokens=True,
                     transformer=_Transformer())


def parse(text: str) -> ast.Expr:
    """Parse filter ``text`` into an AST.

    Raises :class:`FilterSyntaxError` (and nothing else) when ``text`` is not a
    filter.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() expects a str, not {type(text).__name__}")
    tables = _tables()
    return _parse(text, _drive if tables is not None else _parse_with_lark)


def _parse(text: str, parse_text: Callable[[str], ast.Expr]) -> ast.Expr:
    """``parse_text(text)``, its escape and list-item errors reported as syntax errors."""
    if not text.strip():
        return _fail(text, len(text), "empty filter", found="end of input",
                     expected=["a function call"], hint='a filter is one call, e.g. eq(run_type, "llm")',
                     code="empty")
    try:
        return parse_text(text)
    except _EscapeError as e:
        return _fail(text, e.offset, e.message, found=e.found, hint=e.hint, code="bad-escape", width=len(e.found))
    except _ListItemError as e:
        return _fail(text, e.tok[2], f"expected a string, a number, true, false or null in a list, found {e.tok[1]!r}",
                     found=e.tok[1], expected=["a string", "a number", "true", "false", "null"],
                     hint="lists hold only literals, not field names", code="bad-list-item", width=len(e.tok[1]))


# ------------------------------------------------------------------- tables

# A token: (terminal name, text, offset, line, column). Tokens never span lines.
_Tok = tuple


class _Tables(NamedTuple):
    token_re: re.Pattern[str]  # ignored text, then one token in a group named after its terminal
    ignore_re: re.Pattern[str]  # ignored text only (what may trail the last token)
    actions: list[dict[str, int]]  # per state: terminal/nonterminal → ≥0 shift/goto state, <0 reduce rule ~n
    rules: list[tuple[int, str, Callable[[list[Any]], Any] | None]]  # (size, origin, action or None to inline)
    start: int
    end: int


def cache_dir() -> str:
    """Where the parse tables are kept: ``$FILTERQL_CACHE_DIR``, else ``$XDG_CACHE_HOME/filterql``,
    else ``~/.cache/filterql``."""
    explicit = os.environ.get("FILTERQL_CACHE_DIR")
    if explicit:
        return explicit
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "filterql")


def _cache_file() -> str:
    # The name tells grammars apart; the file holds its grammar, compared in full on reading.
    key = f"{_TABLE_FORMAT}-{lark.__version__}-{zlib.crc32(grammar_text().encode()):08x}"
    return os.path.join(cache_dir(), f"lalr-{key}.json")


@functools.lru_cache(maxsize=None)
def _tables() -> _Tables | None:
    """The lexer patterns and LALR(1) tables, from the cache or from Lark; None when Lark's
    tables are not where :func:`_read_lark_tables` expects them."""
    path = _cache_file()
    try:
        with open(path, encoding="utf-8") as f:
            cached = json.load(f)
        if cached["grammar"] == grammar_text():
            return _from_plain(cached)
    except (OSError, ValueError, KeyError, TypeError, IndexError, re.error):
        pass  # absent or unreadable: build it
    plain = _read_lark_tables(_parser())
    if plain is None:
        return None
    tables = _from_plain(plain)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(plain, f)
        os.replace(tmp, path)  # atomic: a concurrent start reads the old file or the new one
    except OSError:
        pass  # a read-only home only costs the rebuild
    return tables


def _read_lark_tables(lk: lark.Lark) -> dict[str, Any] | None:
    """The tables Lark built, in plain lists and dicts; None when its private layout is not the expected one."""
    try:
        # Same order as Lark's basic lexer: priority, then longest possible match first.
        terminals = sorted(lk.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value),
                                                        t.name))
        ignored = [t for t in terminals if t.name in lk.ignore_tokens]
        tokens = [t for t in terminals if t.name not in lk.ignore_tokens]
        ignore_re = "|".join(t.pattern.to_regexp() for t in ignored) or "(?!)"
        table = lk.parser.parser.parser.parse_table  # type: ignore[attr-defined]
        rule_ids = {rule: i for i, rule in enumerate(lk.rules)}
        states = list(table.states)
        index = {s: i for i, s in enumerate(states)}
        actions = [{str(sym): index[arg] if act is Shift else ~rule_ids[arg]
                    for sym, (act, arg) in table.states[s].items()} for s in states]
        return {
            # One match per token: any ignored text, then the token in its named group.
            "token_re": f"(?:{ignore_re})*(?:" + "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in tokens)
                        + ")",
            "ignore_re": f"(?:{ignore_re})*",
            "actions": actions,
            "rules": [[len(rule.expansion), str(rule.origin.name)] for rule in lk.rules],
            "start": index[table.start_states["start"]],
            "end": index[table.end_states["start"]],
            "grammar": grammar_text(),
        }
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _from_plain(plain: dict[str, Any]) -> _Tables:
    rules: list[tuple[int, str, Callable[[list[Any]], Any] | None]] = []
    for size, name in plain["rules"]:
        if name.startswith("_"):  # inlined rule: its items join the parent's
            rules.append((size, name, None))
        elif name in _ACTIONS:
            rules.append((size, name, _ACTIONS[name]))
        else:
            raise RuntimeError(f"grammar rule {name!r} has no AST action in filterql/parser.py")
    return _Tables(re.compile(plain["token_re"]), re.compile(plain["ignore_re"]), plain["actions"], rules,
                   plain["start"], plain["end"])


# ------------------------------------------------------------------- driver


def _drive(text: str) -> ast.Expr:
    """Tokenize and LALR-parse ``text`` with the tables, building nodes at each reduction.

    Every stack value is a list of items (tokens and nodes): an inlined ``_rule``
    concatenates its children's items, a named rule replaces them with its node.
    The first child's list is extended in place, so long argument lists stay linear.
    """
    t = _tables()
    assert t is not None
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
                    return _too_deep(text, start, value)
            elif kind in _CLOSERS:
                depth -= 1
        elif pos >= n or t.ignore_re.fullmatch(text, pos):
            kind, tok = "$END", None
        else:  # no token starts here (after any whitespace)
            offset = t.ignore_re.match(text, pos).end()  # type: ignore[union-attr]
            allowed = {k for k in actions[states[-1]] if k.isupper() and k != "$END"} or {"<END-OF-FILE>"}
            return _unexpected_character(text, offset, allowed)
        while True:
            act = actions[states[-1]].get(kind)  # type: ignore[arg-type]
            if act is None:
                accepts = _accepts(t, states) or {k for k in actions[states[-1]] if k.isupper()}
                if tok is None:
                    return _unexpected_token(text, "$END", "", n, accepts)
                return _unexpected_token(text, kind, tok[1], tok[2], accepts)  # type: ignore[arg-type]
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


def _accepts(t: _Tables, states: list[int]) -> set[str]:
    """The terminals that could come next from the parser states ``states``: for each one the
    state has an action for, run its reductions on a copy of the stack and see whether it is
    shifted (as Lark's ``InteractiveParser.accepts`` does). The stack is as deep as the nesting."""
    actions, rules = t.actions, t.rules
    accepted = set()
    for kind in actions[states[-1]]:
        if not kind.isupper():
            continue
        stack = list(states)
        while True:
            act = actions[stack[-1]].get(kind)
            if act is None:
                break
            if act >= 0:
                accepted.add(kind)
                break
            size, origin, _ = rules[~act]
            if size:
                del stack[-size:]
            stack.append(actions[stack[-1]][origin])
            if kind == "$END" and stack[-1] == t.end:  # the whole filter reduced: the end is accepted
                accepted.add(kind)
                break
    return accepted


def _too_deep(text: str, offset: int, found: str) -> Any:
    return _fail(text, offset, f"nesting deeper than {MAX_DEPTH} levels", found=found,
                 hint="split the filter or flatten nested and()/or() calls", code="too-deep")


# ------------------------------------------------------------------- Lark's parser


def _parse_with_lark(text: str) -> ast.Expr:
    """Parse ``text`` with Lark's own LALR parser, the same AST actions building the tree.

    The fallback of :func:`parse` when Lark's tables are not where :func:`_read_lark_tables`
    looks; tested to give the same trees and errors as :func:`_drive`.
    """
    interactive = _parser().parse_interactive(text)
    depth = 0
    try:
        for tok in interactive.iter_parse():  # each token is yielded before it is fed
            if tok.type in _OPENERS:
                depth += 1
                if depth > MAX_DEPTH:
                    return _too_deep(text, tok.start_pos, str(tok))
            elif tok.type in _CLOSERS:
                depth -= 1
        return interactive.feed_eof()  # type: ignore[no-any-return]
    except lark.exceptions.UnexpectedCharacters as e:
        _unexpected_character(text, e.pos_in_stream, e.allowed or ())
    except lark.exceptions.UnexpectedToken as e:
        # What Lark's parse() would attach: the parser at the error, which knows what it accepts.
        accepts = interactive.accepts() or e.expected
        _unexpected_token(text, e.token.type, str(e.token), e.token.start_pos, set(accepts))
    # Unreachable while Lark reports every error it finds; never let it pass silently.
    return _fail(text, 0, "syntax error", code="syntax")


def _items(children: Iterable[Any]) -> list[Any]:
    """Lark's children as the driver's items: tokens become ``_Tok`` tuples, nodes stay."""
    return [(c.type, str(c), c.start_pos, c.line, c.column) if isinstance(c, lark.Token) else c for c in children]


class _Transformer(lark.Transformer):  # type: ignore[type-arg]
    """The AST actions as Lark callbacks, one method per named rule (added below)."""


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


def _callback(action: Callable[[list[Any]], Any]) -> Callable[[Any, list[Any]], Any]:
    return lambda self, children: action(_items(children))


for _rule, _action in _ACTIONS.items():
    setattr(_Transformer, _rule, _callback(_action))
del _rule, _action


# ------------------------------------------------------------------- strings

# JSON's escapes too (\/ \b \f), since SDKs build literals with json.dumps / JSON.stringify.
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/", "b": "\b", "f": "\f"}
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
            else 'known escapes: \\" \\\' \\\\ \\/ \\n \\t \\r \\b \\f \\uXXXX; write \\\\ for a backslash'
        )
        raise _EscapeError(offset + 1 + m.start(), found, f"invalid escape {found!r} in string", hint)

    decoded = _ESCAPE_RE.sub(sub, body)
    # \ud83d\ude00 is one character, as in JSON.
    return _SURROGATE_PAIR_RE.sub(
        lambda m: m.group(0).encode("utf-16", "surrogatepass").decode("utf-16"), decoded
    )


# ------------------------------------------------------------------- errors

_BRACKETS_RE = re.compile(r"""[()\[\]]|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'""")


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


def _unexpected_character(text: str, offset: int, allowed: Iterable[str]) -> None:
    """Raise for the character at ``offset`` that starts no token; ``allowed``: the terminals the state lexes."""
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
    expected = _labels(allowed)
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


def _unexpected_token(text: str, kind: str, found: str, start: int, accepts: set[str]) -> None:
    """Raise for token ``kind`` (``found`` at ``start``), where only the terminals ``accepts`` could follow."""
    expected = _labels(accepts)
    ctx = _context(text, start if kind != "$END" else len(text))
    after = f" after {ctx}" if ctx else ""
    if kind == "$END":
        opened = _unclosed(text, len(text))
        hint = ""
        if opened is not None:
            line, col = _position(text, opened)
            closer = ")" if text[opened] == "(" else "]"
            hint = f'the "{text[opened]}" at line {line}, column {col} is never closed; add "{closer}"'
        _fail(text, len(text.rstrip()), f"unexpected end of input, expected {_or_list(expected)}{after}",
              found="end of input", expected=expected, hint=hint, code="unexpected-end")
    if accepts == {"$END"}:
        hint = 'a filter is a single call; combine several with and(...) or or(...)'
        if found == ")":
            hint = 'there is one ")" too many'
        _fail(text, start, f"unexpected {found!r} after the end of the filter", found=found,
              expected=expected, hint=hint, code="trailing-input", width=len(found))
    hint = ""
    if kind == "NAME" and "NAME" not in accepts and expected:
        if ctx.endswith("[") or ctx.endswith(","):
            hint = "lists hold only literals: strings, numbers, true, false or null"
    if kind in ("STRING", "NUMBER", "NAME") and '","' in expected:
        hint = hint or 'arguments are separated by ","'
    if kind == "NAME" and not accepts & {"NAME"} and ctx.endswith(")"):
        hint = 'arguments are separated by ","'
    if kind == "LPAR" and ctx.rstrip().endswith(("[", ",")) and "NAME" not in accepts:
        hint = "lists hold only literals, not calls"
    if kind == "STRING" and not ctx:
        hint = 'a filter is a call such as search("text"), not a bare string'
    _fail(text, start, f"expected {_or_list(expected)}{after}, found {found!r}", found=found,
          expected=expected, hint=hint, code="unexpected-token", width=max(1, len(found)))
