"""Run sources: JSONL files (streamed; ``.gz`` too), bulk-export Parquet files, iterables.

A run in the v2 ``Run`` shape (upper-case ``run_type``, top-level ``metadata``,
``project_id``, ``latency_seconds``, ...) is turned into the run JSON of SPEC §4
(:func:`filterql.runs.from_v2`). Every run is checked for the fields every run has (``id``, ``trace_id``,
``name``, ``run_type``, ``start_time``, a readable timestamp). A malformed line
or an incomplete run raises :class:`RunSourceError` naming the file and line —
or, with ``skip_invalid=True``, is skipped and counted in ``skipped``; never
dropped silently. A :class:`RunReader` can be iterated more than once (each
pass re-reads the files), which lets ``select`` make two passes without
holding every run in memory.

A pass may be narrowed by a byte test on each line (:meth:`RunReader.passing`;
``select`` derives the test from the filter, :mod:`filterql.line_prefilter`).
With ``validate="candidates"`` a line failing it is passed over unread, so not
validated either. With the default, ``validate="all"``, every line is still
checked, but a plain line failing it only as far as :meth:`RunReader.heads`
decodes it (its run is not built: it cannot be wanted).
"""

from __future__ import annotations

import bisect
import contextlib
import gzip
import itertools
import json
import operator
import re
import sys
import zlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Callable, ContextManager, Iterable, Iterator, TypeVar, Union

import attrs

from . import runs as R
from .coerce import json_strings, lone_surrogate, parse_isos, six_fraction_digits_at_most
from .errors import FilterError

try:  # optional extra: filterql[fast]; every line it cannot read exactly as the stdlib does goes to the stdlib
    import orjson
except ImportError:  # pragma: no cover - the test extra installs it
    orjson = None
try:  # optional extra: filterql[fast]; reads only a run's head when that is all a pass needs
    import msgspec
except ImportError:  # pragma: no cover - the test extra installs it
    msgspec = None

__all__ = ["RunSourceError", "RunReader", "Heads", "heads_of", "read_runs", "in_batches", "BATCH_LINES", "VALIDATE", "check_run", "parse_line", "file_kind", "too_deep", "raw_lines", "MAX_RUN_DEPTH", "TIMESTAMP_HINT"]

PathLike = Union[str, Path]
T = TypeVar("T")
#: A batch's run ids (as given) and start times in microseconds since the epoch (:meth:`RunReader.heads`).
Heads = tuple[list[Any], list[int | None]]
#: ``validate`` choices: every line is read and checked, or only the lines a pass's line test lets through.
VALIDATE = ("all", "candidates")
#: A test of a line's bytes, false only for a line whose run cannot be wanted, with ``anchor_choices``
#: (bytes one of which every line it passes holds) and ``anchors_decide``
#: (:func:`filterql.line_prefilter.line_test`).
LineTest = Callable[[bytes], bool]
#: Lines read and checked together. Few enough that their runs stay in the CPU's cache: parsing 32
#: lines and keeping the runs costs what parsing them one by one costs, and 512 lines twice that.
BATCH_LINES = 32
#: Lines read together when few of them become runs kept in memory: a list of heads, or a pass over every
#: line narrowed by a line test (most lines then only checked).
FEW_RUNS_BATCH_LINES = 128
#: Bytes of a JSONL file read at a time (then split into lines in one call, or searched for anchors).
BLOCK_SIZE = 1 << 20
#: Bulk-export columns that hold JSON documents as text.
#: Columns a Parquet file may hold as JSON text: decoded when the text opens with { or [ and is JSON
#: a run may hold (:func:`parse_json`), else kept as the string (docs/offline.md, Run files).
JSON_TEXT_COLUMNS = ("inputs", "outputs", "extra", "feedback_stats", "events", "serialized", "feedback", "tags")


def in_batches(items: Iterable[T], size: int = BATCH_LINES) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    items = iter(items)
    return iter(lambda: list(itertools.islice(items, size)), [])


class RunSourceError(FilterError):
    """A run source holds something that is not a valid run; ``source`` and ``line`` say where."""

    def __init__(self, source: str, line: int, message: str, hint: str = "") -> None:
        self.source = source
        self.line = line
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        out = f"{where}: {self.message}"
        return out + (f"\nhint: {self.hint}" if self.hint else "")


#: The required fields' values of a run, as a tuple (there are several).
_REQUIRED_VALUES = operator.itemgetter(*R.REQUIRED)


def check_run(run: Any) -> str | None:
    """Why ``run`` is not a usable run dict, or None when it is."""
    if not isinstance(run, dict):
        return f"expected a JSON object, found {type(run).__name__}"
    try:
        complete = None not in _REQUIRED_VALUES(run)  # the common case, in one C call
    except KeyError:
        complete = False
    if not complete:
        missing = [f for f in R.REQUIRED if run.get(f) is None]
        return f"run is missing required field{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    if R.timestamp(run["start_time"]) is None:
        return f"start_time {run['start_time']!r} is not an ISO-8601 timestamp"
    return None


class RunReader:
    """Runs read from files and iterables, re-readable; ``skipped`` counts invalid runs passed over."""

    def __init__(self, sources: Iterable[PathLike | Iterable[Any]], *, skip_invalid: bool = False,
                 validate: str = "all") -> None:
        if validate not in VALIDATE:
            raise ValueError(f"validate must be one of {', '.join(VALIDATE)}, not {validate!r}")
        self.sources = list(sources)
        self.skip_invalid = skip_invalid
        self.validate = validate
        self.skipped = 0
        self.problems: list[RunSourceError] = []  # the first few skipped, for a message
        #: False when a source can be read only once (stdin, a one-shot iterator).
        self.rereadable = all(isinstance(s, (str, Path)) and str(s) != "-" or
                              not isinstance(s, (str, Path)) and iter(s) is not s for s in self.sources)

    def __iter__(self) -> Iterator[Any]:
        return itertools.chain.from_iterable(self._batches(None))

    def batches(self) -> Iterator[list[Any]]:
        """The runs in lists (of at most :data:`BATCH_LINES` from a JSONL file): what iterating gives."""
        return self._batches(None)

    def heads(self) -> Iterator[Heads]:
        """Each batch's :data:`Heads`: what a list of ids prints and orders by. Every run is checked as
        :meth:`batches` checks it, but a batch of plain JSONL lines is decoded only that far when
        msgspec is installed (:func:`_plain_heads`)."""
        return self._batches(None, _HEADS)

    def passing(self, test: LineTest | None) -> Iterable[Any]:
        """The runs, re-readable like the reader, but of the file lines ``test`` fails none is needed: with
        ``validate="candidates"`` those lines are passed over unread; with ``"all"`` each is checked (a
        plain run is then only decoded as far as :meth:`heads` decodes it), and its run may be left out."""
        return self if test is None else _Passing(self, test)

    def _batches(self, test: LineTest | None, reading: _Reading | None = None) -> Iterator[Any]:
        """The runs in lists, or what ``reading`` makes of them."""
        reading = reading or _RUNS
        self.skipped = 0
        self.problems = []
        for source in self.sources:
            if isinstance(source, (str, Path)):
                yield from self._file(source, test, reading)
            else:
                yield from map(reading.shape, in_batches(self._iterable(source)))

    def _bad(self, error: RunSourceError) -> None:
        if not self.skip_invalid:
            raise error
        self.skipped += 1
        if len(self.problems) < 5:
            self.problems.append(error)

    def _iterable(self, items: Iterable[Any]) -> Iterator[Any]:
        for i, run in enumerate(items, 1):
            # Run objects were validated by pydantic; dicts are checked like file lines.
            if isinstance(run, dict) and R.is_v2(run):
                run = R.from_v2(run)
            problem = check_run(run) if isinstance(run, dict) or not hasattr(run, "model_dump") else None
            if problem:
                self._bad(RunSourceError("<runs>", i, problem))
                continue
            yield run

    def _file(self, path: PathLike, test: LineTest | None, reading: _Reading) -> Iterator[Any]:
        name = str(path)
        if file_kind(name) == "parquet":
            yield from map(reading.shape, self._parquet(name))
            return
        # Picked lines come with their byte offset; the line number of one found invalid is counted
        # then, by reading the file again (standard input, which cannot be, is numbered as it is read).
        every_line = test is None or self.validate == "all"
        numbered = every_line or name == "-"
        numbers = None if numbered else _LineNumbers(name)
        try:
            with _open_binary(name) as fh, contextlib.closing(numbers) if numbers else contextlib.nullcontext():
                if every_line:
                    batches = _line_batches(fh, reading.lines if test is None else FEW_RUNS_BATCH_LINES, test)
                else:
                    batches = map(_picked_batch, in_batches(_picked_lines(fh, test, numbered), reading.lines))
                for wheres, lines, wanted in batches:
                    read = reading.plain(lines) if wanted is None else _plain_wanted(reading.plain, lines, wanted)
                    yield read if read is not None else reading.shape(
                        self._line_by_line(name, wheres, lines, numbered, numbers))
        except (OSError, EOFError, zlib.error) as e:
            raise _read_error(name, _lines_before_error(name), e) from None

    def _line_by_line(self, name: str, wheres: Iterable[int], lines: list[bytes], numbered: bool,
                      numbers: _LineNumbers | None) -> list[dict[str, Any]]:
        """The runs of ``lines`` (at these line numbers, or byte offsets) read one at a time, every rule spelled out."""
        runs = []
        for where, raw in zip(wheres, lines):
            if numbered and not raw.strip():  # a blank line; a picked line holds an anchor
                continue
            run, problem = parse_line(raw, first=where == (1 if numbered else 0))
            if problem is None:
                if run.__class__ is dict and R.is_v2(run):
                    run = R.from_v2(run)
                problem = check_run(run)
                if problem is None:
                    runs.append(run)
                    continue
            number = where if numbers is None else numbers.at(where)
            self._bad(RunSourceError(name, number, *_with_hint(problem, raw)))
        return runs

    def _parquet(self, name: str) -> Iterator[list[dict[str, Any]]]:
        try:
            import pyarrow.parquet as pq  # optional extra: filterql[parquet]
        except ImportError:
            raise RunSourceError(name, 0, "reading Parquet needs pyarrow", "pip install 'filterql[parquet]'") from None
        try:
            file = pq.ParquetFile(name)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise RunSourceError(name, 0, f"not a readable Parquet file: {e}") from None
        problem = _parquet_schema_problem(file.schema_arrow)
        if problem:
            raise RunSourceError(name, 0, *problem)
        row = 0
        for batch in file.iter_batches():
            runs = []
            for run in batch.to_pylist():
                row += 1
                for column in JSON_TEXT_COLUMNS:
                    value = run.get(column)
                    if isinstance(value, str) and value[:1] in ("{", "["):
                        document, problem = parse_json(value)
                        if problem is None:  # else keep the text: a string that merely looks like JSON
                            run[column] = document
                problem = check_run(run)
                if problem:
                    self._bad(RunSourceError(name, row, problem))
                    continue
                runs.append(run)
            yield runs


#: How deep a run's JSON may nest (objects and arrays), on every engine (README "Run files").
MAX_RUN_DEPTH = 512
_BOM = b"\xef\xbb\xbf"
_PARQUET_MAGIC = b"PAR1"
_GZIP_MAGIC = b"\x1f\x8b"
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def file_kind(name: str) -> str:
    """``parquet`` when the file starts with Parquet's magic bytes (whatever its name) or is named
    ``.parquet`` (then a file without them is reported as not Parquet), else ``json``."""
    if name == "-":
        return "json"
    try:
        with open(name, "rb") as fh:
            head = fh.read(4)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        raise RunSourceError(name, 0, f"cannot open: {getattr(e, 'strerror', None) or e}") from None
    return "parquet" if head == _PARQUET_MAGIC or name.lower().endswith((".parquet", ".pq")) else "json"


def too_deep(text: str) -> bool:
    """Whether JSON ``text`` nests objects and arrays deeper than :data:`MAX_RUN_DEPTH` (brackets in strings skipped)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_RUN_DEPTH:
                return True
        elif c in "]}":
            depth -= 1
    return False


def parse_json(text: str | bytes) -> tuple[Any, str | None]:
    """JSON ``text`` (UTF-8 bytes or text) as a value, or why it is not one a run may hold: malformed,
    nested past :data:`MAX_RUN_DEPTH`, or holding a lone surrogate (which UTF-8, and so DuckDB, cannot
    hold). Read by ``orjson`` when installed and the text is one it reads as the stdlib does, else by
    the stdlib. orjson refuses NaN, Infinity, numbers past a double, lone surrogates, trailing commas
    and invalid UTF-8, and nests only so deep (the stdlib then decides and words the error); it reads
    an integer past 64 bits as a float, so a text with 19 digits in a row, or with enough brackets to
    nest past the limit, goes to the stdlib without trying orjson."""
    raw = text if text.__class__ is bytes else text.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
    if orjson is not None and (len(raw) < _SHALLOW or _shallow(raw)) and not _long_digits(raw):
        try:
            return orjson.loads(raw), None
        except orjson.JSONDecodeError:
            pass  # the stdlib path decides, and words the error
    if text.__class__ is bytes:
        try:
            text = text.decode("utf-8")  # type: ignore[union-attr]
        except UnicodeDecodeError as e:
            return None, _not_utf8(text, e)  # type: ignore[arg-type]
    return _stdlib_json(text)  # type: ignore[arg-type]


#: Digits to ``0``, every other byte to ``x``: a run of digits becomes a run of ``0``.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_LONG_DIGITS = b"0" * 19
#: A text shorter than this cannot nest past the limit (each level takes two brackets).
_SHALLOW = 2 * MAX_RUN_DEPTH + 2


def _long_digits(raw: bytes) -> bool:
    """Whether ``raw`` holds 19 digits in a row: maybe an integer past 64 bits, which orjson reads as a float."""
    return _LONG_DIGITS in raw.translate(_DIGITS_AS_ZERO)


def _shallow(raw: bytes) -> bool:
    """Whether ``raw`` has too few brackets to nest past the limit."""
    return raw.count(b"[") + raw.count(b"{") <= MAX_RUN_DEPTH


def _all_shallow(lines: list[bytes]) -> bool:
    """Whether no line of ``lines`` (not empty) can nest past the limit: each is short or :func:`_shallow`."""
    return max(map(len, lines)) < _SHALLOW or all(map(_shallow, lines))


def _stdlib_json(text: str) -> tuple[Any, str | None]:
    """:func:`parse_json` by the stdlib: every rule spelled out (trailing commas, huge integers, depth)."""
    deep = f"JSON nested deeper than {MAX_RUN_DEPTH} levels"
    if text.count("[") + text.count("{") > MAX_RUN_DEPTH and too_deep(text):
        return None, deep
    try:
        try:
            value = json.loads(text)
        except ValueError as e:
            if isinstance(e, json.JSONDecodeError):
                raise
            value = json.loads(text, parse_int=_integer)  # an integer past Python's int-string limit
    except json.JSONDecodeError as e:
        value = _without_trailing_commas(text)
        if value is _MALFORMED:
            return None, f"malformed JSON at column {e.colno}: {e.msg}"
    except RecursionError:
        return None, deep
    if ("\\ud" in text or "\\uD" in text) and any(lone_surrogate(s) is not None for s in json_strings(value)):
        return None, "JSON string holds a lone surrogate (\\ud800-\\udfff without its pair), which UTF-8 cannot encode"
    return value, None


_MALFORMED = object()
_TRAILING_COMMA = re.compile(r'("(?:[^"\\]|\\.)*")|(?<=[^\s{\[,])\s*,(\s*[}\]])')


def _without_trailing_commas(text: str) -> Any:
    """``text`` read with a comma after the last member or element dropped (DuckDB's reader accepts
    one, so both engines do; ``{,}`` stays malformed), or ``_MALFORMED``."""
    fixed = _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), text)
    if fixed == text:
        return _MALFORMED
    try:
        return json.loads(fixed, parse_int=_integer)
    except (ValueError, RecursionError):
        return _MALFORMED


def _integer(text: str) -> int | Decimal:
    """A JSON integer: an ``int``, or past Python's int-string limit a ``Decimal``, exactly."""
    return int(text) if len(text) <= 4000 else Decimal(text)


def _plain_runs(lines: list[bytes]) -> list[dict[str, Any]] | None:
    """The runs of JSONL ``lines`` checked together in C loops, when each line is a plain run: JSON
    orjson reads as the stdlib does (:func:`parse_json`'s conditions), an object with every required
    field, a start time of a common shape (:func:`filterql.runs.timestamps_us`), not v2. Else None:
    then each line goes :meth:`RunReader._line_by_line`, which decides and words every error."""
    if not lines:
        return []
    if orjson is None or _long_digits(b"\n".join(lines)) or not _all_shallow(lines):
        return None
    try:
        runs = list(map(orjson.loads, lines))
        if set(map(type, runs)) != {dict} or None in itertools.chain.from_iterable(map(_REQUIRED_VALUES, runs)):
            return None
    except (orjson.JSONDecodeError, KeyError):  # KeyError: a required field missing
        return None
    if R.timestamps_us(list(map(_START_TIME, runs)), _parse_isos) is None or R.any_v2(runs):
        return None
    return runs


_START_TIME = operator.itemgetter("start_time")

if msgspec is not None:
    #: What :func:`_plain_heads` decodes of a line: the required fields.
    _HEAD = msgspec.json.Decoder(msgspec.defstruct("RunHead", [(f, Any, None) for f in R.REQUIRED], gc=False))
    _HEAD_REQUIRED = operator.attrgetter(*R.REQUIRED)
    _HEAD_ID, _HEAD_START_TIME = operator.attrgetter("id"), operator.attrgetter("start_time")
    #: RecursionError: nested past msgspec's own limit.
    _HEAD_ERRORS: tuple[type[Exception], ...] = (msgspec.DecodeError, RecursionError)


def _plain_wanted(plain: Callable[[list[bytes]], Any], lines: list[bytes], wanted: list[bool]) -> Any:
    """What ``plain`` reads of the ``wanted`` lines, when the other lines are plain runs too (checked by
    :func:`_plain_heads`, not built), else None."""
    others = list(itertools.compress(lines, map(operator.not_, wanted)))
    if others and (_plain_heads if msgspec is not None else _plain_runs)(others) is None:
        return None
    return plain(list(itertools.compress(lines, wanted)))


def _plain_heads(lines: list[bytes]) -> Heads | None:
    """The :data:`Heads` of JSONL ``lines``, decoded by msgspec no further than the required fields,
    when each line is a plain run as :func:`_plain_runs` has it; else None (then the lines are read
    whole). msgspec checks the syntax of what it skips, but neither the UTF-8 of a string nor how deep
    a value nests: tested here first. A run in the v2 shape needs no conversion: :func:`filterql.runs.from_v2`
    changes neither a run's id, start time nor which required fields it has."""
    if msgspec is None:
        return None
    joined = b"".join(lines)
    if not joined.isascii():
        try:
            joined.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not _all_shallow(lines):
        return None
    try:
        heads = list(map(_HEAD.decode, lines))
    except _HEAD_ERRORS:
        return None
    if None in itertools.chain.from_iterable(map(_HEAD_REQUIRED, heads)):
        return None
    micros = R.timestamps_us(list(map(_HEAD_START_TIME, heads)), _parse_isos)
    return None if micros is None else (list(map(_HEAD_ID, heads)), micros)


def _parse_isos(texts: list[Any]) -> list[datetime] | None:
    """:func:`filterql.coerce.parse_isos`, by msgspec's RFC 3339 parser when the texts allow: every text
    it reads, :data:`~filterql.coerce.ISO_TIMESTAMP` reads as the same datetime (tests/test_iso_fast_path.py)."""
    try:
        if msgspec is not None and texts and six_fraction_digits_at_most(texts):
            return msgspec.convert(texts, list[datetime])
    except (TypeError, msgspec.ValidationError):  # TypeError: a value that is not a text
        pass
    return parse_isos(texts)


@attrs.frozen
class _Reading:
    """What a pass makes of a batch of runs: ``plain`` reads a batch of JSONL ``lines`` at once, or
    says None (then the lines are read one by one, and the runs shaped by ``shape``)."""

    plain: Callable[[list[bytes]], Any]
    shape: Callable[[list[Any]], Any]
    lines: int


def heads_of(runs: list[Any]) -> Heads:
    """The :data:`Heads` of checked runs (dicts or ``langsmith`` Runs)."""
    ds = R.as_dicts(runs)
    starts = list(map(dict.get, ds, itertools.repeat("start_time")))
    return list(map(dict.get, ds, itertools.repeat("id"))), R.start_times_us(starts, _parse_isos)


#: Read whole runs, :data:`BATCH_LINES` lines at a time.
_RUNS = _Reading(_plain_runs, lambda runs: runs, BATCH_LINES)
#: Read heads (:meth:`RunReader.heads`).
_HEADS = _Reading(_plain_heads, heads_of, FEW_RUNS_BATCH_LINES)


def parse_line(raw: bytes, first: bool = False) -> tuple[Any, str | None]:
    """One JSONL line (bytes, its LF no part of the JSON) as a value, or why it is not a readable line.
    A BOM may open the file."""
    if first and raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    return parse_json(raw[:-1] if raw.endswith(b"\n") else raw)


def _not_utf8(raw: bytes, e: UnicodeDecodeError) -> str:
    return f"not UTF-8: byte 0x{raw[e.start]:02x} at column {len(raw[:e.start].decode('utf-8', 'replace')) + 1}"


def _with_hint(problem: str, raw: bytes) -> tuple[str, str]:
    if problem.startswith("not UTF-8"):
        return problem, "save the file as UTF-8"
    if problem.startswith("malformed") and b"\r" in raw.rstrip(b"\r\n"):
        return problem, "this file ends lines with CR alone; JSON Lines separates runs with LF (\\n) or CRLF"
    if problem.startswith("malformed"):
        return problem, "each line must be one run as a JSON object"
    return problem, ""


def _picked_batch(pairs: list[tuple[int, bytes]]) -> tuple[list[int], list[bytes], None]:
    """Picked (where, line) pairs as :func:`_line_batches` gives a batch: every line is wanted."""
    return list(map(operator.itemgetter(0), pairs)), list(map(operator.itemgetter(1), pairs)), None


def raw_lines(name: str) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of a JSONL file, split at LF only; a gzip file that cannot be read to its
    end is an error at the line where reading stopped, never skipped (its remaining runs are unknown)."""
    number = 0
    try:
        with _open_binary(name) as fh:
            for number, raw in enumerate(fh, 1):
                yield number, raw
    except (OSError, EOFError, zlib.error) as e:
        raise _read_error(name, number, e) from None


def _picked_lines(fh: IO[bytes], test: LineTest, numbered: bool = True) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of the lines of ``fh`` that ``test`` passes, split at LF like ``raw_lines``;
    not ``numbered``: (byte offset, bytes), and no LF is counted.

    Read in blocks of :data:`BLOCK_SIZE`; only the lines holding one of the test's anchors are cut out
    and tested, so a line that cannot pass costs no Python step of its own.
    """
    finders: list[Finder] | None = None
    decided: bool = test.anchors_decide  # type: ignore[attr-defined]
    number = 0  # lines before the block
    offset = 0  # bytes before the block
    for block, end in _blocks(fh):
        if finders is None:
            finders = _rarest_anchors(test, block, end)
        spans = _line_spans(block, end, finders)
        starts = sorted(spans)
        lines = list(map(block.__getitem__, map(slice, starts, map(spans.__getitem__, starts))))
        if numbered:  # each line's number: the LFs before it, counted from the line before
            wheres: Iterable[int] = list(itertools.accumulate(
                map(block.count, itertools.repeat(b"\n"), [0, *starts], starts), initial=number + 1))[1:]
            number += block.count(b"\n", 0, end)
        else:
            wheres = map(operator.add, itertools.repeat(offset), starts)
        picked = zip(wheres, lines)
        yield from picked if decided else itertools.compress(picked, map(test, lines))
        offset += end


def _line_batches(fh: IO[bytes], size: int, test: LineTest | None = None,
                  ) -> Iterator[tuple[range, list[bytes], list[bool] | None]]:
    """Every line of ``fh`` (split at LF, without it), up to ``size`` at a time, with their line numbers
    and, given ``test``, whether it passes each. Read in blocks of :data:`BLOCK_SIZE` and split in one
    call; the lines that may pass are found as :func:`_picked_lines` finds them: no Python step per line."""
    finders: list[Finder] | None = None
    number = 1
    for block, end in _blocks(fh):
        lines = block.split(b"\n")
        if block[end - 1:end] == b"\n":
            lines.pop()  # what follows the last LF: the next block's
        wanted = None
        if test is not None:
            if finders is None:
                finders = _rarest_anchors(test, block, end)
            spans = _line_spans(block, end, finders)
            starts = itertools.accumulate(map(operator.add, map(len, lines), itertools.repeat(1)), initial=0)
            wanted = list(map(spans.__contains__, itertools.islice(starts, len(lines))))
            if not test.anchors_decide:  # type: ignore[attr-defined]
                for i in itertools.compress(range(len(lines)), wanted):
                    wanted[i] = test(lines[i])
        for at in range(0, len(lines), size):
            part = lines[at:at + size]
            yield range(number + at, number + at + len(part)), part, None if wanted is None else wanted[at:at + size]
        number += len(lines)


def _blocks(fh: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """``fh`` in blocks of about :data:`BLOCK_SIZE`, as (block, end): ``block[:end]`` is whole lines (each
    ending in LF, but the file's last), and what follows ``end`` opens the next block."""
    pending: list[bytes] = []  # a line longer than a read, so far
    while chunk := fh.read(BLOCK_SIZE):
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            pending.append(chunk)
            continue
        block = b"".join([*pending, chunk]) if pending else chunk
        end += len(block) - len(chunk)
        yield block, end
        pending = [block[end:]] if end < len(block) else []
    if pending:
        last = b"".join(pending)
        yield last, len(last)


#: Where an anchor is in ``block[:end]``: ``finder(block, end)``, the offsets of its occurrences there
#: (at least one in each line holding it).
Finder = Callable[[bytes, int], list[int]]


def _occurrences(haystack: bytes, needle: bytes, end: int) -> list[int]:
    """The offsets of ``needle`` in ``haystack`` before ``end`` (not overlapping), found by one split:
    no Python step per occurrence."""
    pieces = haystack.split(needle)
    if len(pieces) == 1:
        return []
    steps = itertools.chain([len(pieces[0])], map(operator.add, map(len, itertools.islice(pieces, 1, len(pieces) - 1)),
                                                 itertools.repeat(len(needle))))
    offsets = list(itertools.accumulate(steps))
    return offsets[:bisect.bisect_left(offsets, end)]


def _finders(exact: tuple[bytes, ...], folded: tuple[bytes, ...]) -> list[Finder]:
    """A finder for each anchor, and one for all the folded ones (lower-case: found in the block
    ASCII-lowered, as the line test lowers a line)."""
    def exact_finder(needle: bytes) -> Finder:
        # One memchr rules out, say, every escape in a file without "\\".
        return lambda block, end: _occurrences(block, needle, end) if needle[:1] in block else []

    def folded_finder(block: bytes, end: int) -> list[int]:
        lowered = block.lower()
        return [at for needle in folded for at in _occurrences(lowered, needle, end)]

    return [exact_finder(n) for n in exact] + ([folded_finder] if folded else [])


def _rarest_anchors(test: LineTest, block: bytes, end: int) -> list[Finder]:
    """The finders of the test's anchor set that occurs least often in ``block[:end]`` (the first read)."""
    choices = [_finders(exact, folded) for exact, folded in test.anchor_choices]  # type: ignore[attr-defined]
    if len(choices) == 1:
        return choices[0]

    return min(choices, key=lambda finders: len(_line_spans(block, end, finders)))


def _line_spans(block: bytes, end: int, finders: list[Finder]) -> dict[int, int]:
    """The lines of ``block[:end]`` holding an anchor ``finders`` find, as start: end (past the LF, or the
    block's end)."""
    spans: dict[int, int] = {}
    for finder in finders:
        offsets = finder(block, end)
        starts = map(operator.add, map(block.rfind, itertools.repeat(b"\n"), itertools.repeat(0), offsets),
                     itertools.repeat(1))
        ends = [at + 1 or len(block) for at in map(block.find, itertools.repeat(b"\n"), offsets)]
        spans.update(zip(starts, ends))
    return spans


class _LineNumbers:
    """Line numbers of byte offsets of a file, asked in increasing order, counted by reading it again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.file: IO[bytes] | None = None
        self.offset = 0
        self.lines = 0  # LFs before offset

    def at(self, offset: int) -> int:
        """The number of the line starting at byte ``offset``."""
        if self.file is None:
            self.file = _open_binary(self.name).__enter__()
        while self.offset < offset:
            chunk = self.file.read(min(BLOCK_SIZE, offset - self.offset))
            if not chunk:
                break
            self.lines += chunk.count(b"\n")
            self.offset += len(chunk)
        return self.lines + 1

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _lines_before_error(name: str) -> int:
    """How many lines of file ``name`` read before reading fails (it is read again, line by line)."""
    number = 0
    if name == "-":
        return number
    try:
        with _open_binary(name) as fh:
            for number, _ in enumerate(fh, 1):
                pass
    except (OSError, EOFError, zlib.error):
        pass
    return number


def _read_error(name: str, number: int, e: BaseException) -> RunSourceError:
    """The error for a file that could not be read past line ``number``."""
    if isinstance(e, OSError) and not isinstance(e, gzip.BadGzipFile) and e.errno is not None:
        return RunSourceError(name, 0, f"cannot read: {e.strerror or e}")
    return RunSourceError(name, number + 1, f"not a readable gzip file: {_gzip_reason(e)}",
                          "check that the file is complete and really gzip-compressed")


def _gzip_reason(error: BaseException) -> str:
    if isinstance(error, gzip.BadGzipFile):
        return "it does not start with gzip's magic bytes"
    if isinstance(error, EOFError):
        return "it ends before the end of the compressed stream (truncated)"
    return f"corrupt compressed data ({error})"


def _open_binary(name: str) -> ContextManager[IO[bytes]]:
    if name == "-":  # left open: "-" may be named twice, the second read finds it empty
        return contextlib.nullcontext(sys.stdin.buffer)
    try:
        if name.endswith(".gz"):
            return gzip.open(name, "rb")
        return open(name, "rb")
    except OSError as e:
        raise RunSourceError(name, 0, f"cannot open: {e.strerror or e}") from None


class _Passing:
    """A reader's runs from the lines a test lets through (:meth:`RunReader.passing`)."""

    def __init__(self, reader: RunReader, test: LineTest) -> None:
        self.reader = reader
        self.test = test
        self.rereadable = reader.rereadable

    def __iter__(self) -> Iterator[Any]:
        return itertools.chain.from_iterable(self.batches())

    def batches(self) -> Iterator[list[Any]]:
        """The runs in lists, as :meth:`RunReader.batches`."""
        return self.reader._batches(self.test)


TIMESTAMP_HINT = ("store times as a Parquet TIMESTAMP or as ISO-8601 text; epoch numbers are not read "
                  "(their unit is unknown)")


def _parquet_schema_problem(schema: Any) -> tuple[str, str] | None:
    """Why a Parquet file's columns cannot be read as runs (a required column missing, a column of an
    unexpected type), or None."""
    import pyarrow as pa

    missing = [c for c in R.REQUIRED if c not in schema.names]
    if missing:
        return (f"not run data: no column {', '.join(missing)} (found {', '.join(schema.names[:12])})",
                "a bulk-export Parquet file has the run fields as columns")

    for name in R.TIMESTAMP_COLUMNS:
        if name in schema.names:
            kind = schema.field(name).type
            if not (pa.types.is_timestamp(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
                    or pa.types.is_null(kind)):
                return f"column {name} is {kind}, not a timestamp", TIMESTAMP_HINT
    return None


def read_runs(*sources: PathLike | Iterable[Any], skip_invalid: bool = False, validate: str = "all") -> RunReader:
    """Runs from JSONL files (``-`` is stdin), ``.jsonl.gz``, bulk-export ``.parquet`` files and iterables.

    Iterating raises :class:`RunSourceError` (``file:line: why``) on the first
    invalid run, unless ``skip_invalid`` — then see ``reader.skipped``.
    ``validate="candidates"`` lets ``select`` pass over, unread and so unchecked,
    the JSONL lines whose bytes show they cannot match its filter (faster on a
    selective filter).
    """
    return RunReader(sources, skip_invalid=skip_invalid, validate=validate)
