"""Run sources: JSONL files (streamed; ``.gz`` too), bulk-export Parquet files, iterables.

Every run is checked for the fields every run has (``id``, ``trace_id``,
``name``, ``run_type``, ``start_time``, a readable timestamp). A malformed line
or an incomplete run raises :class:`RunSourceError` naming the file and line —
or, with ``skip_invalid=True``, is skipped and counted in ``skipped``; never
dropped silently. A :class:`RunReader` can be iterated more than once (each
pass re-reads the files), which lets ``select`` make two passes without
holding every run in memory.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Union

from . import runs as R
from .errors import FilterError

__all__ = ["RunSourceError", "RunReader", "read_runs", "check_run"]

PathLike = Union[str, Path]
#: Bulk-export columns that hold JSON documents as text.
_JSON_COLUMNS = ("inputs", "outputs", "extra", "feedback_stats", "events", "serialized", "feedback")


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


def check_run(run: Any) -> str | None:
    """Why ``run`` is not a usable run dict, or None when it is."""
    if not isinstance(run, dict):
        return f"expected a JSON object, found {type(run).__name__}"
    missing = [f for f in R.REQUIRED if run.get(f) is None]
    if missing:
        return f"run is missing required field{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    if R.timestamp(run["start_time"]) is None:
        return f"start_time {run['start_time']!r} is not an ISO-8601 timestamp"
    return None


class RunReader:
    """Runs read from files and iterables, re-readable; ``skipped`` counts invalid runs passed over."""

    def __init__(self, sources: Iterable[PathLike | Iterable[Any]], *, skip_invalid: bool = False) -> None:
        self.sources = list(sources)
        self.skip_invalid = skip_invalid
        self.skipped = 0
        self.problems: list[RunSourceError] = []  # the first few skipped, for a message
        #: False when a source can be read only once (stdin, a one-shot iterator).
        self.rereadable = all(isinstance(s, (str, Path)) and str(s) != "-" or
                              not isinstance(s, (str, Path)) and iter(s) is not s for s in self.sources)

    def __iter__(self) -> Iterator[Any]:
        self.skipped = 0
        self.problems = []
        for source in self.sources:
            if isinstance(source, (str, Path)):
                yield from self._file(source)
            else:
                yield from self._iterable(source)

    def _bad(self, error: RunSourceError) -> None:
        if not self.skip_invalid:
            raise error
        self.skipped += 1
        if len(self.problems) < 5:
            self.problems.append(error)

    def _iterable(self, items: Iterable[Any]) -> Iterator[Any]:
        for i, run in enumerate(items, 1):
            # Run objects were validated by pydantic; dicts are checked like file lines.
            problem = check_run(run) if isinstance(run, dict) or not hasattr(run, "model_dump") else None
            if problem:
                self._bad(RunSourceError("<runs>", i, problem))
                continue
            yield run

    def _file(self, path: PathLike) -> Iterator[dict[str, Any]]:
        name = str(path)
        if name.endswith(".parquet"):
            yield from self._parquet(name)
            return
        with _open_text(name) as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    run = json.loads(line)
                except json.JSONDecodeError as e:
                    self._bad(RunSourceError(name, number, f"malformed JSON at column {e.colno}: {e.msg}",
                                             "each line must be one run as a JSON object"))
                    continue
                problem = check_run(run)
                if problem:
                    self._bad(RunSourceError(name, number, problem))
                    continue
                yield run

    def _parquet(self, name: str) -> Iterator[dict[str, Any]]:
        try:
            import pyarrow.parquet as pq  # optional extra: filterql[parquet]
        except ImportError:
            raise RunSourceError(name, 0, "reading Parquet needs pyarrow", "pip install 'filterql[parquet]'") from None
        try:
            file = pq.ParquetFile(name)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise RunSourceError(name, 0, f"not a readable Parquet file: {e}") from None
        row = 0
        for batch in file.iter_batches():
            for run in batch.to_pylist():
                row += 1
                for column in _JSON_COLUMNS:
                    value = run.get(column)
                    if isinstance(value, str) and value[:1] in ("{", "["):
                        try:
                            run[column] = json.loads(value)
                        except json.JSONDecodeError:
                            pass  # keep the text: a string that merely looks like JSON
                problem = check_run(run)
                if problem:
                    self._bad(RunSourceError(name, row, problem))
                    continue
                yield run


def _open_text(name: str) -> IO[str]:
    if name == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
    try:
        if name.endswith(".gz"):
            return gzip.open(name, "rt", encoding="utf-8")
        return open(name, encoding="utf-8")
    except OSError as e:
        raise RunSourceError(name, 0, f"cannot open: {e.strerror or e}") from None


def read_runs(*sources: PathLike | Iterable[Any], skip_invalid: bool = False) -> RunReader:
    """Runs from JSONL files (``-`` is stdin), ``.jsonl.gz``, bulk-export ``.parquet`` files and iterables.

    Iterating raises :class:`RunSourceError` (``file:line: why``) on the first
    invalid run, unless ``skip_invalid`` — then see ``reader.skipped``.
    """
    return RunReader(sources, skip_invalid=skip_invalid)
