"""Close a booking after the appointment: completed (asks for a rating) or no-show; undo it.

Closing is allowed once the appointment has ended, and can be undone for
``policy.CLOSE_UNDO_MINUTES``; the rating request waits until then, so an undone
"completed" never reaches the customer.
"""

from __future__ import annotations

from datetime import datetime

from slotwise.bookings import policy
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent, Rating
from slotwise.core import errors


def booking_complete(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """Mark a confirmed booking as done once it has ended; the rating request is queued for
    the end of the undo window."""
    with _common.write_transaction():
        return booking_complete_in_transaction(
            booking_id=booking_id, actor=actor, now=now, business_id=business_id
        )


def booking_mark_no_show(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """Record that the customer did not come; pending reminders are cancelled."""
    with _common.write_transaction():
        return booking_mark_no_show_in_transaction(
            booking_id=booking_id, actor=actor, now=now, business_id=business_id
        )


def booking_complete_in_transaction(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """``booking_complete`` in the caller's transaction (see ``write_transaction``)."""
    return _close_in_transaction(
        booking_id=booking_id,
        actor=actor,
        now=now,
        business_id=business_id,
        status=Booking.Status.COMPLETED,
        kind=BookingEvent.Kind.COMPLETED,
    )


def booking_mark_no_show_in_transaction(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """``booking_mark_no_show`` in the caller's transaction (see ``write_transaction``)."""
    return _close_in_transaction(
        booking_id=booking_id,
        actor=actor,
        now=now,
        business_id=business_id,
        status=Booking.Status.NO_SHOW,
        kind=BookingEvent.Kind.NO_SHOW,
    )


def _close_in_transaction(
    *,
    booking_id: int,
    actor: Actor,
    now: datetime,
    business_id: int | None,
    status: str,
    kind: str,
) -> Booking:
    """Close the booking as ``status``, in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    if actor.is_customer:
        raise errors.NotAllowed()
    booking = _common.lock_booking(booking_id, business_id=business_id)
    refusal = policy.closing_refusal(status=booking.status, end=booking.end, now=now)
    if refusal is not None:
        raise refusal
    old = {"status": booking.status}
    booking.status = status
    booking.version += 1
    booking.save(update_fields=["status", "version", "updated_at"])
    _common.record(booking, kind=kind, actor=actor, now=now, old=old, new={"status": status})
    return booking


def booking_close_undo(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """Put a booking marked completed or no-show back to confirmed, within the undo window.

    The waiting rating request (and completion webhook) is withdrawn in the same transaction.
    """
    with _common.write_transaction():
        return booking_close_undo_in_transaction(
            booking_id=booking_id,
            actor=actor,
            now=now,
            business_id=business_id,
        )


def booking_close_undo_in_transaction(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """``booking_close_undo`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    if actor.is_customer:
        raise errors.NotAllowed()
    booking = _common.lock_booking(booking_id, business_id=business_id)
    closed_at = last_closed_at(booking)
    refusal = policy.close_undo_refusal(
        status=booking.status,
        closed_at=closed_at,
        now=now,
        rated=Rating.objects.filter(booking=booking).exists(),
    )
    if refusal is not None:
        raise refusal
    # The booking row is locked, so no other close or undo runs. A rating request the
    # worker has already claimed or sent cannot be called back: the subscriber of this
    # change (notifications) refuses it then, and everything here rolls back.
    before = _common.previous(booking)
    old = {"status": booking.status}
    booking.status = Booking.Status.CONFIRMED
    booking.version += 1
    booking.save(update_fields=["status", "version", "updated_at"])
    _common.record(
        booking,
        kind=BookingEvent.Kind.CLOSE_UNDONE,
        actor=actor,
        now=now,
        old=old,
        new={"status": booking.status},
        previous=before,
    )
    return booking


def last_closed_at(booking: Booking) -> datetime | None:
    """When the booking was last marked completed or a no-show (None if it never was)."""
    event = (
        BookingEvent.objects.filter(
            booking=booking, kind__in=(BookingEvent.Kind.COMPLETED, BookingEvent.Kind.NO_SHOW)
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.created_at if event is not None else None
