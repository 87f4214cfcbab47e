"""Opaque, tamper-evident page cursors for the offline v2 endpoints (SPEC §10).

A cursor says where the next page starts (an offset into the ordered answer)
and carries short digests of what produced it: the endpoint, the call's
parameters (all but ``cursor`` and ``page_size``) and the data set (its run
ids). An HMAC-SHA256 over all of it makes any edit visible. A cursor from
another data set, endpoint or set of parameters is refused with a message
that says which; it never yields a wrong page. The HMAC key is
``FILTERQL_CURSOR_KEY`` from the environment, or a fixed key: cursors are
tamper-evident, not secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any, Iterable

import attrs

from .errors import FilterError

__all__ = ["CursorError", "Position", "encode", "decode", "digest", "fingerprint"]

_VERSION = 1
_DEFAULT_KEY = b"filterql offline cursor v1"


class CursorError(FilterError):
    """A cursor this call cannot continue from; the message says why."""


@attrs.frozen
class Position:
    """Where a page starts: ``offset`` items into the answer of ``endpoint`` for ``params`` over ``data``."""

    endpoint: str
    params: str
    data: str
    offset: int


def _key() -> bytes:
    return os.environ.get("FILTERQL_CURSOR_KEY", "").encode("utf-8") or _DEFAULT_KEY


def digest(value: Any) -> str:
    """A short stable digest of a JSON-able value (canonical JSON, sorted keys)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(run_ids: Iterable[str]) -> str:
    """The data set's digest: its run ids (canonical text), sorted."""
    h = hashlib.sha256()
    for run_id in sorted(run_ids):
        h.update(run_id.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(body: bytes) -> str:
    return _b64(hmac.new(_key(), body, hashlib.sha256).digest()[:18])


def encode(position: Position) -> str:
    body = json.dumps({"v": _VERSION, "e": position.endpoint, "p": position.params, "d": position.data,
                       "o": position.offset}, separators=(",", ":")).encode("utf-8")
    return f"{_b64(body)}.{_sign(body)}"


def decode(cursor: str, expected: Position) -> int:
    """The offset ``cursor`` points to, when it was made for ``expected`` (its offset ignored); else CursorError."""
    foreign = CursorError(f"cursor {cursor[:24]!r}{'...' if len(cursor) > 24 else ''} was not produced by "
                          "filterql: pass the next_cursor of the previous page unchanged")
    body_text, _, signature = cursor.partition(".")
    try:
        body = _unb64(body_text)
        fields = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise foreign from None
    if not isinstance(fields, dict) or fields.get("v") != _VERSION or not signature:
        raise foreign
    if not hmac.compare_digest(_sign(body), signature):
        raise CursorError("cursor was altered (its signature does not match): pass next_cursor back unchanged")
    if fields.get("e") != expected.endpoint:
        raise CursorError(f"cursor belongs to {fields.get('e')}, not {expected.endpoint}")
    if fields.get("d") != expected.data:
        raise CursorError("cursor was produced over another data set (the runs changed since the first page)")
    if fields.get("p") != expected.params:
        raise CursorError("cursor was produced for other parameters: keep every parameter but cursor and "
                          "page_size as on the first page")
    offset = fields.get("o")
    if not isinstance(offset, int) or offset < 0:
        raise foreign
    return offset
