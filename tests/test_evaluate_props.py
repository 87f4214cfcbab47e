"""The compiled predicate agrees with a deliberately simple tree-walking interpreter.

The reference below re-reads the docs/semantics.md on its own — its own
flattening, timestamp parsing, LIKE (a textbook dynamic program) and search —
sharing nothing with ``filterql.evaluate``/``runs``/``like`` but the checked AST.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import family_scopes, run_lists, runs, typed_filters
from conftest import make_run

from filterql import ast, select
from filterql.catalog import RUN_FIELDS as FIELDS  # run filters: the run contexts
from filterql.evaluate import compile_checked
from filterql.validator import check

_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------ reference


def _ts(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _num(x: Any) -> Any:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, float):
        return Decimal(repr(x))
    if isinstance(x, str):
        try:
            return Decimal(x)
        except ArithmeticError:
            return None
    return x


def _flat(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            out += _flat(v, f"{prefix}.{k}" if prefix else k)
        return out
    if isinstance(obj, list):
        return [e for item in obj for e in _flat(item, prefix)]
    return [(prefix, obj)] if prefix else []


def _meta(run: dict[str, Any]) -> dict[str, Any]:
    return ((run.get("extra") or {}).get("metadata")) or {}


def _feedback(run: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    if run.get("feedback") is not None:
        return [(f["key"], _num(int(f["score"]) if isinstance(f["score"], bool) else f["score"]), f["value"])
                for f in run["feedback"]]
    return [(k, _num(s.get("avg")), None) for k, s in (run.get("feedback_stats") or {}).items()]


def _entries(run: dict[str, Any], family: str) -> list[tuple[Any, ...]]:
    if family == "feedback":
        return _feedback(run)
    source = {"metadata": _meta(run), "input": run.get("inputs"), "output": run.get("outputs")}[family]
    return [(k, None, v) for k, v in _flat(source)]


def _like(value: str, pattern: str) -> bool:
    tokens, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            tokens.append(("lit", pattern[i + 1]))
            i += 2
            continue
        tokens.append(("any",) if pattern[i] == "%" else ("one",) if pattern[i] == "_" else ("lit", pattern[i]))
        i += 1
    # ok[j]: the first i tokens match value[:j]
    ok = [True] + [False] * len(value)
    for tok in tokens:
        new = [False] * (len(value) + 1)
        for j in range(len(value) + 1):
            if tok[0] == "any":
                new[j] = ok[j] or (j > 0 and new[j - 1])
            elif j > 0 and ok[j - 1] and (tok[0] == "one" or tok[1] == value[j - 1]):
                new[j] = True
        ok = new
    return ok[len(value)]


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, Decimal)):
        return format(Decimal(_num(v)).normalize(), "f")
    return None


def _value_eq(v: Any, lit: Any) -> bool:
    if lit is None:
        return v is None
    if isinstance(lit, bool):
        return isinstance(v, bool) and v == lit
    if isinstance(lit, str):
        return v == lit if isinstance(v, str) else _text(v) == lit
    return not isinstance(v, (bool, str)) and v is not None and _num(v) == lit


_CMP = {"eq": lambda a, b: a == b, "neq": lambda a, b: a != b, "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def _holds(op: str, v: Any, lit: Any, kind: str) -> bool:
    """One comparison under the null rules; ``kind`` picks value semantics: plain, family value, score."""
    if lit is None:
        return (v is None) == (op == "eq")
    if v is None:
        return False
    if kind == "value":
        if op == "eq":
            return _value_eq(v, lit)
        if op == "neq":
            return not _value_eq(v, lit)
        if isinstance(lit, bool):
            return False
        if isinstance(lit, str):
            return isinstance(v, str) and _CMP[op](v, lit)
        return not isinstance(v, (bool, str)) and _CMP[op](_num(v), lit)
    return _CMP[op](v, lit)


def _entry_cond(node: ast.Expr, entry: tuple[Any, Any, Any]) -> bool:
    """A family condition (positive or not) on one entry (key, score, value)."""
    spec = FIELDS[node.field.name]
    x = {"key": entry[0], "score": entry[1], "value": entry[2]}[spec.type.value]
    kind = "value" if spec.type.value == "value" else "plain"
    if isinstance(node, ast.Compare):
        return _holds(node.op, x, node.value.value, kind)
    if isinstance(node, ast.In):
        return any(_holds("eq", x, item.value, kind) for item in node.values.items)
    text = _text(x) if kind == "value" else x if isinstance(x, str) else None
    if text is None:
        return False
    return _like(text, node.pattern.value) != node.negated


def _negative(node: ast.Expr) -> bool:
    return isinstance(node, ast.Compare) and node.op == "neq" or isinstance(node, ast.Like) and node.negated


def _positive_of(node: ast.Expr) -> ast.Expr:
    if isinstance(node, ast.Compare):
        return ast.Compare("eq", node.field, node.value)
    return ast.Like(node.field, node.pattern)


def _family(node: ast.Expr) -> str | None:
    field = getattr(node, "field", None)
    return FIELDS[field.name].family if isinstance(node, (ast.Compare, ast.In, ast.Like)) and field else None


def _positive_key(node: ast.Expr) -> bool:
    return _family(node) is not None and FIELDS[node.field.name].type.value == "key" and not _negative(node)


def _family_alone(node: ast.Expr, run: dict[str, Any]) -> bool:
    ents = _entries(run, _family(node))
    if _negative(node):
        return not any(_entry_cond(_positive_of(node), e) for e in ents)
    return any(_entry_cond(node, e) for e in ents)


def _field(run: dict[str, Any], name: str) -> Any:
    if name == "latency":
        s, e = _ts(run.get("start_time")), _ts(run.get("end_time"))
        return None if e is None else Decimal((e - s) // __import__("datetime").timedelta(microseconds=1)) / 1000000
    if name == "is_root":
        return run.get("parent_run_id") is None
    if name == "thread_id":
        return next((_meta(run)[k] for k in ("thread_id", "session_id", "conversation_id")
                     if _meta(run).get(k) is not None), None)
    value = run.get(FIELDS[name].source)
    t = FIELDS[name].type.value
    if t == "timestamp":
        return _ts(value)
    if t in ("integer", "decimal"):
        return _num(value)
    if t == "uuid" and value is not None:
        return __import__("uuid").UUID(value)
    return value


def _search_values(run: dict[str, Any], field: str | None) -> list[str]:
    if field in ("name", "error", "thread_id"):
        values = [_field(run, field)]
    elif field == "tags":
        values = run.get("tags") or []
    elif field is not None:
        values = [v for _, _, v in _entries(run, {"metadata": "metadata", "inputs": "input", "outputs": "output"}[field])]
    else:
        values = [run.get("name"), run.get("error"), *(run.get("tags") or [])]
        for fam in ("input", "output", "metadata"):
            values += [v for _, _, v in _entries(run, fam)]
    return [v for v in values if isinstance(v, str)]


def ref(node: ast.Expr, run: dict[str, Any]) -> bool:
    """The reference meaning of a checked filter on one run."""
    if isinstance(node, ast.Not):
        return not ref(node.arg, run)
    if isinstance(node, ast.Or):
        return any(ref(a, run) for a in node.args)
    if isinstance(node, ast.And):
        bound = {}
        for fam in {_family(a) for a in node.args if _positive_key(a)}:
            bound[fam] = [a for a in node.args if _family(a) == fam and (_positive_key(a) or FIELDS[a.field.name].type.value != "key")]
        in_group = {id(a) for group in bound.values() for a in group}
        for fam, group in bound.items():
            if not any(all(_entry_cond(c, e) for c in group) for e in _entries(run, fam)):
                return False
        return all(ref(a, run) for a in node.args if id(a) not in in_group)
    if _family(node) is not None:
        return _family_alone(node, run)
    if isinstance(node, ast.Search):
        values = _search_values(run, node.field.name if node.field else None)
        return all(any(term in v.lower() for v in values) for term in node.text.value.lower().split())
    if isinstance(node, ast.Has):
        if node.field.name == "tags":
            return node.value.value in (run.get("tags") or [])
        mine = _flat(_meta(run))
        return all(any(k == mk and _same_json(v, mv) for mk, mv in mine) for k, v in _flat(node.value.value))
    if isinstance(node, ast.Exists):
        fam = {"metadata": "metadata", "inputs": "input", "outputs": "output"}[node.field.name]
        key = node.key.value
        return any(k == key or k.startswith(key + ".") for k, _, _ in _entries(run, fam))
    if isinstance(node, ast.Like) and FIELDS[node.field.name].type.value == "object":
        # like(inputs, p): some flattened leaf matches, as like(input_value, p) alone; notlike: none does.
        family = {"inputs": "input", "outputs": "output"}[node.field.name]
        return _family_alone(ast.Like(ast.Field(f"{family}_value"), node.pattern, node.negated), run)
    value = _field(run, node.field.name)
    if isinstance(node, ast.In):
        if node.field.name == "tags":
            return any(t in {i.value for i in node.values.items} for t in (value or []))
        return value is not None and any(value == i.value for i in node.values.items)
    if isinstance(node, ast.Like):
        return isinstance(value, str) and _like(value, node.pattern.value) != node.negated
    assert isinstance(node, ast.Compare)
    return _holds(node.op, value, node.value.value, "plain")


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a) == json.dumps(b) or (
        type(a) in (int, float) and type(b) in (int, float) and _num(a) == _num(b))


# ---------------------------------------------------------------- properties


@_SETTINGS
@given(typed_filters(), st.lists(runs(), min_size=1, max_size=6))
def test_compiled_agrees_with_reference(filter, some_runs):
    typed = check(filter)
    pred = compile_checked(typed)
    for run in some_runs:
        got = pred(run)
        assert got is True or got is False
        assert got == ref(typed, run), (str(filter), run, pred.source)


@_SETTINGS
@given(family_scopes(), st.lists(runs(), min_size=1, max_size=6))
def test_binding_scopes_agree_with_reference(scope, some_runs):
    """The key/value binding scopes alone: the part a naive evaluator gets wrong."""
    typed = check(scope)
    pred = compile_checked(typed)
    for run in some_runs:
        assert pred(run) == ref(typed, run), (str(scope), run, pred.source)


@settings(max_examples=40, deadline=None)
@given(typed_filters(max_leaves=4), typed_filters(max_leaves=4), run_lists())
def test_select_trace_and_tree_filters_agree_with_reference(trace_filter, tree_filter, some_runs):
    by_id = {r["id"]: r for r in some_runs}
    t_typed, r_typed = check(trace_filter, "trace_filter"), check(tree_filter, "tree_filter")
    want_trace = {r["id"] for r in some_runs
                  if r["trace_id"] in by_id and ref(t_typed, by_id[r["trace_id"]])}
    want_tree = {r["id"] for r in some_runs
                 if any(ref(r_typed, o) for o in some_runs if o["trace_id"] == r["trace_id"])}
    assert {r["id"] for r in select(some_runs, trace_filter=t_typed)} == want_trace
    assert {r["id"] for r in select(some_runs, tree_filter=r_typed)} == want_tree
    both = select(some_runs, trace_filter=t_typed, tree_filter=r_typed)
    assert {r["id"] for r in both} == want_trace & want_tree


@settings(max_examples=40, deadline=None)
@given(typed_filters(max_leaves=4), run_lists(), st.integers(0, 5))
def test_select_orders_newest_first_then_id_and_limits(filter, some_runs, limit):
    typed = check(filter)
    full = select(some_runs, filter=typed)
    keys = [(-_ts(r["start_time"]).timestamp(), r["id"]) for r in full]
    assert keys == sorted(keys)
    assert select(some_runs, filter=typed, limit=limit) == full[:limit]


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4) | st.sampled_from(["5", "true"])
_odd = st.recursive(_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(
    st.sampled_from(["a", "phone", "thread_id", "key", "score", "avg", "metadata"]) | st.text(max_size=3), c, max_size=3),
    max_leaves=8)
_ODD_KEYS = [f.source for f in FIELDS.values() if f.source and "." not in f.source] + [
    "extra", "feedback", "feedback_stats", "inputs", "outputs"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_filters(), st.dictionaries(st.sampled_from(_ODD_KEYS), _odd))
def test_predicates_never_crash_on_odd_run_values(filter, fields):
    """Any JSON in any optional field gives True or False, never an exception."""
    run = make_run(**{"id": "x", "trace_id": "x", "name": "n", "run_type": "llm", "start_time": "2024-01-01", **fields})
    result = compile_checked(check(filter))(run)
    assert result is True or result is False
