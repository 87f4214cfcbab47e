"""`filterql match` shows a progress bar on stderr only when stderr is a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import termios
import subprocess
import sys

import pytest
from conformance import RUNS_FILE

ARGS = [sys.executable, "-m", "filterql.cli", "match", str(RUNS_FILE), "--ids-only"]
#: (options, ids printed): a filter, whose runs are read whole, and none, whose heads alone are read.
CASES = [(["--filter", 'eq(run_type, "llm")'], 6), ([], sum(1 for line in open(RUNS_FILE) if line.strip()))]


def _stderr_on_a_terminal(options: list[str]) -> tuple[str, str]:
    primary, secondary = pty.openpty()
    # A new terminal is 0 columns wide, and tqdm draws nothing in 0 columns.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        proc = subprocess.run(ARGS + options, stdout=subprocess.PIPE, stderr=secondary, text=True, timeout=60, check=True)
        os.close(secondary)
        chunks = []
        while True:
            try:
                data = os.read(primary, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(primary)
    return proc.stdout, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("options, printed", CASES)
def test_progress_bar_on_a_terminal(options: list[str], printed: int) -> None:
    stdout, stderr = _stderr_on_a_terminal(options)
    assert len(stdout.split()) == printed  # the bar never reaches stdout
    assert "0 runs [00:00" in stderr  # tqdm's bar, drawn before the first run is read
    assert stderr.endswith("\r")  # and cleared at the end (leave=False): nothing stays on the screen


@pytest.mark.parametrize("options, printed", CASES)
def test_no_progress_bar_when_stderr_is_not_a_terminal(options: list[str], printed: int) -> None:
    proc = subprocess.run(ARGS + options, capture_output=True, text=True, timeout=60, check=True)
    assert len(proc.stdout.split()) == printed and proc.stderr == ""
