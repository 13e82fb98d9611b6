"""The day and time picker shared by the booking page and the reschedule page.

Presentation only: the free slots come from ``bookings.availability_cache.slots``; this module
lays them out as a month calendar and a list of times in the reader's zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from slotwise.bookings import availability_cache
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import i18n
from slotwise.scheduling.availability import Slot
from slotwise.site.views import common

#: Builds the URL of the picker for some query parameters (month, day, start).
UrlFor = Callable[[dict[str, Any]], str]


def month_window(first: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from the 1st of the month to the 1st of the next, on the reader's clock."""
    nxt = add_months(first, 1)
    return datetime.combine(first, time(0), tzinfo=tz), datetime.combine(nxt, time(0), tzinfo=tz)


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def by_day(slots: Sequence[Slot], tz: ZoneInfo) -> dict[date, list[Slot]]:
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return days


@dataclass
class DayCell:
    day: date
    label: str  # for screen readers: 'Tuesday, 4 June 2030, 5 times free'
    free: int
    url: str = ""
    selected: bool = False
    today: bool = False


@dataclass
class TimeChoice:
    value: str  # the start as a link parameter
    label: str  # '09:30'
    url: str
    provider_ids: tuple[int, ...]
    selected: bool = False
    current: bool = False  # the booking's own time, when rescheduling
    provider_name: str = ""  # who the time is with, when several providers' times are pooled


@dataclass
class TimeGroup:
    label: str
    times: list[TimeChoice]


@dataclass
class Picker:
    month: date
    month_label: str
    weekdays: list[tuple[str, str]]  # (short, full)
    weeks: list[list[DayCell | None]]
    prev_url: str
    next_url: str
    free_days: int
    day: date | None = None
    day_label: str = ""
    groups: list[TimeGroup] = field(default_factory=list)
    focus: str = ""  # what to focus after an htmx swap: "month" or "times"
    beyond_horizon: bool = False

    @property
    def times(self) -> list[TimeChoice]:
        return [t for g in self.groups for t in g.times]


def build(
    *,
    slots: Sequence[Slot],
    month: date,
    day: date | None,
    selected_start: datetime | None,
    tz: ZoneInfo,
    today: date,
    horizon: date | None,
    url_for: UrlFor,
    month_grid: bool = True,
) -> Picker:
    """Lay out the month's free ``slots`` (already limited to the month) for the reader.

    Without ``month_grid`` only the times of ``day`` are laid out (a day click: the calendar
    on the page stays as it is).
    """
    days = by_day(slots, tz)
    weeks: list[list[DayCell | None]] = []
    shown = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    for week in shown if month_grid else ():
        row: list[DayCell | None] = []
        for d in week:
            if d.month != month.month:
                row.append(None)
                continue
            free = len(days.get(d, ()))
            label = (
                common.long_day(d)
                + ", "
                + (
                    ngettext("%(n)d time free", "%(n)d times free", free) % {"n": free}
                    if free
                    else _("no free times")
                )
            )
            row.append(
                DayCell(
                    day=d,
                    label=label,
                    free=free,
                    url=url_for({"day": d.isoformat()}) if free else "",
                    selected=d == day,
                    today=d == today,
                )
            )
        weeks.append(row)

    this_month = today.replace(day=1)
    prev_month = add_months(month, -1)
    next_month = add_months(month, 1)
    picker = Picker(
        month=month,
        month_label=i18n.format_month(month),
        weekdays=[
            (dateformat.format(d, "D"), dateformat.format(d, "l"))
            for d in calendar.Calendar(0).monthdatescalendar(2030, 6)[1]
        ]
        if month_grid
        else [],
        weeks=weeks,
        prev_url=url_for({"month": prev_month.strftime("%Y-%m")})
        if prev_month >= this_month
        else "",
        next_url=url_for({"month": next_month.strftime("%Y-%m")})
        if horizon is None or next_month <= horizon
        else "",
        free_days=len(days),
        beyond_horizon=horizon is not None and month > horizon,
    )
    if day is not None and day in days:
        picker.day = day
        picker.day_label = common.long_day(day)
        groups: dict[str, list[TimeChoice]] = {}
        for slot in days[day]:
            local = slot.start.astimezone(tz)
            part = _("Morning") if local.hour < 12 else _("Afternoon")
            if local.hour >= 17:
                part = _("Evening")
            value = common.start_param(slot.start)
            groups.setdefault(part, []).append(
                TimeChoice(
                    value=value,
                    label=common.clock_time(slot.start, tz),
                    url=url_for({"day": day.isoformat(), "start": value}),
                    provider_ids=slot.provider_ids,
                    selected=selected_start is not None and slot.start == selected_start,
                )
            )
        picker.groups = [TimeGroup(label, times) for label, times in groups.items()]
    return picker


def first_free_day(slots: Sequence[Slot], tz: ZoneInfo) -> date | None:
    return slots[0].start.astimezone(tz).date() if slots else None


def horizon_month(today: date, max_days_ahead: int | None) -> date | None:
    """The last month in which a slot can be offered (None: no limit)."""
    if max_days_ahead is None:
        return None
    return (today + timedelta(days=max_days_ahead)).replace(day=1)


def picker_for(
    *,
    service: Service,
    page: BookingPage | None,
    provider: Provider | None,
    tz: ZoneInfo,
    now: datetime,
    month: date | None,
    day: date | None,
    selected_start: datetime | None,
    url_for: UrlFor,
    exclude_booking_id: int | None = None,
    times_only: bool = False,
    versions: Sequence[tuple[int, int]] | None = None,
) -> Picker:
    """The picker for ``service`` (one provider, or any provider of ``page`` when None).

    Without a month asked for, it opens on this month, or on the next one when this month
    has nothing free any more (late in the month). ``times_only`` (with ``day``) lays out
    only that day's times, for a day click; the month's answer is the same cached one the
    calendar was drawn from (``bookings/availability_cache.py``), so the times agree with it.
    """
    today = now.astimezone(tz).date()
    this_month = today.replace(day=1)
    # The page brought its business along; the service's is the same one.
    business = page.business if page is not None else service.business
    rules = loaders.rules_for(service=service, business=business, page=page)
    horizon = horizon_month(today, rules.max_days_ahead)
    if day is not None:
        month = day.replace(day=1)
    explicit = month is not None
    month = max(month or this_month, this_month)

    def load(first: date) -> list[Slot]:
        if horizon is not None and first > horizon:
            return []
        start, end = month_window(first, tz)
        return availability_cache.slots(
            service=service,
            business=business,
            page=page,
            provider=provider,
            window_start=start,
            window_end=end,
            now=now,
            exclude_booking_id=exclude_booking_id,
            versions=versions,
        )

    slots = load(month)
    if not slots and not explicit:
        following = add_months(month, 1)
        if horizon is None or following <= horizon:
            later = load(following)
            if later:
                month, slots = following, later
    picker = build(
        slots=slots,
        month=month,
        day=day,
        selected_start=selected_start,
        tz=tz,
        today=today,
        horizon=horizon,
        url_for=url_for,
        month_grid=not (times_only and day is not None),
    )
    picker.focus = "times" if picker.day else "month"
    return picker
