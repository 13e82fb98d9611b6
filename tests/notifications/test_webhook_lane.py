"""Slow webhooks never stall email: real ``run_worker`` processes, a real SMTP server, and ten
webhook receivers that each trickle one byte every 5 seconds.

A confirmation email's latency (queued to accepted by the mail server) is measured with no
webhooks, then while all ten receivers hang; the figures are in docs/reliability.md, "Abuse:
webhooks". Run with ``-s`` to see them.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message, WebhookEndpoint
from slotwise.notifications.outbox import event_context
from tests import factories
from tests.conftest import build_world
from tests.notifications.processes import wait_until, worker_pool
from tests.notifications.smtp import SMTPServer, ignore_email_settings_deprecation

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    ignore_email_settings_deprecation,
]

HANGING = 10
PROBES = 5
#: How late a confirmation may be while every webhook receiver hangs (the worker polls every
#: 0.1 s; a hung receiver holds its webhook for up to 10 s).
MAX_LATENCY = 2.0


class Trickler:
    """A receiver that reads the request, then answers one byte every ``every`` seconds."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.open = 0
        self.accepted = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.open += 1
                self.accepted += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 1000:
                    conn.sendall(bytes([byte]))
                    if self.stopped.wait(self.every):
                        return
        except OSError:
            return
        finally:
            with self.lock:
                self.open -= 1

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def tricklers() -> Iterator[list[Trickler]]:
    made = [Trickler() for _ in range(HANGING)]
    yield made
    for t in made:
        t.close()


def a_booking() -> Booking:
    world = build_world()
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 6, 4, 10),
    )
    Message.objects.all().delete()  # only the rows this test queues are in the outbox
    return booking


def queue_webhooks(booking: Booking, tricklers: list[Trickler], per_endpoint: int) -> None:
    now = utcnow() - timedelta(seconds=1)
    rows = []
    for t in tricklers:
        endpoint = WebhookEndpoint.objects.create(
            business=booking.business,
            url=t.url,
            events=["booking.created"],
            secret="s" * 32,
            created_at=now,
        )
        for n in range(per_endpoint):
            rows.append(
                Message(
                    business=booking.business,
                    booking=booking,
                    channel=Message.Channel.WEBHOOK,
                    kind=Message.Kind.WEBHOOK,
                    recipient=t.url,
                    audience="webhook",
                    context={
                        "event": "booking.created",
                        "endpoint_id": endpoint.pk,
                        "payload": {"event": "booking.created", "n": n},
                    },
                    dedupe_key=f"hook:{endpoint.pk}:{n}",
                    due_at=now,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Message.objects.bulk_create(rows)


def probe(booking: Booking, server: SMTPServer, n: int) -> float:
    """Queue one confirmation email; seconds until the mail server has it."""
    address = f"probe{n}@example.test"
    due = utcnow() - timedelta(seconds=1)
    Message.objects.create(
        business=booking.business,
        booking=booking,
        channel=Message.Channel.EMAIL,
        kind=Message.Kind.CONFIRMATION,
        recipient=address,
        recipient_name=f"Probe {n}",
        audience="customer",
        context=event_context(booking),
        dedupe_key=f"probe:{n}",
        due_at=due,
        next_attempt_at=due,
        created_at=due,
    )
    queued = time.monotonic()
    (got,) = [
        r
        for r in server.wait_for(
            lambda received: any(address in r.rcpt_tos for r in received),
            timeout=60,
            what=f"the confirmation to {address}",
        )
        if address in r.rcpt_tos
    ]
    return got.at - queued


def figures(latencies: list[float]) -> str:
    return (
        f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )


@pytest.mark.parametrize(
    "processes",
    [
        pytest.param((("all", "--webhook-threads", str(HANGING)),), id="one-worker-two-lanes"),
        pytest.param((("email",), ("webhooks", "--webhook-threads", "4")), id="a-worker-per-lane"),
    ],
)
def test_hanging_webhook_receivers_delay_no_email(
    tmp_path, monkeypatch, tricklers, processes
) -> None:
    monkeypatch.setenv("SLOTWISE_ALLOW_PRIVATE_URLS", "true")  # the receivers are on 127.0.0.1
    booking = a_booking()
    with SMTPServer() as server, worker_pool(tmp_path, server) as start:
        workers = [
            start(f"w-{lane}", "--lane", lane, "--poll", "0.1", *rest) for lane, *rest in processes
        ]
        for w in workers:
            w.wait_started()
        info = lambda: "\n".join(w.tail() for w in workers)  # noqa: E731

        calm = [probe(booking, server, n) for n in range(PROBES)]

        queue_webhooks(booking, tricklers, per_endpoint=3)
        threads = sum(
            int(rest[rest.index("--webhook-threads") + 1])
            for _lane, *rest in processes
            if "--webhook-threads" in rest
        )
        # Every webhook thread is now held by a receiver that sends a byte every 5 s.
        wait_until(
            lambda: sum(t.open for t in tricklers) >= min(threads, HANGING),
            timeout=30,
            what="the webhook threads hang on the receivers",
            info=info,
        )
        hung_at = time.monotonic()
        busy = [probe(booking, server, PROBES + n) for n in range(PROBES)]
        assert time.monotonic() - hung_at < 8, "the probes outlasted the hang; measure again"
        assert sum(t.open for t in tricklers) >= 1, "the receivers stopped hanging too soon"

        # The hung deliveries end at their 10 s deadline, as failed attempts to retry later.
        wait_until(
            lambda: (
                Message.objects.filter(
                    channel=Message.Channel.WEBHOOK,
                    status=Message.Status.AWAITING_RETRY,
                    last_error__contains="no complete answer within 10 s",
                ).count()
                >= min(threads, HANGING)
            ),
            timeout=30,
            what="the hung webhooks reach their deadline",
            info=info,
        )
        for w in workers:
            # A webhook in hand is finished first: stopping takes up to its 10 s deadline.
            code, took = w.stop(timeout=25)
            assert code == 0 and took < 12, w.tail()

    print(
        f"\n{len(processes)} process(es); confirmation latency, no webhooks: {figures(calm)}; "
        f"while {HANGING} receivers trickle a byte every 5 s: {figures(busy)}"
    )
    assert max(busy) < MAX_LATENCY, (calm, busy)
    assert statistics.median(busy) < statistics.median(calm) + 0.5, (calm, busy)
    assert server.count_by_message_id().most_common(1)[0][1] == 1
