"""The optimizer: meaning-preserving rewrites of a checked filter, each step explained.

``optimize(filter)`` returns the simplest equivalent filter it finds, or
``AlwaysTrue`` / ``AlwaysFalse`` when the filter matches every run or none.
Rules live one group per module (``structure``, ``fold``, ``negation``,
``absorb``, ``ranges``, ``lists``, ``order``) and are listed in order in
:data:`rules.RULES`.
"""

from __future__ import annotations

from typing import Literal, Union, overload

from .. import ast
from ..checked import Checked, mark
from ..validator import check
from .engine import AlwaysFalse, AlwaysTrue, Result, Step, Verdict, rewrite, size, verdict
from .rules import RULES, by_name

__all__ = ["optimize", "typed", "FilterInput", "Step", "Verdict", "AlwaysTrue", "AlwaysFalse", "Result", "RULES", "by_name", "size"]

FilterInput = Union[str, ast.Expr]

def typed(filter: FilterInput, context: str = "filter") -> Checked:
    """The checked AST of ``filter``: a :class:`~filterql.checked.Checked` as is, anything else checked once."""
    return check(filter, context)


@overload
def optimize(filter: FilterInput, explain: Literal[False] = False, *, context: str = "filter") -> Result: ...
@overload
def optimize(filter: FilterInput, explain: Literal[True], *, context: str = "filter") -> tuple[Result, list[Step]]: ...


def optimize(filter: FilterInput, explain: bool = False, *, context: str = "filter") -> Result | tuple[Result, list[Step]]:
    """The simplest equivalent of ``filter`` found by :data:`RULES`, or a :class:`Verdict`.

    Anything but a :class:`~filterql.checked.Checked` is checked first, so an invalid filter
    raises :class:`filterql.FilterValidationError`; the result is ``Checked`` too. With ``explain=True`` returns
    ``(result, steps)``: every applied rewrite in order.
    """
    steps: list[Step] = []
    start = typed(filter, context)
    result = verdict(rewrite(start, RULES, steps.append if explain else None))
    if not isinstance(result, Verdict):  # every rule keeps a tree valid offline (not per server profile)
        result = mark(result, start.context)
    return (result, steps) if explain else result
