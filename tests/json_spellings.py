"""JSON text of a value in a random spelling: escapes of every kind, numbers in every form, whitespace."""

from __future__ import annotations

import json
import random
from typing import Any

from filterql.json_spelling import verbatim

__all__ = ["spell"]


_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _u(code: int, rnd: random.Random) -> str:
    text = f"\\u{code:04x}"
    return text.upper().replace("\\U", "\\u") if rnd.random() < 0.5 else text


def _spell_string(s: str, rnd: random.Random, escape: float) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if rnd.random() < escape or not verbatim(c) and c != "/" or (o > 0x7F and rnd.random() < 0.3):
            if c in _SHORT and rnd.random() < 0.5:
                out.append(_SHORT[c])
            elif o > 0xFFFF:
                o -= 0x10000
                out.append(_u(0xD800 + (o >> 10), rnd) + _u(0xDC00 + (o & 0x3FF), rnd))
            else:
                out.append(_u(o, rnd))
        elif c == "/" and rnd.random() < 0.5:
            out.append("\\/")
        else:
            out.append(c)
    return "".join(out) + '"'


def _spell_number(n: Any, rnd: random.Random) -> str:
    if isinstance(n, int):
        forms = [str(n), f"{n}.0", f"{n}e0", f"{n}E+0", f"{n * 10}E-1", f"{n}.000"] + (["-0"] if n == 0 else [])
    elif n != n or n in (float("inf"), float("-inf")):
        return json.dumps(n)  # NaN, Infinity, -Infinity: the stdlib's spellings
    else:
        forms = [repr(n), f"{n!r}e0", f"{n * 10!r}E-1", repr(n).upper()]
    return rnd.choice(forms)


def spell(value: Any, rnd: random.Random, escape: float) -> str:
    """``value`` as JSON text in a random spelling."""
    ws = lambda: rnd.choice(("", "", " ", "  ", "\t"))  # noqa: E731
    if isinstance(value, dict):
        items = [f"{ws()}{_spell_string(k, rnd, escape)}{ws()}:{ws()}{spell(v, rnd, escape)}" for k, v in value.items()]
        return "{" + ",".join(items) + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + spell(v, rnd, escape) for v in value) + ws() + "]"
    if isinstance(value, str):
        return _spell_string(value, rnd, escape)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return _spell_number(value, rnd)
