"""A JSONL file read in batches (``run_files._plain_runs``: lines checked together in C loops;
``run_files._plain_heads``: only the heads decoded, by msgspec) gives exactly what reading it one line
at a time gives: the same runs, the same errors at the same lines, and the same ``match --ids-only``
output in the same order, whatever mix of good runs, v2 runs, incomplete runs, odd timestamps,
damaged lines and values msgspec skips a batch holds."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import make_run, run_id
from hypothesis import given, settings, strategies as st
from fuzz_budget import examples
from test_run_files_orjson import _DAMAGE, _same

from filterql import run_files
from filterql.query import list_runs_query
from filterql.run_files import BATCH_LINES, read_runs
from filterql.select_runs import output_lines

pytest.importorskip("orjson")
pytest.importorskip("msgspec")

_START_TIMES = ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123Z", "2024-05-01T10:00:00.123456",
                "2024-05-01T10:00:00", "2024-05-01T10:00:00+02:00", "2024-05-01", "2024-02-30T10:00:00Z",
                "2024-05-01T25:00:00Z", "yesterday", 1714557600, None)
_IDS = (None, 7, "00000000-0000-4000-8000-0000000000AA", "not a uuid but 36 characters long!!!", "x")


#: Members a line may open with: values a reader that skips them must still check (UTF-8, depth),
#: spellings of the keys it decodes, and keys that mark the v2 shape.
_MEMBERS = (
    b'"x": "\xff"', b'"x": "\xed\xa0\x80"', b'"x": "caf\xc3\xa9"', b'"x": "\\ud800"', b'"x": NaN', b'"x": [1,]',
    b'"x": ' + b"[" * 511 + b"]" * 511, b'"x": ' + b"[" * 512 + b"]" * 512, b'"x": ' + b"{\"a\":" * 600 + b"1" + b"}" * 600,
    b'"x": 123456789012345678901234567890', b'"x": 1e400', b'"i\\u0064": "x"', b'"id": null', b'"id": [1, {"a": 2}]',
    b'"latency_second\\u0073": null', b'"metadata": {"a": 1}', b'"extra": {}, "metadata": {"a": 1}',
    b'"project_id": 1', b'"status": "ERROR"', b'"status": ["x"]', b'"start_time": "2024-05-01T10:00:00.1234567Z"')


@st.composite
def _line(draw: st.DrawFn, i: int) -> bytes:
    """One line: mostly a plain run, else a run with one field changed, a v2 run, or a damaged line."""
    run = make_run(i, start_time=draw(st.sampled_from(_START_TIMES[:2])), name=draw(st.sampled_from(("a", "é", "x\"y"))))
    kind = draw(st.sampled_from(("plain", "plain", "plain", "field", "v2", "damaged", "blank")))
    if kind == "field":
        field = draw(st.sampled_from(("start_time", "id", "run_type", "trace_id", "name")))
        value = draw(st.sampled_from(_START_TIMES if field == "start_time" else _IDS + (["llm"], {"a": 1}, "LLM")))
        if value is None and draw(st.booleans()):
            del run[field]
        else:
            run[field] = value
    elif kind == "v2":
        run = {**run, "run_type": "LLM", "status": "SUCCESS", "latency_seconds": 1.5}
    raw = json.dumps(run, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == "plain" and draw(st.integers(0, 3)) == 0:  # a member a reader that skips values must still check
        member = draw(st.sampled_from(_MEMBERS))
        raw = b"{" + member + b", " + raw[1:] if draw(st.booleans()) else raw[:-1] + b", " + member + b"}"
    if kind == "damaged":
        raw = _DAMAGE[draw(st.sampled_from(sorted(_DAMAGE)))](raw, random.Random(draw(st.integers(0, 2**32))))
    elif kind == "blank":
        raw = b"  "
    return raw


@st.composite
def _file_lines(draw: st.DrawFn) -> list[bytes]:
    n = draw(st.integers(1, 2 * BATCH_LINES + 3))
    return [draw(_line(i + 1)) for i in range(n)]


def _one_line_at_a_time(m: pytest.MonkeyPatch) -> None:
    for reading in ("_RUNS", "_HEADS"):
        m.setattr(run_files, reading, attrs.evolve(getattr(run_files, reading), plain=lambda lines: None))


def _read(path: Path, **kw: Any) -> tuple[list[Any], int, list[str]]:
    reader = read_runs(path, skip_invalid=True, **kw)
    runs = list(reader)
    return runs, reader.skipped, [str(p) for p in reader.problems]


def _ids(path: Path, text: str | None, **kw: Any) -> tuple[list[str], int, list[str]]:
    """The ids ``match --ids-only --skip-invalid`` prints, the runs it skips, and why."""
    reader = read_runs(path, skip_invalid=True, **kw)
    ids = list(output_lines(reader, list_runs_query(filter=text), ids_only=True))
    return ids, reader.skipped, [str(p) for p in reader.problems]


@settings(max_examples=examples(200), deadline=None)
@given(_file_lines(), st.sampled_from((None, 'eq(name, "é")', 'eq(run_type, "llm")')))
def test_batches_read_what_single_lines_read(tmp_path_factory, lines, text):
    path = tmp_path_factory.mktemp("batches") / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fast = _read(path), _ids(path, text), _ids(path, text, validate="candidates")
    with pytest.MonkeyPatch.context() as m:
        _one_line_at_a_time(m)
        slow = _read(path), _ids(path, text), _ids(path, text, validate="candidates")
    (runs, skipped, problems), ids, candidate_ids = fast
    assert skipped == slow[0][1] and problems == slow[0][2]
    assert len(runs) == len(slow[0][0]) and all(_same(a, b) for a, b in zip(runs, slow[0][0]))
    assert ids == slow[1] and candidate_ids == slow[2]
    assert ids[1:] == fast[0][1:]  # every line checked, whatever the filter


def test_a_plain_batch_takes_the_fast_path():
    """Plain runs are read together; one line that is not plain sends its batch one line at a time."""
    plain = [json.dumps(make_run(i)).encode() for i in range(1, 5)]
    assert run_files._plain_runs(plain) == [make_run(i) for i in range(1, 5)]
    for odd in (make_run(9, start_time="2024-05-01T10:00:00+02:00"), make_run(9, run_type="LLM"),
                {k: v for k, v in make_run(9).items() if k != "name"}, [make_run(9)]):
        assert run_files._plain_runs(plain + [json.dumps(odd).encode()]) is None
    assert run_files._plain_runs(plain + [b'{"id": 1' + b"0" * 19 + b"}"]) is None  # past 64 bits: the stdlib reads it


def test_an_unhashable_run_type_is_read_not_a_traceback(tmp_path):
    """A run_type that is a list or an object is no v2 run_type: the run is read (as the DuckDB engine reads it)."""
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(make_run(1, run_type=["llm"])) + "\n" + json.dumps(make_run(2, status={"a": 1})) + "\n")
    assert _ids(path, None)[0] == [run_id(1), run_id(2)]


@pytest.mark.parametrize("member", _MEMBERS)
@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("text", [None, 'eq(name, "r")', 'eq(name, "none")'])
def test_heads_are_read_as_whole_runs_are(tmp_path, member, first, text):
    """Each value msgspec skips or decodes differently, in a batch of plain runs listed without a
    filter or checked beside the lines a filter wants: the ids printed, the runs skipped and the
    errors are those of reading every line whole."""
    lines = [json.dumps(make_run(i)).encode() for i in range(1, 6)]
    lines[2] = b"{" + member + b", " + lines[2][1:] if first else lines[2][:-1] + b", " + member + b"}"
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    fast = _ids(path, text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(run_files, "msgspec", None)  # installed without it: orjson and the stdlib decide
        assert fast == _ids(path, text)
    with pytest.MonkeyPatch.context() as m:
        _one_line_at_a_time(m)
        assert fast == _ids(path, text)


def test_a_v2_run_ending_past_year_9999_is_read(tmp_path):
    """``end_time`` derived from a latency too large for a timestamp is left out, not a traceback."""
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps({**make_run(i), "run_type": "LLM", "latency_seconds": latency}) + "\n"
                            for i, latency in ((1, 1e300), (2, 5))))
    runs = list(read_runs(path))
    assert [r.get("end_time") for r in runs] == [None, "2024-05-01T10:00:05+00:00"]
