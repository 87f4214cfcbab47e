"""The ASGI application of ``filterql serve``: :func:`create_app`.

A Starlette app over a :class:`~filterql.server.store.RunStore`. Routes are
grouped (``api_routes``) so another surface — a web page and its JSON
endpoints — can be mounted beside them with ``create_app(..., routes=...)``.
Every query runs in the thread pool, never on the event loop. Errors are JSON
``{"detail": ...}``: a :class:`Problem` gives its status; an unknown path or
method a 404/405 that says the server is read-only and lists what it serves;
anything unexpected is logged and answered 500 without details.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Awaitable, Callable, Sequence
from uuid import UUID

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from .cursors import Cursors
from .problems import Problem
from .store import RunStore
from . import v1, v2

__all__ = ["create_app", "api_routes", "json_response", "read_json", "decode_json", "MAX_BODY_BYTES",
           "SERVED_VERSION"]

log = logging.getLogger("filterql.server")

#: Largest request body read, in bytes.
MAX_BODY_BYTES = 1_000_000
#: The LangSmith version ``/info`` reports: the SDK enables its v2 resources from 0.16 and sessions from 0.18.
SERVED_VERSION = "0.18.0"


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def json_response(content: Any, status: int = 200) -> Response:
    """``content`` as JSON (datetimes ISO 8601, decimals and UUIDs as text)."""
    text = json.dumps(content, ensure_ascii=False, default=_default, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the data: JSON's \u escapes carry it
        body = json.dumps(content, default=_default, separators=(",", ":")).encode("ascii")
    return Response(body, status, media_type="application/json")


def problem_response(problem: Problem) -> Response:
    return json_response({"detail": problem.detail()}, problem.status)


async def read_json(request: Request) -> Any:
    """The request body as JSON (parsed in the thread pool); 400 when it is not JSON."""
    return await run_in_threadpool(decode_json, await request.body())


def decode_json(raw: bytes) -> Any:
    """``raw`` as JSON; :class:`Problem` 400 when it is not."""
    if not raw.strip():
        raise Problem(400, "invalid-body", "the request body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise Problem(400, "invalid-body", "the request body is not UTF-8 JSON") from None
    except RecursionError:
        raise Problem(400, "invalid-body", "the request body nests too deeply") from None
    except ValueError as e:
        raise Problem(400, "invalid-body", f"the request body is not JSON: {e}") from None


def _store(request: Request) -> RunStore:
    return request.app.state.store


async def info(request: Request) -> Response:
    store = _store(request)
    return json_response({
        "version": SERVED_VERSION,
        "instance_flags": {"ch_query_enabled": True, "sdb_query_enabled": False},
        # Complete, so the SDK's tracing thread takes it as is; no multipart: it would only
        # warn that compression is off, and this server takes no traces at all.
        "batch_ingest_config": {"use_multipart_endpoint": False, "size_limit": 100, "size_limit_bytes": None,
                                "scale_up_nthreads_limit": 16, "scale_up_qsize_trigger": 1000,
                                "scale_down_nempty_trigger": 4},
        "filterql": {"version": __version__, "engine": store.engine, "runs": store.run_count, "read_only": True},
    })


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Problem(422, "invalid-parameter", f"{name} must be an integer from {low} to {high}, not {text[:40]!r}",
                      parameters=[name])
    return value


async def list_sessions(request: Request) -> Response:
    """``GET /sessions``: the projects, by ``name`` if given (``read_project(project_name=...)``)."""
    store = _store(request)
    limit = _int_param(request, "limit", 100, 1, 10_000)
    offset = _int_param(request, "offset", 0, 0, 10**9)
    found = list(store.projects)
    name = request.query_params.get("name")
    if name is not None:
        found = [p for p in found if p.name == name]
    ids = request.query_params.getlist("id")
    if ids:
        found = [p for p in found if p.id in ids]
    return json_response([p.to_json() for p in found[offset:offset + limit]])


async def read_session(request: Request) -> Response:
    """``GET /sessions/{id}`` (``read_project(project_id=...)``)."""
    key = request.path_params["project_id"]
    project = _store(request).project(key)
    if project is None:
        raise Problem(404, "project-not-found", f"no project {key[:100]!r} in the served files")
    return json_response(project.to_json())


async def query_runs(request: Request) -> Response:
    """``POST /runs/query`` (``Client.list_runs``, ``AsyncClient.list_runs``)."""
    state = request.app.state
    raw = await request.body()

    def answer() -> Response:  # decoding, checking (filters are parsed), the query, encoding: off the event loop
        start = time.perf_counter()
        body = decode_json(raw)
        response = json_response(v1.query_runs(body, state.store, state.cursors, state.page_size))
        # How long the answer took in the server (Server-Timing, shown by browsers' developer tools).
        response.headers["server-timing"] = f"query;dur={(time.perf_counter() - start) * 1e3:.1f}"
        return response

    return await run_in_threadpool(answer)


async def get_run(request: Request) -> Response:
    """``GET /runs/{run_id}`` (``Client.read_run``)."""
    run_id, store = request.path_params["run_id"], _store(request)
    return await run_in_threadpool(lambda: json_response(v1.read_run(run_id, store)))


def _v2_body(endpoint: str) -> Callable[[Request], Awaitable[Response]]:
    """``POST /api/v2/...``: the JSON body is the endpoint's parameters (``client.runs.query_v2`` ...)."""

    async def handler(request: Request) -> Response:
        store, raw = _store(request), await request.body()
        return await run_in_threadpool(lambda: json_response(v2.page(store, endpoint, decode_json(raw))))

    return handler


async def thread_traces(request: Request) -> Response:
    """``GET /api/v2/threads/{thread_id}/traces`` (``client.threads.list_traces``)."""
    store = _store(request)
    params = {**v2.params_of(request.query_params), "thread_id": request.path_params["thread_id"]}
    return await run_in_threadpool(lambda: json_response(v2.page(store, "threads.list_traces", params)))


async def v2_run(request: Request) -> Response:
    """``GET /api/v2/runs/{run_id}`` (``client.runs.retrieve_v2``)."""
    store, params = _store(request), v2.params_of(request.query_params)
    return await run_in_threadpool(lambda: json_response(v2.read_run(store, request.path_params["run_id"], params)))


async def v2_trace_runs(request: Request) -> Response:
    """``GET /api/v2/traces/{trace_id}/runs`` (``client.traces.list_runs``)."""
    store, params = _store(request), v2.params_of(request.query_params)
    return await run_in_threadpool(
        lambda: json_response(v2.trace_runs(store, request.path_params["trace_id"], params)))


def api_routes() -> list[BaseRoute]:
    """The LangSmith-compatible read endpoints (v1 also under ``/api/v1``; v2 under ``/api/v2``)."""
    v2_routes = [
        Route("/api/v2/runs/query", _v2_body("runs.query"), methods=["POST"]),
        Route("/api/v2/traces/query", _v2_body("traces.query"), methods=["POST"]),
        Route("/api/v2/threads/query", _v2_body("threads.query"), methods=["POST"]),
        Route("/api/v2/threads/{thread_id}/traces", thread_traces, methods=["GET"]),
        Route("/api/v2/runs/{run_id}", v2_run, methods=["GET"]),
        Route("/api/v2/traces/{trace_id}/runs", v2_trace_runs, methods=["GET"]),
    ]
    v1_routes = [
        Route("/info", info, methods=["GET"]),
        Route("/sessions", list_sessions, methods=["GET"]),
        Route("/sessions/{project_id}", read_session, methods=["GET"]),
        Route("/runs/query", query_runs, methods=["POST"]),
        Route("/runs/{run_id}", get_run, methods=["GET"]),
    ]
    return [*v1_routes, Mount("/api/v1", routes=list(v1_routes)), *v2_routes]


def _endpoints(routes: Sequence[BaseRoute], prefix: str = "") -> list[str]:
    out: list[str] = []
    for route in routes:
        if isinstance(route, Route):
            out += [f"{m} {prefix}{route.path}" for m in sorted(route.methods or ()) if m != "HEAD"]
        elif isinstance(route, Mount) and route.path == "":  # mounted sub-apps list their own
            out += _endpoints(route.routes, prefix)
    return out


class _Guard:
    """Pure ASGI middleware: the API key (constant-time) and the body size limit.

    ``public`` paths (exact, or a prefix followed by ``*``) are read without the key with
    GET: a page's files, which a browser fetches before it can send a header.
    """

    def __init__(self, app: ASGIApp, api_key: str | None, max_body: int, public: Sequence[str] = ()) -> None:
        self.app = app
        self.api_key = api_key.encode("utf-8") if api_key else None
        self.max_body = max_body
        self.public = tuple(public)

    def _is_public(self, method: str, path: str) -> bool:
        return method == "GET" and any(path.startswith(p[:-1]) if p.endswith("*") else path == p for p in self.public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        method = scope.get("method", "")
        problem = None if self._is_public(method, scope.get("path", "")) else self._refuse(headers, method)
        if problem is not None:
            await problem_response(problem)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise Problem(413, "body-too-large", f"the request body exceeds {self.max_body:,} bytes")
            return message

        await self.app(scope, limited, send)

    def _refuse(self, headers: dict[bytes, bytes], method: str) -> Problem | None:
        if self.api_key is not None and method != "OPTIONS":
            given = headers.get(b"x-api-key", b"")
            if not hmac.compare_digest(given, self.api_key):
                return Problem(401, "unauthorized", "missing or wrong X-API-Key header: send the key given "
                               "to filterql serve --api-key (LANGSMITH_API_KEY)")
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return Problem(400, "invalid-header", "Content-Length is not a number")
            if int(length) > self.max_body:
                return Problem(413, "body-too-large", f"the request body exceeds {self.max_body:,} bytes")
        return None


class _Contain:
    """Pure ASGI middleware: an unexpected exception is logged and answered 500 with no details.

    Answered here rather than by Starlette's outermost handler, which re-raises
    and makes the server drop the connection (the SDK would see a reset).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("internal error on %s %s", scope.get("method"), str(scope.get("path"))[:200], exc_info=exc)
            if started:
                raise
            body = {"detail": {"error": "internal", "message": "internal server error; the server log has the details"}}
            await json_response(body, 500)(scope, receive, send)


def create_app(store: RunStore, *, api_key: str | None = None, cors_origins: Sequence[str] = (),
               routes: Sequence[BaseRoute] = (), public: Sequence[str] = (), max_body: int = MAX_BODY_BYTES,
               cursors: Cursors | None = None, page_size: int = v1.PAGE_SIZE) -> Starlette:
    """The read-only LangSmith-compatible app over ``store``.

    ``routes`` are mounted before the API's (a page at ``/`` and its JSON
    endpoints); ``public`` paths of theirs are read without the key (see
    :class:`_Guard`). ``api_key`` makes ``X-API-Key`` required; ``cors_origins``
    allows cross-origin reads from those origins (none by default);
    ``page_size`` is the most runs a ``POST /runs/query`` response holds.
    """
    all_routes = [*routes, *api_routes()]
    served = _endpoints(all_routes)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return problem_response(Problem(405, "method-not-allowed", f"{request.method} is not allowed on "
                                            f"{request.url.path[:200]}: this server is read-only", endpoints=served))
        if exc.status_code == 404:
            return problem_response(Problem(404, "not-found", f"no endpoint {request.method} "
                                            f"{request.url.path[:200]}: this server is read-only and serves "
                                            "LangSmith's read endpoints only", endpoints=served))
        return problem_response(Problem(exc.status_code, "http-error", str(exc.detail)))

    middleware = [Middleware(_Guard, api_key=api_key, max_body=max_body, public=public), Middleware(_Contain)]
    if cors_origins:
        middleware.insert(0, Middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                                        allow_headers=["*"]))
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        Problem: on_problem, HTTPException: on_http,
    }
    app = Starlette(routes=all_routes, middleware=middleware, exception_handlers=handlers)
    app.state.store = store
    app.state.cursors = cursors or Cursors()
    app.state.endpoints = served
    app.state.page_size = page_size
    return app
