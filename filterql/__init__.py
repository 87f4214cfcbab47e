"""filterql: LangSmith's filter query language, parsed, checked, optimized and run offline."""

from __future__ import annotations

from .ast import Expr
from .errors import FilterError, FilterSyntaxError, FilterValidationError
from .parser import parse

__all__ = [
    "Expr",
    "FilterError",
    "FilterSyntaxError",
    "FilterValidationError",
    "parse",
]
__version__ = "0.1.0"
