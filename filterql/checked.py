"""``Checked``: the type of what :func:`filterql.check` returns, a tree with a guarantee.

A checked filter is still the ordinary tree — ``check('and(...)')`` is an
:class:`~filterql.ast.And`, equal to the same tree built by hand, with the same
fields — but its class is also :class:`Checked`, which records the context and
profile it was checked for. Every stage after the validator (``compile``,
``optimize``, ``build_query``, :func:`filterql.lowering.lower`) takes a
``Checked`` as is; anything else it checks once.

Only the root carries the mark. Rebuilding a checked node (``attrs.evolve``,
``type(node)(...)``) gives a plain node, since the guarantee was about the old
one.
"""

from __future__ import annotations

from typing import Any

from . import ast

__all__ = ["Checked", "mark", "plain"]


class Checked(ast.Expr):
    """Mixin of checked roots: ``CheckedAnd`` is an :class:`~filterql.ast.And` and a ``Checked``.

    ``expr`` is the same tree as a plain node, ``context`` the context it was checked for
    (``filter``, ``trace_filter``, ``tree_filter``), ``profile`` the validation profile.
    Equality and hashing are the plain tree's.
    """

    __slots__ = ()
    expr: ast.Expr
    context: str
    profile: str

    def __eq__(self, other: object) -> bool:
        return self.expr == (other.expr if isinstance(other, Checked) else other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.expr)

    def __reduce__(self) -> Any:
        return (mark, (self.expr, self.context, self.profile))


_CLASSES: dict[type, type] = {}


def _checked_class(cls: type) -> type:
    made = _CLASSES.get(cls)
    if made is None:
        made = type(f"Checked{cls.__name__}", (Checked, cls), {
            "__slots__": ("expr", "context", "profile"), "__module__": __name__,
            "__eq__": Checked.__eq__, "__ne__": Checked.__ne__, "__hash__": Checked.__hash__,
            "__repr__": cls.__repr__,
            # Building a node from scratch (evolve, type(node)(...)) proves nothing: a plain node.
            "__new__": lambda _cls, *args, **kwargs: cls(*args, **kwargs)})
        _CLASSES[cls] = made
    return made


def mark(expr: ast.Expr, context: str, profile: str = "offline") -> Checked:
    """``expr``, a tree the validator accepted for ``context`` and ``profile``, as a :class:`Checked`.

    Only the validator (and the optimizer, whose rewrites keep a tree checked) should call this.
    """
    expr = plain(expr)
    cls = _checked_class(type(expr))
    node = object.__new__(cls)
    for name in _field_names(type(expr)):
        object.__setattr__(node, name, getattr(expr, name))
    object.__setattr__(node, "expr", expr)
    object.__setattr__(node, "context", context)
    object.__setattr__(node, "profile", profile)
    return node  # type: ignore[no-any-return]


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(a.name for a in cls.__attrs_attrs__)  # type: ignore[attr-defined]


def plain(expr: ast.Expr) -> ast.Expr:
    """The plain tree of ``expr`` (itself unless it is :class:`Checked`)."""
    return expr.expr if isinstance(expr, Checked) else expr
