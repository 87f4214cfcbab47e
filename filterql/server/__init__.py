"""``filterql serve``: LangSmith's read API over local run files (``pip install 'filterql[serve]'``).

:func:`open_store` loads the runs once; :func:`create_app` is the ASGI app
answering the SDK's read calls over them; :func:`serve` runs it with uvicorn.
"""

from __future__ import annotations

from .app import create_app
from .launch import serve
from .store import DuckDBStore, Project, PythonStore, RunStore, open_store

__all__ = ["create_app", "open_store", "serve", "RunStore", "PythonStore", "DuckDBStore", "Project"]
