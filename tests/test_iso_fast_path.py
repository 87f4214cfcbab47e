"""``parse_iso``'s fast path (the common timestamp shapes read by ``datetime.fromisoformat`` alone) reads
exactly what the pattern-gated path reads: the same datetime, or a ValueError for both; the batch
forms (``parse_isos``, ``runs.timestamps_us``) read what the one-at-a-time forms read; and so does
the JSONL reader's msgspec form (``run_files._parse_isos``), on any RFC 3339 spelling."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from fuzz_budget import examples

from filterql import coerce, run_files
from filterql import runs as R
from filterql.coerce import parse_iso, parse_isos

#: The common shapes, digits as 0.
_SHAPES = [f"0000-00-00T00:00:00{fraction}{zone}" for fraction in ("", ".000", ".000000") for zone in ("", "Z")]
_digit = st.sampled_from("0123456789") | st.sampled_from("0129")  # boundaries often


@st.composite
def shaped(draw: st.DrawFn) -> str:
    """A text of one of the fast shapes, any digit anywhere (months 00-99, hours 00-99...), or a near miss."""
    shape = draw(st.sampled_from(_SHAPES))
    text = "".join(draw(_digit) if c == "0" else c for c in shape)
    if draw(st.integers(0, 4)) == 0:  # a near miss: one character changed
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from("tT zZ+-:.٣x")) + text[i + 1:]
    return text


def _slow(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(coerce, "_COMMON_SHAPE", re.compile(r"(?!)"))  # matches nothing: every text takes the pattern
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
    assert all(coerce._COMMON_SHAPE.fullmatch(shape) for shape in _SHAPES)


def _one(text: Any) -> Any:
    try:
        return parse_iso(text)
    except (ValueError, TypeError):
        return None


_values = st.lists(shaped() | st.sampled_from([None, 17, "2024-05-01", "2024-05-01T00:00:00+01:00"]), max_size=6)


@settings(max_examples=examples(300), deadline=None)
@given(_values)
def test_batches_read_what_one_at_a_time_reads(values):
    """``parse_isos`` reads a batch only when every value is a common shape that ``parse_iso`` reads, and
    then reads each alike; ``timestamps_us`` gives ``timestamp_us`` of each, or None."""
    times = parse_isos(values)
    if times is not None:
        assert times == [_one(v) for v in values]
        assert all(coerce._COMMON_SHAPE.fullmatch(v) for v in values)
    elif values and all(v.__class__ is str and coerce._COMMON_SHAPE.fullmatch(v) for v in values):
        assert None in [_one(v) for v in values]  # refused only for a text fromisoformat cannot read
    micros = R.timestamps_us(values)
    if micros is not None:
        assert micros == [R.timestamp_us(v) for v in values]
    elif times is not None:  # read, but some with Z and some without
        assert len({t.tzinfo for t in times}) > 1


@st.composite
def rfc3339(draw: st.DrawFn) -> str:
    """An RFC 3339 or ISO-8601 spelling: each part in or just past its range, any separator and zone,
    0 to 9 fraction digits, sometimes a character changed."""
    part = lambda most, width=2: f"{draw(st.integers(0, most)):0{width}d}"  # noqa: E731
    text = (f"{part(9999, 4)}-{part(13)}-{part(32)}{draw(st.sampled_from('Tt '))}{part(24)}:{part(60)}:{part(60)}"
            + draw(st.sampled_from(["", "."])) + "".join(draw(_digit) for _ in range(draw(st.integers(0, 9))))
            + draw(st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+0000", "+05:30", "-23:59", "+24:00", "+00"])))
    if draw(st.integers(0, 4)) == 0:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from("tT zZ+-:.9")) + text[i + 1:]
    return text


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(rfc3339() | shaped(), min_size=1, max_size=4))
def test_msgspec_reads_what_parse_iso_reads(texts):
    """Where msgspec reads a batch of texts, each is the datetime ``parse_iso`` reads, with the same offset."""
    pytest.importorskip("msgspec")
    times = run_files._parse_isos(texts)
    if times is not None:
        assert [(t, t.utcoffset()) for t in times] == [(p, p.utcoffset()) for p in map(_one, texts)], texts
    micros = R.timestamps_us(texts, run_files._parse_isos)
    assert micros is None or micros == [R.timestamp_us(t) for t in texts]


def test_msgspec_takes_the_usual_spellings_only_when_no_fraction_is_cut():
    """Seven fraction digits are cut by parse_iso, rounded by msgspec: such a batch is not given to msgspec."""
    pytest.importorskip("msgspec")
    assert coerce.six_fraction_digits_at_most(["2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00.123Z"])
    assert coerce.six_fraction_digits_at_most(["2024-05-01T10:00:00.123456", "2024-05-01T10:00:00"])
    assert not coerce.six_fraction_digits_at_most(["2024-05-01T10:00:00.1234567"])
    assert run_files._parse_isos(["2024-05-01T10:00:00.9999999"]) is None  # not a common shape: one by one
    assert R.start_times_us(["2024-05-01T10:00:00.9999999"]) == [R.timestamp_us("2024-05-01T10:00:00.999999")]
