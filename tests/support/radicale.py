"""A real CalDAV server for tests: Radicale on a free loopback port, in a temporary folder.

    with radicale_server() as server:
        server.add_user("alice", "secret")
        url = server.url            # http://127.0.0.1:PORT/
        server.stop() / server.start()   # the "server down" tests

The ``radicale`` pytest fixture (tests/conftest.py) starts one per test process (so per
pytest-xdist worker) and reuses it; each test takes a fresh user (``radicale.new_user()``),
so tests never see each other's calendars. htpasswd with plain passwords: a throwaway
server, never a real one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"
_users = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class RadicaleServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.htpasswd = root / "users"
        self.htpasswd.write_text("")
        self.storage = root / "collections"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def add_user(self, user: str, password: str) -> None:
        # Radicale re-reads the file on every login.
        with self.htpasswd.open("a") as f:
            f.write(f"{user}:{password}\n")

    def new_user(self, password: str = "app-password") -> tuple[str, str]:
        """A user of its own for one test: (name, password)."""
        name = f"user{os.getpid()}x{next(_users)}"
        self.add_user(name, password)
        return name, password

    def start(self, timeout: float = 20.0) -> None:
        command = [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"{HOST}:{self.port}",
            "--storage-filesystem-folder",
            str(self.storage),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(self.htpasswd),
            "--auth-htpasswd-encryption",
            "plain",
            "--rights-type",
            "owner_only",
            "--logging-level",
            "warning",
            # No delay after a wrong password: the tests try one on purpose.
            "--auth-delay",
            "0",
        ]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.root,
            env={**os.environ, "HOME": str(self.root)},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"radicale exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(self.url + ".web/", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("radicale did not start in time")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def radicale_server() -> Iterator[RadicaleServer]:
    root = Path(tempfile.mkdtemp(prefix="slotwise-radicale-"))
    server = RadicaleServer(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
