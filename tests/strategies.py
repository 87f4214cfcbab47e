"""Hypothesis strategies: random well-typed filters and random LangSmith runs.

``typed_filters()`` draws *parsed-form* ASTs (``Compare(op, Field, String)``, not
``Const``) that ``validate.check`` accepts in every context. ``runs()`` and
``run_lists()`` draw runs in LangSmith's run JSON (SPEC §4). Literals and run
values come from the same small pools so random filters match random runs often
enough to exercise both outcomes. Import with ``from strategies import ...``
(pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st
from conftest import make_run

from filterql import ast
from filterql.catalog import RUN_FIELDS as FIELDS, FieldType, RUN_TYPES, STATUSES  # run filters: the run contexts

__all__ = [
    "typed_filters", "comparisons", "family_scopes", "ranges", "runs", "run_lists", "list_runs_keywords",
    "UUIDS", "NAMES", "TAGS", "META_KEYS", "FAMILY_KEYS", "TIMESTAMPS",
]

# ------------------------------------------------------------------ pools

UUIDS = tuple(str(uuid.UUID(int=0x1000 + i, version=4)) for i in range(8))
NAMES = ("ChatOpenAI", "AgentExecutor", "RetrieveDocs", "extractor", "a%b_c", "Chat", "chat openai", "")
TAGS = ("production", "dev", "experimental", "a_b", "100%", "Prod")
ERRORS = ("Timeout", "rate limit exceeded", "timeout: 30s", "")
THREADS = ("conv-1", "conv-2", "t-1")
META_KEYS = ("environment", "phone", "user_id", "thread_id", "session_id", "conversation_id", "a", "a.b", "k")
# Scalar JSON leaves: strings that look like numbers/bools, numbers of each kind, bools, null.
LEAVES: tuple[Any, ...] = (
    "production", "555", "5", "1.5", "true", "Prod", "conv-1", "a%b", "x_y", "", "image classification",
    555, 5, 0, -1, 1.5, 5.0, 2.25, True, False, None,
)
#: The common leaves: most run values and family literals come from here, so pairs coincide.
VALUES: tuple[Any, ...] = ("production", "555", 555, "5", 5, 1.5, "true", True, None, "conv-1")
FEEDBACK_KEYS = ("user_score", "Correctness", "helpfulness")
#: Key literals per family: the keys runs below actually have, and a few they never have.
FAMILY_KEYS = {
    "metadata": META_KEYS[:6] + ("k", "a", "a.b", "nope"),
    "input": ("input", "query", "messages", "messages.content", "documents.page_content", "a", "a.b", "b"),
    "output": ("output", "messages.content", "documents", "documents.page_content", "b", "a.b", "content"),
    "feedback": FEEDBACK_KEYS + ("nope",),
}
SCORES: tuple[Any, ...] = (0, 1, 0.5, 0.0, 4, 5, True, None)
TIMESTAMPS = (
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.000000Z",
    "2024-05-01T10:00:02.000000Z",
    "2024-05-01T10:00:02.5Z",
    "2024-05-01T12:00:00+02:00",  # = 10:00:00Z
    "2024-05-01T09:59:59.999999-00:00",
    "2024-05-01T10:00:05",  # no offset = UTC
    "2024-05-02T00:00:00Z",
    "2024-04-30T23:00:00-01:00",  # = 2024-05-01T00:00:00Z
)
FILTER_TIMESTAMPS = ("2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00", "2024-05-01T10:00:02",
                     "2024-05-01T10:00:02.5Z", "2024-05-02")
DURATIONS = ("0s", "1s", "2s", "2.5s", "500ms", "2000ms", "1m", "1h", "1d")
LIKE_PATTERNS = ("%", "_", "Chat%", "%Query", "%a%", "a\\%b\\_c", "a%b%", "%\\%", "___", "%o%n%", "", "%_", "prod%",
                 "5", "1._", "%\\\\%", "c%n%-_")
SEARCH_TEXTS = ("image", "classification image", "CHAT", "prod", "timeout 30s", "a%b", "5", "conv")

# ------------------------------------------------------------- literals


def _s(value: str) -> ast.String:
    return ast.String(value)


def _n(value: Any) -> ast.Number:
    if isinstance(value, bool):
        raise TypeError("bool is not a number literal")
    return ast.Number(repr(value) if isinstance(value, float) else str(value))


def _literal(value: Any) -> ast.Node:
    if value is None:
        return ast.Null()
    if isinstance(value, bool):
        return ast.Bool(value)
    if isinstance(value, (int, float)):
        return _n(value)
    return _s(value)


_NUMBER_TEXTS = ("0", "1", "5", "-1", "0.5", "1.5", "5.0", "555", "1e3", "2.25", "100", "5100", "0.0")
numbers = st.sampled_from(_NUMBER_TEXTS).map(ast.Number)


def _values_for(name: str, op: str) -> st.SearchStrategy[ast.Node]:
    """Literals valid for field ``name`` under function ``op``."""
    spec = FIELDS[name]
    t = spec.type
    if t is FieldType.UUID:
        return st.sampled_from(UUIDS).map(_s)
    if t is FieldType.FAMILY_KEY:
        return st.sampled_from(FAMILY_KEYS[spec.family]).map(_s)
    if t is FieldType.STRING:
        return st.sampled_from({"name": NAMES, "error": ERRORS, "thread_id": THREADS}[name]).map(_s)
    if t is FieldType.ENUM:
        return st.sampled_from(spec.choices + ("",)).map(_s)
    if t is FieldType.TIMESTAMP:
        return st.sampled_from(FILTER_TIMESTAMPS).map(_s)
    if t is FieldType.SECONDS:
        return st.one_of(st.sampled_from(DURATIONS).map(_s), st.sampled_from(("0", "1", "2", "2.5", "5")).map(ast.Number))
    if t is FieldType.INTEGER:
        return numbers
    if t is FieldType.DECIMAL:
        return st.one_of(numbers, st.sampled_from(("0.5", "1.25", "0")).map(_s))
    if t is FieldType.BOOLEAN:
        return st.booleans().map(ast.Bool)
    if t is FieldType.FAMILY_VALUE:
        return st.one_of(st.sampled_from([v for v in VALUES if v is not None]),
                         st.sampled_from([v for v in LEAVES if v is not None])).map(_literal)
    if t is FieldType.FAMILY_SCORE:
        return st.one_of(st.sampled_from(("0", "1", "0.5", "4", "5", "0.0")).map(ast.Number), st.booleans().map(ast.Bool))
    raise AssertionError(f"no literal pool for {name} ({t})")


_COMPARABLE = [n for n, f in FIELDS.items() if f.operators & {"eq", "gt"}]


@st.composite
def comparisons(draw: st.DrawFn, fields: tuple[str, ...] | None = None) -> ast.Expr:
    """One leaf condition: a comparison, in, like/notlike, has, exists or search."""
    name = draw(st.sampled_from(fields or tuple(FIELDS)))
    spec = FIELDS[name]
    ops = sorted(spec.operators)
    op = draw(st.sampled_from(ops))
    field = ast.Field(name)
    if op in ast.COMPARISON_OPS:
        if op in ("eq", "neq") and (spec.nullable or spec.family) and draw(st.integers(0, 5)) == 0:
            return ast.Compare(op, field, ast.Null())
        return ast.Compare(op, field, draw(_values_for(name, op)))
    if op == "in":
        values = _values_for(name, op) if spec.type is not FieldType.STRING_LIST else st.sampled_from(TAGS).map(_s)
        items = draw(st.lists(values, min_size=1, max_size=3))
        return ast.In(field, ast.ListLit(items))
    if op in ("like", "notlike"):
        return ast.Like(field, _s(draw(st.sampled_from(LIKE_PATTERNS))), negated=op == "notlike")
    if op == "has":
        if name == "tags":
            return ast.Has(field, _s(draw(st.sampled_from(TAGS))))
        return ast.Has(field, _s(draw(_metadata_json)))
    if op == "exists":
        return ast.Exists(field, _s(draw(st.sampled_from(META_KEYS + ("input", "messages", "documents.page_content")))))
    if op == "search":
        return ast.Search(_s(draw(st.sampled_from(SEARCH_TEXTS))), field)
    raise AssertionError(f"no strategy for {op}")


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value)


_metadata_json = st.one_of(
    st.just("{}"),
    st.dictionaries(st.sampled_from(META_KEYS[:6] + ("a",)), st.sampled_from(LEAVES), max_size=2).map(_json_text),
    st.sampled_from(LEAVES).map(lambda v: _json_text({"a": {"b": v}})),
)

_FAMILY_FIELDS = {
    "metadata": ("metadata_key", ("metadata_value",)),
    "input": ("input_key", ("input_value",)),
    "output": ("output_key", ("output_value",)),
    "feedback": ("feedback_key", ("feedback_score", "feedback_value")),
}


@st.composite
def family_scopes(draw: st.DrawFn) -> ast.Expr:
    """An ``and`` holding key and value conditions of one family: the binding-scope cases."""
    family = draw(st.sampled_from(("metadata", "metadata", "input", "output", "feedback")))
    key, values = _FAMILY_FIELDS[family]
    # Usually a key = value pair (the binding case), plus random conditions of the family.
    parts = []
    if draw(st.integers(0, 3)):
        parts.append(ast.Compare("eq", ast.Field(key), _s(draw(st.sampled_from(FAMILY_KEYS[family])))))
        parts.append(draw(comparisons(values)))
    parts += draw(st.lists(comparisons((key,) + values), min_size=0 if parts else 1, max_size=2))
    return ast.And(draw(st.permutations(parts)))


_ORDERED = tuple(n for n, f in FIELDS.items() if "gt" in f.operators)


@st.composite
def ranges(draw: st.DrawFn) -> ast.Expr:
    """``and(gt|gte(f, lo), lt|lte(f, hi))`` on one ordered field (bounds may cross)."""
    name = draw(st.sampled_from(_ORDERED))
    lo, hi = draw(_values_for(name, "gt")), draw(_values_for(name, "lt"))
    field = ast.Field(name)
    return ast.And([ast.Compare(draw(st.sampled_from(("gt", "gte"))), field, lo),
                    ast.Compare(draw(st.sampled_from(("lt", "lte"))), field, hi)])


def _leaves() -> st.SearchStrategy[ast.Expr]:
    return st.one_of(comparisons(), comparisons(_FAMILY_FIELDS["metadata"][1] + ("metadata_key",)), family_scopes(),
                     ranges())


def typed_filters(max_leaves: int = 8) -> st.SearchStrategy[ast.Expr]:
    """Well-typed parsed-form filters: and/or/not over leaves, with family scopes nested."""

    def extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
        return st.one_of(
            st.lists(children, min_size=1, max_size=3).map(ast.And),
            st.lists(children, min_size=1, max_size=3).map(ast.Or),
            children.map(ast.Not),
            # a duplicate operand: and(x, x) / or(x, x)
            children.map(lambda c: ast.And([c, c])),
        )

    return st.recursive(_leaves(), extend, max_leaves=max_leaves)


# ------------------------------------------------------------------ runs

_json_leaf = st.one_of(st.sampled_from(VALUES), st.sampled_from(LEAVES))


def _json_objects(max_depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(("input", "output", "query", "messages", "content", "documents", "page_content", "a", "b"))
    values = st.recursive(
        _json_leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(keys, inner, max_size=3),
        ),
        max_leaves=6,
    )
    return st.dictionaries(keys, values, max_size=3)


_flat_metadata = st.dictionaries(st.sampled_from(META_KEYS[:6] + ("k",)), _json_leaf, min_size=1, max_size=5)
_metadata = st.one_of(
    _flat_metadata,
    _flat_metadata,
    st.fixed_dictionaries({"a": st.one_of(
        st.dictionaries(st.just("b"), _json_leaf, max_size=1),
        st.lists(st.dictionaries(st.just("b"), _json_leaf, max_size=1), max_size=2),
        st.lists(_json_leaf, max_size=2),
    )}),
    st.just({}),
)

_feedback_list = st.lists(
    st.fixed_dictionaries({"key": st.sampled_from(FEEDBACK_KEYS), "score": st.sampled_from(SCORES),
                           "value": st.sampled_from(("good", "bad", None, 1, "5"))}),
    max_size=3,
)
_feedback_stats = st.dictionaries(
    st.sampled_from(FEEDBACK_KEYS),
    st.fixed_dictionaries({"n": st.integers(1, 3), "avg": st.sampled_from((0, 1, 0.5, 4.5, 5, None))}),
    max_size=2,
)

_MISSING = object()


def _mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], percent: int = 80) -> st.SearchStrategy[Any]:
    """``common`` about ``percent`` % of the time, else ``rare``."""
    return st.integers(0, 99).flatmap(lambda i: common if i < percent else rare)


def _optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value; sometimes JSON null or the key left out (``_MISSING``)."""
    return st.one_of(values, values, values, st.just(None), st.just(_MISSING))


@st.composite
def runs(draw: st.DrawFn, run_id: str | None = None, trace_id: str | None = None,
         parent_run_id: str | None | object = _MISSING) -> dict[str, Any]:
    """One run in LangSmith run JSON. Required fields are always present; others may be null or absent."""
    rid = run_id or draw(st.sampled_from(UUIDS))
    run = make_run(id=rid, trace_id=trace_id or rid, name=draw(st.sampled_from(NAMES)),
                   run_type=draw(st.sampled_from(RUN_TYPES)), start_time=draw(st.sampled_from(TIMESTAMPS)))
    run["parent_run_id"] = None if parent_run_id is _MISSING else parent_run_id
    optional = {
        "end_time": _optional(st.sampled_from(TIMESTAMPS)),
        "first_token_time": _optional(st.sampled_from(TIMESTAMPS)),
        "status": _optional(st.sampled_from(STATUSES)),
        "error": _optional(st.sampled_from(ERRORS)),
        "tags": _optional(st.lists(st.sampled_from(TAGS), max_size=3)),
        "extra": _mostly(st.fixed_dictionaries({"metadata": _metadata}),
                         _optional(st.one_of(st.fixed_dictionaries({"metadata": _optional(_metadata)}), st.just({})))),
        "inputs": _mostly(_json_objects(), _optional(_json_objects())),
        "outputs": _mostly(_json_objects(), _optional(_json_objects())),
        "total_tokens": _optional(st.sampled_from((0, 5, 300, 5100, 6200))),
        "prompt_tokens": _optional(st.sampled_from((0, 1, 100))),
        "completion_tokens": _optional(st.sampled_from((0, 5, 555))),
        "total_cost": _optional(st.sampled_from(("0.5", "1.25", "0.000", 0.5, 1, "0"))),
        "prompt_cost": _optional(st.sampled_from(("0.5", 0.25))),
        "completion_cost": _optional(st.sampled_from(("1.25", 1.5))),
        "execution_order": _optional(st.sampled_from((1, 2, 5))),
        "in_dataset": _optional(st.booleans()),
        "reference_example_id": _optional(st.sampled_from(UUIDS)),
        "session_id": _optional(st.sampled_from(UUIDS[:2])),
    }
    for key, strategy in optional.items():
        value = draw(strategy)
        if value is not _MISSING:
            run[key] = value
    extra = run.get("extra")
    if isinstance(extra, dict) and extra.get("metadata", None) is _MISSING:
        del extra["metadata"]
    which = draw(st.sampled_from(("stats", "list", "both", "none")))
    if which in ("stats", "both"):
        run["feedback_stats"] = draw(st.one_of(_feedback_stats, st.just(None)))
    if which in ("list", "both"):
        run["feedback"] = draw(_feedback_list)
    return run


@st.composite
def run_lists(draw: st.DrawFn, max_size: int = 8) -> list[dict[str, Any]]:
    """Runs with distinct ids grouped into a few traces (roots, children, orphans whose root is absent)."""
    n = draw(st.integers(0, min(max_size, len(UUIDS))))
    ids = draw(st.permutations(UUIDS))[:n]
    out: list[dict[str, Any]] = []
    roots: list[str] = []
    for i, rid in enumerate(ids):
        kind = draw(st.sampled_from(("root", "child", "child", "orphan"))) if roots else "root"
        if kind == "root":
            roots.append(rid)
            out.append(draw(runs(rid, rid, None)))
        elif kind == "child":
            root = draw(st.sampled_from(roots))
            siblings = [r["id"] for r in out if r["trace_id"] == root]
            out.append(draw(runs(rid, root, draw(st.sampled_from(siblings)))))
        else:  # a trace whose root is not in the list
            missing = str(uuid.UUID(int=0x9000 + i, version=4))
            out.append(draw(runs(rid, missing, missing)))
    return out


#: Keyword arguments of ``list_runs`` other than the filters, drawn from the pools the runs use.
list_runs_keywords = st.fixed_dictionaries({}, optional={
    "is_root": st.booleans(),
    "run_type": st.sampled_from(RUN_TYPES[:3]),
    "error": st.booleans(),
    "start_time": st.sampled_from(TIMESTAMPS),
    "trace_id": st.sampled_from(UUIDS[:3]),
    "parent_run_id": st.sampled_from(UUIDS[:3]),
    "limit": st.integers(0, 4),
})
