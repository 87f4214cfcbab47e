"""Opaque, tamper-evident page cursors for ``POST /runs/query``.

The served runs never change while the server runs, so a position in an
answer is an offset. A cursor carries the offset and an HMAC (key drawn at
start) of the offset and the request's other parameters: a cursor edited by
hand, made by another server (or an earlier start of this one), or sent with
different parameters is refused with a message saying so, never answered with
a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any, Mapping

__all__ = ["CursorError", "Cursors"]


class CursorError(ValueError):
    """A cursor this server did not issue for these parameters."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cursors:
    """Issues and reads cursors; ``key`` (random by default) signs them."""

    #: Longest cursor text read (a real one is about 40 characters).
    MAX_LENGTH = 200

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or os.urandom(32)

    def _tag(self, scope: str, params: Mapping[str, Any], offset: int) -> bytes:
        message = json.dumps([scope, offset, params], sort_keys=True, default=str, ensure_ascii=True)
        return hmac.new(self._key, message.encode("ascii"), hashlib.sha256).digest()[:16]

    def issue(self, scope: str, params: Mapping[str, Any], offset: int) -> str:
        """The cursor of position ``offset`` in the answer to ``params`` at ``scope`` (an endpoint)."""
        return f"{offset}.{_b64(self._tag(scope, params, offset))}"

    def read(self, scope: str, params: Mapping[str, Any], cursor: Any) -> int:
        """The offset ``cursor`` stands for; :class:`CursorError` unless this server issued it for ``params``."""
        if not isinstance(cursor, str):
            raise CursorError(f"cursor must be a string from a previous response's cursors.next, "
                              f"not {type(cursor).__name__}")
        offset_text, dot, tag_text = cursor.partition(".")
        if len(cursor) > self.MAX_LENGTH or not dot or not offset_text.isascii() or not offset_text.isdigit():
            raise CursorError("cursor is not one this server issued: pass cursors.next back unchanged")
        try:
            tag = _unb64(tag_text)
        except (binascii.Error, ValueError):
            raise CursorError("cursor is not one this server issued: pass cursors.next back unchanged") from None
        offset = int(offset_text)
        if not hmac.compare_digest(tag, self._tag(scope, params, offset)):
            raise CursorError("cursor does not belong to this query: it was issued for other parameters, "
                              "by another server, or before this server restarted; start again without a cursor")
        return offset
