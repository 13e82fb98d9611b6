"""``manage.py run_worker`` as real processes on the test database, sending to a real SMTP server.

The rows are committed (transactional tests) so that the workers, which open their own
connections to the same test database, see them; the launcher and helpers are shared with the
crash test (processes.py) and, underneath, with the delivery benchmark (bench/servers.py).
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from django.db import connection

from slotwise.notifications.models import Message
from slotwise.notifications.render import message_id
from tests.notifications.processes import (
    drained,
    holders,
    seed,
    statuses,
    wait_until,
    worker_pool,
)
from tests.notifications.smtp import SMTPServer, ignore_email_settings_deprecation

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    ignore_email_settings_deprecation,
]

S = Message.Status


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
