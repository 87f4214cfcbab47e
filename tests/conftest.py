"""Shared test helpers: the one run factory.

Every test that needs a run in LangSmith's run JSON builds it with :func:`make_run`
(hypothesis strategies in ``strategies.py`` too), so the required fields are
written once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_run", "run_id"]


def run_id(i: int = 1) -> str:
    """The ``i``-th test run id: ``00000000-0000-4000-8000-000000000001`` for 1."""
    return f"00000000-0000-4000-8000-{i:012d}"


def make_run(i: int = 1, **fields: Any) -> dict[str, Any]:
    """A root run with the required fields (``id`` and ``trace_id`` from ``i``), overridden by ``fields``.

    ``metadata=`` is a shortcut for ``extra={"metadata": ...}``.
    """
    rid = run_id(i)
    run: dict[str, Any] = {"id": rid, "trace_id": rid, "name": "r", "run_type": "chain",
                           "start_time": "2024-05-01T10:00:00Z"}
    if "metadata" in fields:
        fields["extra"] = {"metadata": fields.pop("metadata")}
    run.update(fields)
    return run
