"""The optimizer's rules, in the order they are tried at each node.

Structure first (so later rules see flat operand lists), then folding, then the
value reasoning, and ordering last. Every rule keeps the meaning exactly and
none makes the filter larger; ``order_by_cost`` only reorders.
"""

from __future__ import annotations

from .absorb import absorption
from .engine import Rule
from .fold import fold_complements, fold_constants
from .lists import in_to_eq, merge_in_lists, or_eq_to_in
from .negation import push_not
from .order import order_by_cost
from .ranges import merge_ranges, prune_implied
from .structure import dedupe, double_negation, flatten_and, flatten_or, unwrap_single

__all__ = ["RULES", "by_name"]

RULES: tuple[Rule, ...] = (
    fold_constants,
    flatten_or,
    flatten_and,
    unwrap_single,
    double_negation,
    dedupe,
    push_not,
    fold_complements,
    absorption,
    merge_ranges,
    merge_in_lists,
    or_eq_to_in,
    in_to_eq,
    prune_implied,
    order_by_cost,
)


def by_name(name: str) -> Rule:
    """The rule called ``name``; KeyError lists the names."""
    for rule in RULES:
        if rule.__name__ == name:
            return rule
    raise KeyError(f"no rule {name!r}; rules: {', '.join(r.__name__ for r in RULES)}")
