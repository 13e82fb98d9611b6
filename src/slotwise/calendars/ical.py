"""A booking as the provider's calendar shows it: in the secret feed and in the write calendar.

The event carries the booking's one UID (``uids.booking_uid``, the same as the customer's
emailed invites) and its version as SEQUENCE, so a calendar updates the event it has instead
of adding a second. The title names the service and the customer; the customer's email and
phone appear only where the business turned that on for a feed (never in a written event's
title).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import STATUS, Calendar, Event

from slotwise.bookings.models import Booking
from slotwise.calendars import uids

PRODID = "-//Slotwise//Provider calendar//EN"


def booking_event(booking: Booking, *, now: datetime, include_contact: bool = False) -> Event:
    """The VEVENT of ``booking`` (``service``, ``customer``, ``business`` loaded)."""
    contact = booking.contact
    description = [_("Reference: %(reference)s") % {"reference": booking.reference}]
    if include_contact:
        if contact.email:
            description.append(_("Email: %(email)s") % {"email": contact.email})
        if contact.phone:
            description.append(_("Phone: %(phone)s") % {"phone": contact.phone})
    event = Event.new(
        uid=uids.booking_uid(booking),
        sequence=booking.version,
        stamp=now.astimezone(UTC),
        start=booking.start.astimezone(UTC),
        end=booking.end.astimezone(UTC),
        summary=_("%(service)s: %(customer)s")
        % {"service": booking.service.name, "customer": contact.name},
        description="\n".join(description),
        location=booking.business.address or None,
        status=STATUS.CANCELLED if booking.status == Booking.Status.CANCELLED else STATUS.CONFIRMED,
    )
    # Busy in the calendar: the provider is booked.
    event.add("TRANSP", "OPAQUE")
    event.add("LAST-MODIFIED", booking.updated_at.astimezone(UTC))
    return event


def booking_object(booking: Booking, *, now: datetime) -> bytes:
    """The calendar object resource written into a CalDAV calendar (no METHOD: RFC 4791)."""
    calendar = Calendar.new(prodid=PRODID, subcomponents=[booking_event(booking, now=now)])
    del calendar["UID"]
    return calendar.to_ical()


def feed_calendar(
    bookings: Iterable[Booking],
    *,
    name: str,
    now: datetime,
    include_contact: bool,
    refresh: timedelta,
) -> bytes:
    """A whole feed: one VEVENT per booking, the calendar's name and refresh hints."""
    calendar = Calendar.new(
        prodid=PRODID,
        subcomponents=[
            booking_event(b, now=now, include_contact=include_contact) for b in bookings
        ],
    )
    del calendar["UID"]
    calendar.add("X-WR-CALNAME", name)
    calendar.add("NAME", name)  # RFC 7986
    minutes = max(int(refresh.total_seconds() // 60), 1)
    calendar.add("REFRESH-INTERVAL", timedelta(minutes=minutes), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", f"PT{minutes}M")
    return calendar.to_ical()


def event_times(data: str | bytes, *, uid: str, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The start and end of the event ``uid`` in ``data`` (UTC), or None if it is not there.

    Floating times are read in ``tz`` (the business's zone); an all-day event is taken as
    its whole local day(s), so a booking moved to a whole day reads as moved.
    """
    try:
        calendar = Calendar.from_ical(data)
    except ValueError:
        return None
    for event in calendar.walk("VEVENT"):
        if str(event.get("UID", "")) != uid or event.get("RECURRENCE-ID") is not None:
            continue
        start = _instant(event.decoded("DTSTART"), tz)
        if "DTEND" in event:
            end = _instant(event.decoded("DTEND"), tz)
        elif "DURATION" in event:
            end = start + event.decoded("DURATION")
        else:
            end = start
        return start, end
    return None


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
