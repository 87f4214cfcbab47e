"""Run the app with uvicorn: load the files (with a progress bar on a terminal), print how to point the SDK here."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

import uvicorn

from starlette.routing import BaseRoute

from .app import create_app
from .store import RunStore, open_store

__all__ = ["serve", "load", "banner", "listen"]


def _progress(reader: Iterable[Any]) -> Iterable[Any]:
    """A tqdm bar over ``reader`` on a terminal (the ``progress`` extra), else ``reader`` itself."""
    if not sys.stderr.isatty():
        return reader
    try:
        from tqdm import tqdm
    except ImportError:
        return reader
    return tqdm(reader, unit=" runs", file=sys.stderr, leave=False)


def load(paths: Sequence[str | Path], engine: str) -> RunStore:
    """The store over ``paths``; DuckDB shows its own progress bar on a terminal."""
    if engine == "python":
        return open_store(paths, "python", progress=_progress)
    return open_store(paths, engine, progress=None)


def banner(store: RunStore, url: str, api_key: str | None, page: bool = False) -> str:
    """What ``filterql serve`` prints once listening: the data, the URL and the SDK's two variables."""
    projects = ", ".join(p.name for p in store.projects[:5]) + (", ..." if len(store.projects) > 5 else "")
    return "\n".join([
        f"filterql serve: {store.run_count:,} runs in {len(store.projects)} project"
        f"{'s' if len(store.projects) != 1 else ''} ({projects}), engine {store.engine}, read-only",
        f"listening on {url}",
        *([f"open {url}/ in a browser for the filter editor"] if page else []),
        "point the langsmith SDK here:",
        f"  export LANGSMITH_ENDPOINT={url}",
        f"  export LANGSMITH_API_KEY={api_key or 'unused'}",
        "  export LANGSMITH_TRACING=false   # this server does not accept traces",
    ])


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0 picks a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(1024)
    return sock


def serve(paths: Sequence[str | Path], *, host: str = "127.0.0.1", port: int = 1984, engine: str = "duckdb",
          api_key: str | None = None, cors_origins: Sequence[str] = (),
          routes: Sequence[BaseRoute] = (), public: Sequence[str] = ()) -> None:
    """Load ``paths`` and serve them until interrupted (``port`` 0: a free port, shown in the banner);
    ``routes`` and ``public`` are :func:`create_app`'s (the CLI mounts the web page)."""
    store = load(paths, engine)
    try:
        app = create_app(store, api_key=api_key, cors_origins=cors_origins, routes=routes, public=public)
        sock = listen(host, port)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        print(banner(store, f"http://{shown}:{bound}", api_key, page=bool(routes)), file=sys.stderr, flush=True)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        server.run(sockets=[sock])
    finally:
        store.close()
