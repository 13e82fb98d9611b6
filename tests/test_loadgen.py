"""bench/loadgen.py against a tiny local HTTP server: counts, statuses, bodies, reconnects."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import LoadResult, Request, Response, run_load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the path asks to close
    connections = 0  # accepted connections, counted once each

    def setup(self) -> None:
        Handler.connections += 1
        super().setup()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        status = 409 if body["n"] % 2 else 201
        payload = json.dumps({"n": body["n"], "proto": self.headers["X-Forwarded-Proto"]})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.connections = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("path", ["/keep", "/close"])
def test_counts_statuses_and_bodies(server: str, path: str) -> None:
    numbers = iter(range(1000))
    seen: list[dict] = []

    def source(client: int) -> Request:
        return Request("POST", path, {"n": next(numbers)})

    def hook(request: Request, response: Response) -> None:
        data = response.json()
        assert data["n"] == request.body["n"]
        seen.append(data)

    result = run_load(server, source, clients=4, duration=30, max_requests=60, on_response=hook)
    assert result.requests == 60 == len(seen)
    assert result.statuses == {201: 30, 409: 30}
    assert not result.errors
    assert {d["proto"] for d in seen} == {"https"}
    assert len(result.latencies_ms) == 60 and min(result.latencies_ms) > 0
    assert result.rate > 0 and result.summary()["n"] == 60
    if path == "/keep":  # four clients, four connections
        assert Handler.connections <= 4
    else:  # a new connection per request
        assert Handler.connections == 60


def test_a_client_stops_when_its_source_runs_dry(server: str) -> None:
    left = {0: 3, 1: 5}

    def source(client: int) -> Request | None:
        if left[client] == 0:
            return None
        left[client] -= 1
        return Request("POST", "/keep", {"n": 2 * left[client]})

    result = run_load(server, source, clients=2, duration=30)
    assert result.requests == 8
    assert result.statuses == {201: 8}


def test_a_dead_server_counts_connection_errors() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_load(
        f"http://127.0.0.1:{port}",
        lambda _: Request("GET", "/"),
        clients=2,
        duration=5,
        max_requests=6,
    )
    assert result.requests == 0
    assert sum(result.errors.values()) == 6


def test_runs_from_a_thread_whose_event_loop_is_running(server: str) -> None:
    """Playwright's sync API leaves a running loop behind in the test session's thread; a
    load run started from such a thread must still work (it takes a thread of its own).
    The loop here runs in a thread of the test's own, whatever the session's thread holds."""
    results: list[LoadResult] = []

    async def inside_a_running_loop() -> None:
        results.append(
            run_load(
                server,
                lambda _: Request("POST", "/keep", {"n": 2}),
                clients=2,
                duration=30,
                max_requests=6,
            )
        )

    thread = threading.Thread(target=lambda: asyncio.run(inside_a_running_loop()))
    thread.start()
    thread.join(timeout=60)
    (result,) = results
    assert result.requests == 6
    assert result.statuses == {201: 6}
