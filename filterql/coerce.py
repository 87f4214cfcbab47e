"""Literal → typed value, per field type. The one place values are interpreted.

Each function takes the literal node and returns the Python value the
evaluator and SQL backends compare with, or raises :class:`CoercionError`
with a message and a hint.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import repeat
from typing import Any, Callable, Iterator

from . import ast
from .catalog import DECIMAL_DIGITS, FieldType
from .ast import MAX_DEPTH

__all__ = ["CoercionError", "coerce", "parse_timestamp", "parse_duration", "describe"]


class CoercionError(ValueError):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def describe(lit: ast.Node) -> str:
    """How a literal reads in a message: 'the string "x"', 'the number 5', ..."""
    if isinstance(lit, ast.String):
        return f"the string {json.dumps(lit.value, ensure_ascii=False)}"
    if isinstance(lit, ast.Number):
        return f"the number {lit.text}"
    if isinstance(lit, ast.Bool):
        return "true" if lit.value else "false"
    if isinstance(lit, ast.Null):
        return "null"
    if isinstance(lit, ast.ListLit):
        return "a list"
    if isinstance(lit, ast.Field):
        return f"the field {lit.name}"
    return "a call"


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (a string UTF-8 cannot encode), or None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return e.start
    return None


def surrogate_error(text: str, where: str = "the string") -> CoercionError | None:
    """The error for a string no engine can store (README "Strings in the language"), or None."""
    at = lone_surrogate(text)
    if at is None:
        return None
    return CoercionError(f"{where} holds a lone surrogate \\u{ord(text[at]):04x} (character {at + 1}), "
                         "which UTF-8 cannot encode, so no engine can store or match it",
                         "write the character itself, or both halves of a surrogate pair (\\ud83d\\ude00)")


def _expect(kind: str, lit: ast.Node, hint: str = "") -> CoercionError:
    return CoercionError(f"expected {kind}, found {describe(lit)}", hint)


_FRACTION = re.compile(r"(\.\d+)")


#: The timestamp texts every engine reads (README "Values"): ISO-8601 extended form, a date alone or
#: with a time (``T``, ``t`` or a space), seconds and any fraction optional, then ``Z``/``z`` or an
#: offset ``±HH``, ``±HHMM``, ``±HH:MM``. No basic form (``20240501T100000Z``), no ``24:00``, no
#: week dates, no surrounding spaces. RE2 syntax too: the DuckDB loader gates its casts with it.
ISO_TIMESTAMP = (r"(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}"
                 r"([Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
                 r"([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?")
_ISO_TIMESTAMP = re.compile(ISO_TIMESTAMP)
#: The shapes of the timestamps runs hold most: for these, ``datetime.fromisoformat``
#: checks every range :data:`ISO_TIMESTAMP` checks (year from 1, hour to 23, minute and second to 59),
#: so where it reads one the pattern accepts it. (Not with an offset: it reads ``+12:60``.)
_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{3}|\.[0-9]{6})?Z?"
_COMMON_SHAPE = re.compile(_SHAPE)
#: Common shapes, one per line: a batch tested in one call.
_COMMON_SHAPE_LINES = re.compile(rf"(?:{_SHAPE}\n)*{_SHAPE}")


def parse_iso(text: str) -> datetime:
    """ISO-8601 text (:data:`ISO_TIMESTAMP`) → datetime (naive when it has no offset); a date alone is
    midnight. Raises ValueError.

    Shared by filter literals and run fields, so both read the same texts on every Python version.
    """
    if _COMMON_SHAPE.fullmatch(text):  # the usual text, without the full pattern's cost
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    if not _ISO_TIMESTAMP.fullmatch(text):
        raise ValueError(f"not an ISO-8601 timestamp: {text[:40]!r}")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    # Python 3.10 refuses "Z" and fractions that are not 3 or 6 digits.
    fixed = text.strip()
    if fixed.endswith(("Z", "z")):
        fixed = fixed[:-1] + "+00:00"
    fixed = _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], fixed, count=1)
    try:
        return datetime.fromisoformat(fixed)
    except ValueError:
        return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())


def parse_isos(texts: list[Any]) -> list[datetime] | None:
    """:func:`parse_iso` of each text, in C loops, when every one is a text of a common shape it reads;
    else None (then each goes through :func:`parse_iso`, whose first step this is)."""
    try:
        lines = "\n".join(texts)
        if not _COMMON_SHAPE_LINES.fullmatch(lines) or lines.count("\n") != len(texts) - 1:
            return None
        return list(map(datetime.fromisoformat, texts))
    except (TypeError, ValueError):  # TypeError: a value that is not a str
        return None


def six_fraction_digits_at_most(texts: list[str]) -> bool:
    """Whether no text of ``texts`` (not empty) can hold seven fraction digits, by lengths alone
    (``2024-05-01T10:00:00.`` is 20 characters): then an RFC 3339 parser that rounds a longer fraction,
    where :func:`parse_iso` cuts it, reads them as it does. TypeError for a value that is not a text."""
    longest = max(map(len, texts))
    return longest <= 26 or longest <= 27 and all(map(str.endswith, texts, repeat(("Z", "z"))))


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 → aware UTC datetime. No offset means UTC; a date alone means midnight UTC."""
    try:
        value = parse_iso(text)
    except ValueError:
        raise CoercionError(
            f"{json.dumps(text)} is not an ISO-8601 timestamp",
            'write e.g. "2024-05-01T10:00:00Z" or "2024-05-01"; relative times are not supported',
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise CoercionError(f"{json.dumps(text)} is outside years 1 to 9999 in UTC",
                            "timestamps are instants from 0001-01-01 to 9999-12-31 UTC") from None


_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*", re.IGNORECASE)
_UNIT_SECONDS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600), "d": Decimal(86400)}


def parse_duration(text: str) -> Decimal:
    """``"5s"``, ``"1.5s"``, ``"500ms"``, ``"2m"``, ``"1h"`` (or a bare number) → seconds, exactly."""
    m = _DURATION_RE.fullmatch(text)
    if not m:
        raise CoercionError(
            f"{json.dumps(text)} is not a duration",
            'write a number of seconds or a duration such as "5s", "1.5s", "500ms", "2m", "1h"',
        )
    return Decimal(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "s").lower()]


def _string(lit: ast.Node) -> str:
    if isinstance(lit, ast.String):
        return lit.value
    hint = f'quote it: "{lit.text}"' if isinstance(lit, ast.Number) else ""
    raise _expect("a string", lit, hint)


def _uuid(lit: ast.Node) -> uuid.UUID:
    text = _string(lit)
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CoercionError(f"{json.dumps(text)} is not a UUID",
                            'ids look like "77aa5f11-2ccd-54dc-9b0b-ec6e0357edce"') from None


def _timestamp(lit: ast.Node) -> datetime:
    if not isinstance(lit, ast.String):
        raise _expect("an ISO-8601 timestamp string", lit, 'write e.g. "2024-05-01T10:00:00Z"')
    return parse_timestamp(lit.value)


# ------------------------------------------------------------ numbers

#: The smallest magnitude of a nonzero number literal: 1e-1000. Finer numbers are refused, so no
#: stage ever meets an exponent that costs time or memory to expand (README "Numbers").
MIN_EXPONENT = -1000
_INT64 = 2**63 - 1
_DEC = Decimal(10) ** DECIMAL_DIGITS[0]
#: The numbers each numeric field type holds: a test, and how the message names the range.
RANGES: dict[FieldType, tuple[Callable[[Decimal], bool], str]] = {
    FieldType.INTEGER: (lambda v: -_INT64 - 1 <= v <= _INT64, "from -2^63 to 2^63-1 (signed 64-bit integers)"),
    FieldType.SECONDS: (lambda v: abs(v) <= Decimal(_INT64).scaleb(-6),
                        "from -9223372036854.775807 to 9223372036854.775807 seconds (signed 64-bit microseconds)"),
    FieldType.DECIMAL: (lambda v: abs(v) < _DEC, "strictly between -1e20 and 1e20 (DECIMAL(38, 18))"),
}
RANGES[FieldType.FAMILY_VALUE] = RANGES[FieldType.FAMILY_SCORE] = RANGES[FieldType.DECIMAL]
_NUMBER_PARTS = re.compile(r"\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*")


def _magnitude(text: str) -> int | None:
    """The decimal exponent of the leading digit of number ``text`` (``Decimal.adjusted``), None for zero.

    Read from the text, so an exponent of any length costs time linear in the text.
    """
    m = _NUMBER_PARTS.fullmatch(text)
    assert m is not None, text
    whole, fraction, exponent = m.group(2), m.group(3) or "", m.group(4) or "0"
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return None
    sign, exp_digits = ("-", exponent[1:]) if exponent[:1] == "-" else ("", exponent.lstrip("+"))
    exp_digits = exp_digits.lstrip("0") or "0"
    if len(exp_digits) > 30:  # far beyond every range either way
        return 10**30 if not sign else -(10**30)
    return len(digits) - len(fraction) - 1 + int(sign + exp_digits)


def number_in_range(field_type: FieldType, text: str) -> Decimal:
    """The exact value of number ``text`` for a field of ``field_type``, or :class:`CoercionError` when
    it lies outside the type's range (:data:`RANGES`) or is nonzero and finer than 1e-1000."""
    magnitude = _magnitude(text)
    fits, words = RANGES[field_type]
    if magnitude is None:  # zero, whatever its exponent (0e999999999999999999 is beyond Decimal's)
        return Decimal(0)
    if magnitude < MIN_EXPONENT:
        raise CoercionError(f"{_short(text)} is too close to zero: nonzero numbers are at least 1e{MIN_EXPONENT} "
                            "in magnitude", "write 0, or a number with fewer leading zeros")
    if magnitude > 40:
        raise _out_of_range(text, words)
    value = Decimal(text.strip())
    if not fits(value):
        raise _out_of_range(text, words)
    return value


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]} ({len(text)} characters)"


def _out_of_range(text: str, words: str) -> CoercionError:
    return CoercionError(f"{_short(text)} is out of range: this field holds numbers {words}",
                         "no value of this field reaches that number; write a bound inside the range")


def _exact_number(field_type: FieldType, text: str) -> int | Decimal:
    """``text`` in range, as an ``int`` when written without point or exponent (as ``Number.value``)."""
    value = number_in_range(field_type, text)
    return int(value) if not any(c in text for c in ".eE") else value


def _seconds(lit: ast.Node) -> Decimal:
    if isinstance(lit, ast.Number):
        return number_in_range(FieldType.SECONDS, lit.text)
    if isinstance(lit, ast.String):
        seconds = parse_duration(lit.value)
        fits, words = RANGES[FieldType.SECONDS]
        if not fits(seconds):
            raise _out_of_range(lit.value, words)
        return seconds
    raise _expect("a number of seconds or a duration string", lit, 'e.g. gt(latency, "5s") or gt(latency, 5)')


def _integer(lit: ast.Node) -> int | Decimal:
    if isinstance(lit, ast.Number):
        return _exact_number(FieldType.INTEGER, lit.text)
    hint = f"write the number without quotes: {lit.value}" if isinstance(lit, ast.String) and _is_number(lit.value) else ""
    raise _expect("a number", lit, hint)


def _decimal(lit: ast.Node) -> Decimal:
    if isinstance(lit, ast.Number):
        return number_in_range(FieldType.DECIMAL, lit.text)
    if isinstance(lit, ast.String) and _is_number(lit.value):
        return number_in_range(FieldType.DECIMAL, lit.value)  # the API sends costs as strings
    raise _expect("a number", lit)


def _boolean(lit: ast.Node) -> bool:
    if isinstance(lit, ast.Bool):
        return lit.value
    hint = ""
    if isinstance(lit, ast.String) and lit.value.lower() in ("true", "false", "yes", "no"):
        hint = "write true or false without quotes"
    raise _expect("true or false", lit, hint)


def _family_value(lit: ast.Node) -> Any:
    # JSON type is kept (SPEC §5): the evaluator decides how strings meet numbers.
    if isinstance(lit, ast.String):
        return lit.value
    if isinstance(lit, ast.Number):
        return _exact_number(FieldType.FAMILY_VALUE, lit.text)
    if isinstance(lit, ast.Bool):
        return lit.value
    raise _expect("a string, number or boolean", lit)


def _score(lit: ast.Node) -> int | Decimal:
    if isinstance(lit, ast.Number):
        return _exact_number(FieldType.FAMILY_SCORE, lit.text)
    if isinstance(lit, ast.Bool):
        return int(lit.value)
    raise _expect("a number", lit, "feedback scores are numbers, e.g. gt(feedback_score, 0.5)")


def _is_number(text: str) -> bool:
    """Whether string ``text`` spells a finite decimal number (costs are sent as strings)."""
    return _NUMBER_PARTS.fullmatch(text) is not None and any(c.isdigit() for c in text.split("e")[0].split("E")[0])


_COERCERS: dict[FieldType, Callable[[ast.Node], Any]] = {
    FieldType.UUID: _uuid,
    FieldType.STRING: _string,
    FieldType.ENUM: _string,
    FieldType.TIMESTAMP: _timestamp,
    FieldType.SECONDS: _seconds,
    FieldType.INTEGER: _integer,
    FieldType.DECIMAL: _decimal,
    FieldType.BOOLEAN: _boolean,
    FieldType.STRING_LIST: _string,
    FieldType.OBJECT: _string,
    FieldType.FAMILY_KEY: _string,
    FieldType.FAMILY_VALUE: _family_value,
    FieldType.FAMILY_SCORE: _score,
}


def coerce(field_type: FieldType, lit: ast.Node) -> Any:
    """The value of literal ``lit`` compared against a field of ``field_type``.

    ``null`` is always ``None``; the caller decides where null is allowed.
    """
    if isinstance(lit, ast.Null):
        return None
    return _COERCERS[field_type](lit)


def metadata_json(lit: ast.Node) -> dict[str, Any]:
    """The JSON object of ``has(metadata, '{...}')``."""
    text = _string(lit)
    too_deep = CoercionError(f"JSON nested deeper than {MAX_DEPTH} levels",
                             "has(metadata, ...) matches leaves; write the object with its leaves nearer the top")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise CoercionError(f"malformed JSON at character {e.pos + 1}: {e.msg}",
                            """write a JSON object, e.g. has(metadata, '{"environment": "production"}')""") from None
    except RecursionError:
        raise too_deep from None
    # The same bound as the filter's own nesting: later stages walk this object recursively.
    if _json_depth(value) > MAX_DEPTH:
        raise too_deep
    bad = next((s for s in json_strings(value) if lone_surrogate(s) is not None), None)
    if bad is not None:
        raise surrogate_error(bad, "the JSON object")  # type: ignore[misc]
    if not isinstance(value, dict):
        raise CoercionError("has(metadata, ...) takes a JSON object",
                            """write e.g. has(metadata, '{"environment": "production"}')""")
    return value


def _json_depth(value: Any) -> int:
    """How many objects and arrays deep ``value`` nests (iterative: it may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def json_strings(value: Any) -> Iterator[str]:
    """Every key and string leaf of a JSON value (iterative: it may be deep)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            yield from node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
