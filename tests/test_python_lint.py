"""filterql lint: filters in Python source, found and checked where they are written (issue 15).

Each corpus file marks its findings in comments: ``# expect: code@text`` (the column is where ``text``
first occurs on that line; ``code@col=N`` gives the column itself), ``# expect-line L: code@text`` for a
finding on line L (inside a triple-quoted string, where no comment can go).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from filterql.python_lint import fix_source, format_findings, lint_source

CORPUS = Path(__file__).parent / "fixtures" / "python_lint"
FILES = sorted(CORPUS.glob("*.py"))
_EXPECT_RE = re.compile(r"expect(?:-line (\d+))?: (.*)$")
_ITEM_RE = re.compile(r"([\w-]+)@(\S+(?: \S+)*?)(?=\s+[\w-]+@|\s*$)")


def _expected(path: Path) -> set[tuple[int, int, str]]:
    lines = path.read_text("utf-8").splitlines()
    out = set()
    for n, line in enumerate(lines, 1):
        m = _EXPECT_RE.search(line)
        if not m:
            continue
        target = int(m.group(1)) if m.group(1) else n
        for code, where in _ITEM_RE.findall(m.group(2).strip()):
            if where.startswith("col="):
                column = int(where[4:])
            else:
                code_part = lines[target - 1].split("  # ")[0] if m.group(1) is None else lines[target - 1]
                assert where in code_part, (path.name, target, where)
                column = code_part.index(where) + 1
            out.add((target, column, code))
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_reports_exactly_the_expected_findings(path: Path) -> None:
    found = {(f.line, f.column, f.code) for f in lint_source(path.read_text("utf-8"), str(path))}
    assert found == _expected(path)


def test_clean_file_reports_nothing() -> None:
    assert lint_source((CORPUS / "clean.py").read_text("utf-8")) == []


def test_profiles_add_server_findings() -> None:
    source = 'client.list_runs(filter=\'and(search(name, "x"), neq(error, null))\')\n'
    assert lint_source(source) == []
    codes = [(f.column, f.code) for f in lint_source(source, profile="langsmith-v1")]
    assert codes == [(30, "server-search-field"), (49, "server-neq-error-null")]


def test_output_formats() -> None:
    findings = lint_source("c.list_runs(filter='eq(nme, \"x\")')\n", "a.py")
    assert format_findings(findings).splitlines()[0] == "a.py:1:24: unknown-field unknown field `nme`"
    (doc,) = json.loads(format_findings(findings, "json"))
    assert (doc["path"], doc["line"], doc["column"], doc["code"], doc["severity"]) == ("a.py", 1, 24, "unknown-field", "error")
    assert format_findings(findings, "github").startswith("::error file=a.py,line=1,col=24,title=filterql unknown-field::")


def test_fix_rewrites_literals_in_place() -> None:
    source = ("flt = 'eq(metadata.user_id, \"u1\")'\n"
              "client.list_runs(filter=flt)\n"
              "client.list_runs(filter=\"has('metadata', '{}')\", trace_filter=f'eq(name, \"{x}\")')\n")
    fixed, applied = fix_source(source)
    assert fixed == ("flt = 'and(eq(metadata_key, \"user_id\"), eq(metadata_value, \"u1\"))'\n"
                     "client.list_runs(filter=flt)\n"
                     "client.list_runs(filter=\"has(metadata, '{}')\", trace_filter=f'eq(name, \"{x}\")')\n")
    assert applied == ["1:7: metadata.user_id written as the metadata key/value pair",
                       "3:25: field \"metadata\" written bare"]
    assert fix_source(fixed) == (fixed, [])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "filterql.cli", *args], capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_fix(tmp_path: Path) -> None:
    out = _cli("lint", str(CORPUS / "clean.py"))
    assert (out.returncode, out.stdout) == (0, "")
    out = _cli("lint", str(CORPUS))
    assert out.returncode == 1 and f"{CORPUS / 'fstrings.py'}:12:" in out.stdout
    target = tmp_path / "code.py"
    shutil.copy(CORPUS / "sdk_literals.py", target)
    out = _cli("lint", "--fix", str(target))
    assert "-client.list_runs(filter='has(\"metadata\"" in out.stdout and "+client.list_runs(filter='has(metadata" in out.stdout
    assert "quoted-field" not in out.stdout.split("fixed:")[-1]
    after = target.read_text("utf-8")
    assert """client.list_runs(filter='and(eq(metadata_key, "user_id"), eq(metadata_value, "u1"))')""" in after
    assert """client.list_runs(filter='eq(status, "error")')""" in after
    codes = {f.code for f in lint_source(after)}
    assert not codes & {"quoted-field", "unexpected-character"} and "unknown-value" in codes
    assert _cli("lint", str(tmp_path / "missing.py")).returncode == 2


def test_pre_commit_hook_is_declared() -> None:
    text = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert "id: filterql-lint" in text and "entry: filterql lint" in text and "types: [python]" in text


# ------------------------------------------------------------------ reading Python string literals

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from filterql.python_strings import Char, Source, template  # noqa: E402


def _literal_forms(value: str) -> list[str]:
    forms = [repr(value)]
    if "\r" not in value and "\x00" not in value:  # as raw source text, Python reads \r as a line break
        forms.append('"""' + value.replace("\\", "\\\\").replace('"', '\\"') + '"""')
    if not set(value) & set("\\'\n\r\x00"):
        forms.append("r'" + value + "'")
    half = len(value) // 2
    forms.append(repr(value[:half]) + "  " + repr(value[half:]))  # implicit concatenation
    forms.append("f" + repr(value).replace("{", "{{").replace("}", "}}"))
    return forms


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_string_literals_decode_to_their_value_with_positions(value: str) -> None:
    for form in _literal_forms(value):
        source = f"x = (\n    {form}\n)\n"
        node = __import__("ast").parse(source).body[0].value
        t = template(node, Source(source))
        assert t is not None and not t.holes
        assert t.text == eval(form), form  # noqa: S307 - a literal we built
        lines = source.split("\n")
        for c in t.items:
            assert isinstance(c, Char)
            here = (lines[c.line - 1] + "\n")[c.column - 1:]
            # each character sits where it is written, or where its escape (or a doubled brace) starts
            assert here.startswith(c.char) or here.startswith("\\") or here.startswith(c.char * 2), (form, c)
