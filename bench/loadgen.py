"""A small closed-loop HTTP/1.1 load generator for loopback benchmarks.

``clients`` coroutines in one asyncio process each keep one connection open (keep-alive; they
reconnect whenever the server closes it, as gunicorn's sync worker does after every response)
and send their next request as soon as the previous answer is read. A run stops at the first of
``duration`` seconds or ``max_requests`` requests, or when the request source runs dry.

Hand-written parsing on asyncio streams instead of an HTTP library keeps the generator's own
CPU cost low, which matters because it shares the machine's two cores with the server; that
cost is measured (``client_cpu_seconds``) and reported next to every figure.

Latency is the time from writing a request (including connecting, when a fresh connection is
needed) to having read the whole response. Because clients are closed-loop, a slow server
sends fewer requests rather than queueing more: the figures are service times under that
concurrency, not an open-loop arrival rate.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import os
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import summarize

HEADERS = {
    "Host": "127.0.0.1",
    "X-Forwarded-Proto": "https",  # as the load balancer in front of gunicorn would say
    "Accept": "application/json",
    "User-Agent": "slotwise-bench",
}


@dataclass(frozen=True, slots=True)
class Request:
    """One request to send; ``tag`` travels to the response callback (e.g. which slot)."""

    method: str
    path: str
    body: Any = None  # JSON-encoded when not None
    tag: Any = None

    def encode(self) -> bytes:
        headers = dict(HEADERS)
        payload = b""
        if self.body is not None:
            payload = json.dumps(self.body).encode()
            headers["Content-Type"] = "application/json"
        if self.body is not None or self.method not in {"GET", "HEAD"}:
            headers["Content-Length"] = str(len(payload))
        head = f"{self.method} {self.path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        return head.encode("latin-1") + b"\r\n" + payload


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    latency_ms: float

    def json(self) -> Any:
        return json.loads(self.body)


#: Gives the next request of client ``i`` (0-based), or None when that client is done.
RequestSource = Callable[[int], Request | None]
#: Sees every response (in the event loop: keep it quick).
ResponseHook = Callable[[Request, Response], None]


@dataclass
class LoadResult:
    """What one run measured."""

    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # connection-level failures
    client_cpu_seconds: float = 0.0
    #: CPU seconds used during the run by each group of watched processes (e.g. the gunicorn
    #: workers, the database backends): with the request count, the CPU cost of one request,
    #: which the load of other programs on the machine does not change much.
    watched_cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        """Completed requests per second of wall-clock time."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_cpu_share(self) -> float:
        """The generator's CPU time as a fraction of one core over the run."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, float]:
        return summarize(self.latencies_ms)

    def cpu_ms_per_request(self) -> dict[str, float]:
        """CPU milliseconds per completed request: the load generator's and each watched group's."""
        if not self.requests:
            return {}
        groups = {"load generator": self.client_cpu_seconds, **self.watched_cpu_seconds}
        return {name: 1000 * sec / self.requests for name, sec in groups.items()}

    def cpu_bound_rate(self, cores: int | None = None) -> float:
        """Requests/s the machine's cores could serve if CPU were the only limit: the cores'
        time divided by the CPU one request costs in all measured processes together."""
        per = sum(self.cpu_ms_per_request().values())
        return (cores or os.cpu_count() or 1) * 1000 / per if per else 0.0

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def describe(self) -> str:
        s = self.summary()
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))
        errors = f"; connection errors {dict(self.errors)}" if self.errors else ""
        cpu = ""
        if self.watched_cpu_seconds and self.requests:
            parts = ", ".join(f"{k} {v:.1f}" for k, v in self.cpu_ms_per_request().items())
            cpu = (
                f"; CPU ms per request: {parts} (all CPU-bound: ≈ {self.cpu_bound_rate():.0f}/s "
                f"on {os.cpu_count()} idle cores)"
            )
        return (
            f"{self.requests} requests in {self.seconds:.1f} s = {self.rate:.0f}/s, "
            f"{self.clients} clients; median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms, "
            f"p99 {s['p99']:.1f} ms, max {s['max']:.0f} ms; status {statuses}{errors}; "
            f"load generator used {self.client_cpu_share:.0%} of a core{cpu}"
        )


class _Connection:
    """One keep-alive connection; reopened whenever the server closed it."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        try:
            status, body, keep = await asyncio.wait_for(self._read(self.reader), self.timeout)
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            # An idle keep-alive connection the server closed just before our request: nothing
            # was read, so the request was not handled; send it once more on a new connection.
            partial = getattr(exc, "partial", b"")
            if not reused or partial:
                raise
            await self.close()
            return await self.exchange(raw)
        if not keep:
            await self.close()
        return status, body

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:  # body until the server closes the connection
            body = await reader.read()
            return int(status), body, False
        keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        return int(status), body, keep


async def _run(
    url: str,
    source: RequestSource,
    *,
    clients: int,
    duration: float,
    max_requests: int | None,
    timeout: float,
    on_response: ResponseHook | None,
) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    result = LoadResult(clients=clients, seconds=0.0)
    budget = [max_requests if max_requests is not None else -1]
    start = time.perf_counter()
    deadline = start + duration

    async def client(i: int) -> None:
        conn = _Connection(host, port, timeout)
        try:
            while time.perf_counter() < deadline and budget[0] != 0:
                request = source(i)
                if request is None:
                    return
                budget[0] -= 1
                raw = request.encode()
                t0 = time.perf_counter()
                try:
                    status, body = await conn.exchange(raw)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                    result.errors[type(exc).__name__] += 1
                    await conn.close()
                    continue
                latency = (time.perf_counter() - t0) * 1000
                result.latencies_ms.append(latency)
                result.statuses[status] += 1
                if on_response is not None:
                    on_response(request, Response(status, body, latency))
        finally:
            await conn.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    result.seconds = time.perf_counter() - start
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _watched(watch: Callable[[], dict[str, list[int]]] | None) -> dict[str, dict[int, float]]:
    if watch is None:
        return {}
    return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in watch().items()}


def run_load(
    url: str,
    source: RequestSource,
    *,
    clients: int,
    duration: float = 10.0,
    max_requests: int | None = None,
    timeout: float = 30.0,
    on_response: ResponseHook | None = None,
    watch: Callable[[], dict[str, list[int]]] | None = None,
) -> LoadResult:
    """Drive the server at ``url`` with ``clients`` concurrent connections; see the module doc.

    ``source(i)`` is asked for client ``i``'s next request each time; returning None ends that
    client. Connection failures are counted in ``errors`` (no latency recorded) and the client
    reconnects; a response slower than ``timeout`` seconds counts as such a failure.

    ``watch()`` names groups of process ids (asked before and after the run) whose CPU time
    is reported in ``watched_cpu_seconds``; a process that appears or exits during the run is
    counted only for the part seen.
    """
    before = _watched(watch)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    run = functools.partial(
        _run,
        url,
        source,
        clients=clients,
        duration=duration,
        max_requests=max_requests,
        timeout=timeout,
        on_response=on_response,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        result = asyncio.run(run())
    else:
        # Called from code that already runs an event loop in this thread (e.g. a test session
        # that drove a browser through Playwright's sync API): run ours in a thread of its own.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            result = pool.submit(lambda: asyncio.run(run())).result()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu_seconds = (usage1.ru_utime - usage0.ru_utime) + (
        usage1.ru_stime - usage0.ru_stime
    )
    after = _watched(watch)
    result.watched_cpu_seconds = {
        name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
        for name, pids in after.items()
    }
    return result
