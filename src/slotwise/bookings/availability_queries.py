"""Turn database rows into the plain inputs of the availability engine.

The engine (``scheduling/availability.py``) is pure and imports nothing of the project; this
module, beside the models it reads, is the only place that reads bookings,
hours and time off for it, always within one business.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import connection

from slotwise.bookings.models import AvailabilityVersion, Booking, BookingPage
from slotwise.catalog.models import Provider, Service, TimeOff, WorkingHours
from slotwise.core import sqlrows
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


@dataclass(frozen=True)
class ExtraBusy:
    """A time a provider is busy for a reason Slotwise does not own (their own calendar)."""

    provider_id: int
    start: datetime
    end: datetime
    source: str  # e.g. "calendar"
    source_id: int | None = None  # e.g. the calendar's id, for staff and the API


#: ``source(provider_ids, start, end)`` → the extra busy times overlapping ``[start, end)``.
#: Read from the database only (never the network: this runs inside requests and under the
#: booking lock). Registered by other apps (``calendars``) so ``bookings`` imports none.
BusySource = Callable[[Sequence[int], datetime, datetime], Iterable[ExtraBusy]]
_busy_sources: dict[str, BusySource] = {}
#: Per source, what blocks slots: the same busy time, possibly merged into fewer rows.
_blocking_sources: dict[str, BusySource] = {}


def register_busy_source(
    name: str, source: BusySource, *, blocking: BusySource | None = None
) -> None:
    """Make ``source``'s busy times block slots like time off, in every availability read.

    ``blocking``, if given, answers the same busy time merged per provider (overlapping and
    touching times joined into one, without ``source_id``): availability reads that instead,
    while the busy views (staff, API) keep each time with its source.
    """
    _busy_sources[name] = source
    _blocking_sources[name] = blocking or source


def extra_busy(provider_ids: Sequence[int], start: datetime, end: datetime) -> list[ExtraBusy]:
    """The busy times of every registered source, for the API's and staff's busy views."""
    found: list[ExtraBusy] = []
    for source in _busy_sources.values():
        found.extend(source(provider_ids, start, end))
    return found


def blocking_busy(provider_ids: Sequence[int], start: datetime, end: datetime) -> list[ExtraBusy]:
    """The same busy time as ``extra_busy`` as availability needs it: merged where a source
    can merge it, which blocks exactly the same minutes in fewer rows."""
    found: list[ExtraBusy] = []
    for source in _blocking_sources.values():
        found.extend(source(provider_ids, start, end))
    return found


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
    """Schedules of ``providers`` for the window, in three queries whatever their number (one
    more per registered busy source)."""
    ids = [p.pk for p in providers]
    if not ids:
        return []
    lo, hi = window_start - _MARGIN, window_end + _MARGIN
    # Tuples, not model instances: a page of 50 providers has hundreds of weekly intervals,
    # and building an instance for each cost more than the slot arithmetic on them. The three
    # statements are written by hand (``_schedule_sql``): on a cached answer's miss and under
    # every booking's lock, building them with the ORM cost more than running them.
    # Staff mostly share a few weekly patterns: one WorkingInterval per distinct row.
    hours_sql, off_sql, busy_sql = _schedule_sql(len(ids), exclude_booking_id is not None)
    hours: dict[int, list[WorkingInterval]] = defaultdict(list)
    intervals: dict[tuple[int, time, time], WorkingInterval] = {}
    blocked: dict[int, list[Interval]] = defaultdict(list)
    window = [sqlrows.instant(hi), sqlrows.instant(lo)]
    with connection.cursor() as cursor:
        cursor.execute(hours_sql, ids)
        for provider_id, weekday, start, end in _converted(_HOURS, cursor.fetchall()):
            row = (weekday, start, end)
            interval = intervals.get(row)
            if interval is None:
                interval = intervals[row] = WorkingInterval(weekday, start, end)
            hours[provider_id].append(interval)
        cursor.execute(off_sql, [*ids, *window])
        for provider_id, off_start, off_end in _converted(_TIME_OFF, cursor.fetchall()):
            blocked[provider_id].append(Interval(off_start, off_end))
        # Busy times from other sources (the providers' own calendars) block like time off.
        for extra in blocking_busy(ids, lo, hi):
            blocked[extra.provider_id].append(Interval(extra.start, extra.end))
        args = [*ids, *(str(status) for status in Booking.ACTIVE_STATUSES), *window]
        if exclude_booking_id is not None:
            args.append(exclude_booking_id)
        cursor.execute(busy_sql, args)
        for provider_id, busy_start, busy_end in _converted(_BUSY, cursor.fetchall()):
            blocked[provider_id].append(Interval(busy_start, busy_end))
    return [ProviderSchedule(p.pk, tuple(hours[p.pk]), tuple(blocked[p.pk])) for p in providers]


_HOURS = sqlrows.Columns(WorkingHours, "h", ("provider", "weekday", "start", "end"))
_TIME_OFF = sqlrows.Columns(TimeOff, "t", ("provider", "start", "end"))
_BUSY = sqlrows.Columns(Booking, "b", ("provider", "blocked_start", "blocked_end"))


def _converted(columns: sqlrows.Columns, rows: list[Any]) -> list[Any]:
    """Rows as the ORM's ``values_list`` gives them (SQLite's dates and times parsed)."""
    if not columns.converts():
        return rows
    return [columns.values(row) for row in rows]


@functools.cache
def _schedule_sql(ids: int, excluding: bool) -> tuple[str, str, str]:
    """The weekly hours, the time off and the bookings of ``ids`` providers, overlapping a
    window: the statements of ``provider_schedules``. No ORDER BY: the engine sorts per
    provider, and without one PostgreSQL reads the busy index alone (index-only scan)."""
    q = connection.ops.quote_name
    among = sqlrows.placeholders(ids)
    hours = (
        f"SELECT {_HOURS.select()} FROM {WorkingHours._meta.db_table} h "  # noqa: S608
        f"WHERE h.provider_id IN ({among})"
    )
    time_off = (
        f"SELECT {_TIME_OFF.select()} FROM {TimeOff._meta.db_table} t "  # noqa: S608
        f"WHERE t.provider_id IN ({among}) AND t.{q('start')} < %s AND t.{q('end')} > %s"
    )
    statuses = sqlrows.placeholders(len(Booking.ACTIVE_STATUSES))
    busy = (
        f"SELECT {_BUSY.select()} FROM {Booking._meta.db_table} b "  # noqa: S608
        f"WHERE b.provider_id IN ({among}) AND b.status IN ({statuses}) "
        "AND b.blocked_start < %s AND b.blocked_end > %s"
    )
    if excluding:
        busy += " AND b.id <> %s"
    return hours, time_off, busy


def providers_for(
    *, service: Service, page: BookingPage | None = None, provider_ids: Iterable[int] | None = None
) -> list[Provider]:
    """Active providers of the business who offer ``service`` (and are on ``page``, if given)."""
    return [provider for provider, _version in offering(service, page, provider_ids)]


def offering(
    service: Service,
    page: BookingPage | None = None,
    provider_ids: Iterable[int] | None = None,
    *,
    whole: bool = True,
) -> list[tuple[Provider, int]]:
    """The active providers offering ``service`` (on ``page``; among ``provider_ids`` when
    given), by id, each with their availability version (0 before their first change).

    Without ``whole`` the providers carry their id only (all a cached answer needs)."""
    ids = None if provider_ids is None else sorted(set(provider_ids))
    if ids == []:
        return []
    args: list[int | bool] = [service.pk]
    if page is not None:
        args.append(page.pk)
    args += [service.business_id, True, *(ids or [])]
    with connection.cursor() as cursor:
        cursor.execute(_offering_sql(page is not None, len(ids or ()), whole), args)
        rows = cursor.fetchall()
    if not whole:
        return [(Provider(pk=row[0]), row[1] or 0) for row in rows]
    return [(_PROVIDER.build(row, 0), row[-1] or 0) for row in rows]  # type: ignore[misc]


_PROVIDER = sqlrows.Columns(Provider, "pr")


@functools.cache
def _offering_sql(on_page: bool, ids: int, whole: bool) -> str:
    """The statement of ``offering``, written by hand: it is the one query of every cached
    availability answer, and the ORM spent longer building it (three joins, DISTINCT) than the
    database took to run it. No DISTINCT is needed: each join is on a unique pair."""
    offers = sqlrows.link(Provider, "services")
    columns = _PROVIDER.select() if whole else "pr.id"
    sql = (
        f"SELECT {columns}, v.version FROM {Provider._meta.db_table} pr "  # noqa: S608
        f"INNER JOIN {offers.table} ps ON ps.{offers.own} = pr.id AND ps.{offers.other} = %s "
    )
    if on_page:
        on = sqlrows.link(BookingPage, "providers")
        sql += f"INNER JOIN {on.table} pp ON pp.{on.other} = pr.id AND pp.{on.own} = %s "
    sql += (
        f"LEFT JOIN {AvailabilityVersion._meta.db_table} v ON v.provider_id = pr.id "
        "WHERE pr.business_id = %s AND pr.active = %s"
    )
    if ids:
        sql += f" AND pr.id IN ({sqlrows.placeholders(ids)})"
    return sql + " ORDER BY pr.id"


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


@dataclass(frozen=True)
class BusyTime:
    """One reason a provider is not free, for staff and the API (never shown to customers)."""

    start: datetime
    end: datetime
    source: str  # "booking", "time_off", or a registered source such as "calendar"
    source_id: int | None = None  # the booking's, time off's or calendar's id


def busy_times_of(*, provider: Provider, start: datetime, end: datetime) -> list[BusyTime]:
    """Everything that blocks ``provider`` between ``start`` and ``end``, by start time.

    Bookings count with their buffers (the time they block); the provider's own calendars'
    busy times come from the registered sources, as the engine sees them.
    """
    found = [
        BusyTime(s, e, "booking", pk)
        for pk, s, e in Booking.objects.filter(
            provider=provider,
            status__in=Booking.ACTIVE_STATUSES,
            blocked_start__lt=end,
            blocked_end__gt=start,
        ).values_list("pk", "blocked_start", "blocked_end")
    ]
    found += [
        BusyTime(s, e, "time_off", pk)
        for pk, s, e in TimeOff.objects.filter(
            provider=provider, start__lt=end, end__gt=start
        ).values_list("pk", "start", "end")
    ]
    found += [
        BusyTime(x.start, x.end, x.source, x.source_id)
        for x in extra_busy([provider.pk], start, end)
    ]
    found.sort(key=lambda b: (b.start, b.end, b.source, b.source_id or 0))
    return found
