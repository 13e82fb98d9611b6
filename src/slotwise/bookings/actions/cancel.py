"""Cancel a booking: by its customer within the booking's policy, or by staff at any time."""

from __future__ import annotations

from datetime import datetime

from slotwise.bookings import policy
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent


def booking_cancel(
    *,
    booking_id: int,
    actor: Actor,
    now: datetime,
    reason: str = "",
    notify_customer: bool = True,
    expected_version: int | None = None,
    business_id: int | None = None,
) -> Booking:
    """Cancel the booking; its slot is free again and its reminders are cancelled.

    A customer is checked against the booking's own policy snapshot, under the row lock. Staff
    may cancel any confirmed booking. Payments are never touched.
    """
    with _common.write_transaction():
        return booking_cancel_in_transaction(
            booking_id=booking_id,
            actor=actor,
            now=now,
            reason=reason,
            notify_customer=notify_customer,
            expected_version=expected_version,
            business_id=business_id,
        )


def booking_cancel_in_transaction(
    *,
    booking_id: int,
    actor: Actor,
    now: datetime,
    reason: str = "",
    notify_customer: bool = True,
    expected_version: int | None = None,
    business_id: int | None = None,
) -> Booking:
    """``booking_cancel`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    booking = _common.lock_booking(booking_id, business_id=business_id)
    _common.check_version(booking, expected_version)
    if actor.is_customer:
        refusal = policy.customer_refusal(policy.Action.CANCEL, policy.facts_of(booking), now)
        if refusal is not None:
            raise refusal
        notify_customer = True  # a customer always gets the confirmation of their own cancel
    elif (refusal := policy.staff_cancel_refusal(status=booking.status)) is not None:
        raise refusal
    old = _common.snapshot(booking)
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = actor.kind
    booking.cancellation_reason = reason.strip()[:2000]
    booking.version += 1
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "version",
            "updated_at",
        ]
    )
    _common.record(
        booking,
        kind=BookingEvent.Kind.CANCELLED,
        actor=actor,
        now=now,
        old=old,
        new={"status": booking.status, "reason": booking.cancellation_reason},
        notify_customer=notify_customer,
    )
    return booking
