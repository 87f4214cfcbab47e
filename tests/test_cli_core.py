"""``filterql parse`` and ``filterql fmt`` as a user runs them: exit codes, stdin, stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from filterql import from_json, parse

CLI = [sys.executable, "-m", "filterql.cli"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, timeout=60, env=env)


def test_fmt_canonical_and_pretty() -> None:
    text = "and( eq(run_type,'llm') ,gt(latency, \"5s\"))"
    out = run("fmt", text)
    assert out.returncode == 0 and out.stderr == b""
    assert out.stdout.decode() == 'and(eq(run_type, "llm"), gt(latency, "5s"))\n'
    long = "and(" + ", ".join(f'eq(name, "value-{i}")' for i in range(6)) + ")"
    pretty = run("fmt", "--pretty", long).stdout.decode()
    assert pretty.startswith("and(\n  eq(name, \"value-0\"),\n") and pretty.endswith("\n)\n")
    assert parse(pretty) == parse(long)


def test_parse_json_round_trips() -> None:
    text = 'and(eq(feedback_score, 0.0), has(tags, "é\\"x"))'
    out = run("parse", text, "--json")
    assert out.returncode == 0
    assert from_json(json.loads(out.stdout)) == parse(text)
    plain = run("parse", text)
    assert plain.returncode == 0 and plain.stdout.decode().startswith("And([")


def test_dash_reads_stdin() -> None:
    out = run("fmt", "-", stdin='or(\n  eq(name, "é"),\n  eq(name, "😀")\n)\n'.encode())
    assert out.returncode == 0
    assert out.stdout.decode() == 'or(eq(name, "é"), eq(name, "😀"))\n'
    assert run("parse", "-", "--json", stdin=b'search("x")').returncode == 0


def test_invalid_filter_exits_1_with_caret() -> None:
    out = run("fmt", 'eq(name "x")')
    assert out.returncode == 1 and out.stdout == b""
    err = out.stderr.decode()
    assert err.splitlines() == [
        'error: line 1, column 9: expected "," or ")" after eq(name, found \'"x"\'',
        'eq(name "x")',
        "        ^^^",
        'hint: arguments are separated by ","',
    ]
    assert "\x1b[" not in err  # stderr is not a terminal here
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [[], ["fmt"], ["parse"], ["nosuch", "x"], ["fmt", "--bogus", "eq(a, 1)"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    out = run(*args)
    assert out.returncode == 2
    assert b"usage:" in out.stderr and b"Traceback" not in out.stderr


@pytest.mark.parametrize("data", [b"\xff\xfe", b'eq(name, "\xc3")', b"", b"\x00", b"eq(a, 1)\n\n\xe9"])
def test_any_stdin_bytes_give_a_clean_exit(data: bytes) -> None:
    for cmd in (["fmt", "-"], ["parse", "-", "--json"]):
        out = run(*cmd, stdin=data)
        assert out.returncode == 1
        assert b"Traceback" not in out.stderr and out.stderr.startswith(b"error: line ")


def test_invalid_utf8_is_located() -> None:
    out = run("fmt", "-", stdin=b'and(\n eq(name, "\xff"))')
    assert out.returncode == 1
    assert out.stderr.decode().startswith("error: line 2, column 12: standard input is not UTF-8")


def test_colour_only_on_a_terminal() -> None:
    pty = pytest.importorskip("pty")
    code = "import sys; from filterql.cli import main; sys.exit(main(['fmt', 'eq(a b)']))"
    pid, fd = pty.fork()
    if pid == 0:  # child: stdout and stderr are the pseudo-terminal
        os.execv(sys.executable, [sys.executable, "-c", code])
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
    assert b"\x1b[1;31merror\x1b[0m" in b"".join(chunks)
