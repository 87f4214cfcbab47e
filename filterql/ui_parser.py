"""UI search-bar text → the API language's typed AST (SPEC §11).

The syntax is ``grammar/ui_search.lark`` (packaged as ``filterql/ui_search.lark``), parsed by
Lark's LALR parser; :func:`from_ui` then gives each clause the meaning the docs page "Filter
traces" states, as the same nodes :func:`filterql.parse` builds, so validation, evaluation and
SQL apply unchanged. Where the page is silent or the API language has no exact form, the clause
is refused with a :class:`FilterSyntaxError` naming it (docs/ui-search-bar.md lists each case).
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any, Mapping, Sequence

import lark

from . import ast, catalog
from .catalog import FieldType
from .errors import FilterSyntaxError
from .hints import did_you_mean
from .ast import MAX_DEPTH
from .lexicon import grammar_text, is_number
from .ui_fields import (FEEDBACK_SUBFIELDS, NO_API_FORM, NO_THREAD_FORM, THREAD_FIELDS, UI_FIELDS, UIField,
                        scope_context)

__all__ = ["from_ui", "scope_context"]

_LABELS = {
    "FIELD": "a field and a colon (status:)",
    "TERM": "a search term",
    "STRING": "a quoted string",
    "VALUE": "a value",
    "STAR": '"*"',
    "OP": "a comparison (> >= < <=)",
    "TILDE": '"~"',
    "RANGE": "a range such as [1 TO 5]",
    "NEG": '"-"',
    "_NOT": "NOT",
    "_AND": "AND",
    "_OR": "OR",
    "LPAR": '"("',
    "RPAR": '")"',
    "LBRACE": '"{"',
    "RBRACE": '"}"',
    "$END": "end of input",
}
_OPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
_NUMERIC = (FieldType.INTEGER, FieldType.DECIMAL, FieldType.SECONDS, FieldType.FAMILY_SCORE)
_SEGMENT_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([^."]+)')
_CALL_RE = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\(")
_ESCAPED_RE = re.compile(r"\\(.)", re.DOTALL)
_RANGE_RE = re.compile(r'([\[{])\s*("(?:[^"\\\n]|\\.)*"|(?:[^\s"\\]|\\.)+?)\s+TO\s+("(?:[^"\\\n]|\\.)*"|(?:[^\s"\\]|\\.)+?)\s*([\]}])')


@functools.lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    return lark.Lark(grammar_text("ui_search.lark"), parser="lalr", lexer="contextual", propagate_positions=True,
                     maybe_placeholders=False)


def from_ui(text: str, scope: str = "single run") -> ast.Expr:
    """The AST of search-bar query ``text`` in ``scope`` (single run, root run, any run, thread).

    The result means what the query means in that scope when passed as the scope's argument
    (:func:`scope_context`). Raises :class:`FilterSyntaxError` (and nothing else for text) when
    ``text`` is not a query, or has no exact form in the API language.
    """
    if not isinstance(text, str):
        raise TypeError(f"from_ui() expects a str, not {type(text).__name__}")
    context = scope_context(scope)
    if context not in catalog.CONTEXTS:
        _fail(text, 0, f"the {scope!r} scope filters with {context}, which filterql does not support yet",
              code="unsupported-scope", hint="use the single run, root run or any run scope")
    if not text.strip():
        _fail(text, len(text), "empty query", found="end of input", code="empty",
              hint="a query is a clause such as status:error")
    _check_depth(text)
    call = _CALL_RE.match(text)
    if call:  # `eq(...)`: a word glued to "(" is the API language, not two search-bar clauses
        _fail(text, call.end() - 1, "this looks like the API language, not the search bar", found="(",
              code="api-syntax", hint="parse it with filterql.parse, or filterql translate --from api --to ui")
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as e:
        _syntax_error(text, e)
    return _Builder(text, context == "thread_filter").build(tree.children[0], ())


# ------------------------------------------------------------------ building


def _span(text: str, start: int, end: int) -> ast.Span:
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
    return ast.Span(start, end, line, column, end_line, end_column)


def _unescape(raw: str) -> str:
    return _ESCAPED_RE.sub(lambda m: m.group(1), raw)


def _like_pattern(raw: str) -> str | None:
    """The LIKE pattern of an unquoted value with an unescaped ``*``, or None when it has none."""
    out, wild, i = [], False, 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            c, i = raw[i + 1], i + 1
            out.append("\\" + c if c in "%_\\" else c)
        elif c == "*":
            out.append("%")
            wild = True
        else:
            out.append("\\" + c if c in "%_" else c)
        i += 1
    return "".join(out) if wild else None


class _Value:
    """A clause's value as written: its text, and its LIKE pattern when it has a wildcard."""

    def __init__(self, tok: lark.Token) -> None:
        self.tok = tok
        self.quoted = tok.type == "STRING"
        raw = tok.value[1:-1] if self.quoted else tok.value
        self.text = _unescape(raw)
        self.pattern = None if self.quoted else _like_pattern(raw)


class _Builder:
    def __init__(self, text: str, thread: bool) -> None:
        self.text = text
        self.thread = thread
        # The Thread scope has its own fields (a thread summary's); the run scopes share the run fields.
        self.fields: Mapping[str, UIField] = THREAD_FIELDS if thread else UI_FIELDS
        self.no_form: Mapping[str, str] = NO_THREAD_FORM if thread else NO_API_FORM

    def fail(self, start: int, end: int, message: str, hint: str = "", code: str = "no-api-form") -> Any:
        _fail(self.text, start, message, found=self.text[start:end], hint=hint, code=code, width=max(1, end - start))

    def span(self, node: Any) -> ast.Span:
        if isinstance(node, lark.Token):
            return _span(self.text, node.start_pos, node.end_pos)
        return _span(self.text, node.meta.start_pos, node.meta.end_pos)

    def build(self, node: Any, prefix: tuple[str, ...]) -> ast.Expr:
        if isinstance(node, lark.Token):  # never: every token sits in a rule
            raise AssertionError(node)
        kind = node.data
        if kind in ("and_", "or_"):
            cls = ast.And if kind == "and_" else ast.Or
            return cls([self.build(c, prefix) for c in node.children], span=self.span(node))
        if kind == "not_":
            return ast.Not(self.build(node.children[-1], prefix), span=self.span(node))
        if kind == "term":
            return self.term(node, prefix)
        return self.clause(node, prefix)

    def term(self, node: lark.Tree, prefix: tuple[str, ...]) -> ast.Expr:
        tok = node.children[0]
        if prefix:
            self.fail(tok.start_pos, tok.end_pos, "a {...} group holds clauses, not search terms",
                      hint="write feedback:{correctness.score:>0.5}", code="unexpected-token")
        if self.thread:  # the docs: "The Thread scope does not support bare-term search"
            self.fail(tok.start_pos, tok.end_pos, "the Thread scope has no bare-term search",
                      hint="search the runs in the Any run scope (tree_filter)")
        value = _Value(tok)
        return ast.Search(self.search_text(tok, value), span=self.span(node))

    def search_text(self, tok: lark.Token, value: _Value) -> ast.String:
        if value.pattern is not None:
            self.fail(tok.start_pos, tok.end_pos, "full-text search takes words, not wildcards",
                      hint='search the word without "*", or quote it to search for "*" itself')
        if not value.text.strip():
            self.fail(tok.start_pos, tok.end_pos, "an empty search term", code="empty-search")
        if len(value.text.split()) > 1:
            self.fail(tok.start_pos, tok.end_pos, "a quoted phrase has no exact form in the API language",
                      hint="search() matches each word anywhere, in any order; search the words "
                           "unquoted (that matches more), or match a field with like(field, \"%phrase%\")")
        return ast.String(value.text, span=self.span(tok))

    # -------------------------------------------------------------- clauses

    def clause(self, node: lark.Tree, prefix: tuple[str, ...]) -> ast.Expr:
        field_tok, pred = node.children
        start = pred.start_pos if isinstance(pred, lark.Token) else pred.meta.start_pos
        if start != field_tok.end_pos:
            self.fail(field_tok.end_pos - 1, start, "a space after the colon", code="unexpected-token",
                      hint=f"write the value right after the colon: {field_tok.value}{self.text[start:start + 12]}")
        path = prefix + self.path(field_tok)
        head = path[0]
        where = (field_tok.start_pos, field_tok.end_pos - 1)
        if head in self.no_form:
            self.fail(*where, f"`{head}` has no API form", hint=self.no_form[head])
        spec = self.fields.get(head)
        if spec is None:
            close = difflib.get_close_matches(head.lower(), list(self.fields), n=3, cutoff=0.6)
            hint = did_you_mean(close)
            if self.thread and head in UI_FIELDS:
                hint = f"`{head}` is a run field; filter the runs in a row of the Any run scope (tree_filter)"
            elif catalog.lookup(head) is not None:
                hint = f"`{head}` is an API field, not a search-bar field; write it in the API language"
            self.fail(*where, f"unknown search-bar field `{head}`", hint=hint, code="unknown-field")
        span = self.span(node)
        handler = {"scalar": self.scalar, "tags": self.tags, "text": self.text_only, "object": self.object,
                   "feedback": self.feedback}[spec.kind]
        return handler(spec.api, path[1:], pred, span, where)  # type: ignore[no-any-return]

    def path(self, tok: lark.Token) -> tuple[str, ...]:
        raw = tok.value[:-1]
        return tuple(_unescape(m.group(1)) if m.group(1) is not None else m.group(2)
                     for m in _SEGMENT_RE.finditer(raw))

    def no_subfield(self, api: str, rest: Sequence[str], where: tuple[int, int]) -> None:
        if rest:
            self.fail(*where, f"`{'.'.join(rest)}` is not a part of this field", code="unknown-field",
                      hint="only input, output, metadata and feedback take a dotted path")

    def literal(self, field: str, value: _Value, numeric: bool | None = None) -> ast.Node:
        """The literal the API field expects for the value as written (numbers for numeric fields)."""
        span = self.span(value.tok)
        if numeric is None:
            numeric = catalog.FIELDS[field].type in _NUMERIC
        if numeric and not value.quoted and is_number(value.text):
            return ast.Number(value.text, span=span)
        return ast.String(value.text, span=span)

    def pred_kind(self, pred: Any) -> tuple[str, Any]:
        """(kind, payload): is (a _Value), star, compare ((op, _Value)), match (_Value), range, group."""
        if isinstance(pred, lark.Token):
            if pred.type == "STAR":
                return "star", None
            if pred.type == "RANGE":
                return "range", pred
            return "is", _Value(pred)
        if pred.data == "compare":
            return "compare", (_OPS[pred.children[0].value], _Value(pred.children[1]))
        if pred.data == "match":
            return "match", _Value(pred.children[1])
        return "group", pred

    def refuse(self, pred: Any, message: str, hint: str = "") -> Any:
        start, end = ((pred.start_pos, pred.end_pos) if isinstance(pred, lark.Token)
                      else (pred.meta.start_pos, pred.meta.end_pos))
        return self.fail(start, end, message, hint)

    def bounds(self, field: ast.Field, tok: lark.Token, numeric: bool | None) -> list[ast.Expr]:
        """The comparisons of a range ``[a TO b}``; a ``*`` bound is open."""
        m = _RANGE_RE.fullmatch(tok.value)
        if m is None:  # the grammar's RANGE and this pattern describe the same text
            raise AssertionError(tok.value)
        out: list[ast.Expr] = []
        for bound, op, group in ((m.group(2), "gte" if m.group(1) == "[" else "gt", 2),
                                 (m.group(3), "lte" if m.group(4) == "]" else "lt", 3)):
            if bound == "*":
                continue
            sub = lark.Token("STRING" if bound.startswith('"') else "VALUE", bound,
                             start_pos=tok.start_pos + m.start(group), end_pos=tok.start_pos + m.end(group))
            value = _Value(sub)
            out.append(ast.Compare(op, field, self.literal(field.name, value, numeric), span=self.span(sub)))
        return out or [ast.Compare("neq", field, ast.Null(), span=self.span(tok))]

    def scalar(self, api: str, rest: Sequence[str], pred: Any, span: ast.Span, where: tuple[int, int]) -> ast.Expr:
        self.no_subfield(api, rest, where)
        field = ast.Field(api, span=_span(self.text, *where))
        kind, v = self.pred_kind(pred)
        if kind == "is":
            if v.pattern is not None:
                return ast.Like(field, ast.String(v.pattern, span=self.span(v.tok)), span=span)
            return ast.Compare("eq", field, self.literal(api, v), span=span)
        if kind == "star":
            return ast.Compare("neq", field, ast.Null(), span=span)
        if kind == "compare":
            op, value = v
            return ast.Compare(op, field, self.literal(api, value), span=span)
        if kind == "match":
            return ast.Search(self.search_text(v.tok, v), field, span=span)
        if kind == "range":
            parts = self.bounds(field, v, None)
            return parts[0] if len(parts) == 1 else ast.And(parts, span=span)
        return self.refuse(pred, "only feedback takes a {...} group", "write the clauses one by one")

    def tags(self, api: str, rest: Sequence[str], pred: Any, span: ast.Span, where: tuple[int, int]) -> ast.Expr:
        self.no_subfield(api, rest, where)
        field = ast.Field("tags", span=_span(self.text, *where))
        kind, v = self.pred_kind(pred)
        if kind == "is" and v.pattern is None:
            return ast.Has(field, ast.String(v.text, span=self.span(v.tok)), span=span)
        if kind == "match":
            return ast.Search(self.search_text(v.tok, v), field, span=span)
        if kind == "is":
            return self.refuse(pred, "a tag wildcard has no form in the API language",
                               'list the tags: tags:a OR tags:b, or search(tags, "word")')
        if kind == "star":
            return self.refuse(pred, "tags:* (any tag at all) has no form in the API language",
                               "test the tags you expect: tags:a OR tags:b")
        return self.refuse(pred, "tags take tags:value or tags:~word")

    def text_only(self, api: str, rest: Sequence[str], pred: Any, span: ast.Span, where: tuple[int, int]) -> ast.Expr:
        self.no_subfield(api, rest, where)
        kind, v = self.pred_kind(pred)
        if kind == "match":
            return ast.Search(self.search_text(v.tok, v), ast.Field(api, span=_span(self.text, *where)), span=span)
        return self.refuse(pred, f"`{api}` accepts only ~ (full-text search)",
                           "for errored runs write status:error" if api == "error" else f"write {api}:~word")

    def object(self, api: str, rest: Sequence[str], pred: Any, span: ast.Span, where: tuple[int, int]) -> ast.Expr:
        kind, v = self.pred_kind(pred)
        ui = {"inputs": "input", "outputs": "output"}.get(api, api)
        if not rest:
            if kind == "match":
                return ast.Search(self.search_text(v.tok, v), ast.Field(api, span=_span(self.text, *where)), span=span)
            return self.refuse(pred, f"`{ui}` accepts ~ (full-text search) or a key path",
                               f"write {ui}:~word or {ui}.<key>:value")
        key = ".".join(rest)
        family = catalog.FAMILIES[{"inputs": "input", "outputs": "output"}.get(api, api)]
        if kind == "star":
            return ast.Exists(ast.Field(api, span=_span(self.text, *where)), ast.String(key), span=span)
        key_eq = ast.Compare("eq", ast.Field(family.key, span=_span(self.text, *where)), ast.String(key))
        value_field = ast.Field(family.values[0])
        if kind == "is":
            cond: list[ast.Expr] = [
                ast.Like(value_field, ast.String(v.pattern, span=self.span(v.tok)), span=span) if v.pattern is not None
                # A string literal: it also matches the JSON text of a number or boolean (SPEC §5).
                else ast.Compare("eq", value_field, ast.String(v.text, span=self.span(v.tok)), span=span)]
        elif kind in ("compare", "range") and api == "metadata":
            if kind == "compare":
                op, value = v
                cond = [ast.Compare(op, value_field, self.literal(value_field.name, value, True), span=span)]
            else:
                cond = self.bounds(value_field, v, True)
        elif kind in ("compare", "range"):
            return self.refuse(pred, f"only metadata paths take comparisons and ranges, not {ui}.<key>",
                               "the docs allow them on numeric metadata values only")
        elif kind == "match":
            return self.refuse(pred, "~ searches a whole field, not a key path", f"write {ui}:~word")
        else:
            return self.refuse(pred, "only feedback takes a {...} group")
        return ast.And([key_eq, *cond], span=span)

    def feedback(self, api: str, rest: Sequence[str], pred: Any, span: ast.Span, where: tuple[int, int]) -> ast.Expr:
        kind, v = self.pred_kind(pred)
        fspan = _span(self.text, *where)
        if not rest:
            if kind == "star":  # some feedback entry, whatever its key
                return ast.Like(ast.Field("feedback_key", span=fspan), ast.String("%"), span=span)
            if kind == "group":
                return self.build(pred.children[0], ("feedback",))
            return self.refuse(pred, "name a feedback key and subfield", "write feedback.<key>.score:>0.5")
        key_eq = ast.Compare("eq", ast.Field("feedback_key", span=fspan), ast.String(rest[0]))
        if len(rest) == 1:
            if kind == "star":
                return key_eq
            return self.refuse(pred, "comparing a value requires naming a subfield",
                               f"write feedback.{rest[0]}.score:... or feedback.{rest[0]}.value:...")
        if len(rest) > 2 or rest[1] not in FEEDBACK_SUBFIELDS:
            self.fail(*where, f"`{'.'.join(rest[1:])}` is not a feedback subfield with an API form",
                      hint='the API language has feedback score and value; quote a key with dots: feedback."a.b".score',
                      code="unknown-field")
        field = ast.Field(FEEDBACK_SUBFIELDS[rest[1]])
        score = rest[1] == "score"
        if kind == "is" and v.pattern is None:
            cond: list[ast.Expr] = [ast.Compare("eq", field, self.literal(field.name, v, score), span=span)]
        elif kind == "is" and not score:
            cond = [ast.Like(field, ast.String(v.pattern, span=self.span(v.tok)), span=span)]
        elif kind == "star":
            cond = [ast.Compare("neq", field, ast.Null(), span=span)]
        elif kind == "compare":
            op, value = v
            cond = [ast.Compare(op, field, self.literal(field.name, value, True), span=span)]
        elif kind == "range":
            cond = self.bounds(field, v, True)
        else:
            return self.refuse(pred, f"feedback {rest[1]} takes a value, a comparison or a range")
        return ast.And([key_eq, *cond], span=span)


# ------------------------------------------------------------------ errors


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _fail(text: str, offset: int, message: str, *, found: str = "", expected: Sequence[str] = (),
          hint: str = "", code: str = "syntax", width: int = 1) -> Any:
    line, column = _position(text, offset)
    raise FilterSyntaxError(message, text=text, offset=offset, line=line, column=column, found=found,
                            expected=expected, hint=hint, code=code, width=width) from None


def _check_depth(text: str) -> None:
    depth = 0
    for i, c in enumerate(text):
        depth += c in "({"
        depth -= c in ")}"
        if depth > MAX_DEPTH:
            _fail(text, i, f"nesting deeper than {MAX_DEPTH} levels", found=c, code="too-deep")


def _labels(terminals: Any) -> list[str]:
    order = list(_LABELS)
    return [_LABELS[t] for t in sorted({t for t in terminals if t in _LABELS}, key=order.index)]


def _syntax_error(text: str, e: lark.exceptions.UnexpectedInput) -> None:
    if isinstance(e, lark.exceptions.UnexpectedCharacters):
        offset = e.pos_in_stream
        ch = text[offset]
        if ch == '"':
            _fail(text, offset, "unterminated quoted string", found=text[offset:offset + 20], code="unterminated-string",
                  hint='close the quote; write \\" for a quote inside it')
        expected = _labels(e.allowed or ())
        hint = ""
        if ch == ":" and offset > 0 and text[offset - 1].isspace():
            hint = "no space before the colon: write field:value"
        _fail(text, offset, f"unexpected character {ch!r}" + (f", expected {', '.join(expected)}" if expected else ""),
              found=ch, expected=expected, hint=hint, code="unexpected-character")
    if isinstance(e, lark.exceptions.UnexpectedToken):
        tok = e.token
        expected = _labels(e.accepts or e.expected)
        if tok.type == "$END":
            _fail(text, len(text.rstrip()), "unexpected end of query" + (f", expected {', '.join(expected)}" if expected else ""),
                  found="end of input", expected=expected, code="unexpected-end",
                  hint="close every ( and {" if text.count("(") + text.count("{") > text.count(")") + text.count("}") else "")
        _fail(text, tok.start_pos, f"unexpected {tok.value!r}" + (f", expected {', '.join(expected)}" if expected else ""),
              found=tok.value, expected=expected, code="unexpected-token", width=max(1, len(tok.value)))
    _fail(text, getattr(e, "pos_in_stream", 0) or 0, "unexpected end of query", code="unexpected-end")
