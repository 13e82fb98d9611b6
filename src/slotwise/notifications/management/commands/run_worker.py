"""``manage.py run_worker``: deliver queued notifications until stopped (SIGTERM/SIGINT).

Two lanes: emails and reminders in the main thread, webhooks in threads of their own
(``--webhook-threads``), so a webhook receiver that hangs until its deadline never delays an
email. ``--lane email`` / ``--lane webhooks`` run one lane per process instead.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections

from slotwise.core import periodic
from slotwise.core.clock import utcnow
from slotwise.notifications import worker

log = logging.getLogger("slotwise.worker")


class Command(BaseCommand):
    help = (
        "Send queued emails, reminders and webhooks; retries failures with backoff. "
        "Stops on SIGTERM."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Drain what is due now, then exit.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--batch", type=int, default=worker.BATCH)
        parser.add_argument("--worker-id", default=None)
        parser.add_argument(
            "--lease-seconds",
            type=float,
            default=worker.LEASE.total_seconds(),
            help="How long a claimed row stays with this worker before others may take it.",
        )
        parser.add_argument(
            "--lane",
            choices=("all", "email", "webhooks", "periodic"),
            default="all",
            help="What to deliver: emails and reminders, webhooks, the periodic jobs other "
            "apps register (calendar sync), or all (the default; webhooks and periodic jobs "
            "then run in threads of their own beside the email loop).",
        )
        parser.add_argument(
            "--webhook-threads",
            type=int,
            default=4,
            help="Webhooks delivered at once (each waits at most its deadline for a receiver).",
        )
        parser.add_argument(
            "--backoff-seconds",
            type=float,
            default=worker.BACKOFF_BASE.total_seconds(),
            help="Wait after a first failed attempt; it doubles with each further one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            # Finish the message in hand, then leave; its row is never left half-done.
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        worker_id = options["worker_id"] or worker.default_worker_id()
        lane = options["lane"]
        self.stdout.write(f"worker {worker_id} started (lane: {lane})")
        threads = []
        if lane in ("all", "webhooks"):
            # Each thread takes one webhook at a time: a receiver that hangs until the
            # deadline holds only its own thread, never a batch of other deliveries.
            for n in range(max(options["webhook_threads"], 1)):
                thread = threading.Thread(
                    target=self.deliver_lane,
                    kwargs={
                        "lane": "webhooks",
                        "worker_id": f"{worker_id}/webhooks-{n + 1}",
                        "batch": 1,
                        "stop": stop,
                        "options": options,
                    },
                    name=f"webhooks-{n + 1}",
                    daemon=True,
                )
                thread.start()
                threads.append(thread)
        if lane in ("all", "periodic"):
            # Periodic jobs (calendar sync) talk to outside servers: a thread of their own,
            # so a slow calendar never delays an email.
            thread = threading.Thread(
                target=self.run_periodic,
                kwargs={"worker_id": f"{worker_id}/periodic", "stop": stop, "options": options},
                name="periodic",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        if lane in ("all", "email"):
            self.deliver_lane(
                lane="email",
                worker_id=worker_id,
                batch=options["batch"],
                stop=stop,
                options=options,
            )
        for thread in threads:
            # A webhook in hand finishes within its deadline; then the thread sees ``stop``.
            while thread.is_alive():
                thread.join(0.2)
        self.stdout.write(f"worker {worker_id} stopped")

    def run_periodic(
        self, *, worker_id: str, stop: threading.Event, options: dict[str, Any]
    ) -> None:
        """Run the registered periodic jobs when due until ``stop`` (with --once: once each)."""
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    periodic.run_due(now=utcnow(), worker_id=worker_id, force=options["once"])
                except DatabaseError:
                    log.exception("worker %s: database error in a periodic job", worker_id)
                    connections.close_all()
                if options["once"]:
                    break
                stop.wait(min(max(options["poll"], 1.0) * 5, 5.0))
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    def deliver_lane(
        self,
        *,
        lane: str,
        worker_id: str,
        batch: int,
        stop: threading.Event,
        options: dict[str, Any],
    ) -> None:
        """Deliver ``lane``'s rows until ``stop`` is set (with --once: until none is due)."""
        lease = timedelta(seconds=options["lease_seconds"])
        pause = options["poll"]
        # One mail connection for as long as there is work: opened by the first message,
        # closed whenever the queue is empty (servers drop idle connections anyway).
        mail = worker.new_mail_connection()
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    claimed = worker.run_once(
                        worker_id=worker_id,
                        limit=batch,
                        lease=lease,
                        should_stop=stop.is_set,
                        mail_connection=mail,
                        backoff_base=timedelta(seconds=options["backoff_seconds"]),
                        lane=lane,
                    )
                except DatabaseError:
                    # The database went away (restart, failover): keep the process alive and
                    # try again with growing pauses; claimed rows come back after their lease.
                    log.exception("worker %s: database error, retrying in %.0f s", worker_id, pause)
                    connections.close_all()
                    worker.close_quietly(mail)
                    stop.wait(pause)
                    pause = min(pause * 2, 60.0)
                    continue
                except Exception:
                    if lane != "webhooks":
                        raise  # the process stops and its supervisor restarts it
                    # A thread that died here would end webhook delivery unnoticed while
                    # email goes on: log, pause and carry on; the row returns after its lease.
                    log.exception(
                        "worker %s: unexpected error, retrying in %.0f s", worker_id, pause
                    )
                    stop.wait(pause)
                    continue
                pause = options["poll"]
                if claimed == 0:
                    worker.close_quietly(mail)
                    if options["once"]:
                        break
                    stop.wait(options["poll"])
        finally:
            worker.close_quietly(mail)
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()  # this thread's own connections
