"""Which events of a calendar make a provider busy, and when: pure functions, no network.

* ``TRANSP:TRANSPARENT`` ("show as free") and ``STATUS:CANCELLED`` events do not block.
* Recurring events are expanded with their overrides (a moved or cancelled occurrence),
  ``EXDATE`` and ``RDATE`` (``recurring-ical-events``).
* An all-day event blocks the provider's whole local day(s), midnight to midnight in ``tz``.
* Floating times (no zone) are read in ``tz``.
* Files that state their zone only in ``X-WR-TIMEZONE`` (Google's exports) are repaired
  first (``x-wr-timezone``), so their recurring events follow that zone's DST.
* Slotwise's own events (``is_own(uid)``) are never busy: they are bookings already.
* An event without a duration (a reminder-like point in time) blocks nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone


class UnreadableCalendar(ValueError):
    """The data is not an iCalendar file."""


@dataclass(frozen=True)
class Busy:
    """One busy time, in UTC, and the event (and occurrence) it came from."""

    start: datetime
    end: datetime
    uid: str = ""
    recurrence_id: str = ""


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # Through UTC, so that a midnight inside a DST gap lands on the first real instant.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def to_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    """An iCalendar DATE or DATE-TIME as a UTC instant (dates: local midnight; floating: ``tz``)."""
    if not isinstance(value, datetime):
        return _local_midnight(value, tz)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def parse_calendar(data: bytes | str) -> icalendar.Calendar:
    """The calendar in ``data``, its ``X-WR-TIMEZONE`` repaired; raises UnreadableCalendar."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise UnreadableCalendar(f"not an iCalendar file ({exc})") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise UnreadableCalendar("not an iCalendar file")
    return x_wr_timezone.to_standard(calendar)


def blocks(event: icalendar.cal.Component, *, is_own: Callable[[str], bool]) -> bool:
    """Whether this event (or occurrence) counts as busy, by its own properties."""
    if str(event.get("TRANSP", "OPAQUE")).strip().upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).strip().upper() == "CANCELLED":
        return False
    return not is_own(str(event.get("UID", "")))


def busy_times(
    data: bytes | str | icalendar.Calendar,
    *,
    window_start: datetime,
    window_end: datetime,
    tz: ZoneInfo,
    is_own: Callable[[str], bool] = lambda uid: False,
) -> list[Busy]:
    """The busy times of the events in ``data`` that overlap ``[window_start, window_end)``."""
    calendar = data if isinstance(data, icalendar.Calendar) else parse_calendar(data)
    # Floating and all-day events are compared in local time: query a day wider on each side
    # and keep what really overlaps once converted.
    margin = timedelta(days=1)
    lo = (window_start - margin).astimezone(tz)
    hi = (window_end + margin).astimezone(tz)
    try:
        occurrences = recurring_ical_events.of(calendar, components=["VEVENT"]).between(lo, hi)
    except (ValueError, TypeError, KeyError) as exc:
        raise UnreadableCalendar(f"the events cannot be read ({exc})") from None
    found: list[Busy] = []
    for event in occurrences:
        if not blocks(event, is_own=is_own):
            continue
        raw_start = event.get("DTSTART")
        if raw_start is None:
            continue
        start_value = raw_start.dt
        end_prop = event.get("DTEND")
        if end_prop is not None:
            end_value = end_prop.dt
        elif event.get("DURATION") is not None:
            end_value = start_value + event["DURATION"].dt
        elif isinstance(start_value, datetime):
            end_value = start_value  # RFC 5545: no end, no duration: a point in time
        else:
            end_value = start_value + timedelta(days=1)
        start, end = to_utc(start_value, tz), to_utc(end_value, tz)
        if end <= start or end <= window_start or start >= window_end:
            continue
        recurrence = event.get("RECURRENCE-ID")
        found.append(
            Busy(
                start=start,
                end=end,
                uid=str(event.get("UID", ""))[:500],
                recurrence_id=to_utc(recurrence.dt, tz).isoformat() if recurrence else "",
            )
        )
    found.sort(key=lambda b: (b.start, b.end, b.uid))
    return found
