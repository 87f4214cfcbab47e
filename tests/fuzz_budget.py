"""Hypothesis budgets for the fuzz and robustness suites: small by default, ``FILTERQL_FUZZ=N`` multiplies."""

from __future__ import annotations

import os

SCALE = max(1, int(os.environ.get("FILTERQL_FUZZ", "1") or "1"))


def examples(base: int) -> int:
    """``base`` examples, times ``FILTERQL_FUZZ``."""
    return base * SCALE
