"""The page at ``/`` and the JSON endpoints only it uses, as Starlette routes.

``routes()`` is mounted by ``filterql serve`` beside the LangSmith API
(``create_app(..., routes=routes(), public=PUBLIC)``); the runs, traces and threads
the page shows come from that API, asked as the SDK asks. Errors are the API's:
a :class:`Problem` answered as JSON ``{"detail": ...}``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import FilterValidationError
from ..server.app import json_response, read_json
from ..server.problems import Problem, invalid_call
from . import assist

__all__ = ["routes", "PUBLIC", "MAX_FILTER_CHARS"]

#: Longest filter the editor endpoints take (a filter is typed by hand).
MAX_FILTER_CHARS = 100_000

#: The page's own files: no data in them, so they are served without the API key
#: (the page asks for the key when the API refuses it).
PUBLIC = ("/", "/static/*")

_STATIC = resources.files("filterql.web") / "static"
_PROFILES = ("offline", "langsmith-v1", "langsmith-v2")


def _bad(message: str) -> Problem:
    return Problem(400, "invalid-parameter", message)


def _text(body: dict[str, Any], name: str = "filter") -> str:
    text = body.get(name, "")
    if not isinstance(text, str):
        raise _bad(f"`{name}` must be a string")
    if len(text) > MAX_FILTER_CHARS:
        raise _bad(f"`{name}` is longer than {MAX_FILTER_CHARS:,} characters")
    return text


def _option(body: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value not in choices:
        raise _bad(f"`{name}` must be one of {', '.join(choices)}")
    return value


def _endpoint(handler: Callable[[dict[str, Any]], Any]) -> Callable[[Request], Awaitable[Response]]:
    """A POST endpoint answering ``handler(body)`` as JSON, computed in a worker thread;
    an invalid filter is a 400 carrying its diagnostics."""

    async def endpoint(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise _bad("the request body must be a JSON object")
        try:
            return json_response(await run_in_threadpool(handler, body))
        except FilterValidationError as e:  # answered as the API answers an invalid filter
            raise invalid_call(e.diagnostics, {"filter": str(body.get("filter", ""))}, {}) from None

    return endpoint


def _check(body: dict[str, Any]) -> Any:
    return assist.check_filter(
        _text(body),
        _option(body, "context", assist.FILTER_ARGUMENTS, "filter"),
        _option(body, "profile", _PROFILES, "offline"),
    )


def _format(body: dict[str, Any]) -> Any:
    return assist.format_filter(_text(body))


def _explain(body: dict[str, Any]) -> Any:
    return assist.explain_filter(_text(body), _option(body, "context", assist.FILTER_ARGUMENTS, "filter"))


def _code(body: dict[str, Any]) -> Any:
    query = body.get("query", {})
    if not isinstance(query, dict):
        raise _bad("`query` must be a JSON object of list_runs arguments")
    for name in assist.FILTER_ARGUMENTS:
        _text(query, name)
    return assist.query_code(query)


async def _catalog(request: Request) -> Response:
    return json_response(assist.catalog_json())


async def _page(request: Request) -> Response:
    return FileResponse(str(_STATIC / "index.html"), media_type="text/html")


def routes() -> list[BaseRoute]:
    """The page (``/``), its files (``/static``) and its endpoints (``/filterql/...``)."""
    return [
        Route("/", _page, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(_STATIC)), name="static"),
        Route("/filterql/catalog", _catalog, methods=["GET"]),
        Route("/filterql/check", _endpoint(_check), methods=["POST"]),
        Route("/filterql/format", _endpoint(_format), methods=["POST"]),
        Route("/filterql/explain", _endpoint(_explain), methods=["POST"]),
        Route("/filterql/code", _endpoint(_code), methods=["POST"]),
    ]
