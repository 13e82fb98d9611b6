"""``manage.py run_worker`` as real processes on the test database, for process-level tests.

The processes are started by ``bench.servers.notification_worker`` (the same launcher the
delivery benchmark uses), on a DATABASE_URL that points at the test database this pytest
process uses. Rows must be committed (transactional tests) for the workers to see them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from bench.servers import WorkerProcess, log_tail, notification_worker
from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.outbox import event_context
from tests import factories
from tests.conftest import build_world
from tests.notifications.smtp import SMTPServer

S = Message.Status
UNFINISHED = (*Message.PENDING, S.INFLIGHT)


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
    """One started ``run_worker`` process with the name it claims rows under."""

    def __init__(self, name: str, process: WorkerProcess) -> None:
        self.name = name
        self.handle = process
        self.proc = process.process
        self.log = process.log_path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return f"--- {self.name} (exit {self.proc.poll()}) ---\n" + log_tail(self.log, lines)

    def wait_started(self, timeout: float = 30) -> None:
        """The launcher returns once the worker logged its start; check it is still alive."""
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
        try:
            code = self.handle.stop(timeout=timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name} ignored SIGTERM for {timeout} s") from None
        return code, time.monotonic() - start

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.handle.kill()


@contextmanager
def worker_pool(tmp_path: Path, server: SMTPServer) -> Iterator[Callable[..., Worker]]:
    """``start(name, *args)`` runs a worker on this test database and ``server``.

    Every worker started is stopped (SIGTERM, then SIGKILL) when the block ends.
    """
    env = {
        # Message-IDs and links name the same site as this test process's settings.
        "SITE_URL": settings.SITE_URL,
        "SECRET_KEY": "worker-process-tests",
    }
    with ExitStack() as stack:

        def start(name: str, *args: str) -> Worker:
            process = stack.enter_context(
                notification_worker(
                    database_url(),
                    email_url=server.url,
                    extra_env=env,
                    log_path=tmp_path / f"{name}.log",
                    args=("--worker-id", name, *args),
                )
            )
            return Worker(name, process)

        yield start


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
