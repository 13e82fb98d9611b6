"""Staff edit a booking's internal notes; the history keeps what they said before."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.core import errors

#: Notes are for the front desk, not a document store.
NOTES_MAX_LENGTH = 2000


def booking_notes_edit(
    *, booking_id: int, business_id: int, actor: Actor, notes: str, now: datetime
) -> Booking:
    """Replace the notes of a booking of ``business_id``; another business's is not found.

    Unchanged notes change nothing and write no history row. Notes are internal: the
    customer is not told (``notify_customer`` is off on the event).
    """
    with _common.write_transaction():
        return booking_notes_edit_in_transaction(
            booking_id=booking_id, business_id=business_id, actor=actor, notes=notes, now=now
        )


def booking_notes_edit_in_transaction(
    *, booking_id: int, business_id: int, actor: Actor, notes: str, now: datetime
) -> Booking:
    """``booking_notes_edit`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    # Browsers send CRLF; stored notes use LF so "unchanged" compares equal.
    cleaned = notes.replace("\r\n", "\n").strip()
    if len(cleaned) > NOTES_MAX_LENGTH:
        raise errors.InvalidInput(
            _("Notes can be at most %(n)d characters long.") % {"n": NOTES_MAX_LENGTH},
            field="notes",
        )
    # Locked so two people saving at once each leave their own before/after in the history.
    booking = _common.lock_booking(booking_id, business_id=business_id)
    before = booking.notes
    if cleaned == before:
        return booking
    booking.notes = cleaned
    booking.save(update_fields=["notes", "updated_at"])
    _common.record(
        booking,
        kind=BookingEvent.Kind.NOTES_EDITED,
        actor=actor,
        now=now,
        old={"notes": before},
        new={"notes": cleaned},
        notify_customer=False,
    )
    return booking
