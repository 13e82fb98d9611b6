"""Turn database rows into the plain inputs of the availability engine.

The engine (``scheduling/availability.py``) is pure and imports nothing of the project; this
module, beside the models it reads, is the only place that reads bookings,
hours and time off for it, always within one business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from slotwise.bookings.models import Booking, BookingPage
from slotwise.catalog.models import Provider, Service, TimeOff, WorkingHours
from slotwise.core.models import Business
from slotwise.scheduling import availability
from slotwise.scheduling.availability import (
    Interval,
    ProviderSchedule,
    SlotRules,
    WorkingInterval,
)

# Bookings and time off are loaded this much beyond the asked window, so that a buffer or a
# long appointment reaching into the window is seen.
_MARGIN = timedelta(days=1)


def rules_for(
    *, service: Service, business: Business, page: BookingPage | None = None
) -> SlotRules:
    """The slot rules a customer sees: the booking page's, or the business defaults."""
    if page is not None:
        step, notice, ahead = page.slot_step_minutes, page.min_notice_minutes, page.max_days_ahead
    else:
        step = business.slot_step_minutes
        notice, ahead = business.min_notice_minutes, business.max_days_ahead
    return SlotRules(
        duration=timedelta(minutes=service.duration_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        step=timedelta(minutes=step),
        min_notice=timedelta(minutes=notice),
        max_days_ahead=ahead,
    )


def staff_rules_for(*, service: Service) -> SlotRules:
    """Staff may book any minute inside working hours, at any notice."""
    return SlotRules(
        duration=timedelta(minutes=service.duration_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        step=timedelta(minutes=1),
    )


def provider_schedules(
    *,
    providers: Sequence[Provider],
    window_start: datetime,
    window_end: datetime,
    exclude_booking_id: int | None = None,
) -> list[ProviderSchedule]:
    """Schedules of ``providers`` for the window, in three queries whatever their number."""
    ids = [p.pk for p in providers]
    lo, hi = window_start - _MARGIN, window_end + _MARGIN
    hours: dict[int, list[WorkingInterval]] = defaultdict(list)
    for wh in WorkingHours.objects.filter(provider_id__in=ids).only(
        "provider_id", "weekday", "start", "end"
    ):
        hours[wh.provider_id].append(WorkingInterval(wh.weekday, wh.start, wh.end))
    blocked: dict[int, list[Interval]] = defaultdict(list)
    for off in TimeOff.objects.filter(provider_id__in=ids, start__lt=hi, end__gt=lo).only(
        "provider_id", "start", "end"
    ):
        blocked[off.provider_id].append(Interval(off.start, off.end))
    busy = Booking.objects.filter(
        provider_id__in=ids,
        status__in=Booking.ACTIVE_STATUSES,
        blocked_start__lt=hi,
        blocked_end__gt=lo,
    )
    if exclude_booking_id is not None:
        busy = busy.exclude(pk=exclude_booking_id)
    # No ORDER BY: the engine sorts per provider, and without one PostgreSQL reads the busy
    # index alone (index-only scan) instead of sorting the rows.
    for b in busy.order_by().values_list("provider_id", "blocked_start", "blocked_end"):
        blocked[b[0]].append(Interval(b[1], b[2]))
    return [ProviderSchedule(p.pk, tuple(hours[p.pk]), tuple(blocked[p.pk])) for p in providers]


def providers_for(
    *, service: Service, page: BookingPage | None = None, provider_ids: Iterable[int] | None = None
) -> list[Provider]:
    """Active providers of the business who offer ``service`` (and are on ``page``, if given)."""
    qs = Provider.objects.filter(business_id=service.business_id, active=True, services=service)
    if page is not None:
        qs = qs.filter(booking_pages=page)
    if provider_ids is not None:
        qs = qs.filter(pk__in=list(provider_ids))
    return list(qs.order_by("pk").distinct())


def slots_for(
    *,
    service: Service,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    page: BookingPage | None = None,
    provider: Provider | None = None,
    exclude_booking_id: int | None = None,
) -> list[availability.Slot]:
    """Free slots of ``service`` with one provider, or any provider (of the page) when None."""
    business = service.business
    providers = [provider] if provider is not None else providers_for(service=service, page=page)
    if not providers:
        return []
    return availability.free_slots(
        providers=provider_schedules(
            providers=providers,
            window_start=window_start,
            window_end=window_end,
            exclude_booking_id=exclude_booking_id,
        ),
        rules=rules_for(service=service, business=business, page=page),
        tz=business.tz,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )


def work_for(
    *,
    service: Service,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    page: BookingPage | None = None,
    provider: Provider | None = None,
) -> int:
    """The estimated work of the same ``slots_for`` question (availability.estimate_work)."""
    count = 1 if provider is not None else len(providers_for(service=service, page=page))
    return availability.estimate_work(
        provider_count=count,
        rules=rules_for(service=service, business=service.business, page=page),
        tz=service.business.tz,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )
