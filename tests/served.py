"""Running ``filterql serve``'s app in tests: uvicorn in a thread on a free loopback port, stopped on exit.

``loopback_only()`` makes any connection to another address fail the test, so a
test can show that the ``langsmith`` SDK talks to nothing but the local server.
Import with ``from served import ...``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import time
from typing import Any, Iterator

import pytest

__all__ = ["running", "serving_process", "loopback_only", "SDK_ENV"]

#: Environment that keeps the SDK from tracing, or sending anything anywhere but the server.
SDK_ENV = {
    "LANGSMITH_TRACING": "false", "LANGSMITH_TRACING_V2": "false", "LANGCHAIN_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false", "LANGSMITH_OTEL_ENABLED": "false", "OTEL_SDK_DISABLED": "true",
    "NO_PROXY": "*", "no_proxy": "*", "HTTP_PROXY": "", "HTTPS_PROXY": "", "http_proxy": "", "https_proxy": "",
}


@contextlib.contextmanager
def running(app: Any, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL; stops on exit."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"
    return isinstance(address, (str, bytes))  # a Unix socket stays on the machine


@contextlib.contextmanager
def loopback_only() -> Iterator[list[Any]]:
    """Refuse (and record) every socket connection to a non-loopback address; set :data:`SDK_ENV`."""
    refused: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(address: Any) -> None:
        if not _is_loopback(address):
            refused.append(address)
            raise ConnectionRefusedError(f"test guard: no connection off this machine ({address!r})")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        for name, value in SDK_ENV.items():
            mp.setenv(name, value)
        for name in list(os.environ):
            if name.startswith(("LANGSMITH_", "LANGCHAIN_")) and name not in SDK_ENV:
                mp.delenv(name)
        yield refused


@contextlib.contextmanager
def serving_process(*arguments: str, timeout: float = 300.0) -> Iterator[str]:
    """``filterql serve ARGUMENTS --port 0`` in a child process; yields the URL it prints; stops it on exit."""
    import queue
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "filterql.cli", "serve", *arguments, "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    seen: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"filterql serve did not start: {''.join(seen)}") from None
            seen.append(line)
            if line.startswith("listening on "):
                yield line.split()[-1]
                break
            if proc.poll() is not None and lines.empty():
                raise RuntimeError(f"filterql serve exited: {''.join(seen)}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
