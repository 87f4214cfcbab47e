"""SQL LIKE matching without regular-expression backtracking.

``%`` is any sequence, ``_`` one character, ``\\`` makes the next character
literal (a trailing ``\\`` is itself literal); case-sensitive; the whole value
must match. A pattern is split at ``%`` into segments; the first is anchored at
the start, the last at the end, and each middle one is found leftmost after the
previous. Leftmost is always safe for LIKE, so no choice is ever revisited and a
pattern costs at most (value length × segment length): ``%%%…%b`` is linear.
"""

from __future__ import annotations

import re
from typing import Callable, Union

import attrs

__all__ = ["LikePattern", "parse_like", "like_matcher"]

#: A segment item: a literal string run, or None for one ``_``.
Segment = tuple[Union[str, None], ...]


@attrs.frozen
class LikePattern:
    """A pattern as segments between ``%`` signs; ``anchored`` when it has no ``%`` at all."""

    segments: tuple[Segment, ...]

    @property
    def anchored(self) -> bool:
        return len(self.segments) == 1

    def literal(self, index: int) -> str | None:
        """Segment ``index`` as plain text when it holds no ``_``, else None."""
        seg = self.segments[index]
        if any(item is None for item in seg):
            return None
        return "".join(seg)  # type: ignore[arg-type]


def parse_like(pattern: str) -> LikePattern:
    """Split ``pattern`` at unescaped ``%`` into segments of literal runs and ``_`` wildcards."""
    segments: list[Segment] = []
    items: list[str | None] = []
    text: list[str] = []

    def flush_text() -> None:
        if text:
            items.append("".join(text))
            text.clear()

    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            text.append(pattern[i + 1])
            i += 2
            continue
        if ch == "%":
            flush_text()
            segments.append(tuple(items))
            items = []
        elif ch == "_":
            flush_text()
            items.append(None)
        else:
            text.append(ch)
        i += 1
    flush_text()
    segments.append(tuple(items))
    return LikePattern(tuple(segments))


def _seg_len(seg: Segment) -> int:
    return sum(1 if item is None else len(item) for item in seg)


def _seg_regex(seg: Segment) -> re.Pattern[str]:
    # Literals and single-character wildcards only: no quantifier, so no backtracking blow-up.
    return re.compile("".join("." if item is None else re.escape(item) for item in seg), re.DOTALL)


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """A function testing whether a string matches LIKE ``pattern`` (linear-time for ``%``-heavy patterns)."""
    parsed = parse_like(pattern)
    segs = parsed.segments
    if parsed.anchored:
        lit = parsed.literal(0)
        if lit is not None:
            return lit.__eq__
        rx, size = _seg_regex(segs[0]), _seg_len(segs[0])
        return lambda s: len(s) == size and rx.match(s) is not None
    first, last, middle = segs[0], segs[-1], [s for s in segs[1:-1] if s]
    if not first and not last and not middle:
        return lambda s: True
    first_len, last_len = _seg_len(first), _seg_len(last)
    min_len = first_len + last_len + sum(_seg_len(s) for s in middle)
    first_rx = _seg_regex(first) if first else None
    last_rx = _seg_regex(last) if last else None
    finders: list[tuple[str | None, re.Pattern[str] | None, int]] = []
    for seg in middle:
        lit = "".join(seg) if all(item is not None for item in seg) else None  # type: ignore[arg-type]
        finders.append((lit, None if lit is not None else _seg_regex(seg), _seg_len(seg)))

    def match(s: str) -> bool:
        end = len(s) - last_len
        if end < first_len or len(s) < min_len:
            return False
        if first_rx is not None and first_rx.match(s) is None:
            return False
        if last_rx is not None and last_rx.match(s, end) is None:
            return False
        pos = first_len
        for lit, rx, size in finders:
            if lit is not None:
                found = s.find(lit, pos, end)
                if found < 0:
                    return False
            else:
                m = rx.search(s, pos, end)  # type: ignore[union-attr]
                if m is None:
                    return False
                found = m.start()
            pos = found + size
        return True

    return match
