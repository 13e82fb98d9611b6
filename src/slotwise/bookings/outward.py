"""A booking as it leaves Slotwise: the one source of the API's booking bodies and of the
booking in every webhook payload.

``booking_outward`` gives the facts every outside reader gets, in the business's time zone;
the API (``api/present.py``) lays them out as its documented response bodies, and webhooks
(``notifications/webhooks.py``) send them as they are, in JSON. A new outward fact is added
here once, then shown where it belongs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from slotwise.bookings.models import Booking


class Party(TypedDict):
    """A service or provider, as outside readers see it."""

    id: int
    name: str


class CustomerFacts(TypedDict):
    id: int
    name: str
    email: str
    phone: str


class ContactFacts(TypedDict):
    """Who the booking is for as the booker gave it (``Booking.contact``), see docs/api.md."""

    name: str
    email: str
    phone: str
    timezone: str


class OutwardBooking(TypedDict):
    """The outward facts of a booking (times aware, in the business's time zone)."""

    reference: str
    status: str
    source: str
    start: datetime
    end: datetime
    timezone: str
    service: Party
    provider: Party
    customer: CustomerFacts
    contact: ContactFacts
    price: Decimal
    currency: str
    version: int


def booking_outward(booking: Booking) -> OutwardBooking:
    """The facts of ``booking`` every outside reader (API client, webhook receiver) gets."""
    tz = booking.business.tz
    contact = booking.contact
    return {
        "reference": booking.reference,
        "status": booking.status,
        "source": booking.source,
        "start": booking.start.astimezone(tz),
        "end": booking.end.astimezone(tz),
        "timezone": booking.business.timezone,
        "service": {"id": booking.service_id, "name": booking.service.name},
        "provider": {"id": booking.provider_id, "name": booking.provider.name},
        "customer": {
            "id": booking.customer_id,
            "name": booking.customer.name,
            "email": booking.customer.email,
            "phone": booking.customer.phone,
        },
        "contact": {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "timezone": contact.timezone,
        },
        "price": booking.price,
        "currency": booking.currency,
        "version": booking.version,
    }
