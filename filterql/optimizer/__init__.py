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
from ..validator import check
from .engine import AlwaysFalse, AlwaysTrue, Result, Step, Verdict, rewrite, size, verdict
from .rules import RULES, by_name

__all__ = ["optimize", "typed", "FilterInput", "Step", "Verdict", "AlwaysTrue", "AlwaysFalse", "Result", "RULES", "by_name", "size"]

FilterInput = Union[str, ast.Expr]

_RAW_LITERALS = (ast.String, ast.Number, ast.Bool, ast.Null, ast.Call)


def typed(filter: FilterInput, context: str = "filter") -> ast.Expr:
    """The checked AST of ``filter`` (text is parsed and checked; a checked tree is used as is)."""
    if isinstance(filter, ast.Expr) and not any(isinstance(n, _RAW_LITERALS) for n in ast.walk(filter)):
        return filter
    return check(filter, context)


@overload
def optimize(filter: FilterInput, explain: Literal[False] = False, *, context: str = "filter") -> Result: ...
@overload
def optimize(filter: FilterInput, explain: Literal[True], *, context: str = "filter") -> tuple[Result, list[Step]]: ...


def optimize(filter: FilterInput, explain: bool = False, *, context: str = "filter") -> Result | tuple[Result, list[Step]]:
    """The simplest equivalent of ``filter`` found by :data:`RULES`, or a :class:`Verdict`.

    Text (or an unchecked tree) is checked first, so an invalid filter raises
    :class:`filterql.FilterValidationError`. With ``explain=True`` returns
    ``(result, steps)``: every applied rewrite in order.
    """
    steps: list[Step] = []
    result = rewrite(typed(filter, context), RULES, steps.append if explain else None)
    return (verdict(result), steps) if explain else verdict(result)
