"""Rate limits hold across several web servers and parallel requests (real gunicorn processes).

Two gunicorn servers on one database, as on two hosts, with the shipped per-email limit
(3 bookings an hour). 16 clients from 16 addresses, released together, each book a different
time for the same email address through both servers: exactly 3 bookings are made, every
other client gets ``429 rate_limited`` with ``Retry-After``. The count is a database row
incremented by one atomic upsert, so neither a second server nor a race lets one more
through. Availability, limited per address, is counted across both servers too.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest

from bench.servers import web_server
from tests.faults.conftest import AppDatabase, prepare
from tests.faults.traffic import first_day, request

pytestmark = pytest.mark.slow

CLIENTS = 16
REAL_LIMITS = {
    "SLOTWISE_RATE_BOOKING_EMAIL": "3/3600",
    "SLOTWISE_RATE_BOOKING": "10/600",
    "SLOTWISE_RATE_AVAILABILITY": "20/60",
}


def test_limits_are_shared_by_servers_and_hold_under_a_race(
    app_database: AppDatabase, tmp_path
) -> None:
    seed = prepare(app_database.url, slug="faults-limits", providers=2, migrate=False)
    base = f"/api/v1/public/{seed['business']}/pages/{seed['page']}"
    day = first_day() + timedelta(hours=9)
    results: list[tuple[int, dict[str, str], Any]] = []
    lock = threading.Lock()

    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                web_server(
                    app_database.url,
                    workers=2,
                    extra_env=REAL_LIMITS,
                    log_path=tmp_path / f"web-{host}.log",
                )
            )
            for host in ("a", "b")
        ]
        barrier = threading.Barrier(CLIENTS)

        def client(number: int) -> None:
            body = {
                "service_id": seed["service_id"],
                "start": (day + timedelta(minutes=30 * number)).isoformat(),
                "customer": {"name": f"Client {number}", "email": "Victim@Example.test"},
            }
            barrier.wait()
            reply = request(
                servers[number % 2].url,
                "POST",
                f"{base}/bookings",
                body,
                address=f"127.0.0.{10 + number}",
            )
            with lock:
                results.append(reply)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

        statuses = sorted(status for status, _, _ in results)
        assert statuses == [201] * 3 + [429] * (CLIENTS - 3), statuses
        for status, headers, body in results:
            if status == 429:
                assert body["code"] == "rate_limited"
                assert 0 < int(headers["Retry-After"]) <= 3600

        # Availability: 20 a minute per address, whichever server answers.
        query = f"{base}/availability?service_id={seed['service_id']}"
        if time.time() % 60 > 40:  # keep the 24 requests inside one fixed one-minute window
            time.sleep(61 - time.time() % 60)
        answers = [
            request(servers[i % 2].url, "GET", query, address="127.0.0.2")[0] for i in range(24)
        ]
        assert answers == [200] * 20 + [429] * 4, answers
        assert request(servers[0].url, "GET", query, address="127.0.0.3")[0] == 200
