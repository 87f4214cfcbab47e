"""Where the shared test data lives: ``../shared`` beside the repository when present (CI puts
it there, and it is the source of truth), else the copy in ``tests/data/shared`` (kept for
clones without it; refresh it with ``cp -r ../shared/{conformance,seeds} tests/data/shared/``)."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def shared_dir(name: str, env: str) -> Path:
    """The directory ``name`` (``conformance`` or ``seeds``); ``$env`` overrides it."""
    if os.environ.get(env):
        return Path(os.environ[env])
    beside = _HERE.parents[1] / "shared" / name
    return beside if beside.is_dir() else _HERE / "data" / "shared" / name
