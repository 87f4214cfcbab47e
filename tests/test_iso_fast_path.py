"""``parse_iso``'s fast path (the common timestamp shapes read by ``datetime.fromisoformat`` alone) reads
exactly what the pattern-gated path reads: the same datetime, or a ValueError for both."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from fuzz_budget import examples

from filterql import coerce
from filterql.coerce import parse_iso

_digit = st.sampled_from("0123456789") | st.sampled_from("0129")  # boundaries often


@st.composite
def shaped(draw: st.DrawFn) -> str:
    """A text of one of the fast shapes, any digit anywhere (months 00-99, hours 00-99...), or a near miss."""
    shape = draw(st.sampled_from(sorted(coerce._COMMON_SHAPES)))
    text = "".join(draw(_digit) if c == "0" else c for c in shape)
    if draw(st.integers(0, 4)) == 0:  # a near miss: one character changed
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from("tT zZ+-:.٣x")) + text[i + 1:]
    return text


def _slow(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(coerce, "_COMMON_SHAPES", frozenset())
        try:
            return parse_iso(text)
        except ValueError:
            return ValueError


@settings(max_examples=examples(500), deadline=None)
@given(shaped())
def test_the_fast_path_reads_what_the_pattern_reads(text):
    try:
        fast: Any = parse_iso(text)
    except ValueError:
        fast = ValueError
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert fast == _slow(text, monkeypatch), text


def test_the_fast_shapes_are_taken():
    assert "2024-05-01T00:00:00.420692Z".translate(coerce._DIGITS_AS_ZERO) in coerce._COMMON_SHAPES
