"""Output in the API's order with memory bounded by what is kept, not by what matches.

``filterql match`` may match millions of runs. Both engines hand the matching
runs here in any order, each as its ``start_time`` (microseconds since the
epoch, or None when unreadable), its canonical id and, for full output, its
output line. What stays in memory per run is one bytes sort record (about 80
bytes: an 8-byte key, the id, and for full output the position of its line in
a temporary spill file); bytes order is the API's order: newest
``start_time`` first, a run without one last, ties by ascending id. With a
``limit`` only that many records (and, up to :data:`KEEP_LINES_UP_TO`, their
lines instead of a spill file) are kept.
"""

from __future__ import annotations

import heapq
import tempfile
from typing import Iterable, Iterator

__all__ = ["KEEP_LINES_UP_TO", "sort_record", "ordered_ids", "ordered_lines"]

#: Sort prefix of a run without a readable start_time: after every real one.
_LAST = (1 << 64) - 1
#: With a limit up to this, the output lines themselves are kept (no spill file).
KEEP_LINES_UP_TO = 10_000


def sort_record(micros: int | None, ident: str, tail: bytes = b"") -> bytes:
    """8-byte key (newest first), the id's UTF-8 (byte order is code point order), then ``tail``."""
    prefix = _LAST if micros is None else (1 << 63) - micros
    return prefix.to_bytes(8, "big") + ident.encode("utf-8", "surrogatepass") + tail


def _smallest(records: Iterable[bytes], limit: int | None) -> list[bytes]:
    return heapq.nsmallest(limit, records) if limit is not None else sorted(records)


def ordered_ids(runs: Iterable[tuple[int | None, str]], limit: int | None = None) -> Iterator[str]:
    """The ids of ``(micros, id)`` pairs in order, at most ``limit``."""
    for record in _smallest((sort_record(micros, ident) for micros, ident in runs), limit):
        yield record[8:].decode("utf-8", "surrogatepass")


def ordered_lines(runs: Iterable[tuple[int | None, str, str]], limit: int | None = None) -> Iterator[str]:
    """The lines of ``(micros, id, line)`` triples in order, at most ``limit``; lines hold no newline."""
    if limit is not None and limit <= KEEP_LINES_UP_TO:
        kept = heapq.nsmallest(limit, ((sort_record(m, i), line) for m, i, line in runs), key=lambda kv: kv[0])
        yield from (line for _, line in kept)
        return
    with tempfile.TemporaryFile() as spill:
        records = []
        for micros, ident, line in runs:
            records.append(sort_record(micros, ident, spill.tell().to_bytes(8, "big")))
            spill.write(line.encode("utf-8", "surrogatepass") + b"\n")
        ordered = _smallest(records, limit)
        del records
        for record in ordered:
            spill.seek(int.from_bytes(record[-8:], "big"))
            yield spill.readline()[:-1].decode("utf-8", "surrogatepass")
