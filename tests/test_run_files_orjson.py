"""Run files read with orjson (the ``fast`` extra) give what the stdlib reader gives: the same value, of
the same types, or the same error, on random JSON lines in every spelling and with the damage real
files have (NaN and Infinity, integers past 64 bits and past Python's int-string limit, lone
surrogates, trailing commas, duplicate keys, deep nesting, a BOM, bytes that are not UTF-8)."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from fuzz_budget import examples
from json_spellings import spell

from filterql import run_files
from filterql.run_files import MAX_RUN_DEPTH, parse_line

orjson = pytest.importorskip("orjson")

_strings = st.one_of(st.text(max_size=8), st.sampled_from(("\ud800", "a\udc00b", "\ud83d\ude00", "é", "😀", "/", '"')))
_numbers = st.one_of(
    st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from((0, -1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 10**19, -(10**19))),
    st.floats(), st.sampled_from((0.0, -0.0, 1e308, 5e-324, 1e-400, 1.7976931348623157e308)))
_values = st.recursive(
    st.one_of(st.none(), st.booleans(), _numbers, _strings),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_strings, inner, max_size=4)),
    max_leaves=12,
)


def _line(value: Any, how: str, rnd: random.Random) -> bytes:
    if how == "spelled":
        text = spell(value, rnd, rnd.choice((0.0, 0.3)))
    else:
        text = json.dumps(value, ensure_ascii=how == "ascii")
    return text.encode("utf-8", "surrogatepass")


_DAMAGE = {
    "none": lambda b, r: b,
    "trailing comma": lambda b, r: b.replace(b"]", b",]", 1).replace(b"}", b" ,}", 1),
    "duplicate key": lambda b, r: b"{" + b'"k": 1, "k": ' + b + b"}",
    "huge digits": lambda b, r: b"[" + b"9" * r.choice((18, 19, 20, 4001)) + b", " + b + b"]",
    "long digit string": lambda b, r: b'["' + b"1" * 25 + b'", ' + b + b"]",
    "NaN": lambda b, r: b"[NaN, Infinity, -Infinity, " + b + b"]",
    "big exponent": lambda b, r: b"[1e400, -1E+999, 1e-999, " + b + b"]",
    "deep": lambda b, r: b"[" * (MAX_RUN_DEPTH - 1 + r.randint(0, 3)) + b + b"]" * (MAX_RUN_DEPTH - 1 + r.randint(0, 3)),
    "byte flip": lambda b, r: (lambda i: b[:i] + bytes([r.randrange(256)]) + b[i + 1:])(r.randrange(len(b))),
    "cut": lambda b, r: b[: r.randrange(len(b) + 1)],
    "bom": lambda b, r: b"\xef\xbb\xbf" + b,
    "lone surrogate escape": lambda b, r: b'["\\ud83d", "\\udc00x", "\\uD800\\uDC00", ' + b + b"]",
    "whitespace": lambda b, r: b" \t" + b + b" \r\n",
}


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types throughout (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _stdlib(raw: bytes, first: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str | None]:
    with monkeypatch.context() as m:
        m.setattr(run_files, "orjson", None)
        return parse_line(raw, first=first)


@settings(max_examples=examples(500), deadline=None)
@given(_values, st.sampled_from(("ascii", "utf-8", "spelled")), st.sampled_from(sorted(_DAMAGE)), st.integers(0, 2**32),
       st.booleans())
def test_orjson_and_the_stdlib_read_every_line_alike(value, how, damage, seed, first):
    rnd = random.Random(seed)
    raw = _DAMAGE[damage](_line(value, how, rnd), rnd)
    with pytest.MonkeyPatch.context() as monkeypatch:
        want = _stdlib(raw, first, monkeypatch)
    got = parse_line(raw, first=first)
    assert got[1] == want[1], raw[:200]
    assert _same(got[0], want[0]), raw[:200]


def test_orjson_is_used_when_installed():
    assert run_files.orjson is orjson
    assert orjson.loads(b"[123456789012345678901]") != [123456789012345678901]  # past 64 bits: a float
    big, problem = run_files.parse_json(b"[123456789012345678901]")
    assert problem is None and big == [123456789012345678901] and type(big[0]) is int
