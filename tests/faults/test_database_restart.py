"""PostgreSQL restarted, then crashed, under a web server that is booking and rescheduling.

A private cluster (never the shared server) runs with production durability (fsync and
synchronous_commit on). gunicorn serves the public API on it while client threads book
distinct slots and reschedule each booking through its manage link, without pause. Midway the
cluster is restarted with ``pg_ctl restart -m fast`` (every connection is cut), and later
crashed: the postmaster and its backends are SIGKILLed and the server started again, so it
replays its WAL. Clients meanwhile get answers or errors; the test then checks that

- every error a client saw was a 503 ``service_unavailable`` or a dropped connection, never a
  500 or a refusal (no two clients want the same slot, so a 409 would be a fault);
- every booking the database holds is complete: status, history, outbox messages, reminder,
  manage token, and no customer left behind by a transaction that was cut in half;
- every booking acknowledged with 201 survived the crash, at the time the client was told;
- the same gunicorn master and workers, never restarted, serve new bookings afterwards:
  Django noticed the dead connections and opened new ones.
"""

from __future__ import annotations

import threading
import time

import pytest

from bench.servers import web_server
from tests.faults.conftest import prepare, run_appdata
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
from tests.support.pgcluster import PgCluster

pytestmark = pytest.mark.slow

CLIENTS = 4
WARM_UP = 2.5  # seconds of traffic before the first fault, and between faults
AFTER_CRASH = 3.0  # seconds of traffic after the crash, to see the server recover
ALLOWED = {"book 201", "reschedule 200"}
SLUG = "faults-restart"


def _is_fault_reply(label: str) -> bool:
    """An error a client may see while the database is away: 503 or a cut connection."""
    return label.endswith("503 service_unavailable") or " conn " in f" {label}"


def test_bookings_survive_postgres_restart_and_crash(private_pg: PgCluster, tmp_path) -> None:
    name = "slotwise_faults_restart"
    private_pg.create_database(name)
    # Schema and seed data are not under test: they commit without waiting for the disk.
    seed = prepare(
        private_pg.url(name, options="-c synchronous_commit=off"), slug=SLUG, providers=2
    )
    url = private_pg.url(name)  # the web server commits as in production
    base = first_day()
    tally, stop = Tally(), threading.Event()
    with web_server(url, workers=2, log_path=tmp_path / "web.log") as server:
        master, workers_before = server.process.pid, server.worker_pids()
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
            time.sleep(WARM_UP)
            booked_before_restart = len(merge(bookers).booked)
            restart_seconds = private_pg.restart("fast")
            time.sleep(WARM_UP)
            booked_before_crash = len(merge(bookers).booked)
            crash_seconds = private_pg.crash()
            recovered_at = time.monotonic()
            time.sleep(AFTER_CRASH)
        finally:
            stop.set()
            for b in bookers:
                b.join(timeout=60)
        assert not any(b.is_alive() for b in bookers), "a client hung"

        # The same processes take a new booking now, first time.
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
        assert server.worker_pids() == workers_before, "a gunicorn worker was replaced"
        log_text = server.log_path.read_text(errors="replace")

    acked = merge(bookers)
    acked.booked[probe.body["booking"]["reference"]] = probe_start.isoformat()
    found = run_appdata(url, "audit", "--slug", SLUG)
    report = (
        f"\n{tally.summary()}\nrequests {tally.requests}, slowest {tally.max_seconds:.2f} s, "
        f"restart {restart_seconds:.2f} s, crash+recovery {crash_seconds:.2f} s, "
        f"booked before restart {booked_before_restart}, before crash {booked_before_crash}, "
        f"counts {found['counts']}\nsamples {tally.samples}"
    )
    print(report)

    unexpected = tally.count(lambda label: label not in ALLOWED and not _is_fault_reply(label))
    assert unexpected == 0, report
    assert tally.count(lambda label: "500" in label) == 0, report
    # The faults happened under load: clients did see the database go away.
    assert tally.count(_is_fault_reply) > 0, report
    assert "Traceback" not in log_text, log_text[-3000:]
    assert found["problems"] == [], found["problems"][:20]
    assert check_against_database(acked, found["bookings"]) == []
    assert len(found["bookings"]) >= len(acked.booked)
    assert booked_before_restart > 0 and len(acked.booked) > booked_before_crash
    assert sum(1 for t in acked.booked_at if t > recovered_at) > 0, report
