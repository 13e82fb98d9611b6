"""A cached availability answer never offers a time taken a moment before in another process.

Two gunicorn servers on one database, each with one worker and so its own in-process cache:
server A answers a day's availability (and keeps the answer), server B takes a time, and A's
next answer no longer offers it, because the booking gave the provider a new version in its
own transaction (docs/architecture.md, "Availability cache"). The same holds with the answers
shared in Redis (``CACHE_URL``), where B's booking must not leave A a stale shared answer.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.servers import web_server
from tests.faults.conftest import AppDatabase, prepare
from tests.faults.traffic import first_day, request

pytestmark = pytest.mark.slow


def _call(base_url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, _headers, parsed = request(base_url, method, path, body)
    return status, parsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _redis(tmp_path: Path) -> Iterator[str]:
    """A private redis-server for the test (no persistence), its URL."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed for this test (apt-get install redis-server)"
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize("shared", [False, True], ids=["per-process", "redis"])
def test_a_time_taken_in_another_process_is_never_offered(
    app_database: AppDatabase, tmp_path: Path, shared: bool
) -> None:
    seed = prepare(app_database.url, slug="cache-procs", providers=1, migrate=False)
    base = f"/api/v1/public/{seed['business']}/pages/{seed['page']}"
    day = first_day()
    ask = f"{base}/availability?service_id={seed['service_id']}&date={day.date().isoformat()}"
    with ExitStack() as stack:
        env: dict[str, str] = {}
        if shared:
            env["CACHE_URL"] = stack.enter_context(_redis(tmp_path))
        a, b = (
            stack.enter_context(
                web_server(
                    app_database.url,
                    workers=1,
                    extra_env=env,
                    log_path=tmp_path / f"web-{name}.log",
                )
            )
            for name in ("a", "b")
        )
        for _ in range(2):  # the second answer comes from A's cache
            status, offered = _call(a.url, "GET", ask)
            assert status == 200, offered
        starts = [s["start"] for s in offered["slots"]]
        assert len(starts) > 10
        taken = starts[len(starts) // 2]
        status, made = _call(
            b.url,
            "POST",
            f"{base}/bookings",
            {
                "service_id": seed["service_id"],
                "start": taken,
                "customer": {"name": "Casey", "email": "casey@example.test"},
            },
        )
        assert status == 201, made
        status, after = _call(a.url, "GET", ask)
        assert status == 200
        assert [s["start"] for s in after["slots"]] == [s for s in starts if s != taken]
        # And B, which never asked before, agrees.
        assert _call(b.url, "GET", ask)[1] == after
