"""Record payments and refunds by hand. Cancel and reschedule never touch these rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent, Payment
from slotwise.core import errors


def payment_record(
    *,
    booking_id: int,
    business_id: int,
    actor: Actor,
    amount: Decimal,
    method: str,
    now: datetime,
    status: str = Payment.Status.PAID,
    currency: str | None = None,
    note: str = "",
) -> Payment:
    """Record a payment (or, with status refunded, a refund) against a booking."""
    with _common.write_transaction():
        return payment_record_in_transaction(
            booking_id=booking_id,
            business_id=business_id,
            actor=actor,
            amount=amount,
            method=method,
            now=now,
            status=status,
            currency=currency,
            note=note,
        )


def payment_record_in_transaction(
    *,
    booking_id: int,
    business_id: int,
    actor: Actor,
    amount: Decimal,
    method: str,
    now: datetime,
    status: str = Payment.Status.PAID,
    currency: str | None = None,
    note: str = "",
) -> Payment:
    """``payment_record`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    if amount <= 0:
        raise errors.InvalidInput(_("The amount must be more than zero."), field="amount")
    if method not in Payment.Method.values:
        raise errors.InvalidInput(_("Unknown payment method."), field="method")
    if status not in Payment.Status.values:
        raise errors.InvalidInput(_("Unknown payment status."), field="status")
    booking = _common.lock_booking(booking_id, business_id=business_id)
    payment = Payment.objects.create(
        business_id=booking.business_id,
        booking=booking,
        amount=amount,
        currency=(currency or booking.currency).upper()[:3],
        method=method,
        status=status,
        note=note.strip()[:300],
        recorded_by=actor.user if actor.kind == "staff" else None,
    )
    _common.record(
        booking,
        kind=BookingEvent.Kind.PAYMENT_RECORDED,
        actor=actor,
        now=now,
        new={
            "amount": str(amount),
            "currency": payment.currency,
            "method": method,
            "status": status,
        },
    )
    return payment
