"""Real server processes for benchmarks and process tests: gunicorn and the notification worker.

Both run exactly as in production (``python -m gunicorn slotwise.wsgi``, ``manage.py
run_worker``) with production settings taken from the environment, on a database given as a
URL. Each is a context manager that waits until the process is ready, with a bounded wait and
the log tail in the error, and stops it on exit (SIGTERM, then SIGKILL after a timeout), so a
failing benchmark or test never leaves servers behind.

No Django imports here: the parent process may not have Django set up, and tests import this
module before pytest-django configures anything.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import RAISED_RATES

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-fixed-secret-key-for-one-run-only-not-for-production-0123456789"
START_TIMEOUT = 60.0  # seconds: generous, because the machine is shared and may be loaded
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a production process on ``database_url``.

    A copy of ``os.environ`` with DEBUG off, a fixed secret key (sessions and manage links
    stay valid across the processes of one run), local hosts, an HTTPS site address (clients
    send ``X-Forwarded-Proto: https`` as a load balancer would) and email to the console
    unless ``EMAIL_URL`` is given. ``overrides`` win over everything.
    """
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests; never in production
    paths = [str(ROOT / "src"), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "slotwise.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "https://127.0.0.1",
            "EMAIL_URL": env.get("EMAIL_URL") or "console:",
            "PYTHONPATH": os.pathsep.join(paths),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # Benchmarks and process tests send thousands of bookings from one address: the public
    # rate limits are raised far out of their way (still counted, so their cost is measured).
    # An outer environment or ``overrides`` may set the real ones.
    for name, rate in RAISED_RATES.items():
        env.setdefault(name, rate)
    env.update(overrides)
    return env


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process in MiB; 0.0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``, found through /proc (gunicorn's workers of its master)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                if int(line.split()[1]) == pid:
                    children.append(int(entry.name))
                break
    return sorted(children)


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def default_log(prefix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f"slotwise-{prefix}-", suffix=".log")
    os.close(fd)
    return Path(name)


def stop_process(process: subprocess.Popen, timeout: float) -> int:
    """SIGTERM, wait up to ``timeout``, then SIGKILL the whole process group; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # The process group holds gunicorn's workers too: none may outlive a benchmark.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=timeout)


@dataclass
class WebServer:
    """A running gunicorn master; its workers are its children."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid)

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) over the current workers, in MiB."""
        return max((peak_rss_mb(pid) for pid in self.worker_pids()), default=0.0)


def answers(port: int) -> bool:
    """Whether an HTTP server on ``port`` gives any response at all (a 404 is an answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def web_server(
    database_url: str,
    *,
    port: int | None = None,
    workers: int = 2,
    threads: int = 1,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
    gunicorn_args: Sequence[str] = (),
) -> Iterator[WebServer]:
    """gunicorn serving Slotwise with production settings on ``127.0.0.1:port``.

    With ``threads > 1`` gunicorn uses its threaded worker (which also keeps connections
    alive); with one thread the sync worker (one request per connection), unless
    ``gunicorn_args`` says otherwise. Yields once the server answers HTTP.
    """
    port = port or free_port()
    log_path = log_path or default_log("web")
    env = production_env(database_url, **(extra_env or {}))
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "slotwise.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--error-logfile",
        "-",
        "--graceful-timeout",
        "5",
        *gunicorn_args,
    ]
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = WebServer(f"http://127.0.0.1:{port}", port, process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(port):
            if process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {process.returncode} before answering; "
                    f"log {log_path}:\n{log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not answer on port {port} within {START_TIMEOUT:.0f} s; "
                    f"log {log_path}:\n{log_tail(log_path)}"
                )
            time.sleep(0.1)
        yield server
    finally:
        stop_process(process, STOP_TIMEOUT)


@dataclass
class WorkerProcess:
    """A running ``manage.py run_worker``."""

    process: subprocess.Popen
    pid: int
    log_path: Path
    _peak: float = field(default=0.0, repr=False)

    def peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) in MiB; after exit, the last value read while alive."""
        self._peak = max(self._peak, peak_rss_mb(self.pid))
        return self._peak

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM and wait for the worker to leave; its exit code.

        A worker that ignores SIGTERM for ``timeout`` seconds is killed and TimeoutError raised,
        because a worker that cannot be stopped is a bug a benchmark must not hide.
        """
        self.peak_rss_mb()
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(f"worker {self.pid} ignored SIGTERM for {timeout} s") from None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.peak_rss_mb()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def notification_worker(
    database_url: str,
    *,
    email_url: str,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
    args: Sequence[str] = (),
) -> Iterator[WorkerProcess]:
    """``manage.py run_worker *args`` on ``database_url`` sending through ``email_url``.

    Yields once the worker has logged that it started (or has already exited, e.g. with
    ``--once``); on exit it is stopped with SIGTERM, and killed if it does not leave.
    """
    log_path = log_path or default_log("worker")
    env = production_env(database_url, EMAIL_URL=email_url, **(extra_env or {}))
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process, process.pid, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        # The whole log, not its tail: a busy worker logs many lines right after "started".
        while process.poll() is None and "started" not in log_tail(log_path, 10**9):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"worker did not start within {START_TIMEOUT:.0f} s; "
                    f"log {log_path}:\n{log_tail(log_path)}"
                )
            worker.peak_rss_mb()
            time.sleep(0.1)
        yield worker
    finally:
        worker.peak_rss_mb()
        stop_process(process, STOP_TIMEOUT)
