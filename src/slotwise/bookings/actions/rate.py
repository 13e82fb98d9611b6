"""The customer's rating of a completed booking: once, 1 to 5 stars."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from slotwise.bookings import policy
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent, Rating
from slotwise.core import errors


def booking_rate(*, booking_id: int, stars: int, comment: str, now: datetime) -> Rating:
    """Store the customer's rating; a second rating of the same booking is refused."""
    with _common.write_transaction():
        return booking_rate_in_transaction(
            booking_id=booking_id,
            stars=stars,
            comment=comment,
            now=now,
        )


def booking_rate_in_transaction(
    *, booking_id: int, stars: int, comment: str, now: datetime
) -> Rating:
    """``booking_rate`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    if stars not in range(1, 6):
        raise errors.InvalidInput(_("Choose between 1 and 5 stars."), field="stars")
    booking = _common.lock_booking(booking_id)
    refusal = policy.rating_refusal(
        status=booking.status, already_rated=Rating.objects.filter(booking=booking).exists()
    )
    if refusal is not None:
        raise refusal
    rating = Rating.objects.create(
        business_id=booking.business_id,
        booking=booking,
        stars=stars,
        comment=comment.strip()[:2000],
        created_at=now,
    )
    _common.record(
        booking,
        kind=BookingEvent.Kind.RATED,
        actor=Actor.customer(booking.contact.name),
        now=now,
        new={"stars": stars},
    )
    return rating
