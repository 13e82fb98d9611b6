"""Putting events on the test CalDAV server, reading what Slotwise stored, and conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import caldav

from slotwise.calendars.models import BusyInterval, CalendarConflict, CalendarConnection
from slotwise.core.clock import utcnow
from tests import factories
from tests.calendars.ics import vcalendar, vevent

#: The instant the calendar tests sync at (a Wednesday; Berlin is UTC+1).
NOW = datetime(2030, 1, 16, 9, 0, tzinfo=UTC)


def account(server, *names: str) -> tuple[str, str, list[caldav.Calendar]]:
    """A new user on ``server`` with calendars called ``names``: (user, password, calendars)."""
    user, password = server.new_user()
    principal = caldav.DAVClient(server.url, username=user, password=password).principal()
    return user, password, [principal.make_calendar(name=name) for name in names]


def put(calendar: caldav.Calendar, uid: str, *lines: str) -> caldav.Event:
    return calendar.save_event(vcalendar(vevent(uid, *lines)))


def put_raw(calendar: caldav.Calendar, data: str) -> caldav.Event:
    return calendar.save_event(data)


def stored(connection: CalendarConnection) -> list[tuple[datetime, datetime, str]]:
    return [
        (b.start.astimezone(UTC), b.end.astimezone(UTC), b.uid)
        for b in BusyInterval.objects.filter(remote_calendar__connection=connection).order_by(
            "start", "uid"
        )
    ]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def conflict_for(world: Any, start: datetime, *, deleted: bool = False) -> CalendarConflict:
    """A booking of Alex at ``start`` whose event was moved two hours later in the calendar
    (or deleted there), as the check of written events records it."""
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
    )
    return CalendarConflict.objects.create(
        business=world.business,
        booking=booking,
        slotwise_start=booking.start,
        slotwise_end=booking.end,
        calendar_start=None if deleted else booking.start + timedelta(hours=2),
        calendar_end=None if deleted else booking.end + timedelta(hours=2),
        detected_at=utcnow(),
    )
