"""``filterql lint``: find the filters a Python program sends, and check each where it is written.

Files are read with the standard library's ``ast`` (never imported or run). A filter is the value of a
``filter=``, ``trace_filter=``, ``tree_filter=`` or ``thread_filter=`` keyword of any call (the SDK's
methods take them keyword-only), or of those keys in a dict literal (a REST body); a name is followed to
its last assignment before the call in the same scope. Its template (:mod:`filterql.python_strings`) is
checked with the holes kept as typed placeholders:

- the constant skeleton must parse (a hole outside quotes stands for a value, field or call);
- a hole inside a quoted filter string without an escaping call is ``unescaped-interpolation``;
- for the SDK's run methods, the filter is validated in its context with the chosen profile
  (diagnostics about a placeholder itself are dropped; a filter whose holes could be whole calls or
  fields gets the syntax check only). Other calls get the syntax check, and only for text that starts
  with a call of the language's functions, so ``tarfile.extractall(filter="data")`` and an SVG
  ``{"filter": "url(#blur)"}`` are left alone.

Diagnostics point at the character in the Python file. ``# filterql: ignore`` or
``# filterql: ignore[code, ...]`` on the reported line silences it.
"""

from __future__ import annotations

import ast as pyast
import difflib
import functools
import json
import re
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import attrs

from . import catalog
from .ast import FUNCTION_NAMES
from .diagnostics import Diagnostic
from .errors import FilterSyntaxError
from .fixes import fix_filter
from .parser import parse
from .python_strings import Char, Hole, Source, Template, template
from .validator import validate

__all__ = ["Finding", "lint_source", "lint_paths", "fix_source", "format_findings", "python_files"]

#: Keyword arguments (and dict keys) that hold a filter, and the context each is checked in.
FILTER_ARGUMENTS = {"filter": "filter", "trace_filter": "trace_filter", "tree_filter": "tree_filter",
                    "thread_filter": "thread_filter"}

#: The SDK's methods whose filters are run filters (langsmith Client and its v2 resources).
RUN_METHODS = frozenset({"list_runs", "query_v2", "query_v2_items", "query", "query_items", "list_traces",
                         "get_run_stats", "list_threads", "aggregate_stats"})

#: Calls that make a value safe as a whole literal (outside quotes) or inside a quoted literal.
_WHOLE_LITERAL = frozenset({"quote", "dumps"})
_INSIDE_QUOTES = frozenset({"escape", "escape_string", "escape_filter_value", "escape_value"})

_IGNORE_RE = re.compile(r"#\s*filterql:\s*ignore(?:\[([^\]]*)\])?")
#: A keyword argument or dict key of FILTER_ARGUMENTS: files without one are not parsed at all.
_MENTIONS_FILTER_RE = re.compile(r"""\b(?:trace_|tree_|thread_)?filter\s*=(?!=)|["'](?:trace_|tree_|thread_)?filter["']\s*:""")
#: A call of the language's functions (any case): what a filter outside the SDK's run methods starts with.
_CALL_START_RE = re.compile(rf"\s*(?:{'|'.join(FUNCTION_NAMES)})\s*\(", re.IGNORECASE)


@attrs.frozen
class Finding:
    """One diagnostic in a Python file; ``line``/``column`` are 1-based positions in that file."""

    path: str
    line: int
    column: int
    code: str
    severity: str
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict[str, object]:
        return attrs.asdict(self)


# ------------------------------------------------------------------ finding filters


@attrs.frozen
class _Site:
    value: pyast.expr
    context: str
    run_method: bool
    anchor: pyast.AST  # the keyword or key: where an unresolvable report points


def _call_name(func: pyast.expr) -> str:
    if isinstance(func, pyast.Attribute):
        return func.attr
    if isinstance(func, pyast.Name):
        return func.id
    return ""


class _Scopes(pyast.NodeVisitor):
    """Every filter site, with the assignments of its scope to follow names through."""

    def __init__(self) -> None:
        self.sites: list[tuple[_Site, dict[str, list[tuple[int, pyast.expr]]]]] = []
        self.stack: list[dict[str, list[tuple[int, pyast.expr]]]] = [{}]

    def _scope(self, node: pyast.AST) -> None:
        self.stack.append({})
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scope

    def _assign(self, targets: Iterable[pyast.expr], value: pyast.expr | None, line: int) -> None:
        for t in targets:
            if isinstance(t, pyast.Name) and value is not None:
                self.stack[-1].setdefault(t.id, []).append((line, value))

    def visit_Assign(self, node: pyast.Assign) -> None:
        self._assign(node.targets, node.value, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: pyast.AnnAssign) -> None:
        self._assign([node.target], node.value, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: pyast.Call) -> None:
        run = _call_name(node.func) in RUN_METHODS
        for kw in node.keywords:
            if kw.arg in FILTER_ARGUMENTS:
                self._site(_Site(kw.value, FILTER_ARGUMENTS[kw.arg], run, kw), node.lineno)
        self.generic_visit(node)

    def visit_Dict(self, node: pyast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            if isinstance(key, pyast.Constant) and key.value in FILTER_ARGUMENTS:
                self._site(_Site(value, FILTER_ARGUMENTS[key.value], False, key), node.lineno)
        self.generic_visit(node)

    def _site(self, site: _Site, line: int) -> None:
        scopes = [dict(s) for s in self.stack]  # names assigned so far; later ones are cut by line
        names: dict[str, list[tuple[int, pyast.expr]]] = {}
        for scope in scopes:
            names.update(scope)
        self.sites.append((site, {k: [a for a in v if a[0] <= line] for k, v in names.items()}))


def _resolve(value: pyast.expr, names: dict[str, list[tuple[int, pyast.expr]]]) -> pyast.expr:
    """Follow a name to the value it was last assigned (a few steps at most)."""
    for _ in range(4):
        if not (isinstance(value, pyast.Name) and names.get(value.id)):
            break
        value = names[value.id][-1][1]
    return value


# ------------------------------------------------------------------ checking


def _escaped(expr: pyast.expr | None, names: frozenset[str]) -> bool:
    return isinstance(expr, pyast.Call) and _call_name(expr.func) in names


def _in_quotes(items: Sequence[object]) -> list[bool]:
    """For each item, whether it sits inside a quoted string of the filter (a small lexer over the skeleton)."""
    out, quote, escape = [], "", False
    for item in items:
        out.append(bool(quote))
        if not isinstance(item, Char):
            escape = False
            continue
        c = item.char
        if escape:
            escape = False
        elif quote and c == "\\":
            escape = True
        elif quote and c == quote:
            quote = ""
        elif not quote and c in "\"'":
            quote = c
    return out


@attrs.frozen
class _Skeleton:
    text: str
    where: tuple[tuple[int, int], ...]  # per character of text: (line, column) in the file
    holes: tuple[tuple[int, int], ...]  # (start, end) of each placeholder in text
    typed: bool  # every hole has a value placeholder (no hole could be a field or a call)


def _skeleton(t: Template) -> tuple[_Skeleton, list[Hole]]:
    """The filter text with each hole replaced by a placeholder, and the holes left unescaped in quotes."""
    text: list[str] = []
    where: list[tuple[int, int]] = []
    holes: list[tuple[int, int]] = []
    unescaped: list[Hole] = []
    typed = True
    for item, quoted in zip(t.items, _in_quotes(t.items)):
        if isinstance(item, Char):
            text.append(item.char)
            where.append((item.line, item.column))
            continue
        if quoted:
            placeholder = "0" if item.kind == "number" else "x"
            if item.kind != "number" and not _escaped(item.expr, _INSIDE_QUOTES):
                unescaped.append(item)
        elif item.kind == "number":
            placeholder = "0"
        elif _escaped(item.expr, _WHOLE_LITERAL):
            placeholder = '"x"'
        else:
            placeholder, typed = "__hole__", False
        start = len(text)
        text.extend(placeholder)
        where.extend([(item.line, item.column)] * len(placeholder))
        holes.append((start, len(text)))
    return _Skeleton("".join(text), tuple(where), tuple(holes), typed), unescaped


@functools.lru_cache(maxsize=4096)
def _diagnose(text: str, context: str, profile: str, validate_fields: bool) -> tuple[Diagnostic, ...]:
    """Diagnostics of a filter text: the syntax check, and validation when asked (cached: files repeat filters)."""
    if validate_fields and context in catalog.CONTEXTS:
        return tuple(validate(text, context, profile))
    try:
        parse(text)
    except FilterSyntaxError as e:
        return (e.diagnostic,)
    return ()


def _offset(d: Diagnostic, text: str) -> int:
    if d.span is not None:
        return d.span.start
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return starts[min(d.line, len(starts)) - 1] + d.column - 1 if d.line else 0


def _check_site(site: _Site, value: pyast.expr, src: Source, path: str, profile: str) -> Iterator[Finding]:
    t = template(value, src)
    if t is None:
        return
    skeleton, unescaped = _skeleton(t)
    for hole in unescaped:
        yield Finding(path, hole.line, hole.column, "unescaped-interpolation", "error",
                      f"{hole.written} is interpolated into a quoted filter string without escaping: a value "
                      "holding a quote or a backslash breaks the filter (or changes it)",
                      "write the whole literal with filterql.quote(value), e.g. f'eq(thread_id, {filterql.quote(tid)})', "
                      "or build the filter with filterql.builder")
    text = skeleton.text
    if not text.strip() or set(skeleton.holes) == {(0, len(text))}:
        return  # the whole filter is computed elsewhere
    if not site.run_method and not _CALL_START_RE.match(text):
        return  # not a run filter, and not shaped like one: another library's `filter=`
    diagnostics = _diagnose(text, site.context, profile, site.run_method and skeleton.typed)
    for d in diagnostics:
        start = _offset(d, text)
        end = d.span.end if d.span is not None else start + 1
        if d.kind != "syntax" and any(hs < max(end, start + 1) and start < he for hs, he in skeleton.holes):
            continue  # about a placeholder's value, which is known only at run time
        if start < len(skeleton.where):
            line, column = skeleton.where[start]
        else:  # the end of the filter: just after its last character
            line, column = skeleton.where[-1][0], skeleton.where[-1][1] + 1
        yield Finding(path, line, column, d.code, d.severity, d.message, d.hint)


def _ignored(finding: Finding, lines: Sequence[str]) -> bool:
    if not 1 <= finding.line <= len(lines):
        return False
    m = _IGNORE_RE.search(lines[finding.line - 1])
    if m is None:
        return False
    return m.group(1) is None or finding.code in {c.strip() for c in m.group(1).split(",")}


def _direct_sites(tree: pyast.AST) -> list[_Site]:
    out = []
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Call):
            run = _call_name(node.func) in RUN_METHODS
            out += [_Site(kw.value, FILTER_ARGUMENTS[kw.arg], run, kw) for kw in node.keywords
                    if kw.arg in FILTER_ARGUMENTS]
        elif isinstance(node, pyast.Dict):
            out += [_Site(v, FILTER_ARGUMENTS[k.value], False, k) for k, v in zip(node.keys, node.values)
                    if isinstance(k, pyast.Constant) and k.value in FILTER_ARGUMENTS]
    return out


def _sites(tree: pyast.AST) -> list[tuple[_Site, pyast.expr]]:
    """Each filter site and the expression it sends (names followed to their assignment)."""
    direct = _direct_sites(tree)
    if not any(isinstance(site.value, pyast.Name) for site in direct):
        return [(site, site.value) for site in direct]  # no name to follow: skip the scope walk
    visitor = _Scopes()
    visitor.visit(tree)
    return [(site, _resolve(site.value, names)) for site, names in visitor.sites]


def lint_source(source: str, path: str = "<string>", profile: str = "offline") -> list[Finding]:
    """Every finding in Python ``source``, in file order."""
    if not _MENTIONS_FILTER_RE.search(source):  # most files never pass a filter
        return []
    try:
        tree = pyast.parse(source)
    except SyntaxError as e:
        return [Finding(path, e.lineno or 1, e.offset or 1, "python-syntax", "error", f"not valid Python: {e.msg}")]
    src = Source(source)
    lines = source.splitlines()
    out = [f for site, value in _sites(tree) for f in _check_site(site, value, src, path, profile)
           if not _ignored(f, lines)]
    return sorted(set(out), key=lambda f: (f.line, f.column, f.code))


# ------------------------------------------------------------------ fixing


def _python_literal(text: str, prefix: str, quote: str) -> str:
    """``text`` as a Python string literal in the original's style when it needs no escapes."""
    prefix = "".join(c for c in prefix if c.lower() in "u")
    if "\\" not in text and quote not in text and (len(quote) == 3 or "\n" not in text) and not text.endswith(quote[0]):
        return prefix + quote + text + quote
    return repr(text)


def fix_source(source: str, profile: str = "offline") -> tuple[str, list[str]]:
    """``source`` with every certain rewrite applied to its plain literal filters, and what was done."""
    if not _MENTIONS_FILTER_RE.search(source):
        return source, []
    try:
        tree = pyast.parse(source)
    except SyntaxError:
        return source, []
    src = Source(source)
    edits: dict[int, tuple[int, str, list[str]]] = {}
    for site, value in _sites(tree):
        t = template(value, src)
        if t is None or t.literal is None or t.holes:
            continue
        fixed = fix_filter(t.text, profile)
        if fixed is None:
            continue
        lit = t.literal
        edits[lit.start] = (lit.end, _python_literal(fixed.text, lit.prefix, lit.quote), list(fixed.applied))
    out, applied = source, []
    for start in sorted(edits, reverse=True):
        end, literal, what = edits[start]
        out = out[:start] + literal + out[end:]
        line, column = src.position(start)
        applied.extend(f"{line}:{column}: {w}" for w in what)
    return out, sorted(applied, key=lambda s: tuple(int(x) for x in s.split(":")[:2]))


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), path, path))


# ------------------------------------------------------------------ files and output


def python_files(paths: Iterable[str]) -> Iterator[Path]:
    """The ``.py`` files of ``paths`` (files as given, directories walked, hidden directories skipped)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*.py")):
                if not any(part.startswith(".") for part in f.relative_to(p).parts[:-1]):
                    yield f
        else:
            yield p


def lint_paths(paths: Iterable[str], profile: str = "offline") -> Iterator[Finding]:
    for f in python_files(paths):
        try:
            source = f.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            yield Finding(str(f), 1, 1, "unreadable", "error", f"cannot read the file: {e}")
            continue
        yield from lint_source(source, str(f), profile)


def format_findings(findings: Sequence[Finding], form: str = "text") -> str:
    """``path:line:col: code message`` lines (ruff's layout), a JSON list, or GitHub annotations."""
    if form == "json":
        return json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False)
    if form == "github":
        def esc(s: str) -> str:
            return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

        return "\n".join(f"::{'error' if f.is_error else 'warning'} file={f.path},line={f.line},col={f.column},"
                         f"title=filterql {f.code}::{esc(f.message + (' (hint: ' + f.hint + ')' if f.hint else ''))}"
                         for f in findings)
    return "\n".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" + (f"\n  hint: {f.hint}" if f.hint else "")
                     for f in findings)
