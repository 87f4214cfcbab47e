"""Python string expressions → filter templates: the text, its holes, and where each character is in the file.

A template is what a Python expression builds at run time, read without running it: a string literal
(any prefix, implicit concatenation, escapes), an f-string, ``"..." % args``, ``"...".format(...)`` or a
``+`` chain of these and other expressions. Each constant character keeps its (line, column) in the file
(the column of the first character of its escape sequence), and each hole its expression and the place
of its ``{``, ``%`` or operand, so diagnostics point into the Python source.
"""

from __future__ import annotations

import ast as pyast
import re
import unicodedata
from typing import Callable, Iterator, Sequence, Union

import attrs

__all__ = ["Hole", "Template", "template", "Source", "Literal"]

_NUMBER_SPEC_RE = re.compile(r".*[bcdeEfFgGnoxX%]$")
_PERCENT_RE = re.compile(r"%(?:\((\w*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
_FORMAT_FIELD_RE = re.compile(r"\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}")
_TOKEN_RE = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")
_ESCAPE_RE = re.compile(r"x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{1,3})|N\{([^}]*)\}")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
                   "t": "\t", "v": "\v"}


@attrs.frozen
class Hole:
    """A value computed at run time: ``expr`` (None when it cannot be told), ``kind`` ``"number"`` for a
    numeric conversion (``%d``, ``{n:.2f}``) or constant, else ``"text"``; ``line``/``column`` 1-based."""

    expr: pyast.expr | None = attrs.field(eq=False)
    kind: str
    line: int
    column: int
    written: str


@attrs.frozen
class Char:
    char: str
    line: int
    column: int


Item = Union[Char, Hole]


@attrs.frozen
class Template:
    """The items of a built string, in order; ``literal`` is set when it is one plain literal token."""

    items: tuple[Item, ...]
    literal: Literal | None = None

    @property
    def holes(self) -> list[Hole]:
        return [i for i in self.items if isinstance(i, Hole)]

    @property
    def text(self) -> str:
        """The constant text, holes left out (meaningful when there are none)."""
        return "".join(i.char for i in self.items if isinstance(i, Char))


@attrs.frozen
class Literal:
    """One string token in the file: absolute character offsets of the whole token, and its parts."""

    start: int
    end: int
    prefix: str
    quote: str


class Source:
    """A Python file's text, with conversions from the ``ast`` module's positions (UTF-8 byte columns)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0]
        for m in re.finditer("\n", text):
            self.line_starts.append(m.end())

    def offset(self, line: int, byte_col: int) -> int:
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return start + len(self.text[start:end].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of absolute character ``offset``."""
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.line_starts[lo] + 1

    def node_span(self, node: pyast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]


# ------------------------------------------------------------------ literal tokens


def _tokens(src: Source, start: int, end: int) -> Iterator[tuple[int, int, str, str, int, int]]:
    """Each string token between offsets: (token start, token end, prefix, quote, body start, body end)."""
    text, i = src.text, start
    while i < end:
        c = text[i]
        if c in " \t\r\n\f\\(":
            i += 1
            continue
        if c == "#":
            i = text.find("\n", i)
            i = end if i < 0 else i
            continue
        m = _TOKEN_RE.match(text, i)
        if m is None:
            return
        prefix, quote = m.group(1), m.group(2)
        body = m.end()
        j = _body_end(text, body, quote, "f" in prefix.lower())
        yield i, j + len(quote), prefix, quote, body, j
        i = j + len(quote)


def _body_end(text: str, i: int, quote: str, fstring: bool) -> int:
    """Offset of the closing quote of a body starting at ``i``."""
    n = len(text)
    while i < n:
        if text.startswith(quote, i):
            return i
        c = text[i]
        if c == "\\":
            i += 2
        elif fstring and c == "{":
            if text.startswith("{{", i):
                i += 2
            else:
                i = _field_end(text, i) + 1
        else:
            i += 1
    return n


def _field_end(text: str, i: int) -> int:
    """Offset of the ``}`` closing the f-string replacement field opened at ``i``."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            q = text[i:i + 3] if text.startswith(c * 3, i) else c
            k = text.find(q, i + len(q))
            i = n if k < 0 else k + len(q)
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _decode(src: Source, body: int, end: int, raw: bool) -> Iterator[Char]:
    """The characters of a literal body, each at the position of its source text."""
    text, i = src.text, body
    while i < end:
        line, column = src.position(i)
        c = text[i]
        if c != "\\" or raw:
            if raw and c == "\\" and i + 1 < end:  # a raw string keeps the backslash and the next character
                yield Char(c, line, column)
                nline, ncol = src.position(i + 1)
                yield Char(text[i + 1], nline, ncol)
                i += 2
                continue
            yield Char(c, line, column)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < end else ""
        if nxt == "\n":
            i += 2
            continue
        if nxt in _SIMPLE_ESCAPES:
            yield Char(_SIMPLE_ESCAPES[nxt], line, column)
            i += 2
            continue
        m = _ESCAPE_RE.match(text, i + 1)
        if m:
            hexa = m.group(1) or m.group(2) or m.group(3)
            if hexa:
                ch = chr(int(hexa, 16))
            elif m.group(4):
                ch = chr(int(m.group(4), 8))
            else:
                try:
                    ch = unicodedata.lookup(m.group(5))
                except KeyError:  # not valid Python either; the file would not have parsed
                    ch = "?"
            yield Char(ch, line, column)
            i = m.end()
            continue
        yield Char("\\", line, column)  # an unknown escape keeps its backslash
        i += 1


def _fstring_items(src: Source, body: int, end: int, raw: bool, values: list[pyast.expr]) -> Iterator[Item]:
    """The items of an f-string body; ``values`` supplies the FormattedValue nodes in order."""
    text, i, chunk = src.text, body, body
    while i < end:
        c = text[i]
        if c == "\\" and not raw:
            i += 2
            continue
        if text.startswith("{{", i) or text.startswith("}}", i):
            yield from _decode(src, chunk, i + 1, raw)
            i += 2
            chunk = i
            continue
        if c == "{":
            yield from _decode(src, chunk, i, raw)
            close = _field_end(text, i)
            line, column = src.position(i)
            node = values.pop(0) if values else None
            expr = node.value if isinstance(node, pyast.FormattedValue) else None
            kind = _kind_of(expr, getattr(node, "conversion", -1), _spec_text(node))
            yield Hole(expr, kind, line, column, text[i:close + 1])
            i = chunk = close + 1
            continue
        i += 1
    yield from _decode(src, chunk, end, raw)


def _spec_text(node: pyast.AST | None) -> str:
    spec = getattr(node, "format_spec", None)
    if isinstance(spec, pyast.JoinedStr):
        return "".join(v.value for v in spec.values if isinstance(v, pyast.Constant) and isinstance(v.value, str))
    return ""


def _kind_of(expr: pyast.expr | None, conversion: int, spec: str) -> str:
    if conversion in (ord("r"), ord("a")):
        return "text"
    if spec and _NUMBER_SPEC_RE.match(spec):
        return "number"
    if isinstance(expr, pyast.Constant) and isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool):
        return "number"
    return "text"


def _string_items(src: Source, node: pyast.expr) -> tuple[list[Item], Literal | None] | None:
    """The items of a str Constant or JoinedStr, read from its tokens; None for bytes."""
    start, end = src.node_span(node)
    values = [v for v in node.values if isinstance(v, pyast.FormattedValue)] if isinstance(node, pyast.JoinedStr) else []
    items: list[Item] = []
    tokens = list(_tokens(src, start, end))
    for tok_start, tok_end, prefix, quote, body, body_end in tokens:
        p = prefix.lower()
        if "b" in p:
            return None
        if "f" in p:
            items.extend(_fstring_items(src, body, body_end, "r" in p, values))
        else:
            items.extend(_decode(src, body, body_end, "r" in p))
    literal = None
    if len(tokens) == 1 and isinstance(node, pyast.Constant):
        tok_start, tok_end, prefix, quote, _, _ = tokens[0]
        literal = Literal(tok_start, tok_end, prefix, quote)
    return items, literal


# ------------------------------------------------------------------ templates


def template(node: pyast.expr, src: Source) -> Template | None:
    """The template ``node`` builds, or None when it is not built from a string literal."""
    if isinstance(node, pyast.Constant) and isinstance(node.value, str) or isinstance(node, pyast.JoinedStr):
        read = _string_items(src, node)
        return None if read is None else Template(tuple(read[0]), read[1])
    if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Add):
        left, right = template(node.left, src), template(node.right, src)
        if left is None and right is None:
            return None
        return Template(_or_hole(left, node.left, src) + _or_hole(right, node.right, src))
    if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Mod):
        base = template(node.left, src)
        return None if base is None else Template(tuple(_percent(base.items, node.right, src)))
    if (isinstance(node, pyast.Call) and isinstance(node.func, pyast.Attribute) and node.func.attr == "format"):
        base = template(node.func.value, src)
        return None if base is None else Template(tuple(_format(base.items, node.args, node.keywords)))
    return None


def _or_hole(t: Template | None, node: pyast.expr, src: Source) -> tuple[Item, ...]:
    if t is not None:
        return t.items
    line, column = src.position(src.offset(node.lineno, node.col_offset))
    return (Hole(node, _kind_of(node, -1, ""), line, column, pyast.unparse(node)),)


def _constant_runs(items: Sequence[Item]) -> Iterator[tuple[str, list[Char]] | Hole]:
    run: list[Char] = []
    for item in items:
        if isinstance(item, Char):
            run.append(item)
        else:
            if run:
                yield "".join(c.char for c in run), run
                run = []
            yield item
    if run:
        yield "".join(c.char for c in run), run


def _expand(items: Sequence[Item], pattern: re.Pattern[str], field: Callable[[re.Match[str], Char], Item]) -> Iterator[Item]:
    """``items`` with each match of ``pattern`` in their constant text replaced by ``field(match, its first char)``."""
    for part in _constant_runs(items):
        if isinstance(part, Hole):
            yield part
            continue
        text, chars = part
        pos = 0
        for m in pattern.finditer(text):
            yield from chars[pos:m.start()]
            pos = m.end()
            yield field(m, chars[m.start()])
        yield from chars[pos:]


def _percent(items: Sequence[Item], args: pyast.expr, src: Source) -> Iterator[Item]:
    """``template % args``: each conversion becomes a hole bound to its argument."""
    positional = list(args.elts) if isinstance(args, pyast.Tuple) else None
    named = ({k.value: v for k, v in zip(args.keys, args.values) if isinstance(k, pyast.Constant)}
             if isinstance(args, pyast.Dict) else {})
    single = [args] if positional is None and not isinstance(args, pyast.Dict) else []

    def field(m: re.Match[str], c: Char) -> Item:
        conversion = m.group(2)
        if conversion == "%":
            return Char("%", c.line, c.column)
        if m.group(1) is not None:
            expr = named.get(m.group(1))
        else:
            rest = positional if positional is not None else single
            expr = rest.pop(0) if rest else None
        kind = "number" if conversion in "diouxXeEfFgGc" else _kind_of(expr, ord(conversion) if conversion in "ra" else -1, "")
        return Hole(expr, kind, c.line, c.column, m.group(0))

    return _expand(items, _PERCENT_RE, field)


def _format(items: Sequence[Item], args: list[pyast.expr], keywords: list[pyast.keyword]) -> Iterator[Item]:
    """``template.format(...)``: each replacement field becomes a hole bound to its argument."""
    named = {k.arg: k.value for k in keywords if k.arg}
    auto = iter(args)

    def field(m: re.Match[str], c: Char) -> Item:
        if m.group(0) in ("{{", "}}"):
            return Char(m.group(0)[0], c.line, c.column)
        name = m.group(1)
        expr: pyast.expr | None = None
        if name == "":
            expr = next(auto, None)
        elif name.isdigit():
            expr = args[int(name)] if int(name) < len(args) else None
        elif name.isidentifier():
            expr = named.get(name)
        conversion = ord(m.group(2)) if m.group(2) else -1
        return Hole(expr, _kind_of(expr, conversion, m.group(3) or ""), c.line, c.column, m.group(0))

    return _expand(items, _FORMAT_FIELD_RE, field)
