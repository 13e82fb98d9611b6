"""Close a booking after the appointment: completed (asks for a rating) or no-show."""

from __future__ import annotations

from datetime import datetime

from slotwise.bookings import policy
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.core import errors
from slotwise.notifications import outbox


def booking_complete(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """Mark a confirmed booking as done once it has started; queues the rating request."""
    return _close(
        booking_id=booking_id,
        actor=actor,
        now=now,
        business_id=business_id,
        status=Booking.Status.COMPLETED,
        kind=BookingEvent.Kind.COMPLETED,
    )


def booking_mark_no_show(
    *, booking_id: int, actor: Actor, now: datetime, business_id: int | None = None
) -> Booking:
    """Record that the customer did not come; pending reminders are cancelled."""
    return _close(
        booking_id=booking_id,
        actor=actor,
        now=now,
        business_id=business_id,
        status=Booking.Status.NO_SHOW,
        kind=BookingEvent.Kind.NO_SHOW,
    )


def _close(
    *,
    booking_id: int,
    actor: Actor,
    now: datetime,
    business_id: int | None,
    status: str,
    kind: str,
) -> Booking:
    if actor.is_customer:
        raise errors.NotAllowed()
    with _common.write_transaction():
        booking = _common.lock_booking(booking_id, business_id=business_id)
        refusal = policy.close_refusal(status=booking.status, start=booking.start, now=now)
        if refusal is not None:
            raise refusal
        old = {"status": booking.status}
        booking.status = status
        booking.version += 1
        booking.save(update_fields=["status", "version", "updated_at"])
        _common.record(booking, kind=kind, actor=actor, now=now, old=old, new={"status": status})
        if status == Booking.Status.COMPLETED:
            outbox.on_booking_completed(booking, now=now)
        else:
            outbox.on_booking_closed_without_visit(booking, now=now)
    return booking
