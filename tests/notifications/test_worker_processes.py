"""``manage.py run_worker`` as real processes on the test database, sending to a real SMTP server.

The rows are committed (transactional tests) so that the workers, which open their own
connections to the same test database, see them; every worker is killed in a ``finally``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.outbox import event_context
from slotwise.notifications.render import message_id
from tests import factories
from tests.conftest import build_world
from tests.notifications.smtp import SMTPServer, ignore_email_settings_deprecation

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    ignore_email_settings_deprecation,
]

S = Message.Status
BASE_DIR = Path(settings.BASE_DIR)
UNFINISHED = (*Message.PENDING, S.INFLIGHT)


# --- helpers ----------------------------------------------------------------------------


def database_url() -> str:
    """A DATABASE_URL for the test database this process is using right now."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(db["NAME"]).resolve()
        assert path.is_file(), f"the test database must be a file, not {db['NAME']!r}"
        return f"sqlite:///{path}"  # an absolute path: sqlite:////work/...
    assert connection.vendor == "postgresql", connection.vendor
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    # Commits without waiting for the WAL flush: the same locking and visibility, without an
    # fsync per sent message (which makes this machine's PostgreSQL 2-3x slower than SQLite).
    options = quote("-c synchronous_commit=off", safe="")
    name = quote(db["NAME"], safe="")
    return f"postgres://{user}{password}@{host}{port}/{name}?options={options}"


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str, info: Callable[[], str] = str
) -> float:
    """Poll ``predicate`` until it holds; returns the seconds it took."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting until {what}\n{info()}")
        time.sleep(0.05)
    return time.monotonic() - start


class Worker:
    """One ``manage.py run_worker`` process; its stdout and stderr go to a file."""

    def __init__(self, name: str, log: Path, env: dict[str, str], *args: str) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--worker-id", name, *args],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return f"--- {self.name} (exit {self.proc.poll()}) ---\n" + "\n".join(
            self.output().splitlines()[-lines:]
        )

    def wait_started(self, timeout: float = 30) -> None:
        wait_until(
            lambda: f"worker {self.name} started" in self.output() or self.proc.poll() is not None,
            timeout=timeout,
            what=f"{self.name} started",
            info=self.tail,
        )
        assert self.proc.poll() is None, self.tail()

    def stop(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM; returns the exit code and how long the worker took to leave."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} ignored SIGTERM for {timeout} s") from None
        return code, time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@contextmanager
def worker_pool(tmp_path: Path, server: SMTPServer) -> Iterator[Callable[..., Worker]]:
    """``start(name, *args)`` runs a worker on this test database and ``server``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slotwise.settings",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": server.url,
        "SECRET_KEY": "worker-process-tests",
        "PYTHONUNBUFFERED": "1",
    }
    started: list[Worker] = []

    def start(name: str, *args: str) -> Worker:
        w = Worker(name, tmp_path / f"{name}.log", env, *args)
        started.append(w)
        return w

    try:
        yield start
    finally:
        for w in started:
            w.kill()


def seed(count: int, *, bookings: int = 3) -> list[Message]:
    """``count`` confirmation emails due now, spread over a few bookings; nothing else queued."""
    world = build_world()
    made: list[Booking] = []
    for i in range(bookings):
        made.append(
            factories.custom_booking(
                world.business,
                service=world.service,
                provider=world.alex,
                customer=world.customer,
                start=factories.local(world.business, 2030, 6, 4 + i, 10),
            )
        )
    Message.objects.all().delete()  # the bookings' own messages: only ours are in the outbox
    due = utcnow() - timedelta(seconds=1)
    Message.objects.bulk_create(
        Message(
            business=world.business,
            booking=made[i % len(made)],
            channel=Message.Channel.EMAIL,
            kind=Message.Kind.CONFIRMATION,
            recipient=f"guest{i}@example.test",
            recipient_name=f"Guest {i}",
            audience="customer",
            context=event_context(made[i % len(made)]),
            dedupe_key=f"load:{i}",
            due_at=due,
            next_attempt_at=due,
            created_at=due,
        )
        for i in range(count)
    )
    return list(Message.objects.order_by("pk"))


def statuses() -> Counter[str]:
    return Counter(Message.objects.values_list("status", flat=True))


def holders(pks: set[int]) -> set[str]:
    return set(Message.objects.filter(pk__in=pks).values_list("locked_by", flat=True))


def drained() -> bool:
    return not Message.objects.filter(status__in=UNFINISHED).exists()


# --- kill -9 --------------------------------------------------------------------------------


def test_worker_killed_mid_batch_loses_nothing(tmp_path):
    rows = seed(20)
    expected = {message_id(m) for m in rows}
    with SMTPServer(delay=0.3) as server, worker_pool(tmp_path, server) as start:
        first = start("w1", "--lease-seconds", "2", "--poll", "0.1")
        first.wait_started()
        server.wait_for(lambda r: len(r) >= 3, timeout=30, what="three messages")
        first.proc.send_signal(signal.SIGKILL)
        assert first.proc.wait(timeout=10) == -signal.SIGKILL

        at_kill = statuses()
        inflight = set(Message.objects.filter(status=S.INFLIGHT).values_list("pk", flat=True))
        assert at_kill[S.SENT] + at_kill[S.INFLIGHT] == 20, at_kill
        assert 0 < len(inflight) <= 18, at_kill
        assert holders(inflight) == {"w1"}

        second = start("w2", "--poll", "0.1")
        wait_until(
            drained,
            timeout=40,
            what="every row is sent",
            info=lambda: f"{statuses()}\n{first.tail()}\n{second.tail()}",
        )
        assert second.stop()[0] == 0

    counts = server.count_by_message_id()
    assert set(counts) == expected  # every message arrived at least once ...
    assert statuses() == {S.SENT: 20}
    twice = {mid for mid, n in counts.items() if n > 1}
    print(f"\nkill -9 mid-batch: {len(twice)} of 20 messages delivered twice")
    # ... and only a message in hand at the kill (taken by the server, never acknowledged)
    # can arrive twice.
    assert len(twice) <= 1 and max(counts.values()) <= 2, counts
    in_hand = {message_id(m) for m in Message.objects.filter(pk__in=inflight)}
    assert twice <= in_hand
    assert holders(inflight) == {"w2"}


# --- SIGTERM ----------------------------------------------------------------------------


def test_sigterm_stops_an_idle_worker_at_once(tmp_path):
    with SMTPServer() as server, worker_pool(tmp_path, server) as start:
        w = start("w1", "--poll", "5")
        w.wait_started()
        code, took = w.stop(timeout=10)
        assert code == 0, w.tail()
        assert "worker w1 stopped" in w.output()
        assert took < 3, f"took {took:.1f} s"


def test_sigterm_mid_batch_finishes_the_message_in_hand_then_leaves(tmp_path):
    rows = seed(10)
    with SMTPServer(delay=0.5) as server, worker_pool(tmp_path, server) as start:
        w = start("w1", "--poll", "0.1")
        w.wait_started()
        server.wait_for(lambda r: len(r) >= 1, timeout=30, what="the first message")
        code, took = w.stop(timeout=15)
        assert code == 0, w.tail()
        assert "worker w1 stopped" in w.output()
        # The batch holds ten messages of 0.5 s each: the worker must not send them all.
        assert took < 2.5, f"took {took:.1f} s to stop\n{w.tail()}"

        after = statuses()
        assert S.INFLIGHT not in after, after  # nothing left held by a worker that is gone
        assert after[S.SENT] == len(server) >= 1, after
        assert after[S.SENT] + after[S.QUEUED] == 10, after

        # What it gave back is due at once, not after a lease: a new worker drains it now.
        again = start("w2", "--once", "--poll", "0.1")
        assert again.proc.wait(timeout=30) == 0, again.tail()
    assert statuses() == {S.SENT: 10}
    assert server.count_by_message_id() == {message_id(m): 1 for m in rows}
    assert max(Message.objects.values_list("attempts", flat=True)) == 1


# --- two workers, 1,000 messages ------------------------------------------------------------


def test_two_workers_drain_a_thousand_messages_each_sent_once(tmp_path):
    with SMTPServer() as server, worker_pool(tmp_path, server) as start:
        workers = [start(name, "--poll", "0.05") for name in ("w1", "w2")]
        for w in workers:
            w.wait_started()
        rows = seed(1000)  # both are polling when the rows land
        began = time.monotonic()
        took = wait_until(
            drained,
            timeout=150,
            what="1,000 rows are sent",
            info=lambda: f"{statuses()}\n" + "\n".join(w.tail() for w in workers),
        )
        for w in workers:
            code, _ = w.stop()
            assert code == 0, w.tail()
        elapsed = time.monotonic() - began

    counts = server.count_by_message_id()
    assert len(counts) == 1000 and set(counts.values()) == {1}, Counter(counts.values())
    assert set(counts) == {message_id(m) for m in rows}
    assert statuses() == {S.SENT: 1000}
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
    by_worker = Counter(Message.objects.values_list("locked_by", flat=True))
    print(
        f"\n{connection.vendor}: 1,000 messages drained by two workers in {took:.1f} s"
        f" ({elapsed:.1f} s with shutdown); per worker {dict(by_worker)}"
    )
    assert set(by_worker) == {"w1", "w2"}, by_worker  # both took part
