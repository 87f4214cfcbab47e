"""What every rule needs: the true/false constants, field facts and scope facts.

Inside the optimizer ``and()`` (no operands) is *true* and ``or()`` is *false*:
they obey every and/or law, so folding needs no special node type. They never
leave :func:`filterql.optimize.optimize`, which reports them as
``AlwaysTrue`` / ``AlwaysFalse``.
"""

from __future__ import annotations

from typing import Iterable

from .. import ast, catalog
from ..catalog import FieldSpec, FieldType
from ..ast import bindable, family_of, positive_key_family, scope_families

__all__ = [
    "TRUE", "FALSE", "is_true", "is_false", "NULL",
    "scalar_spec", "bindable", "scoped_implies_standalone", "separable", "rebuild",
]

TRUE: ast.Expr = ast.And(())
FALSE: ast.Expr = ast.Or(())

#: The null literal, for conditions the optimizer writes itself (``neq(f, null)``).
NULL = ast.Const(None, ast.Null())

#: Types of fields holding one value per run (so two conditions on them can contradict).
_SINGLE_VALUED = frozenset({
    FieldType.UUID, FieldType.STRING, FieldType.ENUM, FieldType.TIMESTAMP, FieldType.SECONDS,
    FieldType.INTEGER, FieldType.DECIMAL, FieldType.BOOLEAN,
})


def is_true(node: ast.Node) -> bool:
    return type(node) is ast.And and not node.args


def is_false(node: ast.Node) -> bool:
    return type(node) is ast.Or and not node.args


def scalar_spec(node: ast.Node) -> FieldSpec | None:
    """The spec of the field ``node`` tests when that field holds one value per run, else None.

    Family fields (many entries), ``tags`` (many tags) and objects are not scalar:
    ``and(eq(metadata_value, 1), eq(metadata_value, 2))`` is satisfiable.
    """
    field = getattr(node, "field", None)
    if not isinstance(field, ast.Field) or isinstance(node, ast.Search):
        return None
    spec = catalog.FIELDS.get(field.name)
    if spec is None or spec.family is not None or spec.type not in _SINGLE_VALUED:
        return None
    return spec


def scoped_implies_standalone(node: ast.Node, scope: Iterable[ast.Node]) -> bool:
    """Whether ``node``, as a direct child of an ``and`` with children ``scope``, implies
    ``node`` standing alone (inside an ``or`` or ``not``).

    Bound positive conditions imply their existential reading (the bound entry is
    one such entry), but a bound ``neq``/``notlike`` on a value ("entry k's value is
    not v") does not imply "no entry has value v".
    """
    family = family_of(node)
    if family is None or not bindable(node) or positive_key_family(node) is not None:
        return True
    negative = (isinstance(node, ast.Compare) and node.op == "neq") or (isinstance(node, ast.Like) and node.negated)
    if not negative:
        return True
    positive, _ = scope_families(scope)
    return family not in positive


def separable(args: Iterable[ast.Node]) -> bool:
    """Whether the ``and`` scope ``args`` binds nothing: each family with a positive key
    condition has only one distinct bindable condition, so every condition means the
    same standing alone (what De Morgan needs)."""
    args = tuple(args)
    positive, _ = scope_families(args)
    for family in positive:
        if len({a for a in args if family_of(a) == family and bindable(a)}) > 1:
            return False
    return True


def rebuild(node: ast.And | ast.Or, args: Iterable[ast.Expr]) -> ast.Expr:
    """``node`` with operands ``args``; ``node`` itself when they are the same objects."""
    args = tuple(args)
    if len(args) == len(node.args) and all(a is b for a, b in zip(args, node.args)):
        return node
    return type(node)(args)
