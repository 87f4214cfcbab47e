"""DuckDB's nested layout: a bound family scope read straight from the document by its key.

``and(eq(metadata_key, "k"), eq(metadata_value, "v"))`` asks for an entry with
key ``k``. When ``k`` is plain (no dot, so only the document's member ``k``
can give it, docs/semantics.md "Flattening"), its entries are that member when it is a
leaf, or the leaves reached from it through arrays only when it is an array
(macro ``filterql_array_leaves``). The scope then becomes a row-level test of
``json_type`` and ``json_extract_string`` at the path ``$."k"`` — no
flattening and no semi-join. Only value tests whose typed rules are exact on
those two are taken (string literals no number or boolean could spell,
booleans, null); anything else returns None and the caller keeps the
general semi-join.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from sqlglot import exp

from .. import plan
from .exprs import _Ctx, _and, _col, _paren, _str

__all__ = ["key_lookup", "typed_lookup"]

#: Keys whose entries can only come from the document's member of that name.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")
#: Strings that might be the JSON text of a number or boolean (docs/semantics.md "Family values"): left to
#: the general path, which computes numbers' normalized text.
_MAYBE_NUMBER = re.compile(r"[-+0-9.eE]*|(?i:[-+]?(nan|inf|infinity))|true|false")
#: Where each family's member ``k`` is: a runs column of the nested layout and a JSON path prefix.
_DOCUMENT = {"metadata": ("extra", "$.metadata."), "input": ("inputs", "$."), "output": ("outputs", "$.")}

# A leaf test over (JSON type, string text) of one value.
_Test = Callable[[exp.Expression, exp.Expression], exp.Expression]


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _value_test(value: Any, typed: bool) -> _Test | None:
    """The test "a leaf equals ``value``" (``typed``: same JSON type, as ``has``), or None if not exact here."""
    if value is None:
        return lambda t, s: exp.EQ(this=t, expression=_str("NULL"))
    if isinstance(value, bool):
        text = "true" if value else "false"
        return lambda t, s: exp.and_(exp.EQ(this=t, expression=_str("BOOLEAN")), exp.EQ(this=s, expression=_str(text)),
                                     copy=False)
    if isinstance(value, str) and (typed or not _MAYBE_NUMBER.fullmatch(value)):
        # The text test first: it rejects most rows before the type is looked at.
        return lambda t, s: exp.and_(exp.EQ(this=s, expression=_str(value)), exp.EQ(this=t, expression=_str("VARCHAR")),
                                     copy=False)
    return None


def _plain_text(value: Any) -> bool:
    """Whether ``value`` is a string only a string member can spell as its JSON text (docs/semantics.md "Family values")."""
    return isinstance(value, str) and not _MAYBE_NUMBER.fullmatch(value) and not value.startswith(("[", "{"))


def _lookup(ctx: _Ctx, family: str, key: str, tests: Sequence[_Test], text: str | None = None) -> exp.Expression:
    """Some entry with key ``key`` passes every test; never NULL.

    ``text``: the tests are exactly "equals the string ``text``" (a :func:`_plain_text`), so a member
    whose text is ``text`` is a string equal to it and the type is only looked at for arrays. The
    tests go in ``CASE`` branches, which DuckDB evaluates only on the rows that reach them.
    """
    column, prefix = _DOCUMENT[family]
    doc = _col(column, ctx.run)
    # A member of a non-object is NULL, so this is exactly the family object's member ``key``.
    path = _str(f'{prefix}"{key}"')
    # TRY: the text of ``extra`` is not parsed before (one parse fewer per run); not JSON, it has no member.
    member_type = _fn("TRY", _fn("json_type", doc, path))
    x = exp.to_identifier("x")
    leaf_type, leaf_text = _fn("json_type", x), _fn("json_extract_string", x, _str("$"))
    in_array = exp.GT(this=exp.Length(this=exp.ArrayFilter(
        this=_fn("filterql_array_leaves", _fn("json_extract", doc, path)),
        expression=exp.Lambda(this=_and([_paren(t(leaf_type, leaf_text)) for t in tests]), expressions=[x]))),
        expression=exp.Literal.number(0))
    member_text = _fn("TRY", _fn("json_extract_string", doc, path))
    # A document whose text has no '[' has no array: most rows skip parsing it for the type.
    is_array = exp.and_(_fn("contains", exp.cast(doc, "VARCHAR"), _str("[")),
                        exp.EQ(this=member_type, expression=_str("ARRAY")), copy=False)
    # A member that is an object gives no entry with this key (only dotted ones).
    leaf = _and([_paren(t(member_type, member_text)) for t in tests]) if tests else \
        exp.NEQ(this=member_type, expression=_str("OBJECT"))
    if text is not None:
        case = (exp.Case().when(exp.EQ(this=member_text, expression=_str(text)), exp.true())
                .when(is_array, in_array)
                .else_(exp.false()))
        # A string equal to ``text`` is in the document's text verbatim unless the writer escaped
        # something. This necessary test cannot fail on any text, so DuckDB pushes it into the file
        # scan (it keeps a JSON function, which may raise, above the layout's projections).
        verbatim = exp.or_(_fn("contains", doc, _str(text)), _fn("contains", doc, _str("\\")))
        return exp.and_(exp.Coalesce(this=_paren(verbatim), expressions=[exp.false()]),
                        exp.Coalesce(this=case, expressions=[exp.false()]))
    case = exp.Case().when(is_array, in_array).else_(leaf)
    return exp.Coalesce(this=case, expressions=[exp.false()])


def key_lookup(ctx: _Ctx, source: plan.MemberEntries, tests: Sequence[plan.EntryTest]) -> exp.Expression | None:
    """An entry scope over one member as a direct lookup, or None.

    Only on the nested layout, for a plain key, when every test is an ``eq`` on
    the value that the lookup can type exactly.
    """
    if not ctx.nested or source.family not in _DOCUMENT or not _PLAIN_KEY.fullmatch(source.key):
        return None
    checks = [_value_test(t.value, typed=False) if isinstance(t, plan.EntryCompare) and t.slot == "value"
              and t.op == "eq" else None for t in tests]
    if any(c is None for c in checks):
        return None
    text = tests[0].value if len(tests) == 1 else None  # type: ignore[union-attr]
    return _lookup(ctx, source.family, source.key, checks, text if _plain_text(text) else None)  # type: ignore[arg-type]


def typed_lookup(ctx: _Ctx, key: str, value: Any) -> exp.Expression | None:
    """``has(metadata, ...)``'s leaf ``(key, value)`` (same JSON type) as a direct lookup, or None."""
    if not ctx.nested or not _PLAIN_KEY.fullmatch(key):
        return None
    test = _value_test(value, typed=True)
    return None if test is None else _lookup(ctx, "metadata", key, [test], value if _plain_text(value) else None)
