"""The worker's less travelled paths: lanes, rendering a batch ahead, failing reminders.

Rendering ahead runs only on PostgreSQL (see ``worker.prepare_emails``); here it is also
driven on SQLite by presenting the connection as PostgreSQL's, so both suites check it.
"""

from __future__ import annotations

import pytest
from django.core.mail import mailers
from django.db import DatabaseError
from django.db import connection as db_connection

from slotwise.notifications import worker
from slotwise.notifications.models import Message
from tests.notifications.smtp import ignore_email_settings_deprecation
from tests.notifications.test_worker import (
    K,
    S,
    at,
    book,
    clock,
    flush,
    one,
    reminders_received,
)

pytestmark = ignore_email_settings_deprecation


def test_an_unknown_lane_is_refused():
    with pytest.raises(ValueError, match="unknown lane 'sms'"):
        worker.register_sender("sms", lambda message, now: None, lane="sms")
    with pytest.raises(ValueError, match="unknown lane"):
        worker.lane_filter("sms")
    assert "sms" not in worker._senders


def test_no_lane_takes_every_channel(world):
    book(world)
    assert Message.objects.filter(worker.lane_filter(None)).count() == Message.objects.count()


def test_the_webhook_lane_leaves_emails_alone(world):
    booking = book(world)
    now = at(world, 1, 12)
    assert worker.claim(worker_id="hooks", now=now, lane="webhooks") == []
    assert {m.status for m in Message.objects.filter(booking=booking)} == {S.QUEUED}
    assert worker.run_once(worker_id="hooks", now=clock(now), lane="webhooks") == 0


def test_releasing_nothing_changes_nothing(world):
    book(world)
    assert worker.release([], worker_id="w") == 0


def test_deliver_records_an_unreachable_server_as_a_failed_attempt(world, smtp_down):
    booking = book(world)
    now = at(world, 1, 12)
    confirmation = one(booking, K.CONFIRMATION)
    assert confirmation.pk in worker.claim(worker_id="w", now=now)
    status = worker.deliver(
        confirmation.pk, worker_id="w", now=now, mail_connection=mailers.default
    )
    assert status == S.AWAITING_RETRY
    confirmation.refresh_from_db()
    assert confirmation.attempts == 1 and "Connection" in confirmation.last_error


def test_a_reminder_the_server_refuses_is_retried(world, smtp_down):
    booking = book(world)
    smtp_down.start()
    flush(world, booking, at(world, 1, 12))
    smtp_down.stop()
    due = at(world, 3, 14)
    assert worker.run_once(worker_id="w", now=clock(due)) == 1
    reminder = one(booking, K.REMINDER)
    assert (reminder.status, reminder.attempts) == (S.AWAITING_RETRY, 1)
    assert reminder.sent_at is None


def test_a_reminder_moved_to_another_worker_is_skipped(world, smtp_server):
    booking = book(world)
    flush(world, booking, at(world, 1, 12))
    due = at(world, 3, 14)
    (claimed,) = worker.claim(worker_id="w1", now=due)
    (message,) = worker.load_claimed([claimed], worker_id="w1")
    Message.objects.filter(pk=claimed).update(locked_by="w2")  # its lease ran out, w2 took it
    assert (
        worker.deliver_claimed(message, worker_id="w1", now=due, mail_connection=mailers.default)
        == "skipped"
    )
    assert one(booking, K.REMINDER).status == S.INFLIGHT
    assert reminders_received(smtp_server) == []


@pytest.fixture
def as_postgresql(monkeypatch):
    """Rendering ahead is PostgreSQL's path; let this connection take it."""
    monkeypatch.setattr(db_connection, "vendor", "postgresql")


def claimed_batch(world, now):
    ids = worker.claim(worker_id="w", now=now)
    return worker.load_claimed(ids, worker_id="w")


def test_rendering_ahead_prepares_each_email_of_the_batch(world, as_postgresql, monkeypatch):
    booking = book(world)
    now = at(world, 1, 12)
    batch = claimed_batch(world, now)
    assert len(batch) == 2
    webhook = Message(pk=-1, channel=Message.Channel.WEBHOOK, kind=K.CONFIRMATION)
    prepared = worker.prepare_emails([*batch, webhook], now=now)
    assert set(prepared) == {m.pk for m in batch}  # the webhook row is sent, not rendered
    confirmation = prepared[one(booking, K.CONFIRMATION).pk]
    assert not isinstance(confirmation, Exception)
    assert confirmation.to == [world.customer.email]


def test_an_email_that_fails_to_render_ahead_fails_alone(
    world, as_postgresql, smtp_server, monkeypatch
):
    booking = book(world)
    now = at(world, 1, 12)
    broken = one(booking, K.CONFIRMATION)
    real_build = worker.build_email

    def build(message, *, now):
        if message.pk == broken.pk:
            raise ValueError("no template for this kind")
        return real_build(message, now=now)

    monkeypatch.setattr(worker, "build_email", build)
    assert worker.run_once(worker_id="w", now=clock(now)) == 2
    broken.refresh_from_db()
    assert broken.status == S.FAILED  # will not render on a retry either
    assert "no template for this kind" in broken.last_error
    assert one(booking, K.STAFF_CREATED).status == S.SENT
    assert len(smtp_server.received) == 1


def test_a_database_error_while_rendering_ahead_falls_back_to_one_by_one(
    world, as_postgresql, smtp_server, monkeypatch
):
    book(world)
    now = at(world, 1, 12)
    batch = claimed_batch(world, now)

    def build(message, *, now):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(worker, "build_email", build)
    assert worker.prepare_emails(batch, now=now) == {}


def test_an_unknown_channel_fails_instead_of_vanishing(world, smtp_server):
    booking = book(world)
    now = at(world, 1, 12)
    odd = one(booking, K.STAFF_CREATED)
    Message.objects.filter(pk=odd.pk).update(channel="pigeon")
    worker.run_once(worker_id="w", now=clock(now))
    odd.refresh_from_db()
    assert odd.status == S.AWAITING_RETRY
    assert "no sender configured for channel pigeon" in odd.last_error
    assert one(booking, K.CONFIRMATION).status == S.SENT


def test_relations_are_not_adopted_from_nothing(world):
    booking = book(world)
    fresh = type(booking).objects.get(pk=booking.pk)
    worker._adopt_relations(fresh, None)
    assert not type(booking)._meta.get_field("business").is_cached(fresh)
