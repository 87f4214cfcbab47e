"""Output in the API's order with memory bounded by a constant, not by what matches.

``filterql match`` may match millions of runs. Both engines hand the matching
runs here in any order, each as its ``start_time`` (microseconds since the
epoch, or None when unreadable), its canonical id and, for full output, its
output line. Each run becomes one bytes sort record (an 8-byte key, the id,
and for full output the position of its line in a temporary spill file) whose
bytes order is the API's order: newest ``start_time`` first, a run without one
last, ties by ascending id. Records are sorted in chunks of
:data:`CHUNK_RECORDS`; more than one chunk is written to temporary files and
merged (an external merge sort), so memory holds one chunk whatever matches.
A ``limit`` up to a chunk keeps only that many records (and, up to
:data:`KEEP_LINES_UP_TO`, their lines instead of a spill file).
"""

from __future__ import annotations

import heapq
import itertools
import operator
import tempfile
from itertools import repeat
from typing import IO, Iterable, Iterator

__all__ = ["CHUNK_RECORDS", "KEEP_LINES_UP_TO", "sort_record", "sort_records", "ordered_ids", "ordered_id_records",
           "ordered_lines"]

#: Sort prefix of a run without a readable start_time: after every real one.
_LAST = (1 << 64) - 1
#: With a limit up to this, the output lines themselves are kept (no spill file).
KEEP_LINES_UP_TO = 10_000


def sort_record(micros: int | None, ident: str, tail: bytes = b"") -> bytes:
    """8-byte key (newest first), the id's UTF-8 (byte order is code point order), then ``tail``."""
    prefix = _LAST if micros is None else (1 << 63) - micros
    return prefix.to_bytes(8, "big") + ident.encode("utf-8", "surrogatepass") + tail


def sort_records(micros: list[int | None], idents: list[str]) -> list[bytes]:
    """:func:`sort_record` of each pair, in C loops when every run has a start time."""
    if None in micros:
        return list(map(sort_record, micros, idents))
    keys = map(int.to_bytes, map(operator.sub, repeat(1 << 63), micros), repeat(8), repeat("big"))
    return list(map(operator.add, keys, map(str.encode, idents, repeat("utf-8"), repeat("surrogatepass"))))


#: Records sorted in memory at a time (about 90 bytes each); more are merged from temporary files.
CHUNK_RECORDS = 250_000


def _write_chunk(chunk: list[bytes]) -> IO[bytes]:
    """The records, sorted, in a temporary file: each a 4-byte length, then its bytes."""
    chunk.sort()
    out = tempfile.TemporaryFile()
    for record in chunk:
        out.write(len(record).to_bytes(4, "big"))
        out.write(record)
    out.seek(0)
    return out


def _read_chunk(file: IO[bytes]) -> Iterator[bytes]:
    while size := file.read(4):
        yield file.read(int.from_bytes(size, "big"))


def _smallest(records: Iterable[bytes], limit: int | None) -> Iterator[bytes]:
    """The records in order, at most ``limit``, holding at most one chunk in memory."""
    if limit is not None and limit <= CHUNK_RECORDS:
        yield from heapq.nsmallest(limit, records)
        return
    chunk: list[bytes] = []
    files: list[IO[bytes]] = []
    try:
        records = iter(records)
        while True:
            chunk.extend(itertools.islice(records, CHUNK_RECORDS - len(chunk)))
            if len(chunk) < CHUNK_RECORDS:  # the records ran out
                break
            files.append(_write_chunk(chunk))
            chunk = []
        if files and chunk:
            files.append(_write_chunk(chunk))
            chunk = []
        chunk.sort()
        merged = heapq.merge(*map(_read_chunk, files)) if files else iter(chunk)
        yield from itertools.islice(merged, limit)
    finally:
        for file in files:
            file.close()


def ordered_ids(runs: Iterable[tuple[int | None, str]], limit: int | None = None) -> Iterator[str]:
    """The ids of ``(micros, id)`` pairs in order, at most ``limit``."""
    return ordered_id_records((sort_record(micros, ident) for micros, ident in runs), limit)


def ordered_id_records(records: Iterable[bytes], limit: int | None = None) -> Iterator[str]:
    """The ids of id-only sort records (:func:`sort_records`) in order, at most ``limit``."""
    ids = map(operator.getitem, _smallest(records, limit), repeat(slice(8, None)))
    return map(bytes.decode, ids, repeat("utf-8"), repeat("surrogatepass"))


def ordered_lines(runs: Iterable[tuple[int | None, str, str]], limit: int | None = None) -> Iterator[str]:
    """The lines of ``(micros, id, line)`` triples in order, at most ``limit``; lines hold no newline."""
    if limit is not None and limit <= KEEP_LINES_UP_TO:
        kept = heapq.nsmallest(limit, ((sort_record(m, i), line) for m, i, line in runs), key=lambda kv: kv[0])
        yield from (line for _, line in kept)
        return
    with tempfile.TemporaryFile() as spill:

        def records() -> Iterator[bytes]:
            for micros, ident, line in runs:
                yield sort_record(micros, ident, spill.tell().to_bytes(8, "big"))
                spill.write(line.encode("utf-8", "surrogatepass") + b"\n")

        for record in _smallest(records(), limit):
            spill.seek(int.from_bytes(record[-8:], "big"))
            yield spill.readline()[:-1].decode("utf-8", "surrogatepass")
