"""The delivery loop: claim due outbox rows, send them, record the outcome.

Claims are leases: a row is ``inflight`` with ``lease_expires_at``; if the worker holding it
dies, the row becomes claimable again once the lease runs out. On PostgreSQL several workers
claim side by side with ``FOR UPDATE SKIP LOCKED``; on SQLite claims are serialized by the
IMMEDIATE write lock. Delivery is at-least-once with a stable Message-ID, so the rare resend
after a crash is recognisable as the same mail.

A batch costs one claim (one short transaction), one query that loads every claimed row with
its booking, one mail connection, and then per message: render (on PostgreSQL the whole batch
is rendered first, see ``prepare_emails``), hand to the server, and one
``UPDATE … SET status = 'sent'`` committed as soon as the server has accepted it. That last
commit is never deferred or grouped: it bounds what a crash can resend to the one message in
hand (see docs/notifications.md, "Crashes and duplicates").
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import Case, F, ForeignKey, Q, Value, When

from slotwise.bookings.actions.waitlist import waitlist_round
from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications import transport
from slotwise.notifications.errors import MailServerUnreachable, UndeliverableMessage
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from slotwise.notifications.transport import close_quietly, new_mail_connection
from slotwise.notifications.webhooks import deliver_webhook

log = logging.getLogger("slotwise.worker")

LEASE = timedelta(minutes=5)
#: Rows per claim. Large enough that claiming, loading and connecting are paid once per many
#: messages; small enough that a stopping worker gives back little and two workers share.
BATCH = 100
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)
#: A worker stops sending from a batch this long before its lease on the batch runs out and
#: gives the rest back, so it never sends a row another worker may already have re-claimed.
LEASE_MARGIN = timedelta(seconds=5)

#: What each lane delivers. Webhooks go to receivers the businesses chose, which may be slow
#: or hang up to their deadline (webhooks.TIMEOUT); on a lane of their own they never hold
#: up an email or a reminder. ``None`` (tests, ``run_once`` called directly) takes every row.
LANES = ("email", "webhooks")

#: Sends one claimed row of a channel; raising records a failed attempt (retried with backoff,
#: ``UndeliverableMessage`` fails it at once).
Sender = Callable[[Message, datetime], None]

#: Senders of channels owned by other apps (``register_sender``), with the lane they go in.
_senders: dict[str, tuple[Sender, str]] = {}


def register_sender(channel: str, send: Sender, *, lane: str = "webhooks") -> None:
    """Let the worker deliver ``channel``'s rows with ``send`` (called from an app's ``ready``).

    ``lane`` "webhooks" is the lane of outbound HTTP to servers the businesses chose (a slow
    one never holds up an email); "email" sends in the main loop.
    """
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; choose one of {', '.join(LANES)}")
    _senders[channel] = (send, lane)


def _http_channels() -> list[str]:
    return [Message.Channel.WEBHOOK] + [c for c, (_s, ln) in _senders.items() if ln == "webhooks"]


def lane_filter(lane: str | None) -> Q:
    """The rows ``lane`` delivers."""
    if lane is None:
        return Q()
    if lane == "email":
        return ~Q(channel__in=_http_channels())
    if lane == "webhooks":
        return Q(channel__in=_http_channels())
    raise ValueError(f"unknown lane {lane!r}; choose one of {', '.join(LANES)}")


#: What a batch loads with each row: everything rendering reads from the booking.
BOOKING_RELATED = (
    "booking__business",
    "booking__service",
    "booking__provider",
    "booking__customer",
    "booking__booking_page",
)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, *, base: timedelta = BACKOFF_BASE) -> timedelta:
    """Wait before retry number ``attempts``: 30 s, 1 min, 2 min, … capped at 2 hours."""
    # The exponent is capped too: 30 s * 2**42 no longer fits in a timedelta.
    return min(base * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_MAX)


def claim(
    *,
    worker_id: str,
    now: datetime,
    limit: int = BATCH,
    lease: timedelta = LEASE,
    lane: str | None = None,
) -> list[int]:
    """Take up to ``limit`` due rows of ``lane`` (and rows whose lease ran out) for this worker."""
    due = (
        Q(status__in=Message.PENDING, next_attempt_at__lte=now)
        | Q(status=Message.Status.INFLIGHT, lease_expires_at__lt=now)
    ) & lane_filter(lane)
    if lane == "webhooks" and not Message.objects.filter(due).exists():
        # Several webhook threads poll side by side; an idle poll reads without taking the
        # claim's write lock (on SQLite every transaction takes it at BEGIN).
        return []
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


def load_claimed(ids: Sequence[int], *, worker_id: str) -> list[Message]:
    """The claimed rows still held by this worker, with their bookings, in claim order."""
    rows = {
        m.pk: m
        for m in Message.objects.select_related(*BOOKING_RELATED).filter(
            pk__in=ids, status=Message.Status.INFLIGHT, locked_by=worker_id
        )
    }
    return [rows[pk] for pk in ids if pk in rows]


def run_once(
    *,
    worker_id: str | None = None,
    now: Callable[[], datetime] = utcnow,
    limit: int = BATCH,
    mail_connection: Any = None,
    lease: timedelta = LEASE,
    should_stop: Callable[[], bool] | None = None,
    backoff_base: timedelta = BACKOFF_BASE,
    lane: str | None = None,
) -> int:
    """Claim one batch of ``lane`` (every lane when None) and deliver it; returns how many
    rows were claimed.

    When ``should_stop()`` turns true, the message in hand is finished and the rest of the
    batch is given back at once (see ``release``) instead of being sent. The same happens when
    the batch's lease is about to run out. A ``mail_connection`` passed in is left open for
    the next batch (the caller closes it); one made here is closed before returning.
    ``backoff_base`` is the first wait after a failed attempt (see ``backoff``).
    """
    worker_id = worker_id or default_worker_id()
    claimed_at = now()
    if lane != "webhooks":
        # Freed time becomes waitlist offers (their emails are rows this batch may claim).
        waitlist_round(now=claimed_at)
    ids = claim(worker_id=worker_id, now=claimed_at, limit=limit, lease=lease, lane=lane)
    if not ids:
        return 0
    give_back_at = claimed_at + lease - min(LEASE_MARGIN, lease / 2)
    conn = mail_connection if mail_connection is not None else new_mail_connection()
    try:
        batch = load_claimed(ids, worker_id=worker_id)
        prepared = prepare_emails(batch, now=claimed_at)
        for position, message in enumerate(batch):
            moment = now()
            if (should_stop is not None and should_stop()) or moment >= give_back_at:
                release([m.pk for m in batch[position:]], worker_id=worker_id)
                break
            try:
                deliver_claimed(
                    message,
                    worker_id=worker_id,
                    now=moment,
                    mail_connection=conn,
                    backoff_base=backoff_base,
                    email=prepared.get(message.pk),
                )
            except MailServerUnreachable as exc:
                # Every email of the batch would wait for the same dead server, one timeout
                # each; they all take this attempt's backoff instead (webhooks still go).
                for rest in batch[position + 1 :]:
                    if rest.channel == Message.Channel.EMAIL:
                        _failed_attempt(
                            rest, worker_id=worker_id, now=moment, error=exc, base=backoff_base
                        )
                    else:
                        deliver_claimed(
                            rest,
                            worker_id=worker_id,
                            now=now(),
                            mail_connection=conn,
                            backoff_base=backoff_base,
                        )
                break
    finally:
        if mail_connection is None:
            close_quietly(conn)
    return len(ids)


#: An email rendered ahead of sending, or why it could not be.
Prepared = EmailMultiAlternatives | Exception


def prepare_emails(batch: Sequence[Message], *, now: datetime) -> dict[int, Prepared]:
    """Render a batch's emails ahead of sending, with one commit for their link tokens.

    Only on databases where a commit waits for a disk flush and a transaction does not lock
    the whole database (PostgreSQL): rendering issues a link token (an INSERT) for most
    customer emails, and one commit per batch instead of one per email saves a flush each.
    The tokens are committed before any of these emails is sent, so every link works. On
    SQLite a transaction would hold the database-wide write lock while the batch renders,
    stalling the other workers' "sent" marks, and its commits are cheap: emails are rendered
    one at a time there, just before sending (an empty result here).
    """
    if db_connection.vendor == "sqlite":
        return {}
    prepared: dict[int, Prepared] = {}
    try:
        with transaction.atomic():
            for message in batch:
                if message.channel != Message.Channel.EMAIL:
                    continue
                try:
                    prepared[message.pk] = build_email(message, now=now)
                except DatabaseError:
                    raise  # the transaction is spoilt: leave it (see below)
                except Exception as exc:
                    # Not a database error, so the transaction and the other tokens stand
                    # (no savepoint per email: that would cost two more round trips each).
                    prepared[message.pk] = exc
    except DatabaseError:
        log.warning("rendering the batch ahead failed; rendering one by one", exc_info=True)
        return {}
    return prepared


def release(ids: list[int], *, worker_id: str) -> int:
    """Give back claimed rows this worker has not tried to send: due again at once, for anyone.

    The claim counted an attempt; it is taken back, and a row that had never been tried is
    ``queued`` again (one that had is ``awaiting_retry``). Returns how many rows were released.
    """
    if not ids:
        return 0
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
    """Send one claimed row (looked up by id) and record the outcome; returns its new status."""
    message = (
        Message.objects.select_related(*BOOKING_RELATED)
        .filter(pk=message_id, locked_by=worker_id)
        .first()
    )
    if message is None or message.status != Message.Status.INFLIGHT:
        return "skipped"
    try:
        return deliver_claimed(
            message, worker_id=worker_id, now=now, mail_connection=mail_connection
        )
    except MailServerUnreachable as exc:
        return _failed_attempt(message, worker_id=worker_id, now=now, error=exc)


def deliver_claimed(
    message: Message,
    *,
    worker_id: str,
    now: datetime,
    mail_connection: Any,
    backoff_base: timedelta = BACKOFF_BASE,
    email: Prepared | None = None,
) -> str:
    """Send a row this worker claimed and loaded, and record the outcome.

    ``email`` is the row's email if it was rendered ahead (see ``prepare_emails``).
    Raises ``MailServerUnreachable`` (after recording this row's failed attempt) when no
    connection to the mail server can be opened.
    """
    if message.kind == Message.Kind.REMINDER and message.booking_id is not None:
        return _deliver_reminder(
            message,
            worker_id=worker_id,
            now=now,
            mail_connection=mail_connection,
            backoff_base=backoff_base,
            email=email,
        )
    try:
        _send(message, now=now, mail_connection=mail_connection, email=email)
    except MailServerUnreachable as exc:
        _failed_attempt(message, worker_id=worker_id, now=now, error=exc, base=backoff_base)
        raise
    except Exception as exc:
        return _failed_attempt(message, worker_id=worker_id, now=now, error=exc, base=backoff_base)
    return _mark_sent(message, worker_id=worker_id, now=now)


def _deliver_reminder(
    message: Message,
    *,
    worker_id: str,
    now: datetime,
    mail_connection: Any,
    backoff_base: timedelta = BACKOFF_BASE,
    email: Prepared | None = None,
) -> str:
    """Re-check the booking under its row lock and send inside that lock.

    A cancel or reschedule takes the same lock first, so no reminder can go out for a booking
    that was cancelled or moved after the row was claimed.
    """
    booking_id = message.booking_id
    assert booking_id is not None  # deliver_claimed() routes only reminders with a booking here
    failure: Exception | None = None
    try:
        with transaction.atomic():
            booking = Booking.objects.select_for_update().get(pk=booking_id)
            current = (
                Message.objects.select_for_update()
                .filter(pk=message.pk)
                .values("status", "locked_by", "due_at", "reminder_minutes")
                .get()
            )
            if current["status"] != Message.Status.INFLIGHT or current["locked_by"] != worker_id:
                return "skipped"  # moved or cancelled since it was claimed
            expected_due = booking.start - timedelta(minutes=current["reminder_minutes"] or 0)
            if booking.status != Booking.Status.CONFIRMED or current["due_at"] != expected_due:
                return _cancel(message, "booking changed before the reminder was due")
            if booking.start <= now:
                return _cancel(message, "appointment already started")
            # Render from the locked booking (its related rows come from the batch's load).
            _adopt_relations(booking, message.booking)
            message.booking = booking
            _send(message, now=now, mail_connection=mail_connection, email=email)
            return _mark_sent(message, worker_id=worker_id, now=now)
    except Exception as exc:
        failure = exc
    assert failure is not None
    status = _failed_attempt(
        message, worker_id=worker_id, now=now, error=failure, base=backoff_base
    )
    if isinstance(failure, MailServerUnreachable):
        raise failure
    return status


def _adopt_relations(fresh: Booking, loaded: Booking | None) -> None:
    """Give a re-read booking the related rows loaded with the batch (they do not change)."""
    if loaded is None:
        return
    for name in ("business", "service", "provider", "customer", "booking_page"):
        field = Booking._meta.get_field(name)
        assert isinstance(field, ForeignKey)
        if field.is_cached(loaded) and getattr(fresh, field.attname) == getattr(
            loaded, field.attname
        ):
            field.set_cached_value(fresh, field.get_cached_value(loaded))


def _cancel(message: Message, reason: str) -> str:
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.CANCELLED, last_error=reason, lease_expires_at=None
    )
    log.info("message=%s kind=%s status=cancelled reason=%s", message.pk, message.kind, reason)
    return Message.Status.CANCELLED


def _send(
    message: Message, *, now: datetime, mail_connection: Any, email: Prepared | None = None
) -> None:
    if message.channel == Message.Channel.WEBHOOK:
        deliver_webhook(message, now=now)
        return
    registered = _senders.get(message.channel)
    if registered is not None:
        registered[0](message, now)
        return
    if message.channel != Message.Channel.EMAIL:
        raise RuntimeError(f"no sender configured for channel {message.channel}")
    try:
        if email is None:
            email = build_email(message, now=now)
        elif isinstance(email, Exception):
            raise email
    except ValueError as exc:
        # A row that cannot be rendered will not render on a retry either.
        raise UndeliverableMessage(str(exc)) from exc
    transport.send(email, mail_connection)


def _mark_sent(message: Message, *, worker_id: str, now: datetime) -> str:
    """Record that the server accepted the message: one autocommitted UPDATE, at once."""
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


def _failed_attempt(
    message: Message,
    *,
    worker_id: str,
    now: datetime,
    error: Exception,
    base: timedelta = BACKOFF_BASE,
) -> str:
    """Schedule a retry with backoff, or give up after ``max_attempts``."""
    # The row was loaded after the claim, so its attempt count includes this attempt.
    attempts = message.attempts
    text = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= message.max_attempts or isinstance(error, UndeliverableMessage):
        status, next_at = Message.Status.FAILED, now
    else:
        status, next_at = Message.Status.AWAITING_RETRY, now + backoff(attempts, base=base)
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
