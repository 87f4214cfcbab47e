"""The page at ``/`` and the JSON endpoints only it uses, as Starlette routes.

``routes()`` is mounted by the ``filterql serve`` application beside the LangSmith API;
the runs, traces and threads the page shows come from that API, as the SDK would ask.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import FilterError
from . import assist

__all__ = ["routes", "MAX_FILTER_CHARS"]

#: Longest filter the editor endpoints take (a filter is typed by hand).
MAX_FILTER_CHARS = 100_000

_STATIC = resources.files("filterql.web") / "static"


def _bad(message: str, status: int = 400, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": {"message": message, **extra}}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise _BadRequest(f"the body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body


class _BadRequest(Exception):
    pass


def _text(body: dict[str, Any], name: str = "filter") -> str:
    text = body.get(name, "")
    if not isinstance(text, str):
        raise _BadRequest(f"`{name}` must be a string")
    if len(text) > MAX_FILTER_CHARS:
        raise _BadRequest(f"`{name}` is longer than {MAX_FILTER_CHARS} characters")
    return text


def _option(body: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value not in choices:
        raise _BadRequest(f"`{name}` must be one of {', '.join(choices)}")
    return value


Handler = Callable[[dict[str, Any]], Any]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A POST endpoint answering ``handler(body)`` as JSON, in a worker thread;
    bad requests and invalid filters are a 400 that says why."""

    async def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(await run_in_threadpool(handler, await _body(request)))
        except _BadRequest as e:
            return _bad(str(e))
        except FilterError as e:
            return _bad(str(e), diagnostics=[d.to_json() for d in getattr(e, "diagnostics", ())])

    return endpoint


def _check(body: dict[str, Any]) -> Any:
    return assist.check_filter(
        _text(body),
        _option(body, "context", assist.FILTER_ARGUMENTS, "filter"),
        _option(body, "profile", ("offline", "langsmith-v1", "langsmith-v2"), "offline"),
    )


def _format(body: dict[str, Any]) -> Any:
    return assist.format_filter(_text(body))


def _explain(body: dict[str, Any]) -> Any:
    return assist.explain_filter(_text(body), _option(body, "context", assist.FILTER_ARGUMENTS, "filter"))


def _code(body: dict[str, Any]) -> Any:
    query = body.get("query", {})
    if not isinstance(query, dict):
        raise _BadRequest("`query` must be a JSON object of list_runs arguments")
    for name in assist.FILTER_ARGUMENTS:
        _text(query, name)
    return assist.query_code(query)


async def _catalog(request: Request) -> Response:
    return JSONResponse(assist.catalog_json())


async def _page(request: Request) -> Response:
    return FileResponse(str(_STATIC / "index.html"), media_type="text/html")


def routes() -> list[Route | Mount]:
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
