"""A week of free start times per provider for staff, and why a day has none.

Reads only: the slots come from ``selectors.staff_slots`` (the same rules the staff slot
picker and the reschedule form use); this module adds the reason a day is empty, so the
wizard can say "closed" or "time off" instead of a bare "no free time".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings import selectors
from slotwise.catalog.models import Provider, Service, WorkingHours
from slotwise.core.models import Business
from slotwise.scheduling.availability import Slot


class Reason:
    """Stable codes for an empty day (the wizard and tests read them)."""

    PAST = "past"
    HORIZON = "horizon"
    CLOSED = "closed"
    TIME_OFF = "time_off"
    FULL = "full"


def reason_text(code: str) -> str:
    """The words staff read for a reason code."""
    return {
        Reason.PAST: _("In the past"),
        Reason.HORIZON: _("Beyond the booking horizon"),
        Reason.CLOSED: _("Closed"),
        Reason.TIME_OFF: _("Time off or away"),
        Reason.FULL: _("Fully booked"),
    }.get(code, _("No free time"))


@dataclass
class Day:
    """One provider's day: its free start times, or the reason it has none."""

    day: date
    slots: list[Slot] = field(default_factory=list)
    reason: str = ""

    @property
    def reason_text(self) -> str:
        return reason_text(self.reason) if self.reason else ""


@dataclass
class ProviderWeek:
    provider: Provider
    days: list[Day]


def free_week(
    *,
    business: Business,
    service: Service,
    providers: list[Provider],
    first_day: date,
    now: datetime,
    days: int = 7,
) -> list[ProviderWeek]:
    """Free start times for each of ``providers`` on ``days`` local days from ``first_day``.

    A day without any says why, checked in this order: it is in the past, it is beyond the
    business's horizon (``max_days_ahead``, the horizon its pages default to), the provider
    does not work that weekday, time off or an external calendar covers all their working
    hours, or bookings fill them.
    """
    today = now.astimezone(business.tz).date()
    horizon = today + timedelta(days=business.max_days_ahead)
    dates = [first_day + timedelta(days=i) for i in range(days)]
    ids = [p.pk for p in providers]
    weekdays: dict[int, set[int]] = {pk: set() for pk in ids}
    for provider_id, weekday in WorkingHours.objects.filter(provider_id__in=ids).values_list(
        "provider_id", "weekday"
    ):
        weekdays[provider_id].add(weekday)
    result = []
    for provider in providers:
        week = []
        for day in dates:
            if day < today:
                week.append(Day(day, reason=Reason.PAST))
                continue
            if day > horizon:
                week.append(Day(day, reason=Reason.HORIZON))
                continue
            if day.weekday() not in weekdays[provider.pk]:
                week.append(Day(day, reason=Reason.CLOSED))
                continue
            slots = selectors.staff_slots(service=service, provider=provider, day=day, now=now)
            if slots:
                week.append(Day(day, slots=slots))
            else:
                week.append(Day(day, reason=_busy_reason(business, provider, day)))
        result.append(ProviderWeek(provider, week))
    return result


def _busy_reason(business: Business, provider: Provider, day: date) -> str:
    """Time off when the day's bookings do not explain it (time off or an external calendar
    blocks part of it), otherwise fully booked."""
    start, end = selectors.local_day_bounds(business=business, day=day)
    busy = loaders.busy_times_of(provider=provider, start=start, end=end)
    if any(b.source != "booking" for b in busy):
        return Reason.TIME_OFF
    return Reason.FULL
