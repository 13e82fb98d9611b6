"""A private PostgreSQL cluster for fault tests: created, restarted and crashed at will.

Fault tests stop and kill a database server; they must never do that to the shared one at
127.0.0.1:5432 that other test runs use. This module builds a throwaway cluster in a temporary
directory, on its own port, owned by the ``postgres`` OS user (PostgreSQL refuses to run as
root), with trust authentication on 127.0.0.1 only and the durability settings of production
(``fsync`` and ``synchronous_commit`` on), so that "committed" means what it means there.

    with private_cluster() as cluster:
        cluster.create_database("faults_x")
        url = cluster.url("faults_x")
        ...
        cluster.restart()   # pg_ctl restart -m fast: clients are disconnected, data kept
        cluster.crash()     # SIGKILL the postmaster and its children, then start: recovery

The cluster is always stopped and its directory removed when the block ends, even when the
test failed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

#: Where Debian puts the server binaries; override with SLOTWISE_PG_BIN.
DEFAULT_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"
OS_USER = "postgres"


class ClusterError(RuntimeError):
    """A pg_ctl/initdb step failed; the message carries the tail of the server log."""


def bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres."""
    found = Path(os.environ.get("SLOTWISE_PG_BIN", DEFAULT_BIN_DIR))
    if not (found / "pg_ctl").exists():
        raise ClusterError(f"PostgreSQL server binaries not found in {found}")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc, no extra dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces; the ppid follows it.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie is as good as gone


class PgCluster:
    """One PostgreSQL cluster in ``root`` listening on ``HOST:port``."""

    def __init__(self, root: Path, *, port: int | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.log_path = root / "server.log"
        self.port = port or _free_port()
        self.bin = bin_dir()
        self.restarts = 0
        self.crashes = 0

    # --- running commands as the postgres user -------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # PostgreSQL will not run as root; runuser switches without asking for a password.
            command = ["runuser", "-u", OS_USER, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise ClusterError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "--- server log ---\n" + "\n".join(text.splitlines()[-lines:])

    # --- life cycle ---------------------------------------------------------------------

    def init(self) -> PgCluster:
        """initdb with trust authentication; the server itself keeps fsync on."""
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, user=OS_USER, group=OS_USER)
        # --no-sync only skips flushing initdb's own files; the running server still fsyncs.
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        settings = {
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "log_min_messages": "warning",
            # After a crash, flush the data directory with one syncfs() instead of an fsync()
            # per file: the same guarantee, seconds faster.
            "recovery_init_sync_method": "syncfs",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# slotwise fault tests\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        return self

    def start(self) -> None:
        """Start and wait until connections are accepted (crash recovery included)."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", "-t", "90", "start"
        )
        self._wait_accepting()

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast`` (clients disconnected, clean shutdown) or ``immediate``."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> float:
        """``pg_ctl restart``; returns the seconds the server was unavailable."""
        began = time.monotonic()
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-m",
            mode,
            "-w",
            "-t",
            "90",
            "restart",
        )
        self._wait_accepting()
        self.restarts += 1
        return time.monotonic() - began

    def crash(self) -> float:
        """SIGKILL the postmaster and every backend, as a power cut would, then start again.

        Killing only the postmaster leaves its backends serving their clients for a while; a
        crash of the host takes them too. Starting again runs WAL recovery, which must bring
        back every committed transaction. Returns the seconds until connections are accepted.
        """
        began = time.monotonic()
        pid = self.postmaster_pid()
        children = _children_of(pid)
        os.kill(pid, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in [pid, *children]):
            if time.monotonic() > deadline:
                raise ClusterError("killed server processes did not go away within 30 s")
            time.sleep(0.02)
        # The dead postmaster may linger as a zombie until its new parent reaps it, and
        # PostgreSQL takes a zombie's pid in postmaster.pid for a running server. Give the
        # reaper a moment, then remove the stale lock file ourselves: that process is dead.
        reaped_by = time.monotonic() + 3
        while Path(f"/proc/{pid}").exists() and time.monotonic() < reaped_by:
            time.sleep(0.02)
        if Path(f"/proc/{pid}").exists():
            (self.data / "postmaster.pid").unlink(missing_ok=True)
        self.start()
        self.crashes += 1
        return time.monotonic() - began

    def postmaster_pid(self) -> int:
        """The running postmaster's process id (first line of postmaster.pid)."""
        lines = (self.data / "postmaster.pid").read_text().splitlines()
        return int(lines[0])

    def is_running(self) -> bool:
        try:
            return _alive(self.postmaster_pid())
        except (OSError, ValueError, IndexError):
            return False

    def _conn_args(self, database: str) -> list[str]:
        return ["-h", HOST, "-p", str(self.port), "-U", "postgres", "-d", database]

    def _wait_accepting(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), *self._conn_args("postgres"), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"server not accepting connections\n{self.log_tail()}")
            time.sleep(0.05)

    def destroy(self) -> None:
        """Stop the server however possible and remove its files."""
        if self.is_running():
            try:
                self.stop("immediate")
            except (ClusterError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError, OSError, ValueError):
                    os.kill(self.postmaster_pid(), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- databases ----------------------------------------------------------------------

    def url(self, database: str = "postgres", **query: str) -> str:
        """A ``DATABASE_URL`` for a database of this cluster."""
        suffix = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return f"postgres://postgres@{HOST}:{self.port}/{database}" + (
            f"?{suffix}" if suffix else ""
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL statement with psql (tuples only, unaligned) and return its output."""
        psql = self.bin / "psql"
        if not psql.exists():
            psql = Path(shutil.which("psql") or "psql")
        result = subprocess.run(
            [str(psql), *self._conn_args(database), "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        """Create database ``name``; returns its DATABASE_URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def private_cluster(prefix: str = "slotwise_faults_pg_") -> Iterator[PgCluster]:
    """A started private cluster, destroyed (stopped and deleted) when the block ends."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    cluster = PgCluster(root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
