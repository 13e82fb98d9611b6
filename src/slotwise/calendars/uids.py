"""The UIDs of Slotwise's own calendar events, in one place.

A booking is one calendar event for its whole life, in the emailed invite and in the
provider's calendar alike: both use ``notifications.ics.booking_uid``. An event with such a
UID read back from a provider's calendar is our own booking, never a busy time (a calendar
that blocks the booking it shows would make the booking's own slot look taken).
"""

from __future__ import annotations

import re

from slotwise.bookings.models import Booking
from slotwise.notifications.ics import booking_uid as _invite_uid
from slotwise.notifications.ics import site_host


def booking_uid(booking: Booking) -> str:
    """The UID of ``booking``'s event: the same as its emailed invites' (``booking-<id>@host``)."""
    return _invite_uid(booking)


def is_own_uid(uid: str, *, host: str | None = None) -> bool:
    """True when ``uid`` names an event Slotwise wrote (a booking of this installation)."""
    host = site_host() if host is None else host
    return re.fullmatch(rf"booking-\d+@{re.escape(host)}", uid.strip(), re.IGNORECASE) is not None
