"""`filterql match` shows a progress bar on stderr only when stderr is a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import termios
import subprocess
import sys

from conformance import RUNS_FILE

ARGS = [sys.executable, "-m", "filterql.cli", "match", str(RUNS_FILE), "--filter", 'eq(run_type, "llm")', "--ids-only"]


def _stderr_on_a_terminal() -> tuple[str, str]:
    primary, secondary = pty.openpty()
    # A new terminal is 0 columns wide, and tqdm draws nothing in 0 columns.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        proc = subprocess.run(ARGS, stdout=subprocess.PIPE, stderr=secondary, text=True, timeout=60, check=True)
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


def test_progress_bar_on_a_terminal() -> None:
    stdout, stderr = _stderr_on_a_terminal()
    assert len(stdout.split()) == 6  # the six LLM runs; the bar never reaches stdout
    assert "0 runs [00:00" in stderr  # tqdm's bar, drawn before the first run is read
    assert stderr.endswith("\r")  # and cleared at the end (leave=False): nothing stays on the screen


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    proc = subprocess.run(ARGS, capture_output=True, text=True, timeout=60, check=True)
    assert len(proc.stdout.split()) == 6 and proc.stderr == ""
