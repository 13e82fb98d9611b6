"""Availability answers cached so that they are never recomputed needlessly and never stale.

Every provider has a version (``AvailabilityVersion``), bumped in the same transaction as each
change that can alter their free time: a booking created, rescheduled, cancelled or closed
(``BookingChanged``), working hours or time off (``core.events.ScheduleChanged``), and the busy
times imported from their calendars (``calendars`` calls ``bump`` where it replaces them).
An answer is stored under the versions of its providers together with everything else it
depends on: the service's duration and buffers, the step of the page (or the business), the
business's zone and the window. So a cached answer costs one small query, the one that reads
which providers offer the service and their current versions; a change anywhere commits a new
version with it, and the next reader computes afresh. Changes to the service, the page's rules,
or who offers what are in the key or in that query, so they need no bump.

What depends on the clock (the minimum notice, the days-ahead horizon) is applied when an
answer is served: the stored answer starts at the hour the notice reaches and ends at the
horizon, so it is shared by every request in that hour.

Answers live in this process (a bounded LRU) unless the ``availability`` cache is configured
(``CACHE_URL``, e.g. Redis), which all web processes then share (docs/deployment.md).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.events import BookingChanged
from slotwise.bookings.models import AvailabilityVersion, BookingEvent, BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import events
from slotwise.core.models import Business
from slotwise.scheduling import availability
from slotwise.scheduling.availability import Slot

#: The name of the shared cache in ``settings.CACHES``, present when ``CACHE_URL`` is set.
SHARED_CACHE = "availability"
#: How long the shared cache keeps an answer; old versions simply expire.
SHARED_TIMEOUT = 24 * 3600

#: Hit and miss counts of this process (tests read them; the numbers are also handy in a shell).
stats: Counter[str] = Counter()

# History kinds that leave a booking's blocked time as it was: no bump for them.
_NO_TIME_CHANGE = frozenset(
    {
        BookingEvent.Kind.PAYMENT_RECORDED,
        BookingEvent.Kind.RATED,
        BookingEvent.Kind.RATING_REPLIED,
        BookingEvent.Kind.RATING_HIDDEN,
        BookingEvent.Kind.RATING_SHOWN,
    }
)


# --- versions ---------------------------------------------------------------------------------


def bump(provider_ids: Iterable[int]) -> None:
    """Give these providers a new version, inside the caller's transaction.

    Called with the change that alters their free time, so the new version commits with it
    (and rolls back with it). One statement whatever the number of providers.
    """
    ids = sorted(set(provider_ids))
    if not ids:
        return
    table = AvailabilityVersion._meta.db_table
    # Written by hand: the ORM's upsert (bulk_create with update_conflicts) can only set the
    # new row's value, not "version + 1". ON CONFLICT … DO UPDATE is the same on PostgreSQL
    # and SQLite, and atomic: two concurrent first bumps end at 1 and 2, never both at 1.
    values = ", ".join(["(%s, 1)"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (provider_id, version) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (provider_id) DO UPDATE SET version = {table}.version + 1",
            ids,
        )


def on_booking_changed(event: BookingChanged) -> None:
    """A booking was made, moved, cancelled or closed: its provider(s) have a new version."""
    if event.kind in _NO_TIME_CHANGE:
        return
    ids = [event.booking.provider_id]
    if event.old is not None:
        ids.append(event.old.provider.pk)
    bump(ids)


def on_schedule_changed(event: events.ScheduleChanged) -> None:
    """Working hours or time off changed (``catalog.services``)."""
    bump(event.provider_ids)


def offering_versions(
    *,
    service: Service,
    page: BookingPage | None = None,
    provider_ids: Iterable[int] | None = None,
) -> list[tuple[int, int]]:
    """``(provider id, version)`` of the active providers offering ``service`` (on ``page``;
    among ``provider_ids`` when given), by id: the one query a cached answer costs."""
    return [
        (provider.pk, version)
        for provider, version in loaders.offering(service, page, provider_ids, whole=False)
    ]


def version_of(provider_id: int) -> int:
    """One provider's current version (0 before their first change)."""
    with connection.cursor() as cursor:  # by hand: the ORM took longer to build it than to run
        cursor.execute(
            f"SELECT version FROM {AvailabilityVersion._meta.db_table} WHERE provider_id = %s",  # noqa: S608
            [provider_id],
        )
        found = cursor.fetchone()
    return found[0] if found else 0


# --- the answers ------------------------------------------------------------------------------


class _Lru:
    """A bounded, thread-safe least-recently-used map (gunicorn threads share it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_local = _Lru(getattr(settings, "SLOTWISE_AVAILABILITY_CACHE_SIZE", 2048))


def clear_local() -> None:
    """Forget this process's answers (tests do, since their databases reuse ids)."""
    _local.clear()


@dataclass(frozen=True, slots=True)
class Question:
    """What an availability answer depends on, besides the clock."""

    service: Service
    business: Business
    page: BookingPage | None
    window_start: datetime
    window_end: datetime
    exclude_booking_id: int | None = None


def rules_of(question: Question) -> availability.SlotRules:
    """The slot rules of the question (the page's, or the business's)."""
    return loaders.rules_for(
        service=question.service, business=question.business, page=question.page
    )


def work_of(question: Question, *, provider_count: int, now: datetime) -> int:
    """The estimated work of the question (``availability.estimate_work``), without a query."""
    return availability.estimate_work(
        provider_count=provider_count,
        rules=rules_of(question),
        tz=question.business.tz,
        window_start=question.window_start,
        window_end=question.window_end,
        now=now,
    )


def free_slots(
    question: Question, *, versions: Sequence[tuple[int, int]], now: datetime
) -> list[Slot]:
    """The free slots of ``question`` for these providers (``offering_versions``), as
    ``availability_queries.slots_for`` would answer it, from the cache when it can."""
    if not versions:
        return []
    rules = rules_of(question)
    tz = question.business.tz
    earliest = max(question.window_start.astimezone(UTC), now.astimezone(UTC) + rules.min_notice)
    # Stored from the top of the hour the notice reaches: one answer serves the whole hour.
    start = max(
        question.window_start.astimezone(UTC), earliest.replace(minute=0, second=0, microsecond=0)
    )
    end = question.window_end.astimezone(UTC)
    horizon = availability.horizon_end(now, tz, rules.max_days_ahead)
    if horizon is not None:
        end = min(end, horizon)
    if earliest >= end:
        return []
    key = (
        settings.DATABASES["default"]["NAME"],
        tz.key,
        question.service.pk,
        rules.duration,
        rules.buffer_before,
        rules.buffer_after,
        rules.step,
        start,
        end,
        question.exclude_booking_id,
        tuple(versions),
    )
    slots = _get(key)
    if slots is None:
        stats["miss"] += 1
        slots = availability.free_slots(
            providers=loaders.provider_schedules(
                providers=[Provider(pk=pk) for pk, _ in versions],
                window_start=start,
                window_end=end,
                exclude_booking_id=question.exclude_booking_id,
            ),
            rules=replace(rules, min_notice=timedelta(0), max_days_ahead=None),
            tz=tz,
            window_start=start,
            window_end=end,
            now=start,
        )
        _set(key, slots)
    else:
        stats["hit"] += 1
    if slots and slots[0].start < earliest:
        return [s for s in slots if s.start >= earliest]
    return list(slots)


def _shared() -> Any:
    return caches[SHARED_CACHE] if SHARED_CACHE in settings.CACHES else None


def _shared_key(key: tuple[Any, ...]) -> str:
    return "avail:" + hashlib.sha256(repr(key).encode()).hexdigest()


def _get(key: tuple[Any, ...]) -> list[Slot] | None:
    shared = _shared()
    if shared is None:
        found: list[Slot] | None = _local.get(key)
        return found
    found = shared.get(_shared_key(key))
    return found


def _set(key: tuple[Any, ...], slots: list[Slot]) -> None:
    shared = _shared()
    if shared is None:
        _local.set(key, slots)
    else:
        shared.set(_shared_key(key), slots, SHARED_TIMEOUT)


def slots(
    *,
    service: Service,
    business: Business,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    page: BookingPage | None = None,
    provider: Provider | None = None,
    exclude_booking_id: int | None = None,
    versions: Sequence[tuple[int, int]] | None = None,
) -> list[Slot]:
    """``availability_queries.slots_for`` through the cache: one provider, or any provider
    offering ``service`` (on ``page``). ``business`` is the service's, passed in so it is not
    read again; ``versions``, when the caller read them with the providers in this request
    (``availability_queries.offering``), are not read again either."""
    if versions is None:
        # As ``slots_for``: the caller chose the provider (a reschedule keeps the booking's),
        # or any provider offering the service counts.
        versions = (
            offering_versions(service=service, page=page)
            if provider is None
            else [(provider.pk, version_of(provider.pk))]
        )
    question = Question(
        service=service,
        business=business,
        page=page,
        window_start=window_start,
        window_end=window_end,
        exclude_booking_id=exclude_booking_id,
    )
    return free_slots(question, versions=versions, now=now)
