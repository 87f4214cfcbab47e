"""Compile a filter into a fast Python predicate over runs.

``compile`` validates once, then generates the source of one Python function
for the whole filter and builds it with ``exec``: every node becomes inline
Python (``d.get("name") == "x"``), so evaluating a run never dispatches on the
AST. This measured faster than composing one closure per node (see
``benchmarks/eval_bench.py``). Field reading lives in :mod:`filterql.runs`; the
meaning of every construct is the docs/semantics.md.

The filter is first lowered (:func:`filterql.lowering.lower`) into a plan
whose binding scopes (SPEC §5) and derived readings are explicit; this module
only prints each plan node as Python, one rule per node type.
"""

from __future__ import annotations

import builtins
import functools
import re
from decimal import Decimal
from typing import Any, Callable, Protocol

from . import ast, plan, runs
from .catalog import FIELDS, FieldType
from .like import LikePattern, like_matcher, parse_like
from .lowering import lower
from .validator import FilterInput, check

__all__ = ["Predicate", "compile", "compile_checked"]


class Predicate(Protocol):
    """``pred(run) -> bool`` for a run dict or ``langsmith`` Run; ``expr`` is the checked AST,
    ``source`` the generated Python."""

    expr: ast.Expr
    source: str

    def __call__(self, run: Any) -> bool: ...


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_LEAF_TYPES = frozenset({str, int, float, bool, type(None), Decimal})
_OPS = {"eq": "==", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
#: How to read the object whose members a family's dotless keys name.
_FAMILY_OBJECT = {"metadata": "_meta(d)", "input": "_obj(d.get('inputs'))", "output": "_obj(d.get('outputs'))"}


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
    na, nb = runs.family_number(a), runs.family_number(b)
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
    "_int": runs.integer,
    "_jn": runs.family_number,
    "_jt": runs.json_text,
    "_ueq": runs.uuid_equal,
    "_utext": runs.uuid_text,
    "_meta": runs.metadata,
    "_thread": runs.thread_id,
    "_kv": runs.key_values,
    "_ents": runs.entries,
    "_ix": runs.entry_index,
    "_hay": runs.search_haystack,
    "_found": runs.search_found,
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
    if not _PLAIN_NUMBER.fullmatch(text):  # a JSON text is plain: no exponent to expand
        return False
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

    def expr(self, node: plan.Plan) -> str:
        gen = _DISPATCH.get(type(node))
        if gen is None:
            raise TypeError(f"evaluate: no rule for node {type(node).__name__}")
        return gen(self, node)

    def read(self, reading: plan.Reading) -> str:
        """Expression reading the raw value of ``reading``."""
        return _READERS[type(reading)](self, reading)

    def child(self, node: plan.Plan) -> str:
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


def _wrap(parts: list[str], joiner: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {joiner} ".join(parts) + ")"


# ------------------------------------------------------------------ readings


def _read_column(g: _Gen, reading: plan.Column) -> str:
    source = FIELDS[reading.name].source
    if reading.type is FieldType.TIMESTAMP:
        if g.counts.get(reading.name, 0) > 1:
            return f"_tsc(d, {g.cache()}, {source!r})"
        return f"_ts(d.get({source!r}))"
    if source is None or "." in source:
        raise TypeError(f"evaluate: field {reading.name} has no direct accessor")
    if reading.type is FieldType.INTEGER:  # runs.integer; a plain int in range skips the call
        x = g.fresh("x")
        return f"({x} if ({x} := d.get({source!r})).__class__ is int and {-(2**63)} <= {x} <= {2**63 - 1} else _int({x}))"
    if reading.type is FieldType.DECIMAL:  # runs.number: a numeric string is a cost too
        x = g.fresh("x")
        return f"({x} if ({x} := d.get({source!r})).__class__ is int else _num({x}))"
    return f"d.get({source!r})"


def _read_latency(g: _Gen, reading: plan.Latency) -> str:
    return f"_latc(d, {g.cache()})" if g.counts.get("latency", 0) > 1 else "_lat(d)"


def _read_thread(g: _Gen, reading: plan.ThreadKey) -> str:
    return "_thread(d)"


#: Expression reading the raw value of each reading.
_READERS: dict[type, Callable[[_Gen, Any], str]] = {
    plan.Column: _read_column,
    plan.Latency: _read_latency,
    plan.ThreadKey: _read_thread,
}


# ------------------------------------------------------------- scalar tests


def _gen_compare(g: _Gen, node: plan.Compare) -> str:
    raw = g.read(node.reading)
    value, op, t = node.value, node.op, node.reading.type
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
    if t in (FieldType.INTEGER, FieldType.DECIMAL):  # the reading is already a number or None
        return f"(({x} := {raw}) is not None and {x} {_OPS[op]} {g.const(value)})"
    raise TypeError(f"evaluate: {op} on a {t.value} reading")


def _gen_is_null(g: _Gen, node: plan.IsNull) -> str:
    return f"{g.read(node.reading)} is {'' if node.null else 'not '}None"


def _gen_in_set(g: _Gen, node: plan.InSet) -> str:
    x = g.fresh("x")
    t, raw = node.reading.type, g.read(node.reading)
    if t is FieldType.UUID:
        texts = frozenset(str(v) for v in node.values)
        return f"(({x} := {raw}) is not None and _utext({x}) in {g.const(texts)})"
    if t in (FieldType.STRING, FieldType.ENUM):
        return f"(({x} := {raw}).__class__ is str and {x} in {g.const(frozenset(node.values))})"
    if t in (FieldType.INTEGER, FieldType.DECIMAL):
        return f"(({x} := {raw}) is not None and {x} in {g.const(frozenset(node.values))})"
    raise TypeError(f"evaluate: in() on a {t.value} reading")


def _gen_like(g: _Gen, node: plan.Like) -> str:
    x = g.fresh("x")
    test = g.matcher(node.pattern, x)
    return f"(({x} := {g.read(node.reading)}).__class__ is str and {'not ' if node.negated else ''}{test})"


def _gen_is_root(g: _Gen, node: plan.IsRoot) -> str:
    return "d.get('parent_run_id') is None" if node.root else "d.get('parent_run_id') is not None"


def _gen_constant(g: _Gen, node: plan.Constant) -> str:
    return repr(node.value)


def _gen_tags_any(g: _Gen, node: plan.TagsAny) -> str:
    x = g.fresh("x")
    return f"(({x} := d.get('tags')).__class__ is list and _tags_in({x}, {g.const(frozenset(node.values))}))"


def _gen_tag_has(g: _Gen, node: plan.TagHas) -> str:
    x = g.fresh("x")
    return f"(({x} := d.get('tags')).__class__ is list and {node.value!r} in {x})"


def _gen_has_leaves(g: _Gen, node: plan.HasLeaves) -> str:
    return f"_has_object(d, {g.cache()}, {g.const(node.leaves)})"


def _gen_key_present(g: _Gen, node: plan.KeyPresent) -> str:
    return f"_exists(d, {g.cache()}, {node.family!r}, {node.key!r})"


def _gen_search(g: _Gen, node: plan.Search) -> str:
    if g.counts.get("<search>", 0) == 1:  # the only search: nothing to share, so stop at the first find
        return f"_found(d, {node.terms!r}, {node.field!r}, {g.search_limit!r})"
    h = g.fresh("h")
    hay = f"_hay(d, {g.cache()}, {node.field!r}, {g.search_limit!r})"
    terms = node.terms
    parts = [f"{terms[0]!r} in ({h} := {hay})"] + [f"{t!r} in {h}" for t in terms[1:]]
    return _wrap(parts, "and")


def _gen_all(g: _Gen, node: plan.All) -> str:
    return _wrap([g.child(part) for part in node.parts], "and")


def _gen_any(g: _Gen, node: plan.AnyOf) -> str:
    return _wrap([g.child(part) for part in node.parts], "or")


def _gen_not(g: _Gen, node: plan.Not) -> str:
    return f"(not {g.child(node.part)})"


# ------------------------------------------------------------ entry tests
# Each tests one entry whose key, value and score are in the variables named k, v, s.


def _key_compare(g: _Gen, op: str, value: Any, k: str) -> str:
    if value is None:
        return f"{k} is {'' if op == 'eq' else 'not '}None"
    lit = g.const(value)
    if op == "eq":
        return f"{k} == {lit}"
    if op == "neq":
        return f"({k} is not None and {k} != {lit})"
    return f"({k}.__class__ is str and {k} {_OPS[op]} {lit})"


def _score_compare(g: _Gen, op: str, value: Any, s: str) -> str:
    if value is None:
        return f"{s} is {'' if op == 'eq' else 'not '}None"
    lit = g.const(value)
    if op == "eq":
        return f"{s} == {lit}"
    return f"({s} is not None and {s} {_OPS[op]} {lit})"


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


def _value_compare(g: _Gen, op: str, value: Any, v: str) -> str:
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


_SLOT_COMPARE = {"key": _key_compare, "score": _score_compare, "value": _value_compare}


def _entry_compare(g: _Gen, test: plan.EntryCompare, k: str, v: str, s: str) -> str:
    var = {"key": k, "value": v, "score": s}[test.slot]
    return _SLOT_COMPARE[test.slot](g, test.op, test.value, var)


def _entry_in(g: _Gen, test: plan.EntryIn, k: str, v: str, s: str) -> str:
    values = test.values
    if test.slot == "key":
        return f"{k} in {g.const(frozenset(values))}"
    if test.slot == "score":
        return f"{s} in {g.const(frozenset(values))}"
    if all(x.__class__ is str and not _could_be_json_text(x) for x in values):
        return f"({v}.__class__ is str and {v} in {g.const(frozenset(values))})"
    if all(x.__class__ in (int, Decimal) for x in values):
        return f"_jn({v}) in {g.const(frozenset(values))}"
    return _wrap([_value_eq(g, x, v) for x in values], "or")


def _entry_like(g: _Gen, test: plan.EntryLike, k: str, v: str, s: str) -> str:
    if test.slot == "key":
        return f"({k}.__class__ is str and {'not ' if test.negated else ''}{g.matcher(test.pattern, k)})"
    t = g.fresh("t")
    found = f"(({t} := _jt({v})) is not None and {g.matcher(test.pattern, t)})"
    return f"({v} is not None and not {found})" if test.negated else found


_ENTRY_TESTS: dict[type, Callable[..., str]] = {
    plan.EntryCompare: _entry_compare,
    plan.EntryIn: _entry_in,
    plan.EntryLike: _entry_like,
}


def _entry_test(g: _Gen, test: plan.EntryTest, k: str, v: str, s: str) -> str:
    return _ENTRY_TESTS[type(test)](g, test, k, v, s)


# ------------------------------------------------------------ entry sources


def _entry_vars(family: str, key: str, value: str, score: str) -> str:
    return ", ".join((key, score, value) if family == "feedback" else (key, value))


def _some_entries(g: _Gen, source: plan.Entries, tests: tuple[plan.EntryTest, ...]) -> str:
    k, v, s = g.fresh("k"), g.fresh("v"), g.fresh("s")
    parts = [_entry_test(g, t, k, v, s) for t in tests] or ["True"]
    return f"any({_wrap(parts, 'and')} for {_entry_vars(source.family, k, v, s)} in _ents(d, {g.cache()}, {source.family!r}))"


def _some_key_entries(g: _Gen, source: plan.KeyEntries, tests: tuple[plan.EntryTest, ...]) -> str:
    index = f"_ix(d, {g.cache()}, {source.family!r})"
    if not tests:
        return f"{source.key!r} in {index}"
    k, v, s = g.fresh("k"), g.fresh("v"), g.fresh("s")
    parts = [_entry_test(g, t, k, v, s) for t in tests]
    return f"any({_wrap(parts, 'and')} for {_entry_vars(source.family, k, v, s)} in {index}.get({source.key!r}, ()))"


def _some_member_entries(g: _Gen, source: plan.MemberEntries, tests: tuple[plan.EntryTest, ...]) -> str:
    """Read the object's member ``key`` without flattening the object."""
    obj, key = _FAMILY_OBJECT[source.family], source.key
    if not all(_constant_key_test(g, t, key) for t in tests if t.slot == "key"):
        return "False"  # a key test the bound key fails: no entry can pass
    rest = [t for t in tests if t.slot != "key"]
    if not rest:
        return f"_has_key({obj}, {key!r})"
    e, v, o = g.fresh("e"), g.fresh("v"), g.fresh("o")
    k = repr(key)
    one = _wrap([_entry_test(g, t, k, e, "None") for t in rest], "and")
    many = _wrap([_entry_test(g, t, k, v, "None") for t in rest], "and")
    return (f"((({e} := ({o} := {obj}).get({k}, _MISSING)).__class__ in _LEAF and {one})"
            f" or ({e}.__class__ is list and any({many} for {v} in _kv({o}, {k}))))")


def _constant_key_test(g: _Gen, test: plan.EntryTest, key: str) -> bool:
    """A key test evaluated now, on a key known at compile time."""
    code = _entry_test(g, test, "_k", "None", "None")
    return bool(eval(builtins.compile(f"lambda _k: {code}", "<filterql>", "eval"), g.ns)(key))  # noqa: S307


_SOURCES: dict[type, Callable[..., str]] = {
    plan.Entries: _some_entries,
    plan.KeyEntries: _some_key_entries,
    plan.MemberEntries: _some_member_entries,
}


def _gen_entry_exists(g: _Gen, node: plan.EntryExists) -> str:
    return _SOURCES[type(node.source)](g, node.source, node.tests)


def _gen_no_entry(g: _Gen, node: plan.NoEntry) -> str:
    return f"(not {_SOURCES[type(node.source)](g, node.source, node.tests)})"


_DISPATCH: dict[type, Callable[[_Gen, Any], str]] = {
    plan.All: _gen_all,
    plan.AnyOf: _gen_any,
    plan.Not: _gen_not,
    plan.Constant: _gen_constant,
    plan.Compare: _gen_compare,
    plan.IsNull: _gen_is_null,
    plan.InSet: _gen_in_set,
    plan.Like: _gen_like,
    plan.IsRoot: _gen_is_root,
    plan.TagsAny: _gen_tags_any,
    plan.TagHas: _gen_tag_has,
    plan.HasLeaves: _gen_has_leaves,
    plan.KeyPresent: _gen_key_present,
    plan.Search: _gen_search,
    plan.EntryExists: _gen_entry_exists,
    plan.NoEntry: _gen_no_entry,
}

#: Plan node types the evaluator prints (a test checks this covers :data:`filterql.plan.PLAN_NODES`).
HANDLED = frozenset(_DISPATCH) | frozenset(_ENTRY_TESTS) | frozenset(_SOURCES) | frozenset(_READERS)


# ------------------------------------------------------------------- build


def _reading_counts(tree: plan.Plan) -> dict[str, int]:
    """How often each timestamp, latency and search is read, to decide what to cache per run."""
    counts: dict[str, int] = {}
    for n in plan.walk(tree):
        if isinstance(n, plan.Search):
            counts["<search>"] = counts.get("<search>", 0) + 1
        reading = getattr(n, "reading", None)
        names = ("latency",) if isinstance(reading, plan.Latency) else ()
        if isinstance(reading, plan.Column):
            names = (reading.name, "latency") if reading.name in ("start_time", "end_time") else (reading.name,)
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def compile_checked(expr: ast.Expr, *, search_limit: int | None = None, inline: bool = True) -> Predicate:
    """Build the predicate of an already checked (typed) AST, without checking it.

    ``inline=False`` compiles each operand of and/or/not as its own function
    (the closure-per-node design), kept only so the benchmark can compare.
    """
    tree = lower(expr)
    g = _Gen(search_limit, inline, _reading_counts(tree))
    body = g.expr(tree)
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

    What :func:`filterql.check` returned (a :class:`~filterql.checked.Checked`) is compiled
    as is; anything else is checked once first.

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
