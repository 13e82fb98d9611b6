"""The delivery worker against a real SMTP server: sending, outages, leases and reminders.

Everything runs in this process with an injected clock (``now=``); the worker as a separate
process is in test_worker_processes.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.mail import mailers

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications import worker
from slotwise.notifications.models import Message
from slotwise.notifications.render import message_id
from tests import factories
from tests.notifications.smtp import ignore_email_settings_deprecation

pytestmark = ignore_email_settings_deprecation

K = Message.Kind
S = Message.Status
STAFF = Actor.system("front desk")
BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=1440)


def at(world, day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in June 2030 (3 June is a Monday), in the business's zone."""
    return factories.local(world.business, 2030, 6, day, hour, minute)


def book(world, start=None, *, now=None) -> Booking:
    """Tuesday 4 June 14:00, booked on Saturday 1 June at noon: a confirmation to the
    customer, an alert to the provider and a reminder due 24 hours before."""
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start or at(world, 4, 14),
        policy=BOTH,
        now=now or at(world, 1, 12),
    )


def clock(value: datetime):
    return lambda: value


def rows(booking, kind=None) -> list[Message]:
    qs = Message.objects.filter(booking=booking).order_by("pk")
    return list(qs.filter(kind=kind) if kind else qs)


def one(booking, kind) -> Message:
    return Message.objects.get(booking=booking, kind=kind)


def immediate(booking) -> list[Message]:
    """The rows due at booking time (everything but the reminder)."""
    return [m for m in rows(booking) if m.kind != K.REMINDER]


# --- real SMTP --------------------------------------------------------------------------


def test_run_once_delivers_due_messages_over_smtp(world, smtp_server):
    booking = book(world)
    now = at(world, 1, 12)
    due = immediate(booking)
    assert sorted(m.kind for m in due) == [K.CONFIRMATION, K.STAFF_CREATED]

    assert worker.run_once(worker_id="w1", now=clock(now)) == 2

    received = {r.message_id: r for r in smtp_server.received}
    assert len(smtp_server.received) == 2
    assert set(received) == {message_id(m) for m in due}
    confirmation = received[message_id(one(booking, K.CONFIRMATION))]
    assert confirmation.rcpt_tos == (world.customer.email,)
    assert confirmation.message["To"].addresses[0].addr_spec == world.customer.email
    assert confirmation.subject.startswith("Booking confirmed: Haircut on ")
    (calendar,) = confirmation.parts("text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert "BEGIN:VEVENT" in calendar.get_content()
    staff = received[message_id(one(booking, K.STAFF_CREATED))]
    assert staff.rcpt_tos == (world.alex.email,)
    assert staff.subject.startswith("New booking: ")
    assert staff.parts("text/calendar") == []

    for m in immediate(booking):
        assert (m.status, m.sent_at, m.attempts, m.last_error) == (S.SENT, now, 1, "")
        assert m.lease_expires_at is None and m.locked_by == "w1"
    assert one(booking, K.REMINDER).status == S.QUEUED  # not due for three days

    # Nothing is sent twice, later the same day either.
    assert worker.run_once(worker_id="w1", now=clock(now)) == 0
    assert worker.run_once(worker_id="w2", now=clock(now + timedelta(hours=1))) == 0
    assert len(smtp_server.received) == 2


# --- outage -----------------------------------------------------------------------------


def test_outage_schedules_retries_then_delivers_each_message_once(world, smtp_down):
    booking = book(world)
    t0 = at(world, 1, 12)

    assert worker.run_once(worker_id="w1", now=clock(t0)) == 2
    for m in immediate(booking):
        assert m.status == S.AWAITING_RETRY
        assert m.attempts == 1
        assert m.last_error  # e.g. "ConnectionRefusedError: [Errno 111] Connection refused"
        assert m.next_attempt_at == t0 + worker.backoff(1) == t0 + timedelta(seconds=30)
        assert m.lease_expires_at is None and m.sent_at is None

    # Not before the backoff has passed, even with the server back.
    smtp_down.start()
    assert worker.run_once(worker_id="w1", now=clock(t0 + timedelta(seconds=29))) == 0
    assert len(smtp_down.received) == 0

    later = t0 + timedelta(seconds=31)
    assert worker.run_once(worker_id="w2", now=clock(later)) == 2
    assert worker.run_once(worker_id="w2", now=clock(later + timedelta(hours=3))) == 0
    assert smtp_down.count_by_message_id() == {message_id(m): 1 for m in immediate(booking)}
    for m in immediate(booking):
        assert (m.status, m.attempts, m.sent_at, m.last_error) == (S.SENT, 2, later, "")


def test_message_fails_for_good_after_max_attempts(world, smtp_down):
    booking = book(world)
    confirmation = one(booking, K.CONFIRMATION)
    Message.objects.exclude(pk=confirmation.pk).update(status=S.CANCELLED)
    assert confirmation.max_attempts == 8

    now = confirmation.next_attempt_at
    for attempt in range(1, confirmation.max_attempts):
        assert worker.run_once(worker_id="w", now=clock(now)) == 1
        confirmation.refresh_from_db()
        assert (confirmation.status, confirmation.attempts) == (S.AWAITING_RETRY, attempt)
        assert confirmation.next_attempt_at == now + worker.backoff(attempt)
        # Due exactly then, not a moment earlier.
        assert worker.run_once(now=clock(confirmation.next_attempt_at - timedelta(seconds=1))) == 0
        now = confirmation.next_attempt_at

    assert worker.run_once(worker_id="w", now=clock(now)) == 1
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (S.FAILED, 8)
    assert "Connection" in confirmation.last_error
    assert confirmation.sent_at is None and confirmation.lease_expires_at is None

    smtp_down.start()
    assert worker.run_once(worker_id="w", now=clock(now + timedelta(days=30))) == 0
    assert len(smtp_down.received) == 0


def test_backoff_doubles_up_to_two_hours():
    assert [worker.backoff(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert worker.backoff(9) == timedelta(hours=2)
    assert worker.backoff(50) == timedelta(hours=2)  # no OverflowError for a large max_attempts
    assert worker.backoff(0) == timedelta(seconds=30)


# --- lease recovery ---------------------------------------------------------------------


def test_rows_of_a_dead_worker_come_back_when_the_lease_expires(world, smtp_server):
    booking = book(world)
    t0 = at(world, 1, 12)
    claimed = worker.claim(worker_id="dead", now=t0)  # ... and the worker dies here
    assert sorted(claimed) == sorted(m.pk for m in immediate(booking))
    for m in immediate(booking):
        assert (m.status, m.locked_by, m.attempts) == (S.INFLIGHT, "dead", 1)
        assert m.lease_expires_at == t0 + worker.LEASE

    # Another worker leaves them alone while the lease runs, even to its last second.
    assert worker.run_once(worker_id="alive", now=clock(t0 + timedelta(minutes=1))) == 0
    assert worker.run_once(worker_id="alive", now=clock(t0 + worker.LEASE)) == 0
    assert len(smtp_server.received) == 0

    later = t0 + worker.LEASE + timedelta(seconds=1)
    assert worker.run_once(worker_id="alive", now=clock(later)) == 2
    assert smtp_server.count_by_message_id() == {message_id(m): 1 for m in immediate(booking)}
    for m in immediate(booking):
        assert (m.status, m.locked_by, m.attempts, m.sent_at) == (S.SENT, "alive", 2, later)

    # The "dead" worker wakes up and goes on with its batch: it no longer holds the rows.
    connection = mailers.default
    for pk in claimed:
        assert worker.deliver(pk, worker_id="dead", now=later, mail_connection=connection) == (
            "skipped"
        )
    assert len(smtp_server.received) == 2


def test_short_lease_is_honoured(world, smtp_server):
    booking = book(world)
    t0 = at(world, 1, 12)
    worker.claim(worker_id="dead", now=t0, lease=timedelta(seconds=10))
    assert worker.run_once(worker_id="alive", now=clock(t0 + timedelta(seconds=10))) == 0
    assert worker.run_once(worker_id="alive", now=clock(t0 + timedelta(seconds=11))) == 2
    assert {m.status for m in immediate(booking)} == {S.SENT}


def test_stopping_mid_batch_gives_the_rest_back_at_once(world, smtp_server):
    """What run_worker does on SIGTERM: finish the message in hand, release the others."""
    booking = book(world)
    for hour in (9, 11, 16):  # three more bookings: eight rows due at once
        book(world, at(world, 4, hour), now=at(world, 1, 12))
    now = at(world, 1, 12)
    due = Message.objects.filter(next_attempt_at__lte=now)
    assert due.count() == 8
    sent_so_far = []

    def should_stop() -> bool:
        sent_so_far.append(len(smtp_server.received))
        return len(smtp_server.received) >= 2

    assert worker.run_once(worker_id="w1", now=clock(now), should_stop=should_stop) == 8
    assert sent_so_far == [0, 1, 2]  # asked before each message; stopped after the second
    assert len(smtp_server.received) == 2
    released = due.exclude(status=S.SENT)
    assert released.count() == 6
    for m in released:
        assert (m.status, m.attempts, m.locked_by, m.lease_expires_at) == (S.QUEUED, 0, "", None)

    # Due again at once for any worker, not after the lease.
    assert worker.run_once(worker_id="w2", now=clock(now), limit=100) == 6
    assert set(smtp_server.count_by_message_id().values()) == {1}
    assert {m.status for m in Message.objects.filter(next_attempt_at__lte=now)} == {S.SENT}
    assert booking.messages.filter(kind=K.CONFIRMATION, status=S.SENT).exists()


def test_release_keeps_a_retried_row_awaiting_retry(world, smtp_down):
    booking = book(world)
    t0 = at(world, 1, 12)
    worker.run_once(worker_id="w1", now=clock(t0))  # server down: attempt 1 failed
    later = t0 + timedelta(minutes=1)
    ids = worker.claim(worker_id="w1", now=later)
    assert len(ids) == 2
    assert worker.release(ids, worker_id="someone else") == 0
    assert worker.release(ids, worker_id="w1") == 2
    for m in immediate(booking):
        assert (m.status, m.attempts, m.locked_by) == (S.AWAITING_RETRY, 1, "")
    assert sorted(worker.claim(worker_id="w2", now=later)) == sorted(ids)


# --- reminders --------------------------------------------------------------------------


def flush(world, booking, now: datetime) -> None:
    """Send everything due at ``now`` (confirmations, alerts) so that reminders stand alone."""
    worker.run_once(worker_id="flush", now=clock(now), limit=100)
    unfinished = (*Message.PENDING, S.INFLIGHT)
    due = Message.objects.filter(booking=booking, next_attempt_at__lte=now)
    assert not due.filter(status__in=unfinished).exists()


def reminders_received(server) -> list:
    return [r for r in server.received if r.subject.startswith("Reminder")]


def test_reminder_is_sent_when_due_and_not_before(world, smtp_server):
    booking = book(world)
    flush(world, booking, at(world, 1, 12))
    reminder = one(booking, K.REMINDER)
    due = booking.start - timedelta(hours=24)
    assert reminder.due_at == due == at(world, 3, 14)

    assert worker.run_once(worker_id="w", now=clock(due - timedelta(seconds=1))) == 0
    assert reminders_received(smtp_server) == []

    assert worker.run_once(worker_id="w", now=clock(due)) == 1
    (received,) = reminders_received(smtp_server)
    assert received.message_id == message_id(reminder)
    assert received.rcpt_tos == (world.customer.email,)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at) == (S.SENT, due)
    assert worker.run_once(worker_id="w", now=clock(due + timedelta(hours=1))) == 0
    assert len(reminders_received(smtp_server)) == 1


def test_reminder_of_booking_cancelled_after_claim_is_not_sent(world, smtp_server):
    booking = book(world)
    flush(world, booking, at(world, 1, 12))
    due = at(world, 3, 14)
    (claimed,) = worker.claim(worker_id="w", now=due)
    assert claimed == one(booking, K.REMINDER).pk

    # Between the claim and the send, the front desk cancels the booking.
    actions.booking_cancel(booking_id=booking.pk, actor=STAFF, now=due)

    connection = mailers.default
    assert worker.deliver(claimed, worker_id="w", now=due, mail_connection=connection) in (
        "skipped",
        S.CANCELLED,
    )
    reminder = one(booking, K.REMINDER)
    assert reminder.status == S.CANCELLED and reminder.sent_at is None
    flush(world, booking, due + timedelta(days=2))  # the cancellation emails go out
    assert reminders_received(smtp_server) == []
    assert one(booking, K.CANCELLED).status == S.SENT


def test_worker_rechecks_the_booking_before_sending_a_reminder(world, smtp_server):
    """Even when a change bypassed the outbox, the worker's own check under the lock holds."""
    booking = book(world)
    flush(world, booking, at(world, 1, 12))
    due = at(world, 3, 14)
    (claimed,) = worker.claim(worker_id="w", now=due)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)

    connection = mailers.default
    assert worker.deliver(claimed, worker_id="w", now=due, mail_connection=connection) == (
        S.CANCELLED
    )
    reminder = one(booking, K.REMINDER)
    assert reminder.status == S.CANCELLED and reminder.sent_at is None
    assert reminders_received(smtp_server) == []


def test_reminder_of_rescheduled_booking_goes_out_at_the_new_time_only(world, smtp_server):
    booking = book(world)
    flush(world, booking, at(world, 1, 12))
    old_due = at(world, 3, 14)
    (claimed,) = worker.claim(worker_id="w", now=old_due)

    # Claimed for the old time, then moved a day later before it was sent.
    actions.booking_reschedule(
        booking_id=booking.pk, actor=STAFF, new_start=at(world, 5, 14), now=old_due
    )
    connection = mailers.default
    assert worker.deliver(claimed, worker_id="w", now=old_due, mail_connection=connection) in (
        "skipped",
        S.CANCELLED,
    )
    flush(world, booking, old_due)  # the "rescheduled" emails, not the reminder
    assert reminders_received(smtp_server) == []

    (reminder,) = [m for m in rows(booking, K.REMINDER) if m.status not in (S.CANCELLED, S.SENT)]
    new_due = at(world, 4, 14)
    assert reminder.due_at == new_due and reminder.next_attempt_at == new_due
    assert worker.run_once(worker_id="w", now=clock(new_due - timedelta(seconds=1))) == 0
    assert reminders_received(smtp_server) == []

    assert worker.run_once(worker_id="w", now=clock(new_due)) == 1
    (received,) = reminders_received(smtp_server)
    assert received.message_id == message_id(reminder)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at) == (S.SENT, new_due)
    assert datetime.fromisoformat(reminder.context["start"]) == at(world, 5, 14)
    assert "5 Jun" in received.subject  # the new day, in the customer's zone

    assert worker.run_once(worker_id="w", now=clock(at(world, 5, 13))) == 0
    assert len(reminders_received(smtp_server)) == 1
    assert Message.objects.filter(booking=booking, kind=K.REMINDER, status=S.SENT).count() == 1


def test_reminder_claimed_after_the_appointment_started_is_dropped(world, smtp_down):
    """The mail server was down all along; a reminder is never sent late."""
    booking = book(world)
    smtp_down.start()
    late = booking.start + timedelta(minutes=1)
    Message.objects.filter(booking=booking).exclude(kind=K.REMINDER).update(status=S.SENT)
    assert worker.run_once(worker_id="w", now=clock(late)) == 1
    reminder = one(booking, K.REMINDER)
    assert reminder.status == S.CANCELLED and reminder.sent_at is None
    assert len(smtp_down.received) == 0


# --- batches ----------------------------------------------------------------------------


def test_a_batch_goes_over_one_smtp_connection(world, smtp_server):
    for hour in (9, 11, 16):
        book(world, at(world, 4, hour))
    now = at(world, 1, 12)
    assert worker.run_once(worker_id="w", now=clock(now)) == 6
    assert len(smtp_server.received) == 6
    assert len({r.peer for r in smtp_server.received}) == 1


def test_a_connection_passed_in_stays_open_for_the_next_batch(world, smtp_server):
    for hour in (9, 11, 16):
        book(world, at(world, 4, hour))
    now = at(world, 1, 12)
    conn = worker.new_mail_connection()
    try:
        assert worker.run_once(worker_id="w", now=clock(now), limit=3, mail_connection=conn) == 3
        assert conn.connection is not None  # still open
        assert worker.run_once(worker_id="w", now=clock(now), limit=3, mail_connection=conn) == 3
    finally:
        worker.close_quietly(conn)
    assert len({r.peer for r in smtp_server.received}) == 1
    assert set(smtp_server.count_by_message_id().values()) == {1}


def test_unreachable_server_fails_the_whole_batch_at_once(world, smtp_down):
    for hour in (9, 11, 16):
        book(world, at(world, 4, hour))
    now = at(world, 1, 12)
    assert worker.run_once(worker_id="w", now=clock(now)) == 6
    due = Message.objects.filter(next_attempt_at__lte=now + timedelta(minutes=1))
    for m in Message.objects.exclude(kind=K.REMINDER):
        assert (m.status, m.attempts) == (S.AWAITING_RETRY, 1)
        assert m.next_attempt_at == now + timedelta(seconds=30)
        assert "Connection" in m.last_error
    assert not due.filter(status=S.INFLIGHT).exists()


def test_backoff_base_is_configurable(world, smtp_down):
    booking = book(world)
    now = at(world, 1, 12)
    worker.run_once(worker_id="w", now=clock(now), backoff_base=timedelta(seconds=2))
    for m in immediate(booking):
        assert m.next_attempt_at == now + timedelta(seconds=2)


def test_a_batch_is_given_back_before_its_lease_runs_out(world, smtp_server):
    """A worker that fell behind never sends a row another worker may have taken over."""
    for hour in (9, 11, 16):
        book(world, at(world, 4, hour))
    start = at(world, 1, 12)
    lease = timedelta(seconds=20)
    ticks = iter([start, start, start + timedelta(seconds=1), start + timedelta(seconds=19)])

    def slow_clock() -> datetime:
        return next(ticks, start + timedelta(seconds=30))

    assert worker.run_once(worker_id="w", now=slow_clock, lease=lease) == 6
    # Claimed at 12:00:00 with a 20 s lease: the third message would start at 19 s, within
    # the margin, so it and the rest go back, due at once and with the attempt not counted.
    assert len(smtp_server.received) == 2
    rest = Message.objects.filter(next_attempt_at__lte=start).exclude(status=S.SENT)
    assert rest.count() == 4
    for m in rest:
        assert (m.status, m.attempts, m.locked_by) == (S.QUEUED, 0, "")


def test_a_row_that_cannot_be_rendered_fails_alone(world, smtp_server):
    """Whether emails are rendered ahead for the batch (PostgreSQL) or one by one (SQLite)."""
    booking = book(world)
    now = at(world, 1, 12)
    broken = one(booking, K.CONFIRMATION)
    Message.objects.filter(pk=broken.pk).update(kind="no_such_kind")
    assert worker.run_once(worker_id="w", now=clock(now)) == 2
    broken.refresh_from_db()
    assert broken.status == S.FAILED and "unknown kind" in broken.last_error
    assert one(booking, K.STAFF_CREATED).status == S.SENT
    assert len(smtp_server.received) == 1


@pytest.mark.filterwarnings("ignore:Directly creating EmailBackend instances is deprecated")
def test_a_subclass_of_the_smtp_backend_sends_through_its_own_code():
    """Only Django's own SMTP backend gets the fast path; a subclass (e.g. one that signs
    messages) must see every message in its send_messages."""
    from django.core.mail import EmailMessage
    from django.core.mail.backends.smtp import EmailBackend

    from slotwise.notifications.transport import hand_over as _hand_over

    class RawSession:
        def sendmail(self, *args):  # would bypass the subclass
            raise AssertionError("the subclass was bypassed")

    class SigningBackend(EmailBackend):
        seen: list[str] = []

        def send_messages(self, messages):
            self.seen += [m.subject for m in messages]
            return len(messages)

    backend = SigningBackend(host="127.0.0.1", port=1)
    backend.connection = RawSession()
    email = EmailMessage("Hello", "Body", "a@example.test", ["b@example.test"])
    assert _hand_over(email, backend) == 1
    assert SigningBackend.seen == ["Hello"]
