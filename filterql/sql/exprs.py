"""sqlglot building blocks for the SQL compiler: literals, exact comparisons, LIKE, the context.

Everything here turns typed values into sqlglot expressions; nothing builds
SQL text. :func:`_grid` is where exactness lives: a literal is moved onto the
grid of the column it meets (whole microseconds, DECIMAL(38, 18)), so no
engine compares a fixed-point column with a float or rounds a literal.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from decimal import Decimal
from typing import Any, Callable, Iterator

import attrs
from sqlglot import exp

from ..catalog import FieldType
from . import layout

__all__ = ["EPOCH", "run_alias", "like_pattern", "positive"]

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)
_EXACT = decimal.Context(prec=200)
_BIGINT = 2**63 - 1
_DEC_LIMIT = 10**38  # DECIMAL(38, s) holds unscaled integers below this


@attrs.frozen
class _Ctx:
    run: str                        # alias of the ``runs`` row being tested
    negated: bool = False           # under a ``not``: atoms must never be NULL
    search_limit: int | None = None
    nested: bool = False            # DuckDB's nested layout (layout.NESTED_COLUMNS and its macros)
    tag_array: bool = False         # runs.tags, an array (the nested layout's, and Spark's)

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


def _and(parts: list[exp.Expression], copy: bool = True) -> exp.Expression:
    """``parts`` joined by AND; ``copy=False`` when no part is shared with another (a wide filter's
    operands: copying each costs more than building it)."""
    if not parts:
        return exp.true()
    return exp.and_(*parts, copy=copy) if len(parts) > 1 else parts[0]


def _or(parts: list[exp.Expression], copy: bool = True) -> exp.Expression:
    if not parts:
        return exp.false()
    return exp.or_(*parts, copy=copy) if len(parts) > 1 else parts[0]


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
    scaled = Decimal(value).scaleb(scale, _exact(value))
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


def _exact(value: int | Decimal) -> decimal.Context:
    """A context in which shifting ``value`` by a few powers of ten is exact: as many digits as it has.

    Checked literals lie within 1e-1000 and 1e20 (``coerce.RANGES``), so the exponent always fits.
    """
    digits = len(Decimal(value).as_tuple().digits)
    return decimal.Context(prec=digits + 40, Emin=decimal.MIN_EMIN, Emax=decimal.MAX_EMAX)


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
        return _grid(op, col, Decimal(value).scaleb(6, _exact(value)), 0, _int, _BIGINT)
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


def positive(where: exp.Expression) -> exp.Expression:
    """``where`` for a WHERE clause, which keeps a row only when it is TRUE: there NULL and FALSE are
    alike through AND and OR, so ``COALESCE(p, FALSE)`` outside any NOT is ``p``, which planners can
    push down or serve from an index."""
    if isinstance(where, exp.Coalesce) and where.expressions == [exp.false()]:
        return positive(where.this)
    if isinstance(where, (exp.And, exp.Or)):  # a chain of one connector, walked without recursion (wide filters)
        join = exp.and_ if isinstance(where, exp.And) else exp.or_
        return join(*(positive(part) for part in where.flatten(unnest=False)), copy=False)
    if isinstance(where, exp.Paren):
        return exp.Paren(this=positive(where.this))
    return where


def _in_subquery(ctx: _Ctx, table: str, where: exp.Expression, key: str = "run_id") -> exp.Expression:
    sub = exp.select(_col(key, "e")).from_(exp.to_table(table).as_("e")).where(positive(where), copy=False)
    return exp.In(this=_col("id", ctx.run), query=sub.subquery())


def _tags(ctx: _Ctx, where: exp.Expression) -> exp.Expression:
    return _in_subquery(ctx, layout.TAGS, where)
