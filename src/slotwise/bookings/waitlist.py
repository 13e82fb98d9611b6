"""The waitlist's rules as pure functions: windows, which freed time suits whom, holds.

Plain data in, plain data out, with ``now`` passed in; no database. The actions in
``bookings/actions/waitlist.py`` load the rows, call these and save. See docs/waitlist.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from slotwise.core import errors

#: At most this many windows per entry, each at most this many days long.
MAX_WINDOWS = 10
MAX_WINDOW_DAYS = 366


@dataclass(frozen=True, slots=True)
class Window:
    """Days ``first_day``..``last_day`` (local, inclusive), optionally only ``start``..``until``
    each day. A time suits the window when it starts and ends inside it on one day."""

    first_day: date
    last_day: date
    start: time | None = None
    until: time | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "from": self.start.strftime("%H:%M") if self.start else None,
            "until": self.until.strftime("%H:%M") if self.until else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Window:
        return cls(
            first_day=date.fromisoformat(data["first_day"]),
            last_day=date.fromisoformat(data["last_day"]),
            start=time.fromisoformat(data["from"]) if data.get("from") else None,
            until=time.fromisoformat(data["until"]) if data.get("until") else None,
        )


def _day_of(value: Any, field: str) -> tuple[date, time | None]:
    """A window bound: a date ('2030-06-03') or a date and time ('2030-06-03T09:00')."""
    if isinstance(value, datetime):
        return value.date(), value.time().replace(tzinfo=None) if value.time() != time(0) else None
    if isinstance(value, date):
        return value, None
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text), None
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput(
            _("Give each window's days as dates (YYYY-MM-DD)."), field=field
        ) from None
    clock = parsed.time().replace(tzinfo=None)
    return parsed.date(), clock if clock != time(0) else None


def _clock(value: Any, field: str) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise errors.InvalidInput(
            _("Give times of day as HH:MM, for example 09:30."), field=field
        ) from None


def windows_checked(raw: Sequence[Mapping[str, Any]], *, today: date) -> list[Window]:
    """The windows a customer gave, checked: at least one, none in the past, each sensible.

    Each item has ``start`` and ``end`` (dates, or dates with a time of day) and optionally
    ``from`` and ``until`` (times of day). A time in ``start``/``end`` is the same as
    ``from``/``until``: the daily times of the window.
    """
    if not raw:
        raise errors.InvalidInput(_("Give at least one window of days."), field="windows")
    if len(raw) > MAX_WINDOWS:
        raise errors.InvalidInput(
            _("Give at most %(count)s windows.") % {"count": MAX_WINDOWS}, field="windows"
        )
    windows = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise errors.InvalidInput(_("Each window needs a start and an end."), field="windows")
        first, first_clock = _day_of(item.get("start"), "windows")
        last, last_clock = _day_of(item.get("end") or item.get("start"), "windows")
        start = _clock(item.get("from"), "windows") or first_clock
        until = _clock(item.get("until"), "windows") or last_clock
        if last < first:
            raise errors.InvalidInput(
                _("A window must end on or after the day it starts."), field="windows"
            )
        if last < today:
            raise errors.InvalidInput(_("A window lies in the past."), field="windows")
        if (last - first).days >= MAX_WINDOW_DAYS:
            raise errors.InvalidInput(_("A window may be at most a year long."), field="windows")
        if start is not None and until is not None and until <= start:
            raise errors.InvalidInput(
                _("The time of day a window ends must be after the time it starts."),
                field="windows",
            )
        windows.append(Window(first, last, start, until))
    return windows


def suits(windows: Iterable[Window], *, start: datetime, end: datetime, tz: ZoneInfo) -> bool:
    """Whether an appointment from ``start`` to ``end`` lies inside one of the windows."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    for w in windows:
        if not w.first_day <= s.date() <= w.last_day:
            continue
        if w.start is not None and s.time() < w.start:
            continue
        if w.until is not None and (e.date() != s.date() or e.time() > w.until):
            continue
        return True
    return False


def last_window_day(windows: Iterable[Window]) -> date | None:
    """The last day any window covers (an entry whose windows have all passed is stale)."""
    days = [w.last_day for w in windows]
    return max(days) if days else None


def first_suitable(
    candidates: Iterable[tuple[datetime, datetime]],
    *,
    windows: Sequence[Window],
    tz: ZoneInfo,
    before: datetime | None = None,
) -> tuple[datetime, datetime] | None:
    """The earliest candidate time that suits the windows (and starts before ``before``:
    an "earlier time" request only takes a time earlier than the booking it holds)."""
    for start, end in sorted(candidates):
        if before is not None and start >= before:
            continue
        if suits(windows, start=start, end=end, tz=tz):
            return start, end
    return None


def hold_until(
    *, now: datetime, start: datetime, hold_minutes: int, min_notice_minutes: int
) -> datetime:
    """When an offer lapses: after the hold, but always before the page's minimum notice
    would forbid booking the time anyway."""
    return min(now + timedelta(minutes=hold_minutes), start - timedelta(minutes=min_notice_minutes))


def next_in_line[E](
    entries: Sequence[E], *, mode: str, matches: Mapping[int, tuple[datetime, datetime]], key: Any
) -> list[tuple[E, tuple[datetime, datetime]]]:
    """Who gets an offer: the first matching entry by join order (``one_at_a_time``) or every
    matching one (``notify_all``). ``entries`` are in join order; ``matches`` maps an entry's
    key to the time it would be offered."""
    chosen = [(e, matches[key(e)]) for e in entries if key(e) in matches]
    if mode == "one_at_a_time":
        return chosen[:1]
    return chosen
