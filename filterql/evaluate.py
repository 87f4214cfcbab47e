"""Compile a filter into a fast Python predicate over runs.

``compile`` validates once, then generates the source of one Python function
for the whole filter and builds it with ``exec``: every node becomes inline
Python (``d.get("name") == "x"``), so evaluating a run never dispatches on the
AST. This measured faster than composing one closure per node (see
``benchmarks/eval_bench.py``). Field reading lives in :mod:`filterql.runs`; the
meaning of every construct is the README's Semantics section.

Key/value families are compiled per binding scope (SPEC §5): in each ``and``,
the positive key conditions and the value conditions of one family become one
``any(... for entry in entries)``, so they hold on the same entry.
"""

from __future__ import annotations

import builtins
import functools
from decimal import Decimal
from typing import Any, Callable, Protocol

from . import ast, catalog, runs
from .catalog import FIELDS, FieldSpec, FieldType
from .like import LikePattern, like_matcher, parse_like
from .validator import FilterInput, check

__all__ = ["Predicate", "compile", "compile_checked"]


class Predicate(Protocol):
    """``pred(run) -> bool`` for a run dict or ``langsmith`` Run; ``expr`` is the checked AST,
    ``source`` the generated Python."""

    expr: ast.Expr
    source: str

    def __call__(self, run: Any) -> bool: ...


_LEAF_TYPES = frozenset({str, int, float, bool, type(None), Decimal})
_OPS = {"eq": "==", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_FAMILY_OBJECT = {"metadata": "_meta(d)", "input": "_obj(d.get('inputs'))", "output": "_obj(d.get('outputs'))"}
_OBJECT_FAMILY = catalog.OBJECT_FAMILIES


def _tags_in(tags: list[Any], values: frozenset[str]) -> bool:
    return any(t.__class__ is str and t in values for t in tags)


def _json_equal(a: Any, b: Any) -> bool:
    """Same JSON type and equal; numbers numerically (``has(metadata, ...)``)."""
    if a.__class__ is bool or b.__class__ is bool:
        return a.__class__ is b.__class__ and a == b
    if a is None or b is None:
        return a is None and b is None
    if a.__class__ is str or b.__class__ is str:
        return a.__class__ is b.__class__ and a == b
    na, nb = runs.json_number(a), runs.json_number(b)
    return na is not None and na == nb


def _has_object(d: dict[str, Any], c: dict[Any, Any], leaves: tuple[tuple[str, Any], ...]) -> bool:
    index = runs.entry_index(d, c, "metadata")
    return all(any(_json_equal(e[1], v) for e in index.get(k, ())) for k, v in leaves)


def _exists(d: dict[str, Any], c: dict[Any, Any], family: str, key: str) -> bool:
    index = runs.entry_index(d, c, family)
    if key in index:
        return True
    prefix = key + "."
    return any(k.startswith(prefix) for k in index)


def _has_key(obj: dict[str, Any], key: str) -> bool:
    """Object ``obj`` has an entry with key ``key`` (no dot in it)."""
    return next(runs.key_values(obj, key), runs.MISSING) is not runs.MISSING


def _dict_or_empty(obj: Any) -> dict[str, Any]:
    return obj if obj.__class__ is dict else {}


def _timestamp_cached(d: dict[str, Any], c: dict[Any, Any], name: str) -> Any:
    slot = ("ts", name)
    if slot not in c:
        c[slot] = runs.timestamp(d.get(name))
    return c[slot]


def _latency_cached(d: dict[str, Any], c: dict[Any, Any]) -> Any:
    if "latency" not in c:
        c["latency"] = runs.latency_us(d)
    return c["latency"]


#: Names the generated code may use, besides its own constants.
_BASE_NAMESPACE: dict[str, Any] = {
    "_as_dict": runs.as_dict,
    "_ts": runs.timestamp,
    "_tsc": _timestamp_cached,
    "_lat": runs.latency_us,
    "_latc": _latency_cached,
    "_num": runs.number,
    "_jn": runs.json_number,
    "_jt": runs.json_text,
    "_ueq": runs.uuid_equal,
    "_utext": runs.uuid_text,
    "_meta": runs.metadata,
    "_thread": runs.thread_id,
    "_kv": runs.key_values,
    "_ents": runs.entries,
    "_ix": runs.entry_index,
    "_hay": runs.search_haystack,
    "_tags_in": _tags_in,
    "_has_object": _has_object,
    "_exists": _exists,
    "_has_key": _has_key,
    "_obj": _dict_or_empty,
    "_LEAF": _LEAF_TYPES,
    "_MISSING": runs.MISSING,
}


def _could_be_json_text(text: str) -> bool:
    """Whether some number or boolean leaf has ``text`` as its JSON text (so a string literal may match it)."""
    if text in ("true", "false"):
        return True
    n = runs.number(text)
    return n is not None and runs.json_text(n) == text


class _Gen:
    """Generates Python source for one checked filter."""

    def __init__(self, search_limit: int | None, inline: bool, counts: dict[str, int]) -> None:
        self.ns: dict[str, Any] = dict(_BASE_NAMESPACE)
        self.search_limit = search_limit
        self.inline = inline
        self.counts = counts
        self.uses_cache = False
        self.n = 0
        self.functions: list[str] = []

    # -------------------------------------------------------------- helpers
    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"_{prefix}{self.n}"

    def const(self, value: Any) -> str:
        """An inline literal for simple values, else a namespace name bound to ``value``."""
        if value is None or value.__class__ in (str, int, bool):
            return repr(value)
        name = self.fresh("c")
        self.ns[name] = value
        return name

    def cache(self) -> str:
        self.uses_cache = True
        return "c"

    def expr(self, node: ast.Expr) -> str:
        gen = _DISPATCH.get(type(node))
        if gen is None:
            raise TypeError(f"evaluate: no rule for node {type(node).__name__}")
        return gen(self, node)

    def child(self, node: ast.Expr) -> str:
        """A child of and/or/not: inline, or (closure mode, for the benchmark) a call to its own function."""
        code = self.expr(node)
        if self.inline:
            return code
        name = self.fresh("f")
        self.functions.append(f"def {name}(d, c):\n    return {code}\n")
        self.uses_cache = True
        return f"{name}(d, c)"

    def matcher(self, pattern: str, var: str) -> str:
        """Inline LIKE test of the string in ``var``."""
        parsed: LikePattern = parse_like(pattern)
        segs = parsed.segments
        if parsed.anchored and parsed.literal(0) is not None:
            return f"{var} == {parsed.literal(0)!r}"
        if len(segs) == 2 and not segs[1] and parsed.literal(0) is not None:
            return f"{var}.startswith({parsed.literal(0)!r})"
        if len(segs) == 2 and not segs[0] and parsed.literal(1) is not None:
            return f"{var}.endswith({parsed.literal(1)!r})"
        if len(segs) == 3 and not segs[0] and not segs[2] and parsed.literal(1) is not None:
            return f"{parsed.literal(1)!r} in {var}"
        if all(not s for s in segs):
            return "True"
        return f"{self.const(like_matcher(pattern))}({var})"

    # ------------------------------------------------------ field accessors
    def access(self, spec: FieldSpec) -> str:
        """Expression reading the raw value of a scalar field."""
        if spec.name == "thread_id":
            return "_thread(d)"
        if spec.source is None or "." in spec.source:
            raise TypeError(f"evaluate: field {spec.name} has no direct accessor")
        return f"d.get({spec.source!r})"

    def timestamp(self, spec: FieldSpec) -> str:
        if self.counts.get(spec.name, 0) > 1:
            return f"_tsc(d, {self.cache()}, {spec.source!r})"
        return f"_ts(d.get({spec.source!r}))"


def _wrap(parts: list[str], joiner: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {joiner} ".join(parts) + ")"


# ------------------------------------------------------------- scalar fields


def _gen_compare(g: _Gen, node: ast.Compare) -> str:
    spec = FIELDS[node.field.name]
    if spec.family is not None:
        return _family_standalone(g, node)
    value = node.value.value  # type: ignore[union-attr]
    op = node.op
    if spec.name == "is_root":
        if value is None:
            return "False" if op == "eq" else "True"
        positive = (op == "eq") == value
        return "d.get('parent_run_id') is None" if positive else "d.get('parent_run_id') is not None"
    t = spec.type
    if t is FieldType.TIMESTAMP:
        raw = g.timestamp(spec)
    elif t is FieldType.SECONDS:
        raw = f"_latc(d, {g.cache()})" if g.counts.get("latency", 0) > 1 else "_lat(d)"
    else:
        raw = g.access(spec)
    if value is None:
        return f"{raw} is {'' if op == 'eq' else 'not '}None"
    x = g.fresh("x")
    if t in (FieldType.STRING, FieldType.ENUM, FieldType.BOOLEAN):
        lit = g.const(value)
        if t is FieldType.BOOLEAN:
            return f"{raw} is {lit}" if op == "eq" else f"(({x} := {raw}) is not None and {x} is not {lit})"
        if op == "eq":
            return f"{raw} == {lit}"
        return f"(({x} := {raw}) is not None and {x} != {lit})"
    if t is FieldType.UUID:
        lit = repr(str(value))
        same = f"({x} == {lit} or _ueq({x}, {lit}))"
        if op == "eq":
            return f"(({x} := {raw}) == {lit} or _ueq({x}, {lit}))"
        return f"(({x} := {raw}) is not None and not {same})"
    if t is FieldType.SECONDS:
        micros = value * 1000000
        lit = g.const(int(micros) if micros == int(micros) else micros)
        return f"(({x} := {raw}) is not None and {x} {_OPS[op]} {lit})"
    if t is FieldType.TIMESTAMP:
        return f"(({x} := {raw}) is not None and {x} {_OPS[op]} {g.const(value)})"
    if t in (FieldType.INTEGER, FieldType.DECIMAL):
        return f"((({x} := {raw}).__class__ is int or ({x} := _num({x})) is not None) and {x} {_OPS[op]} {g.const(value)})"
    raise TypeError(f"evaluate: {op} on {spec.name} ({t.value})")


def _gen_in(g: _Gen, node: ast.In) -> str:
    spec = FIELDS[node.field.name]
    if spec.family is not None:
        return _family_standalone(g, node)
    values = [item.value for item in node.values.items]  # type: ignore[union-attr]
    x = g.fresh("x")
    t = spec.type
    if t is FieldType.STRING_LIST:
        return f"(({x} := d.get({spec.source!r})).__class__ is list and _tags_in({x}, {g.const(frozenset(values))}))"
    if t is FieldType.UUID:
        texts = frozenset(str(v) for v in values)
        return f"(({x} := {g.access(spec)}) is not None and _utext({x}) in {g.const(texts)})"
    if t in (FieldType.STRING, FieldType.ENUM):
        return f"(({x} := {g.access(spec)}).__class__ is str and {x} in {g.const(frozenset(values))})"
    if t in (FieldType.INTEGER, FieldType.DECIMAL):
        return (f"((({x} := {g.access(spec)}).__class__ is int or ({x} := _num({x})) is not None)"
                f" and {x} in {g.const(frozenset(values))})")
    raise TypeError(f"evaluate: in() on {spec.name} ({t.value})")


def _gen_like(g: _Gen, node: ast.Like) -> str:
    spec = FIELDS[node.field.name]
    if spec.family is not None:
        return _family_standalone(g, node)
    x = g.fresh("x")
    test = g.matcher(node.pattern.value, x)  # type: ignore[union-attr]
    return f"(({x} := {g.access(spec)}).__class__ is str and {'not ' if node.negated else ''}{test})"


def _gen_has(g: _Gen, node: ast.Has) -> str:
    value = node.value.value  # type: ignore[union-attr]
    if node.field.name == "tags":
        x = g.fresh("x")
        return f"(({x} := d.get('tags')).__class__ is list and {value!r} in {x})"
    leaves = tuple(runs.flatten(value))
    if not leaves:
        return "True"
    return f"_has_object(d, {g.cache()}, {g.const(leaves)})"


def _gen_exists(g: _Gen, node: ast.Exists) -> str:
    family = _OBJECT_FAMILY[node.field.name]
    return f"_exists(d, {g.cache()}, {family!r}, {node.key.value!r})"  # type: ignore[union-attr]


def _gen_search(g: _Gen, node: ast.Search) -> str:
    terms = node.text.value.lower().split()  # type: ignore[union-attr]
    field = None if node.field is None else node.field.name
    h = g.fresh("h")
    if g.counts.get("<search>", 0) > 1:
        hay = f"_hay(d, {g.cache()}, {field!r}, {g.search_limit!r})"
    else:  # the only search: nothing to share, skip the cache
        hay = f"_hay(d, {{}}, {field!r}, {g.search_limit!r})"
    parts = [f"{terms[0]!r} in ({h} := {hay})"] + [f"{t!r} in {h}" for t in terms[1:]]
    return _wrap(parts, "and")


def _gen_not(g: _Gen, node: ast.Not) -> str:
    return f"(not {g.child(node.arg)})"


def _gen_or(g: _Gen, node: ast.Or) -> str:
    return _wrap([g.child(a) for a in node.args], "or")


# ---------------------------------------------------------------- families


def _family(node: ast.Expr) -> str | None:
    return ast.family_of(node)


def _is_positive_key(node: ast.Expr) -> bool:
    return ast.positive_key_family(node) is not None


def _entry_vars(family: str, key: str, value: str, score: str) -> tuple[str, ...]:
    return (key, score, value) if family == "feedback" else (key, value)


def _positive(node: ast.Expr) -> ast.Expr:
    """The positive form whose absence a standalone ``neq``/``notlike`` asserts."""
    if isinstance(node, ast.Compare) and node.op == "neq":
        return ast.Compare("eq", node.field, node.value)
    if isinstance(node, ast.Like) and node.negated:
        return ast.Like(node.field, node.pattern)
    return node


def _entry_test(g: _Gen, node: ast.Expr, key: str, value: str, score: str) -> str:
    """Test of one condition on one entry whose key, value and score are in the named variables."""
    spec = FIELDS[node.field.name]  # type: ignore[attr-defined]
    if spec.type is FieldType.FAMILY_KEY:
        return _key_test(g, node, key)
    if spec.type is FieldType.FAMILY_SCORE:
        return _score_test(g, node, score)
    return _value_test(g, node, value)


def _key_test(g: _Gen, node: ast.Expr, k: str) -> str:
    if isinstance(node, ast.In):
        return f"{k} in {g.const(frozenset(i.value for i in node.values.items))}"  # type: ignore[union-attr]
    if isinstance(node, ast.Like):
        test = g.matcher(node.pattern.value, k)  # type: ignore[union-attr]
        return f"({k}.__class__ is str and {'not ' if node.negated else ''}{test})"
    assert isinstance(node, ast.Compare)
    lit = g.const(node.value.value)  # type: ignore[union-attr]
    if node.value.value is None:  # type: ignore[union-attr]
        return f"{k} is {'' if node.op == 'eq' else 'not '}None"
    if node.op in ("eq", "neq"):
        return f"{k} {_OPS[node.op]} {lit}" if node.op == "eq" else f"({k} is not None and {k} != {lit})"
    return f"({k}.__class__ is str and {k} {_OPS[node.op]} {lit})"


def _score_test(g: _Gen, node: ast.Expr, s: str) -> str:
    if isinstance(node, ast.In):
        return f"{s} in {g.const(frozenset(i.value for i in node.values.items))}"  # type: ignore[union-attr]
    assert isinstance(node, ast.Compare)
    value = node.value.value  # type: ignore[union-attr]
    if value is None:
        return f"{s} is {'' if node.op == 'eq' else 'not '}None"
    lit = g.const(value)
    if node.op == "eq":
        return f"{s} == {lit}"
    return f"({s} is not None and {s} {_OPS[node.op]} {lit})"


def _value_eq(g: _Gen, value: Any, v: str) -> str:
    """``v`` equals literal ``value`` under the family-value rules (JSON type kept; strings meet JSON text)."""
    if value is None:
        return f"{v} is None"
    if value.__class__ is bool:
        return f"{v} is {value!r}"
    if value.__class__ is str:
        lit = repr(value)
        if _could_be_json_text(value):
            return f"({v} == {lit} if {v}.__class__ is str else _jt({v}) == {lit})"
        return f"{v} == {lit}"
    return f"_jn({v}) == {g.const(value)}"


def _value_test(g: _Gen, node: ast.Expr, v: str) -> str:
    if isinstance(node, ast.In):
        values = [i.value for i in node.values.items]  # type: ignore[union-attr]
        if all(x.__class__ is str and not _could_be_json_text(x) for x in values):
            return f"({v}.__class__ is str and {v} in {g.const(frozenset(values))})"
        if all(x.__class__ in (int, Decimal) for x in values):
            return f"_jn({v}) in {g.const(frozenset(values))}"
        return _wrap([_value_eq(g, x, v) for x in values], "or")
    if isinstance(node, ast.Like):
        t = g.fresh("t")
        test = f"(({t} := _jt({v})) is not None and {g.matcher(node.pattern.value, t)})"  # type: ignore[union-attr]
        return f"({v} is not None and not {test})" if node.negated else test
    assert isinstance(node, ast.Compare)
    value, op = node.value.value, node.op  # type: ignore[union-attr]
    if op == "eq":
        return _value_eq(g, value, v)
    if op == "neq":
        return f"({v} is not None and not {_value_eq(g, value, v)})" if value is not None else f"{v} is not None"
    if value.__class__ is bool:
        return "False"  # ordering is for numbers and strings only
    if value.__class__ is str:
        return f"({v}.__class__ is str and {v} {_OPS[op]} {value!r})"
    n = g.fresh("n")
    return f"(({n} := _jn({v})) is not None and {n} {_OPS[op]} {g.const(value)})"


def _entries_source(g: _Gen, family: str) -> str:
    return f"_ents(d, {g.cache()}, {family!r})"


def _exists_entry(g: _Gen, family: str, nodes: list[ast.Expr]) -> str:
    """Some entry of ``family`` satisfies every condition in ``nodes`` (positive forms)."""
    eq_keys = [n for n in nodes if isinstance(n, ast.Compare) and n.op == "eq"
               and FIELDS[n.field.name].type is FieldType.FAMILY_KEY and n.value.value.__class__ is str]  # type: ignore[union-attr]
    if eq_keys:
        key = eq_keys[0].value.value  # type: ignore[union-attr]
        rest = [n for n in nodes if n is not eq_keys[0]]
        if family != "feedback" and "." not in key:
            return _direct_key(g, family, key, rest)
        k, v, s = g.fresh("k"), g.fresh("v"), g.fresh("s")
        tests = [_entry_test(g, n, k, v, s) for n in rest] or ["True"]
        if rest:
            names = ", ".join(_entry_vars(family, k, v, s))
            return f"any({_wrap(tests, 'and')} for {names} in _ix(d, {g.cache()}, {family!r}).get({key!r}, ()))"
        return f"{key!r} in _ix(d, {g.cache()}, {family!r})"
    k, v, s = g.fresh("k"), g.fresh("v"), g.fresh("s")
    tests = [_entry_test(g, n, k, v, s) for n in nodes]
    names = ", ".join(_entry_vars(family, k, v, s))
    return f"any({_wrap(tests, 'and')} for {names} in {_entries_source(g, family)})"


def _direct_key(g: _Gen, family: str, key: str, rest: list[ast.Expr]) -> str:
    """Entries with a dotless key come from one member of the object: read it without flattening."""
    obj = _FAMILY_OBJECT[family]
    if not rest:
        return f"_has_key({obj}, {key!r})"
    keys = [n for n in rest if FIELDS[n.field.name].type is FieldType.FAMILY_KEY]  # type: ignore[attr-defined]
    if not all(_constant_key_test(g, n, key) for n in keys):
        return "False"  # another key condition the bound key fails: no entry can hold both
    rest = [n for n in rest if not any(n is k for k in keys)]
    if not rest:
        return f"_has_key({obj}, {key!r})"
    e, v = g.fresh("e"), g.fresh("v")
    k = repr(key)
    one = _wrap([_entry_test(g, n, k, e, "None") for n in rest], "and")
    many = _wrap([_entry_test(g, n, k, v, "None") for n in rest], "and")
    o = g.fresh("o")
    return (f"((({e} := ({o} := {obj}).get({k}, _MISSING)).__class__ in _LEAF and {one})"
            f" or ({e}.__class__ is list and any({many} for {v} in _kv({o}, {k}))))")


def _constant_key_test(g: _Gen, node: ast.Expr, key: str) -> bool:
    """A key condition evaluated now on a key known at compile time."""
    test = eval(builtins.compile(f"lambda _k: {_key_test(g, node, '_k')}", "<filterql>", "eval"), g.ns)  # noqa: S307
    return bool(test(key))


def _family_standalone(g: _Gen, node: ast.Expr) -> str:
    """A family condition alone in its scope: some entry has it; ``neq``/``notlike``: no entry has it."""
    family = _family(node)
    assert family is not None
    positive = _positive(node)
    found = _exists_entry(g, family, [positive])
    return found if positive is node else f"(not {found})"


def _gen_and(g: _Gen, node: ast.And) -> str:
    by_family: dict[str, list[ast.Expr]] = {}
    for arg in node.args:
        family = _family(arg)
        if family is not None:
            by_family.setdefault(family, []).append(arg)
    bound: dict[int, tuple[str, list[ast.Expr]]] = {}  # position of a group's first member → group
    members: set[int] = set()
    for family, nodes in by_family.items():
        if not any(_is_positive_key(n) for n in nodes):
            continue
        group = [n for n in nodes if _is_positive_key(n) or FIELDS[n.field.name].type is not FieldType.FAMILY_KEY]  # type: ignore[attr-defined]
        first = min(i for i, a in enumerate(node.args) if any(a is n for n in group))
        bound[first] = (family, group)
        members.update(id(n) for n in group)
    parts: list[str] = []
    for i, arg in enumerate(node.args):
        if i in bound:
            family, group = bound[i]
            parts.append(_exists_entry(g, family, group))
        elif id(arg) not in members:
            parts.append(g.child(arg))
    return _wrap(parts, "and")


_DISPATCH: dict[type, Callable[[_Gen, Any], str]] = {
    ast.And: _gen_and,
    ast.Or: _gen_or,
    ast.Not: _gen_not,
    ast.Compare: _gen_compare,
    ast.In: _gen_in,
    ast.Like: _gen_like,
    ast.Has: _gen_has,
    ast.Exists: _gen_exists,
    ast.Search: _gen_search,
}


# ------------------------------------------------------------------- build


def _field_counts(expr: ast.Expr) -> dict[str, int]:
    counts: dict[str, int] = {}
    for n in ast.walk(expr):
        if isinstance(n, ast.Search):
            counts["<search>"] = counts.get("<search>", 0) + 1
        if isinstance(n, ast.Field):
            counts[n.name] = counts.get(n.name, 0) + 1
            if n.name in ("start_time", "end_time"):
                counts["latency"] = counts.get("latency", 0) + 1
    return counts


def compile_checked(expr: ast.Expr, *, search_limit: int | None = None, inline: bool = True) -> Predicate:
    """Build the predicate of an already checked (typed) AST.

    ``inline=False`` compiles each operand of and/or/not as its own function
    (the closure-per-node design), kept only so the benchmark can compare.
    """
    g = _Gen(search_limit, inline, _field_counts(expr))
    body = g.expr(expr)
    lines = list(g.functions)
    lines.append("def _pred(d):")
    lines.append("    if d.__class__ is not dict:")
    lines.append("        d = _as_dict(d)")
    if g.uses_cache:
        lines.append("    c = {}")
    lines.append(f"    return {body}")
    source = "\n".join(lines) + "\n"
    namespace = g.ns
    exec(builtins.compile(source, "<filterql>", "exec"), namespace)  # noqa: S102 - our own generated code
    pred = namespace["_pred"]
    pred.expr = expr
    pred.source = source
    return pred  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _compile_text(text: str, context: str, search_limit: int | None) -> Predicate:
    return compile_checked(check(text, context), search_limit=search_limit)


def compile(filter: FilterInput, context: str = "filter", *, search_limit: int | None = None) -> Predicate:  # noqa: A001
    """Validate ``filter`` (text or AST) for ``context`` and compile it into ``pred(run) -> bool``.

    Raises :class:`FilterSyntaxError`/:class:`FilterValidationError` on an invalid
    filter. ``search_limit=250`` reproduces LangSmith's ClickHouse full-text
    index, which sees only the first 250 characters of each value. Compiled
    text filters are kept in a small LRU cache.
    """
    if search_limit is not None and (not isinstance(search_limit, int) or search_limit < 1):
        raise ValueError(f"search_limit must be a positive integer, not {search_limit!r}")
    if isinstance(filter, str):
        return _compile_text(filter, context, search_limit)
    return compile_checked(check(filter, context), search_limit=search_limit)
