"""What the booking actions tell the rest of the system: one ``BookingChanged`` per change.

Every action writes its history row and emits the event in one step
(``actions._common.record``), inside its transaction. ``notifications`` subscribes and
queues the emails, reminders and webhooks the change calls for; ``bookings`` itself never
imports ``notifications``. See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, WaitlistEntry, WaitlistOffer
from slotwise.catalog.models import Provider


@dataclass(frozen=True, slots=True)
class Previous:
    """The booking as it was before the change (what a reschedule moved it from)."""

    start: datetime
    end: datetime
    provider: Provider
    status: str


@dataclass(frozen=True, slots=True)
class BookingChanged:
    """``booking`` (as saved, with its new version) changed in the way ``kind`` names.

    ``kind`` is the history kind (``BookingEvent.Kind``: created, rescheduled, cancelled,
    completed, no_show, close_undone, payment_recorded, rated). ``notify_customer`` is False
    when staff chose not to tell the customer.
    """

    kind: str
    booking: Booking
    actor: Actor
    now: datetime
    old: Previous | None = None
    notify_customer: bool = True


@dataclass(frozen=True, slots=True)
class WaitlistJoined:
    """A customer joined the waitlist (``entry`` as saved)."""

    entry: WaitlistEntry
    now: datetime


@dataclass(frozen=True, slots=True)
class WaitlistOffered:
    """A freed time was offered to a waiting customer (``offer`` as saved, open)."""

    offer: WaitlistOffer
    now: datetime


@dataclass(frozen=True, slots=True)
class WaitlistAccepted:
    """An offer was accepted: ``booking`` was made or moved to the offered time."""

    offer: WaitlistOffer
    booking: Booking
    now: datetime
