"""The delivery loop: claim due outbox rows, send them, record the outcome.

Claims are leases: a row is ``inflight`` with ``lease_expires_at``; if the worker holding it
dies, the row becomes claimable again once the lease runs out. On PostgreSQL several workers
claim side by side with ``FOR UPDATE SKIP LOCKED``; on SQLite claims are serialized by the
IMMEDIATE write lock. Delivery is at-least-once with a stable Message-ID, so the rare resend
after a crash is recognisable as the same mail.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Case, F, Q, Value, When

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message

log = logging.getLogger("slotwise.worker")

LEASE = timedelta(minutes=5)
BATCH = 20
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)


class UndeliverableMessage(Exception):
    """Retrying cannot help (e.g. the row names no booking); the row fails at once."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: 30 s, 1 min, 2 min, … capped at 2 hours."""
    # The exponent is capped too: 30 s * 2**42 no longer fits in a timedelta.
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_MAX)


def claim(
    *, worker_id: str, now: datetime, limit: int = BATCH, lease: timedelta = LEASE
) -> list[int]:
    """Take up to ``limit`` due rows (and rows whose lease ran out) for this worker."""
    due = Q(status__in=Message.PENDING, next_attempt_at__lte=now) | Q(
        status=Message.Status.INFLIGHT, lease_expires_at__lt=now
    )
    with transaction.atomic():
        qs = Message.objects.filter(due).order_by("next_attempt_at", "id")
        if db_connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[:limit])
        if ids:
            Message.objects.filter(id__in=ids).update(
                status=Message.Status.INFLIGHT,
                locked_by=worker_id,
                lease_expires_at=now + lease,
                attempts=F("attempts") + 1,
            )
    return ids


def run_once(
    *,
    worker_id: str | None = None,
    now: Callable[[], datetime] = utcnow,
    limit: int = BATCH,
    mail_connection: Any = None,
    lease: timedelta = LEASE,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Claim one batch and deliver it; returns how many rows were claimed.

    When ``should_stop()`` turns true, the message in hand is finished and the rest of the
    batch is given back at once (see ``release``) instead of being sent.
    """
    worker_id = worker_id or default_worker_id()
    ids = claim(worker_id=worker_id, now=now(), limit=limit, lease=lease)
    if not ids:
        return 0
    conn = mail_connection or get_connection(fail_silently=False)
    try:
        for position, message_id in enumerate(ids):
            if should_stop is not None and should_stop():
                release(ids[position:], worker_id=worker_id)
                break
            deliver(message_id, worker_id=worker_id, now=now(), mail_connection=conn)
    finally:
        try:
            conn.close()
        except Exception:  # a broken connection must not hide the batch's outcome
            log.debug("closing the mail connection failed", exc_info=True)
    return len(ids)


def release(ids: list[int], *, worker_id: str) -> int:
    """Give back claimed rows this worker has not tried to send: due again at once, for anyone.

    The claim counted an attempt; it is taken back, and a row that had never been tried is
    ``queued`` again (one that had is ``awaiting_retry``). Returns how many rows were released.
    """
    return Message.objects.filter(
        pk__in=ids, status=Message.Status.INFLIGHT, locked_by=worker_id
    ).update(
        status=Case(
            When(attempts__lte=1, then=Value(Message.Status.QUEUED)),
            default=Value(Message.Status.AWAITING_RETRY),
        ),
        attempts=F("attempts") - 1,
        locked_by="",
        lease_expires_at=None,
    )


def deliver(message_id: int, *, worker_id: str, now: datetime, mail_connection: Any) -> str:
    """Send one claimed row and record the outcome; returns the row's new status."""
    message = Message.objects.filter(pk=message_id, locked_by=worker_id).first()
    if message is None or message.status != Message.Status.INFLIGHT:
        return "skipped"
    if message.kind == Message.Kind.REMINDER and message.booking_id is not None:
        return _deliver_reminder(
            message, worker_id=worker_id, now=now, mail_connection=mail_connection
        )
    try:
        _send(message, now=now, mail_connection=mail_connection)
    except Exception as exc:
        return _failed_attempt(message, worker_id=worker_id, now=now, error=exc)
    return _mark_sent(message, worker_id=worker_id, now=now)


def _deliver_reminder(
    message: Message, *, worker_id: str, now: datetime, mail_connection: Any
) -> str:
    """Re-check the booking under its row lock and send inside that lock.

    A cancel or reschedule takes the same lock first, so no reminder can go out for a booking
    that was cancelled or moved after the row was claimed.
    """
    booking_id = message.booking_id
    assert booking_id is not None  # deliver() routes only reminders with a booking here
    try:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().get(pk=booking_id)
            current = Message.objects.select_for_update().get(pk=message.pk)
            if current.status != Message.Status.INFLIGHT or current.locked_by != worker_id:
                return "skipped"  # moved or cancelled since it was claimed
            expected_due = booking.start - timedelta(minutes=current.reminder_minutes or 0)
            if booking.status != Booking.Status.CONFIRMED or current.due_at != expected_due:
                Message.objects.filter(pk=current.pk).update(
                    status=Message.Status.CANCELLED,
                    last_error="booking changed before the reminder was due",
                    lease_expires_at=None,
                )
                log.info("message=%s kind=reminder status=cancelled", current.pk)
                return Message.Status.CANCELLED
            if booking.start <= now:
                Message.objects.filter(pk=current.pk).update(
                    status=Message.Status.CANCELLED,
                    last_error="appointment already started",
                    lease_expires_at=None,
                )
                return Message.Status.CANCELLED
            _send(current, now=now, mail_connection=mail_connection)
            return _mark_sent(current, worker_id=worker_id, now=now)
    except Exception as exc:
        return _failed_attempt(message, worker_id=worker_id, now=now, error=exc)


def _send(message: Message, *, now: datetime, mail_connection: Any) -> None:
    if message.channel == Message.Channel.WEBHOOK:
        from slotwise.notifications.webhooks import deliver_webhook

        deliver_webhook(message, now=now)
        return
    if message.channel != Message.Channel.EMAIL:
        raise RuntimeError(f"no sender configured for channel {message.channel}")
    from slotwise.notifications.render import build_email

    try:
        email = build_email(message, now=now)
    except ValueError as exc:
        # A row that cannot be rendered will not render on a retry either.
        raise UndeliverableMessage(str(exc)) from exc
    if mail_connection.send_messages([email]) != 1:
        raise RuntimeError("the mail server did not accept the message")


def _mark_sent(message: Message, *, worker_id: str, now: datetime) -> str:
    updated = Message.objects.filter(
        pk=message.pk, status=Message.Status.INFLIGHT, locked_by=worker_id
    ).update(status=Message.Status.SENT, sent_at=now, lease_expires_at=None, last_error="")
    log.info(
        "message=%s kind=%s to=%s attempt=%s status=sent%s",
        message.pk,
        message.kind,
        message.recipient,
        message.attempts,
        "" if updated else " (row changed meanwhile)",
    )
    return Message.Status.SENT


def _failed_attempt(message: Message, *, worker_id: str, now: datetime, error: Exception) -> str:
    """Schedule a retry with backoff, or give up after ``max_attempts``."""
    attempts = Message.objects.filter(pk=message.pk).values_list("attempts", flat=True).first()
    attempts = attempts or message.attempts
    text = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= message.max_attempts or isinstance(error, UndeliverableMessage):
        status, next_at = Message.Status.FAILED, now
    else:
        status, next_at = Message.Status.AWAITING_RETRY, now + backoff(attempts)
    Message.objects.filter(
        pk=message.pk, status=Message.Status.INFLIGHT, locked_by=worker_id
    ).update(status=status, next_attempt_at=next_at, last_error=text, lease_expires_at=None)
    log.warning(
        "message=%s kind=%s to=%s attempt=%s status=%s error=%s",
        message.pk,
        message.kind,
        message.recipient,
        attempts,
        status,
        text,
    )
    return status
