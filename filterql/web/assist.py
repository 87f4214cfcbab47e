"""What the page's filter editor asks the server: diagnostics with spans, the catalog, the
canonical and pretty forms, the optimizer's steps, and the query as code.

Plain functions from JSON-able arguments to JSON-able answers; :mod:`filterql.web.routes`
only carries them over HTTP. Offsets are in UTF-16 code units, the unit of JavaScript strings.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .. import ast, catalog
from ..builder_code import IMPORTS, to_builder_code
from ..diagnostics import Diagnostic
from ..errors import FilterError
from ..optimizer import Verdict, optimize
from ..parser import parse
from ..lexicon import quote
from ..migration import MigrationError, migrate_query
from ..renderer import render
from ..validator import SIGNATURES, analyze

__all__ = ["check_filter", "catalog_json", "format_filter", "explain_filter", "query_code", "FILTER_ARGUMENTS"]

#: The page's filter inputs, each checked in the context of the same name.
FILTER_ARGUMENTS = ("filter", "trace_filter", "tree_filter")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", re.S)


def _utf16(text: str, offset: int) -> int:
    """The UTF-16 offset of code point ``offset`` of ``text``."""
    return offset + sum(1 for c in text[:offset] if ord(c) > 0xFFFF)


def _token_at(text: str, start: int) -> tuple[int, int, bool] | None:
    """The name or string literal starting at ``start``: (start, end, is_string), or None."""
    m = _NAME.match(text, start) or _STRING.match(text, start)
    return None if m is None else (m.start(), m.end(), m.group().startswith(("'", '"')))


def _replacements(d: Diagnostic, text: str) -> list[dict[str, Any]]:
    """One-click edits for a diagnostic's suggestions: the name or string at its position replaced
    by each (a string literal by the suggestion, quoted)."""
    if not d.suggestions or d.span is None:
        return []
    token = _token_at(text, d.span.start)
    if token is None:
        return []
    start, end, is_string = token
    out = []
    for name in d.suggestions:
        out.append({
            "label": name,
            "start": _utf16(text, start),
            "end": _utf16(text, end),
            "text": quote(name) if is_string else name,
        })
    return out


def _diagnostic(d: Diagnostic, text: str) -> dict[str, Any]:
    out = d.to_json()
    if d.span is not None:
        out["start"], out["end"] = _utf16(text, d.span.start), _utf16(text, max(d.span.end, d.span.start + 1))
    else:
        out["start"], out["end"] = 0, _utf16(text, len(text))
    out["suggestions"] = _replacements(d, text)  # the edits, in place of the bare names
    return out


def check_filter(text: str, context: str = "filter", profile: str = "offline") -> dict[str, Any]:
    """``{"valid": bool, "diagnostics": [...]}`` for ``text`` in ``context``; each diagnostic
    has the fields of :meth:`Diagnostic.to_json` plus ``start``/``end`` and ``suggestions``."""
    if context not in FILTER_ARGUMENTS:
        raise ValueError(f"context must be one of {', '.join(FILTER_ARGUMENTS)}, not {context!r}")
    typed, diagnostics, _ = analyze(text, context, profile)
    return {
        "valid": typed is not None and not any(d.is_error for d in diagnostics),
        "diagnostics": [_diagnostic(d, text) for d in diagnostics],
    }


def catalog_json() -> dict[str, Any]:
    """Fields (with type, contexts, functions, choices) and functions (with their signatures)."""
    fields = [
        {
            "name": spec.name,
            "type": spec.type.value,
            "contexts": list(spec.contexts),
            "functions": sorted(spec.operators),
            "choices": list(spec.choices),
            "doc": spec.doc,
        }
        for spec in catalog.FIELDS.values()
    ]
    functions = [{"name": name, "signature": SIGNATURES[name]} for name in ast.FUNCTION_NAMES]
    return {"fields": fields, "functions": functions, "run_types": list(catalog.RUN_TYPES)}


def format_filter(text: str) -> dict[str, str]:
    """The canonical and pretty forms of ``text`` (raises :class:`FilterError` when it does not parse)."""
    expr = parse(text)
    return {"canonical": render(expr), "pretty": render(expr, pretty=True)}


def explain_filter(text: str, context: str = "filter") -> dict[str, Any]:
    """The optimizer's result and every rewrite it applied (raises :class:`FilterError` when invalid)."""
    result, steps = optimize(text, explain=True, context=context)
    shown = str(result) if isinstance(result, Verdict) else render(result)
    return {"result": shown, "steps": [{"rule": s.rule, "text": str(s)} for s in steps]}


def _kwargs(arguments: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items() if v not in (None, ""))


def _query_v2(query: Mapping[str, Any], project_id: str | None) -> str:
    """The ``client.runs.query_v2(...)`` call of a ``list_runs`` query (:func:`migrate_query`), with the
    project by id and ``limit`` as the page size, which the v1 arguments do not say."""
    v1 = {k: v for k, v in query.items() if k not in ("project_name", "limit") and v not in (None, "")}
    try:
        params = migrate_query(**v1)
    except MigrationError as e:
        return "# no runs.query_v2 equivalent: " + "; ".join(str(e).splitlines()[1:]).strip()
    if project_id:
        params["project_ids"] = [project_id]
    if query.get("limit"):
        params["page_size"] = query["limit"]
    return f"async for run in client.runs.query_v2({_kwargs(params)}):\n    print(run.id, run.name)"


def query_code(query: Mapping[str, Any]) -> dict[str, str]:
    """The query as a ``client.list_runs(...)`` call, a ``client.runs.query_v2(...)`` call and
    ``filterql`` builder expressions.

    ``query`` holds ``list_runs`` arguments (``project_name``, the filters, ``is_root``,
    ``run_type``, ``error``, ``start_time``, ``limit``) and the project's id as ``project_id``
    (for the v2 call). A filter that does not parse is left out of the builder code, with a
    comment saying so.
    """
    query = dict(query)
    project_id = query.pop("project_id", None)
    list_runs = f"client.list_runs({_kwargs(query)})"
    builder = [IMPORTS, ""]
    for name in FILTER_ARGUMENTS:
        text = query.get(name)
        if not text:
            continue
        try:
            builder.append(f"{name} = {to_builder_code(parse(text))}")
        except (FilterError, TypeError) as e:
            builder.append(f"# {name}: no builder expression: {str(e).splitlines()[0]}")
    return {
        "list_runs": "from langsmith import Client\n\nclient = Client()\nruns = " + list_runs,
        "runs.query_v2": "# inside an async function; client = langsmith.Client()\n" + _query_v2(query, project_id),
        "builder": "\n".join(builder),
    }
