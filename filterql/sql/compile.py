"""Typed AST → sqlglot expression trees over the layout of :mod:`filterql.sql.layout`.

Values become sqlglot literals (quoted by sqlglot per dialect) and column
names come from the catalog, so no text from a filter is ever spliced into
SQL. SQL's three-valued logic is made two-valued (README "Semantics"): in a
positive position a NULL comparison already acts as false in WHERE, and under
a ``not`` every atom is wrapped in ``COALESCE(atom, FALSE)``.

Family conditions are ``runs.id IN (SELECT run_id FROM run_entries ...)``
semi-joins over one entry row, which is the binding scope of SPEC §5: the
conditions bound in one scope all restrict the same ``run_entries`` row.
The subqueries are uncorrelated so every engine (DuckDB, ClickHouse,
DataFusion) plans them as hash semi-joins, also under ``or`` and ``not``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any, Callable, Iterator

import attrs
from sqlglot import exp

from .. import ast
from ..catalog import FIELDS, FieldType
from ..scope import family_of, positive_key_family
from . import layout

__all__ = ["compile_where", "run_alias", "like_pattern", "flatten_json", "EPOCH"]

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)
_EXACT = decimal.Context(prec=200)
_BIGINT = 2**63 - 1
_DEC_LIMIT = 10**38  # DECIMAL(38, s) holds unscaled integers below this

#: Which family each object field's entries belong to.
_OBJECT_FAMILY = {"metadata": "metadata", "inputs": "input", "outputs": "output"}
#: Families searched by the global ``search("...")``.
_SEARCHED_FAMILIES = ("metadata", "input", "output")


@attrs.frozen
class _Ctx:
    run: str                        # alias of the ``runs`` row being tested
    negated: bool = False           # under a ``not``: atoms must never be NULL
    search_limit: int | None = None
    nested: bool = False            # DuckDB's nested layout (layout.NESTED_COLUMNS and its macros)

    def under_not(self) -> _Ctx:
        return attrs.evolve(self, negated=True)


def run_alias(depth: int) -> str:
    return "r" if depth == 0 else f"r{depth}"


# ------------------------------------------------------------ sql helpers


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table)


def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _int(value: int) -> exp.Expression:
    return exp.Literal.number(str(value))


def _dec(unscaled: int) -> exp.Expression:
    """A DECIMAL(38, 18) constant from its unscaled integer (exact; never a float literal)."""
    text = format(Decimal(unscaled).scaleb(-layout.DECIMAL_SCALE, _EXACT), "f")
    return exp.cast(_str(text), layout.DECIMAL_TYPE)


def _safe(pred: exp.Expression, ctx: _Ctx) -> exp.Expression:
    """``pred`` made two-valued where a NULL would leak through a ``not``."""
    if not ctx.negated:
        return pred
    return exp.Coalesce(this=pred, expressions=[exp.false()])


def _and(parts: list[exp.Expression]) -> exp.Expression:
    if not parts:
        return exp.true()
    return exp.and_(*parts) if len(parts) > 1 else parts[0]


def _or(parts: list[exp.Expression]) -> exp.Expression:
    if not parts:
        return exp.false()
    return exp.or_(*parts) if len(parts) > 1 else parts[0]


def _paren(e: exp.Expression) -> exp.Expression:
    return exp.paren(e, copy=False) if isinstance(e, (exp.And, exp.Or)) else e


_CMP: dict[str, Callable[..., exp.Expression]] = {
    "eq": exp.EQ, "neq": exp.NEQ, "gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE,
}


def _cmp(op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
    return _CMP[op](this=left, expression=right)


def _grid(op: str, col: exp.Expression, value: int | Decimal, scale: int,
          make: Callable[[int], exp.Expression], limit: int) -> exp.Expression:
    """``col op value`` exactly, for a column holding multiples of 10**-scale.

    The literal is moved onto the column's grid (floor or ceiling), so no engine
    ever compares a fixed-point column with a float or with a literal it would
    round; literals beyond the column's range give the constant answer.
    """
    scaled = _EXACT.multiply(Decimal(value), Decimal(10) ** scale)
    present = exp.Not(this=exp.Is(this=col, expression=exp.Null()))
    on_grid = scaled == scaled.to_integral_value()
    low = int(scaled.to_integral_value(decimal.ROUND_FLOOR))
    high = int(scaled.to_integral_value(decimal.ROUND_CEILING))
    if op == "eq":
        return _cmp("eq", col, make(low)) if on_grid and abs(low) <= limit else exp.false()
    if op == "neq":
        return _cmp("neq", col, make(low)) if on_grid and abs(low) <= limit else present
    bound = low if op in ("gt", "lte") else high
    if bound > limit:  # above every value
        return exp.false() if op in ("gt", "gte") else present
    if bound < -limit:
        return present if op in ("gt", "gte") else exp.false()
    return _cmp(op, col, make(bound))


def _micros(value: _dt.datetime) -> int:
    return (value - EPOCH) // _US


def _like_tokens(pattern: str) -> Iterator[tuple[bool, str]]:
    """(is_wildcard, char) for each unit of a pattern; ``\\`` escapes the next character."""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            # A trailing lone backslash is a literal backslash.
            yield False, pattern[i + 1] if i + 1 < len(pattern) else "\\"
            i += 2
            continue
        yield c in "%_", c
        i += 1


def like_pattern(pattern: str) -> str:
    """The pattern in canonical form for ``ESCAPE '\\'``: only ``%``, ``_`` and ``\\`` are escaped."""
    return "".join(c if wild or c not in "%_\\" else "\\" + c for wild, c in _like_tokens(pattern))


def _like_literal_prefix(text: str) -> str:
    return "".join("\\" + c if c in "%_\\" else c for c in text)


def _like(col: exp.Expression, pattern: str) -> exp.Expression:
    tokens = list(_like_tokens(pattern))
    if not any(wild for wild, _ in tokens):
        # No wildcard: LIKE means equality, which every engine runs faster.
        return exp.EQ(this=col, expression=_str("".join(c for _, c in tokens)))
    return exp.Escape(this=exp.Like(this=col, expression=_str(like_pattern(pattern))), expression=_str("\\"))


def _value(node: ast.Node) -> Any:
    if not isinstance(node, ast.Const):
        raise TypeError(f"sql: expected a checked (typed) tree; found {type(node).__name__} — call filterql.check first")
    return node.value


# ------------------------------------------------------------ run columns


def _scalar_literal(spec_type: FieldType, op: str, col: exp.Expression, value: Any) -> exp.Expression:
    """``col op value`` for a runs column of ``spec_type`` and a non-null typed value."""
    if spec_type is FieldType.UUID:
        return _cmp(op, col, _str(str(value)))
    if spec_type in (FieldType.STRING, FieldType.ENUM):
        return _cmp(op, col, _str(value))
    if spec_type is FieldType.TIMESTAMP:
        return _cmp(op, col, _int(_micros(value)))
    if spec_type is FieldType.SECONDS:
        return _grid(op, col, _EXACT.multiply(Decimal(value), Decimal(10) ** 6), 0, _int, _BIGINT)
    if spec_type is FieldType.INTEGER:
        return _grid(op, col, value, 0, _int, _BIGINT)
    if spec_type is FieldType.DECIMAL:
        return _grid(op, col, value, layout.DECIMAL_SCALE, _dec, _DEC_LIMIT - 1)
    if spec_type is FieldType.BOOLEAN:
        return _cmp(op, col, exp.Boolean(this=bool(value)))
    raise TypeError(f"sql: no column comparison for {spec_type.value}")


def _is_null(col: exp.Expression, null: bool) -> exp.Expression:
    test = exp.Is(this=col, expression=exp.Null())
    return test if null else exp.Not(this=test)


def _in_subquery(ctx: _Ctx, table: str, where: exp.Expression, key: str = "run_id") -> exp.Expression:
    sub = exp.select(_col(key, "e")).from_(exp.to_table(table).as_("e")).where(where)
    return exp.In(this=_col("id", ctx.run), query=sub.subquery())


def _tags(ctx: _Ctx, where: exp.Expression) -> exp.Expression:
    return _in_subquery(ctx, layout.TAGS, where)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def _entries(ctx: _Ctx, family: str, where: list[exp.Expression], key: str | None = None) -> exp.Expression:
    """``run.id IN (SELECT run_id FROM run_entries AS e WHERE family AND where)``.

    ``key``: every row must have this key. On the nested layout a plain
    (dotless) key of metadata, inputs or outputs is read straight from the
    document with ``filterql_key_entries`` instead of flattening every run.
    """
    if ctx.nested and key is not None and family != "feedback" and _PLAIN_KEY.fullmatch(key):
        source = exp.Table(this=exp.Anonymous(this="filterql_key_entries", expressions=[_str(family), _str(key)]),
                           alias=exp.TableAlias(this=exp.to_identifier("e")))
        sub = exp.select(_col("run_id", "e")).from_(source).where(_and([_paren(w) for w in where]))
        return exp.In(this=_col("id", ctx.run), query=sub.subquery())
    fam = exp.EQ(this=_col("family", "e"), expression=_str(family))
    return _in_subquery(ctx, layout.ENTRIES, _and([fam, *map(_paren, where)]))


def _eq_key(nodes: list[ast.Expr]) -> str | None:
    """The literal of an ``eq`` condition on a family key among ``nodes``, if any."""
    for n in nodes:
        if (isinstance(n, ast.Compare) and n.op == "eq" and FIELDS[n.field.name].type is FieldType.FAMILY_KEY
                and isinstance(_value(n.value), str)):
            return _value(n.value)
    return None


# --------------------------------------------------------- family entries


def _entry_value_eq(value: Any, column: str = "vnum") -> exp.Expression:
    """One entry's value equals ``value`` (README "Family values"); never NULL."""
    vtype, vstr = _col("vtype", "e"), _col("vstr", "e")
    if value is None:
        return exp.EQ(this=vtype, expression=_str("null"))
    if isinstance(value, bool):
        return exp.and_(exp.EQ(this=vtype, expression=_str("boolean")),
                        exp.EQ(this=vstr, expression=_str("true" if value else "false")))
    if isinstance(value, (int, Decimal)):
        return exp.and_(exp.EQ(this=vtype, expression=_str("number")), _num_cmp("eq", _col(column, "e"), value))
    # A string matches a string, or the JSON text of a number or boolean.
    return exp.Coalesce(this=exp.EQ(this=vstr, expression=_str(value)), expressions=[exp.false()])


def _num_cmp(op: str, col: exp.Expression, value: int | Decimal) -> exp.Expression:
    return exp.Coalesce(this=_paren(_grid(op, col, value, layout.DECIMAL_SCALE, _dec, _DEC_LIMIT - 1)),
                        expressions=[exp.false()])


def _entry_typed_eq(value: Any) -> exp.Expression:
    """Same JSON type and equal value (``has(metadata, ...)``): strings only match strings."""
    if isinstance(value, str):
        return exp.and_(exp.EQ(this=_col("vtype", "e"), expression=_str("string")),
                        exp.EQ(this=_col("vstr", "e"), expression=_str(value)))
    if isinstance(value, float):
        value = Decimal(repr(value))
    return _entry_value_eq(value)


def _not_null_value() -> exp.Expression:
    return exp.NEQ(this=_col("vtype", "e"), expression=_str("null"))


def _entry_value(op: str, value: Any) -> exp.Expression:
    """``op`` (eq, gt, ...) between one entry's value and ``value``; never NULL."""
    if op == "eq":
        return _entry_value_eq(value)
    if op == "neq":
        # A JSON null value is "not equal" to nothing: neq needs a value (as in the evaluator).
        if value is None:
            return _not_null_value()
        return exp.and_(_not_null_value(), exp.Not(this=_paren(_entry_value_eq(value))))
    vtype = _col("vtype", "e")
    if isinstance(value, bool) or value is None:
        return exp.false()  # ordering applies to numbers and strings only
    if isinstance(value, (int, Decimal)):
        return exp.and_(exp.EQ(this=vtype, expression=_str("number")), _num_cmp(op, _col("vnum", "e"), value))
    return exp.and_(exp.EQ(this=vtype, expression=_str("string")),
                    exp.Coalesce(this=_cmp(op, _col("vstr", "e"), _str(value)), expressions=[exp.false()]))


def _entry_score(op: str, value: Any) -> exp.Expression:
    col = _col("score", "e")
    if value is None:
        return _is_null(col, op == "eq")
    return _num_cmp(op, col, value)


def _entry_key(op: str, value: str | None) -> exp.Expression:
    col = _col("key", "e")
    if value is None:  # only a feedback entry may lack a key
        return _is_null(col, op == "eq")
    return exp.Coalesce(this=_cmp(op, col, _str(value)), expressions=[exp.false()])


def _entry_pred(node: ast.Expr) -> exp.Expression:
    """The condition ``node`` (on a family field) as a test of one ``run_entries`` row ``e``."""
    spec = FIELDS[node.field.name]  # type: ignore[attr-defined]
    if isinstance(node, ast.In):
        items = [_value(i) for i in node.values.items]
        return _or([_paren(_entry_atom(spec.type, "eq", v)) for v in items])
    if isinstance(node, ast.Like):
        if spec.type is FieldType.FAMILY_SCORE:
            raise TypeError("sql: like() does not apply to feedback_score")
        is_key = spec.type is FieldType.FAMILY_KEY
        test = exp.Coalesce(this=_like(_col("key" if is_key else "vstr", "e"), _value(node.pattern)),
                            expressions=[exp.false()])
        if not node.negated:
            return test
        # notlike needs something present: a key, or a value that is not JSON null.
        present = _is_null(_col("key", "e"), False) if is_key else _not_null_value()
        return exp.and_(present, exp.Not(this=_paren(test)))
    if isinstance(node, ast.Compare):
        return _entry_atom(spec.type, node.op, _value(node.value))
    raise TypeError(f"sql: {type(node).__name__} is not a family condition")


def _entry_atom(field_type: FieldType, op: str, value: Any) -> exp.Expression:
    if field_type is FieldType.FAMILY_KEY:
        return _entry_key(op, value)
    if field_type is FieldType.FAMILY_SCORE:
        return _entry_score(op, value)
    return _entry_value(op, value)


def _is_negative(node: ast.Expr) -> bool:
    """``neq`` / ``notlike``: standing alone, these mean "no entry has it"."""
    return isinstance(node, ast.Compare) and node.op == "neq" or isinstance(node, ast.Like) and node.negated


def _positive_form(node: ast.Expr) -> ast.Expr:
    if isinstance(node, ast.Compare):
        return attrs.evolve(node, op="eq")
    return attrs.evolve(node, negated=False)


def _family_alone(node: ast.Expr, ctx: _Ctx) -> exp.Expression:
    """A family condition with no positive key condition in its scope."""
    family = family_of(node)
    assert family is not None
    if _is_negative(node):
        positive = _positive_form(node)
        return exp.Not(this=_entries(ctx, family, [_entry_pred(positive)], _eq_key([positive])))
    return _entries(ctx, family, [_entry_pred(node)], _eq_key([node]))


def _is_family_condition(node: ast.Expr) -> bool:
    return isinstance(node, (ast.Compare, ast.In, ast.Like)) and family_of(node) is not None


def _binds(node: ast.Expr, family: str) -> bool:
    """Whether ``node`` binds to the entry of ``family``'s positive key condition in its scope."""
    if family_of(node) != family:
        return False
    is_key = FIELDS[node.field.name].type is FieldType.FAMILY_KEY  # type: ignore[attr-defined]
    return not is_key or positive_key_family(node) is not None


# ------------------------------------------------------------ dispatch


def _compile_and(node: ast.And, ctx: _Ctx) -> exp.Expression:
    positive = {f for a in node.args if (f := positive_key_family(a)) is not None}
    bound: dict[str, list[ast.Expr]] = defaultdict(list)
    slots: list[str | ast.Expr] = []  # a family name marks where its bound subquery goes
    for arg in node.args:
        family = family_of(arg) if _is_family_condition(arg) else None
        if family in positive and _binds(arg, family):  # type: ignore[arg-type]
            if family not in bound:
                slots.append(family)  # type: ignore[arg-type]
            bound[family].append(arg)  # type: ignore[index]
        else:
            slots.append(arg)
    parts = []
    for slot in slots:
        if isinstance(slot, str):
            parts.append(_entries(ctx, slot, [_entry_pred(c) for c in bound[slot]], _eq_key(bound[slot])))
        else:
            parts.append(compile_expr(slot, ctx))
    return _and([_paren(p) for p in parts])


def _compile_or(node: ast.Or, ctx: _Ctx) -> exp.Expression:
    return _or([_paren(compile_expr(a, ctx)) for a in node.args])


def _compile_not(node: ast.Not, ctx: _Ctx) -> exp.Expression:
    return exp.Not(this=_paren(compile_expr(node.arg, ctx.under_not())))


def _compile_compare(node: ast.Compare, ctx: _Ctx) -> exp.Expression:
    if family_of(node) is not None:
        return _family_alone(node, ctx)
    spec = FIELDS[node.field.name]
    value = _value(node.value)
    col = _col(layout.column_of(spec.name), ctx.run)
    if ctx.nested and spec.type is FieldType.TIMESTAMP and value is not None:
        # The native timestamp column, so DuckDB can skip row groups by their statistics.
        naive = value.astimezone(_dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return _safe(_cmp(node.op, _col(spec.name, ctx.run), exp.cast(_str(naive), "TIMESTAMP")), ctx)
    present = _col(layout.THREAD_PRESENT, ctx.run) if spec.name == "thread_id" else None
    if value is None:
        if present is not None:
            return present if node.op == "neq" else exp.Not(this=present)
        return _is_null(col, node.op == "eq")
    if present is not None and node.op == "neq":
        # A thread that is not a string (a number) is present and unequal to every string.
        return _safe(exp.and_(present, exp.Coalesce(this=_cmp("neq", col, _str(value)), expressions=[exp.true()])), ctx)
    return _safe(_scalar_literal(spec.type, node.op, col, value), ctx)


def _compile_in(node: ast.In, ctx: _Ctx) -> exp.Expression:
    if family_of(node) is not None:
        return _family_alone(node, ctx)
    spec = FIELDS[node.field.name]
    values = [_value(i) for i in node.values.items]
    if spec.type is FieldType.STRING_LIST:
        if ctx.nested:
            overlap = exp.ArrayOverlaps(this=_col("tags", ctx.run), expression=exp.Array(expressions=[_str(v) for v in values]))
            return _safe(overlap, ctx)
        tag = _col("tag", "e")
        return _tags(ctx, exp.In(this=tag, expressions=[_str(v) for v in values]))
    col = _col(layout.column_of(spec.name), ctx.run)
    if spec.type in (FieldType.UUID, FieldType.STRING, FieldType.ENUM, FieldType.TIMESTAMP, FieldType.BOOLEAN) or (
            spec.type is FieldType.INTEGER and all(isinstance(v, int) for v in values)):
        rights = [_scalar_literal(spec.type, "eq", col, v).expression for v in values]
        return _safe(exp.In(this=col, expressions=rights), ctx)
    return _safe(_or([_paren(_scalar_literal(spec.type, "eq", col, v)) for v in values]), ctx)


def _compile_like(node: ast.Like, ctx: _Ctx) -> exp.Expression:
    if family_of(node) is not None:
        return _family_alone(node, ctx)
    col = _col(layout.column_of(node.field.name), ctx.run)
    match = _like(col, _value(node.pattern))
    if node.negated:
        # present and not matching: NOT of a NULL must stay false.
        return exp.and_(_is_null(col, False), exp.Not(this=_paren(match)))
    return _safe(match, ctx)


def _compile_has(node: ast.Has, ctx: _Ctx) -> exp.Expression:
    value = _value(node.value)
    if node.field.name == "tags":
        if ctx.nested:
            return _safe(exp.ArrayContains(this=_col("tags", ctx.run), expression=_str(value)), ctx)
        return _tags(ctx, exp.EQ(this=_col("tag", "e"), expression=_str(value)))
    leaves = list(flatten_json(value))
    return _and([_entries(ctx, "metadata", [exp.EQ(this=_col("key", "e"), expression=_str(k)), _entry_typed_eq(v)], k)
                 for k, v in leaves])


def _compile_exists(node: ast.Exists, ctx: _Ctx) -> exp.Expression:
    key = _value(node.key)
    keycol = _col("key", "e")
    child = exp.Escape(this=exp.Like(this=keycol, expression=_str(_like_literal_prefix(key + ".") + "%")),
                       expression=_str("\\"))
    return _entries(ctx, _OBJECT_FAMILY[node.field.name],
                    [exp.or_(exp.EQ(this=keycol, expression=_str(key)), child)])


def _contains(col: exp.Expression, term: str, ctx: _Ctx) -> exp.Expression:
    if ctx.search_limit is not None:
        col = exp.Substring(this=col, start=_int(1), length=_int(ctx.search_limit))
    return exp.GT(this=exp.StrPosition(this=exp.Lower(this=col), substr=_str(term)), expression=_int(0))


def _search_term(term: str, field: str | None, ctx: _Ctx) -> exp.Expression:
    entry = lambda fams: _in_subquery(ctx, layout.ENTRIES, _and([  # noqa: E731
        exp.In(this=_col("family", "e"), expressions=[_str(f) for f in fams]),
        exp.EQ(this=_col("vtype", "e"), expression=_str("string")),
        _contains(_col("vstr", "e"), term, ctx)]))
    tags = lambda: _tags(ctx, _contains(_col("tag", "e"), term, ctx))  # noqa: E731
    if ctx.nested:
        entry = lambda fams: _or([  # noqa: E731
            _paren(_safe(_doc_contains(_col(_FAMILY_OBJECT_COLUMN[f], ctx.run), term, ctx), ctx)) for f in fams])
        tags = lambda: _safe(_tags_contain(term, ctx), ctx)  # noqa: E731
    if field is None:
        return _or([
            _paren(_safe(_contains(_col("name", ctx.run), term, ctx), ctx)),
            _paren(_safe(_contains(_col("error", ctx.run), term, ctx), ctx)),
            tags(),
            entry(_SEARCHED_FAMILIES),
        ])
    if field == "tags":
        return tags()
    if field in _OBJECT_FAMILY:
        return entry((_OBJECT_FAMILY[field],))
    return _safe(_contains(_col(layout.column_of(field), ctx.run), term, ctx), ctx)


_FAMILY_OBJECT_COLUMN = {family: column for column, family in _OBJECT_FAMILY.items()}


def _doc_contains(doc: exp.Expression, term: str, ctx: _Ctx) -> exp.Expression:
    limit = exp.Null() if ctx.search_limit is None else _int(ctx.search_limit)
    return exp.Anonymous(this="filterql_doc_contains", expressions=[doc, _str(term), limit])


def _tags_contain(term: str, ctx: _Ctx) -> exp.Expression:
    t = exp.to_identifier("t")
    matching = exp.ArrayFilter(this=_col("tags", ctx.run),
                               expression=exp.Lambda(this=_contains(t, term, ctx), expressions=[t]))
    return exp.GT(this=exp.Length(this=matching), expression=_int(0))


def _compile_search(node: ast.Search, ctx: _Ctx) -> exp.Expression:
    terms = [t.lower() for t in _value(node.text).split()]
    field = node.field.name if node.field is not None else None
    return _and([_paren(_search_term(t, field, ctx)) for t in terms])


def _compile_call(node: ast.Call, ctx: _Ctx) -> exp.Expression:
    raise TypeError(f"sql: cannot compile the untyped call {node.name}(...); validate the filter first")


_DISPATCH: dict[type, Callable[[Any, _Ctx], exp.Expression]] = {
    ast.And: _compile_and,
    ast.Or: _compile_or,
    ast.Not: _compile_not,
    ast.Compare: _compile_compare,
    ast.In: _compile_in,
    ast.Like: _compile_like,
    ast.Has: _compile_has,
    ast.Exists: _compile_exists,
    ast.Search: _compile_search,
    ast.Call: _compile_call,
}

#: Node types the SQL backend handles (a test checks this covers every Expr class).
HANDLED = frozenset(_DISPATCH)


def compile_expr(node: ast.Expr, ctx: _Ctx) -> exp.Expression:
    rule = _DISPATCH.get(type(node))
    if rule is None:
        raise TypeError(f"sql: no rule for node {type(node).__name__}")
    return rule(node, ctx)


def compile_where(typed: ast.Expr, run: str = "r", *, search_limit: int | None = None,
                  nested: bool = False) -> exp.Expression:
    """The checked filter ``typed`` as a boolean over the ``runs`` row aliased ``run``.

    ``nested`` targets DuckDB's nested layout (README "SQL"); the default is the
    flat layout every engine has.
    """
    return compile_expr(typed, _Ctx(run=run, search_limit=search_limit, nested=nested))


def flatten_json(value: Any, prefix: str | None = None) -> Iterator[tuple[str, Any]]:
    """(dotted key, leaf) pairs of a JSON value, arrays collapsing onto their parent key."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten_json(v, k if prefix is None else f"{prefix}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from flatten_json(v, prefix)
    else:
        yield ("" if prefix is None else prefix), value
