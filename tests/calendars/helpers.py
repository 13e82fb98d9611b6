"""Putting events on the test CalDAV server, and reading what Slotwise stored."""

from __future__ import annotations

from datetime import UTC, datetime

import caldav

from slotwise.calendars.models import BusyInterval, CalendarConnection
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
