"""The JSONL line prefilter (filterql.line_prefilter) never drops a line whose run matches.

The property: random filters (tests/strategies.py, plus leaves on unicode strings) and random runs
(plus v2-shaped ones and strings with characters that lower into ASCII), each run written as a JSON
line in a random spelling — any character as ``\\uXXXX`` (either case), ``\\/``, non-ASCII as is or
escaped, numbers as ``1``, ``1.0``, ``1e0``, ``10E-1``, ``-0``, random whitespace — then every line
whose run the predicate matches passes the line test. End to end, ``select`` over
``read_runs(validate="candidates")`` returns what it returns over ``validate="all"``, trace and tree
filters included.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from fuzz_budget import examples
from json_spellings import spell
from strategies import run_lists, runs, typed_filters

from filterql import ast, plan, read_runs, select
from filterql import runs as R
from filterql.evaluate import compile_checked
from filterql.json_spelling import LOWERS_INTO_ASCII
from filterql.line_prefilter import RULES, line_condition, line_test
from filterql.lowering import lower
from filterql.run_files import check_run, parse_line
from filterql.validator import check

#: Strings a run may hold that escapes or lowering make interesting, and filters on them.
ODD_STRINGS = ("\u212aelvin", "\u0130stanbul", "KELVIN", "café/bar", 'say "hi"', "back\\slash", "tab\there",
               "😀 smile", "LLM", "naïve", "a/b", "", "x")
ODD_TERMS = ("kelvin", "i", "istanbul", "café", "smile", "😀", "bar", "/", "hi", "llm", "naïve", "k", "na")


def _odd_leaves() -> st.SearchStrategy[ast.Expr]:
    s = st.sampled_from(ODD_STRINGS).map(ast.String)
    return st.one_of(
        st.sampled_from(ODD_TERMS).map(lambda t: ast.Search(ast.String(t))),
        s.map(lambda v: ast.Compare("eq", ast.Field("name"), v)),
        s.map(lambda v: ast.Has(ast.Field("tags"), v)),
        s.map(lambda v: ast.And([ast.Compare("eq", ast.Field("metadata_key"), ast.String("k")),
                                 ast.Compare("eq", ast.Field("metadata_value"), v)])),
        s.map(lambda v: ast.Compare("eq", ast.Field("metadata_key"), v)),
        st.sampled_from(("%elvin%", "%é%", "%/%", "K%", "%😀%")).map(
            lambda p: ast.Like(ast.Field("name"), ast.String(p))),
        st.sampled_from(("llm", "chain", "tool")).map(lambda v: ast.Compare("eq", ast.Field("run_type"), ast.String(v))),
    )


filters = st.one_of(
    typed_filters(),
    _odd_leaves(),
    st.lists(st.one_of(_odd_leaves(), typed_filters(4)), min_size=1, max_size=3).map(ast.And),
    st.lists(st.one_of(_odd_leaves(), typed_filters(4)), min_size=1, max_size=3).map(ast.Or),
)


@st.composite
def odd_runs(draw: st.DrawFn) -> dict[str, Any]:
    """A random run, its strings sometimes odd, sometimes in the v2 shape."""
    run = draw(runs())
    if draw(st.booleans()):
        run["name"] = draw(st.sampled_from(ODD_STRINGS))
        run["tags"] = draw(st.lists(st.sampled_from(ODD_STRINGS), max_size=2))
        run["extra"] = {"metadata": {draw(st.sampled_from(ODD_STRINGS + ("k",))): draw(st.sampled_from(ODD_STRINGS))}}
    if draw(st.integers(0, 5)) == 0:  # integers past 64 bits, in the columns and in metadata
        run["total_tokens"] = draw(st.sampled_from((2**64, -(2**63) - 1, 10**30, 555)))
        run["extra"] = {"metadata": {"k": draw(st.sampled_from((2**70, 555, -(10**20))))}}
    if draw(st.booleans()):  # v2: upper-case run_type and status, metadata at the top level
        run["run_type"] = run["run_type"].upper()
        if isinstance(run.get("status"), str):
            run["status"] = run["status"].upper()
        if draw(st.booleans()) and isinstance(run.get("extra"), dict):
            run["metadata"] = run.pop("extra").get("metadata", {})
    return run


def _read(line: bytes) -> dict[str, Any] | None:
    """The run of ``line`` as the reader yields it, or None when the reader rejects the line."""
    value, problem = parse_line(line)
    if problem is None and isinstance(value, dict) and R.is_v2(value):
        value = R.from_v2(value)
    return None if problem or check_run(value) else value


# ------------------------------------------------------------------ properties


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filters, st.lists(odd_runs(), min_size=1, max_size=4), st.integers(0, 2**32),
       st.sampled_from((0.0, 0.0, 0.1, 0.5)))
def test_every_line_whose_run_matches_passes_the_prefilter(expr, some_runs, seed, escape):
    checked = check(expr)
    pred = compile_checked(checked)
    test = line_test(line_condition(lower(checked)))
    rnd = random.Random(seed)
    for run in some_runs:
        for line in (json.dumps(run).encode(), json.dumps(run, ensure_ascii=False).encode(),
                     spell(run, rnd, escape).encode()):
            d = _read(line + b"\n")
            if d is not None and pred(d):
                assert test is None or test(line + b"\n"), (line, getattr(test, "source", None))


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(filters, filters, run_lists(), st.integers(0, 2**32), st.sampled_from(("filter", "trace", "tree", "all")))
def test_select_reads_the_same_runs_from_candidate_lines(tmp_path, expr, other, some_runs, seed, which):
    rnd = random.Random(seed)
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(spell(r, rnd, rnd.choice((0.0, 0.2))) + "\n" for r in some_runs), encoding="utf-8")
    kw: dict[str, Any] = {
        "filter": {"filter": expr}, "trace": {"trace_filter": expr}, "tree": {"tree_filter": expr},
        "all": {"filter": expr, "trace_filter": other, "tree_filter": other},
    }[which]
    every = select(read_runs(path), **kw)
    assert select(read_runs(path, validate="candidates"), **kw) == every


def test_a_selective_filter_passes_over_lines_without_its_needle(tmp_path):
    lines = [json.dumps({"id": f"00000000-0000-4000-8000-00000000000{i}", "trace_id": "00000000-0000-4000-8000-000000000001",
                         "name": name, "run_type": "llm" if i % 2 else "chain", "start_time": "2024-05-01T10:00:00Z"})
             for i, name in enumerate(("a", "b", "c", "d"), 1)]
    lines[1] = lines[1][:-5]  # line 2 is malformed, and a chain: it cannot match
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(Exception, match=":2: malformed JSON"):
        select(read_runs(path), filter='eq(run_type, "llm")')
    found = select(read_runs(path, validate="candidates"), filter='eq(run_type, "llm")')
    assert [r["name"] for r in found] == ["a", "c"]
    with pytest.raises(Exception, match=":2: malformed JSON"):  # a line that may match is still checked
        select(read_runs(path, validate="candidates"), filter='eq(run_type, "chain")')


def test_needles_are_what_each_string_must_show():
    cases = {
        'and(eq(run_type, "llm"), gt(total_tokens, 990))': 'Needle(text=b\'"llm"\', folded=True)',
        'eq(name, "a/b")': "Needle(text=b'\"a', folded=False)",
        'eq(metadata_key, "a.bc.d")': "Needle(text=b'bc', folded=False)",
        'eq(metadata_value, "1.5")': "None",  # may be the number 1.5, spelled 15e-1
        'not(eq(name, "x"))': "None",
        'gt(total_tokens, 5)': "None",
    }
    for source, want in cases.items():
        assert repr(line_condition(lower(check(source)))) == want, source


def test_every_plan_node_has_a_rule():
    assert set(RULES) == set(plan.PLAN_NODES)


def test_the_characters_that_lower_into_ascii_are_exactly_the_table():
    found = {chr(c): "".join(x for x in chr(c).lower() if x < "\x80")
             for c in range(0x80, 0x110000) if any(x < "\x80" for x in chr(c).lower())}
    assert found == LOWERS_INTO_ASCII


def test_the_cli_offers_the_readers_choices():
    from filterql.cli import _build_parser
    from filterql.run_files import VALIDATE

    match = _build_parser(["match"])._subparsers._group_actions[0].choices["match"]  # type: ignore[union-attr]
    assert tuple(next(a for a in match._actions if a.dest == "validate").choices) == VALIDATE


def _odd_filters() -> list[str]:
    out = [f"search({json.dumps(t)})" for t in ODD_TERMS]
    for s in ODD_STRINGS:
        out += [f"eq(name, {json.dumps(s)})", f"has(tags, {json.dumps(s)})",
                f"and(eq(metadata_key, \"k\"), eq(metadata_value, {json.dumps(s)}))"]
    out += [f"like(name, {json.dumps(p)})" for p in ("%elvin%", "%é%", "%/%", "K%", "%😀%", "%\\\\%")]
    return out + ['eq(run_type, "llm")', 'in(status, ["success", "error"])']


@pytest.mark.parametrize("source", _odd_filters())
def test_odd_strings_pass_every_filter_they_match(source):
    """Every odd string in each place a filter reads it, both JSON spellings, v1 and v2 run_type."""
    pred = compile_checked(check(source))
    test = line_test(line_condition(lower(check(source))))
    for s in ODD_STRINGS:
        for run_type in ("llm", "LLM", "Llm"):
            run = {"id": "00000000-0000-4000-8000-000000000001", "trace_id": "00000000-0000-4000-8000-000000000001",
                   "name": s, "run_type": run_type, "start_time": "2024-05-01T10:00:00Z", "status": s.upper(),
                   "tags": [s], "extra": {"metadata": {"k": s}}}
            for ascii_only in (True, False):
                line = json.dumps(run, ensure_ascii=ascii_only).encode() + b"\n"
                d = _read(line)
                if d is not None and pred(d):
                    assert test is None or test(line), (source, line)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.one_of(odd_runs().map(json.dumps), st.sampled_from(("", " ", "x" * 40, "{", "\\u006c\\u006c\\u006d"))),
                max_size=12),
       filters, st.integers(1, 300), st.booleans(), st.booleans())
def test_picked_lines_are_the_lines_the_test_passes(lines, expr, block, crlf, last_newline):
    """Cut out of blocks of any size (lines across blocks, longer than a block, the last without LF)."""
    import io

    from filterql import run_files

    test = line_test(line_condition(lower(check(expr))))
    if test is None:
        return
    data = "".join(line + ("\r\n" if crlf else "\n") for line in lines).encode("utf-8", "surrogatepass")
    if not last_newline and data:
        data = data[:-1]
    want = [(n, raw) for n, raw in enumerate(io.BytesIO(data).readlines(), 1) if test(raw)]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(run_files, "BLOCK_SIZE", block)
        assert list(run_files._picked_lines(io.BytesIO(data), test)) == want


def test_a_truncated_gzip_fails_at_the_same_line_with_candidates(tmp_path, monkeypatch):
    import gzip

    from filterql import run_files

    rnd = random.Random(7)
    lines = [json.dumps({"id": "00000000-0000-4000-8000-000000000001", "trace_id": "00000000-0000-4000-8000-000000000001",
                         "name": f"{rnd.getrandbits(128):x}", "run_type": "chain", "start_time": "2024-05-01T10:00:00Z"})
             for _ in range(3000)]
    path = tmp_path / "runs.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)[:50000])
    monkeypatch.setattr(run_files, "BLOCK_SIZE", 4096)
    errors = []
    for validate in ("all", "candidates"):
        with pytest.raises(run_files.RunSourceError) as e:
            select(read_runs(path, validate=validate), filter='eq(run_type, "llm")')
        errors.append(str(e.value))
    assert errors[0] == errors[1] and "not a readable gzip file" in errors[0]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(("run", "run", "chain", "broken", "no id", "blank")), min_size=1, max_size=20),
       st.integers(1, 400), st.booleans(), st.booleans())
def test_invalid_candidate_lines_are_reported_at_their_line(tmp_path, kinds, block, bom, crlf):
    """Every line that may match is checked and reported as validate="all" reports it: same line numbers
    (counted again from the file), same messages, same runs; a BOM still opens the file."""
    from filterql import run_files

    assume(not (bom and kinds[0] == "blank"))  # a BOM then spaces: invalid, and no candidate
    base = {"id": "00000000-0000-4000-8000-000000000001", "trace_id": "00000000-0000-4000-8000-000000000001",
            "name": "x", "run_type": "llm", "start_time": "2024-05-01T10:00:00Z"}
    text = {"run": json.dumps(base), "chain": json.dumps({**base, "run_type": "chain"}),
            "broken": json.dumps(base)[:-3], "no id": json.dumps({k: v for k, v in base.items() if k != "id"}),
            "blank": "  "}
    data = (b"\xef\xbb\xbf" if bom else b"") + "".join(text[k] + ("\r\n" if crlf else "\n") for k in kinds).encode()
    path = tmp_path / "runs.jsonl"
    path.write_bytes(data)
    results = []
    with pytest.MonkeyPatch.context() as m:
        m.setattr(run_files, "BLOCK_SIZE", block)
        for validate in ("all", "candidates"):
            reader = read_runs(path, skip_invalid=True, validate=validate)
            found = select(reader, filter='eq(run_type, "llm")')
            results.append(([r["id"] for r in found], reader.skipped, [str(p) for p in reader.problems]))
    assert results[0] == results[1]


def test_standard_input_candidates_are_numbered_as_read():
    import subprocess
    import sys

    base = {"id": "00000000-0000-4000-8000-000000000001", "trace_id": "00000000-0000-4000-8000-000000000001",
            "name": "x", "run_type": "llm", "start_time": "2024-05-01T10:00:00Z"}
    data = "\n".join([json.dumps({**base, "run_type": "chain"})] * 3 + [json.dumps(base)[:-3], json.dumps(base)]) + "\n"
    outs = []
    for validate in ("all", "candidates"):
        out = subprocess.run([sys.executable, "-m", "filterql.cli", "match", "-", "--ids-only", "--skip-invalid",
                              "--filter", 'eq(run_type, "llm")', "--validate", validate],
                             input=data.encode(), capture_output=True, check=True)
        outs.append((out.stdout, out.stderr))
    assert outs[0] == outs[1] and b"-:4: malformed JSON" in outs[0][1]
