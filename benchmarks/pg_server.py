"""A throwaway PostgreSQL server for the tests and benchmarks: ``initdb`` + ``pg_ctl`` in a temporary directory.

It listens on 127.0.0.1 on a free port (and a socket in its own directory),
runs as the ``postgres`` user when the tests run as root (PostgreSQL refuses
root), and is stopped by :meth:`PostgresServer.stop`. The binaries come from
``PATH`` or ``/usr/lib/postgresql/*/bin`` (``.ci/run`` installs them via apt).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "find_binary"]


def find_binary(name: str) -> str:
    """The path of a PostgreSQL server program, or FileNotFoundError saying how to install it."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL server (apt-get install -y postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A started server; ``dsn`` connects to its ``postgres`` database."""

    def __init__(self) -> None:
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.directory = Path(tempfile.mkdtemp(prefix="filterql-pg-"))
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.port = _free_port()
        user = "postgres" if self._as_postgres else os.environ.get("USER") or "postgres"
        self._run(find_binary("initdb"), "-D", str(self.data), "-U", user, "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.directory} -c fsync=off"
        self._run(find_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.directory / "log"), "-w", "start")
        self.dsn = f"host=127.0.0.1 port={self.port} user={user} dbname=postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}")

    def stop(self) -> None:
        self._run(find_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
