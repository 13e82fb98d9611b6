"""Staff set the language a customer reads: the booking's and the customer record's."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from slotwise.bookings.actions import _common
from slotwise.bookings.models import Booking
from slotwise.core import errors, i18n


def booking_language_set(*, booking_id: int, business_id: int, language: str) -> Booking:
    """Every later message about the booking, and about the customer's future bookings, is
    written in ``language`` ("" = the business's default). Messages already sent stay as they
    were; queued ones (reminders) are rendered when sent, so they follow the change."""
    tag = i18n.language_tag(language) if language else ""
    if tag is None:
        raise errors.InvalidInput(i18n.validate_language_message(language), field="language")
    try:
        i18n.validate_language(tag)
    except ValidationError as exc:  # pragma: no cover - language_tag already normalised it
        raise errors.InvalidInput(" ".join(exc.messages), field="language") from None
    with _common.write_transaction():
        booking = _common.lock_booking(booking_id, business_id=business_id)
        booking.language = tag
        booking.save(update_fields=["language", "updated_at"])
        customer = booking.customer
        customer.language = tag
        customer.save(update_fields=["language"])
    return booking
