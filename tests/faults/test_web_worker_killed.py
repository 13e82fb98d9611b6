"""gunicorn workers SIGKILLed while they are booking and rescheduling.

A web process can die at any instruction (out of memory, a node failure, an operator's
kill -9). Client threads book distinct slots and reschedule each booking through its manage
link, keeping both gunicorn workers busy, while the test SIGKILLs a worker again and again.
The request it was serving is lost with it: the client sees the connection drop. The
transaction it had open is rolled back by the database. Afterwards:

- clients saw only successes and dropped connections: no 5xx, no refusals;
- every booking in the database is complete (history, outbox messages, reminder, token, no
  customer without a booking) and every 201 the clients got is there, at the time confirmed;
- the gunicorn master replaced each killed worker, and the new workers serve bookings.

Runs on the configured database kind: an SQLite file, or a database of its own on the
PostgreSQL server.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import pytest

from bench.servers import web_server
from tests.faults.conftest import AppDatabase, prepare, run_appdata
from tests.faults.traffic import (
    SLOTS_PER_DAY,
    Booker,
    Tally,
    call,
    check_against_database,
    first_day,
    merge,
    slot_start,
)

pytestmark = pytest.mark.slow

CLIENTS = 4
KILLS = 4
BETWEEN_KILLS = 1.0  # seconds of traffic after the last kill
SLUG = "faults-kill"


def _wait_replaced(server, victim: int, workers: int, timeout: float = 60) -> float:
    """Seconds until the master has ``workers`` workers again, ``victim`` not among them."""
    began = time.monotonic()
    while True:
        pids = server.worker_pids()
        if victim not in pids and len(pids) == workers:
            return time.monotonic() - began
        assert server.process.poll() is None, "the gunicorn master died"
        if time.monotonic() - began > timeout:
            raise AssertionError(f"worker {victim} not replaced within {timeout} s: {pids}")
        time.sleep(0.05)


def _wait_progress(tally: Tally, *, more: int, timeout: float = 60) -> None:
    """Wait until ``more`` further bookings have been acknowledged."""
    began = time.monotonic()
    target = tally.count(lambda label: label == "book 201") + more
    while tally.count(lambda label: label == "book 201") < target:
        if time.monotonic() - began > timeout:
            raise AssertionError(f"no progress for {timeout} s:\n{tally.summary()}")
        time.sleep(0.02)


def test_killed_web_workers_leave_no_partial_booking(app_database: AppDatabase, tmp_path) -> None:
    seed = prepare(app_database.url, slug=SLUG, providers=2, migrate=False)
    base = first_day()
    tally, stop = Tally(), threading.Event()
    killed: list[int] = []
    replaced_in: list[float] = []
    with web_server(app_database.url, workers=2, log_path=tmp_path / "web.log") as server:
        master = server.process.pid
        first_workers = server.worker_pids()
        bookers = [
            Booker(
                number=i,
                clients=CLIENTS,
                servers=[server.url],
                seed=seed,
                base=base,
                tally=tally,
                stop=stop,
                max_index=SLOTS_PER_DAY * 50,
            )
            for i in range(CLIENTS)
        ]
        for b in bookers:
            b.start()
        try:
            for n in range(KILLS):
                # Kill only once the current workers are serving (two more bookings went
                # through), so each kill lands on live traffic, not on a worker still booting.
                _wait_progress(tally, more=2)
                time.sleep(random.uniform(0, 0.3))
                pids = server.worker_pids()
                victim = pids[n % len(pids)]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                replaced_in.append(_wait_replaced(server, victim, workers=2))
            time.sleep(BETWEEN_KILLS)
        finally:
            stop.set()
            for b in bookers:
                b.join(timeout=60)
        assert not any(b.is_alive() for b in bookers), "a client hung"

        # The replacement workers take a new booking.
        probe_start = slot_start(base, SLOTS_PER_DAY * 55)
        probe = call(
            server.url,
            "POST",
            f"/api/v1/public/{seed['business']}/pages/{seed['page']}/bookings",
            {
                "service_id": seed["service_id"],
                "provider_id": seed["provider_ids"][0],
                "start": probe_start.isoformat(),
                "customer": {"name": "After", "email": "after@faults.test"},
            },
        )
        assert probe.status == 201, probe
        assert server.process.poll() is None and server.process.pid == master
        final_workers = server.worker_pids()
        log_text = server.log_path.read_text(errors="replace")

    acked = merge(bookers)
    acked.booked[probe.body["booking"]["reference"]] = probe_start.isoformat()
    found = run_appdata(app_database.url, "audit", "--slug", SLUG)
    dropped = tally.count(lambda label: " conn " in f" {label}")
    report = (
        f"\n{app_database.vendor}: {tally.summary()}\nrequests {tally.requests}, "
        f"dropped {dropped}, slowest {tally.max_seconds:.2f} s, killed {killed}, "
        f"replaced in {[round(s, 2) for s in replaced_in]} s, counts {found['counts']}\n"
        f"samples {tally.samples}"
    )
    print(report)

    assert len(killed) == KILLS and not set(killed) & set(final_workers), report
    assert set(first_workers) & set(killed), report
    ok = {"book 201", "reschedule 200"}
    unexpected = tally.count(lambda label: label not in ok and " conn " not in f" {label}")
    assert unexpected == 0, report
    # The kills did land on requests in flight.
    assert dropped > 0, report
    assert "Traceback" not in log_text.replace("WORKER TIMEOUT", ""), log_text[-3000:]
    assert found["problems"] == [], found["problems"][:20]
    assert check_against_database(acked, found["bookings"]) == []
    assert len(found["bookings"]) >= len(acked.booked)
