"""Two web servers and two notification workers on one database, as on several machines.

Two gunicorn servers (separate process trees on their own ports, as if on two hosts behind a
load balancer) and two ``run_worker`` processes share one database. 64 clients, released
together, race for 20 slots (two providers × ten half hours) through both servers, asking
for a named provider or for "any provider", a couple of thousand attempts in all. Then:

- exactly 20 bookings exist, one per slot; exactly 20 clients were told 201;
- every other attempt was a clean ``409 slot_unavailable``: no 5xx, no dropped connection;
- every booking is complete (history, messages, reminder, token; no stray customer);
- the two workers, claiming from the same outbox, delivered every message that is due to a
  real SMTP server exactly once (counted by Message-ID), and marked each one sent.

On PostgreSQL this is a database of its own on the configured server; on SQLite both servers
and both workers share one database file, as they would on one host.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest

from bench.servers import notification_worker, web_server
from tests.faults.conftest import AppDatabase, prepare, run_appdata
from tests.faults.traffic import Tally, call, first_day
from tests.notifications.smtp import SMTPServer

pytestmark = pytest.mark.slow

CLIENTS = 64
ATTEMPTS = 32  # per client: 2,048 in all
TIMES = 10  # half hours on offer, for each of the two providers
SLUG = "faults-machines"
MESSAGES_PER_BOOKING = 3  # confirmation, provider's and business's "new booking"


def test_two_servers_two_workers_race_for_twenty_slots(app_database: AppDatabase, tmp_path) -> None:
    seed = prepare(app_database.url, slug=SLUG, providers=2, migrate=False)
    day = first_day() + timedelta(hours=9)
    times = [day + timedelta(minutes=30 * i) for i in range(TIMES)]
    provider_choices = [*seed["provider_ids"], None]
    book_path = f"/api/v1/public/{seed['business']}/pages/{seed['page']}/bookings"
    tally = Tally()
    wins: list[tuple[int, datetime, str]] = []
    wins_lock = threading.Lock()

    with SMTPServer() as smtp, ExitStack() as stack:
        servers = [
            stack.enter_context(
                web_server(app_database.url, workers=2, log_path=tmp_path / f"web-{host}.log")
            )
            for host in ("a", "b")
        ]
        workers = [
            stack.enter_context(
                notification_worker(
                    app_database.url,
                    email_url=smtp.url,
                    log_path=tmp_path / f"worker-{host}.log",
                    args=("--worker-id", f"host-{host}", "--poll", "0.2"),
                )
            )
            for host in ("a", "b")
        ]
        barrier = threading.Barrier(CLIENTS)

        def client(number: int) -> None:
            rng = random.Random(number)
            barrier.wait()
            for attempt in range(ATTEMPTS):
                start = rng.choice(times)
                reply = call(
                    servers[(number + attempt) % len(servers)].url,
                    "POST",
                    book_path,
                    {
                        "service_id": seed["service_id"],
                        "provider_id": rng.choice(provider_choices),
                        "start": start.isoformat(),
                        "customer": {
                            "name": f"Racer {number}",
                            "email": f"racer{number}.{attempt}@faults.test",
                        },
                    },
                )
                tally.add("book", reply, start.isoformat())
                if reply.status == 201 and reply.body is not None:
                    booking = reply.body["booking"]
                    with wins_lock:
                        wins.append((booking["provider_id"], start, booking["reference"]))

        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        race_seconds = time.monotonic() - began
        assert not any(t.is_alive() for t in threads), "a client hung"

        expected_mails = len(wins) * MESSAGES_PER_BOOKING
        got = smtp.wait_for(lambda got: len(got) >= expected_mails, timeout=90, what="all mail")
        delivered_seconds = max(r.at for r in got) - began
        # A duplicate would come after the originals: leave time for one to show up.
        time.sleep(2.0)
        for w in workers:
            assert w.stop() == 0
        assert all(s.process.poll() is None for s in servers), "a web server died"
        logs = {w.log_path.name: w.log_path.read_text(errors="replace") for w in workers}
        received = smtp.received

    found = run_appdata(app_database.url, "audit", "--slug", SLUG)
    by_id = Counter(r.message_id for r in received)
    sent_by = {name: len(re.findall(r"status=sent", text)) for name, text in logs.items()}
    report = (
        f"\n{app_database.vendor}: {tally.summary()}\nattempts {tally.requests} in "
        f"{race_seconds:.1f} s, slowest {tally.max_seconds:.2f} s; {len(received)} emails, "
        f"the last one {delivered_seconds:.1f} s after the start; sent per worker {sent_by}; "
        f"counts {found['counts']}\nsamples {tally.samples[:3]}"
    )
    print(report)

    assert tally.requests == CLIENTS * ATTEMPTS
    assert tally.outcomes == Counter(
        {"book 201": 20, "book 409 slot_unavailable": CLIENTS * ATTEMPTS - 20}
    ), report
    slots = {(provider, start) for provider, start, _ in wins}
    assert slots == {(p, t) for p in seed["provider_ids"] for t in times}, report
    assert found["problems"] == [], found["problems"][:20]
    assert sorted(found["bookings"]) == sorted(ref for _, _, ref in wins)
    for ref, row in found["bookings"].items():
        assert (row["provider_id"], datetime.fromisoformat(row["start"])) in slots, ref

    due = found["due_messages"]
    assert len(due) == 20 * MESSAGES_PER_BOOKING
    assert set(by_id) == set(due), report
    assert [mid for mid, n in by_id.items() if n != 1] == [], report
    assert {row["status"] for row in due.values()} == {"sent"}, due
