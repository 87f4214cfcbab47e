"""Key/value binding scopes (SPEC §5, README "Semantics").

A scope is the list of direct children of one ``and``. Within it, the
positive key conditions of a family and every condition of that family bind
to one entry. Moving conditions between scopes (flattening a nested ``and``)
therefore changes the meaning exactly when it brings a family condition into a
scope holding a positive key condition of that family, or the reverse.
These helpers read only the field names, so they work on parsed and on
checked (typed) trees alike.
"""

from __future__ import annotations

from typing import Iterable

from . import ast, catalog

__all__ = ["family_of", "positive_key_family", "scope_families", "can_merge_scopes", "POSITIVE_KEY_OPS"]

#: Comparisons that make a condition on a ``*_key`` field a positive key condition.
POSITIVE_KEY_OPS = frozenset({"eq", "gt", "gte", "lt", "lte"})


def _field_family(field: ast.Field | None) -> str | None:
    if not isinstance(field, ast.Field):
        return None
    spec = catalog.FIELDS.get(field.name)
    return spec.family if spec is not None else None


def family_of(node: ast.Node) -> str | None:
    """The family a condition belongs to (``"metadata"``, ``"feedback"``, ...), or None.

    Only a leaf condition on a family field has one; ``and``, ``or`` and ``not``
    do not (they never bind their operands to the enclosing scope). A generic
    :class:`ast.Call` counts by its first field argument, so that an untyped call
    is treated cautiously.
    """
    if isinstance(node, ast.Call):
        for arg in node.args:
            if isinstance(arg, ast.Field):
                return _field_family(arg)
        return None
    if isinstance(node, (ast.And, ast.Or, ast.Not)):
        return None
    return _field_family(getattr(node, "field", None))


def positive_key_family(node: ast.Node) -> str | None:
    """The family of ``node`` when it is a positive key condition, else None.

    Positive key conditions are ``eq``, ``in``, ``like``, ``gt``, ``gte``, ``lt`` and
    ``lte`` on a family's key field (``metadata_key``, ``input_key``, ...).
    """
    if isinstance(node, ast.Compare):
        positive = node.op in POSITIVE_KEY_OPS
    elif isinstance(node, ast.Like):
        positive = not node.negated
    else:
        positive = isinstance(node, ast.In)
    if not positive:
        return None
    family = _field_family(node.field)  # type: ignore[attr-defined]
    if family is None or catalog.FAMILIES[family].key != node.field.name:  # type: ignore[attr-defined]
        return None
    return family


def scope_families(args: Iterable[ast.Node]) -> tuple[frozenset[str], frozenset[str]]:
    """``(positive, any)`` for the direct children ``args`` of one ``and``.

    ``positive``: families with a positive key condition among ``args``;
    ``any``: families with any condition among ``args``.
    """
    positive: set[str] = set()
    anyf: set[str] = set()
    for node in args:
        fam = family_of(node)
        if fam is None:
            continue
        anyf.add(fam)
        if positive_key_family(node) is not None:
            positive.add(fam)
    return frozenset(positive), frozenset(anyf)


def can_merge_scopes(a_args: Iterable[ast.Node], b_args: Iterable[ast.Node]) -> bool:
    """Whether conditions ``a_args`` and ``b_args`` may share one ``and`` scope.

    True unless some family has a positive key condition on one side and any
    condition of that family on the other: then joining the scopes would bind
    conditions that were independent (or the reverse), changing the meaning.
    """
    a_pos, a_any = scope_families(a_args)
    b_pos, b_any = scope_families(b_args)
    return not (a_pos & b_any or b_pos & a_any)
