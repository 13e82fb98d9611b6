"""Cached availability is never stale: every change to free time gives a new version in its
own transaction, and the next answer is computed afresh (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from slotwise.bookings import actions, availability_cache
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import AvailabilityVersion
from slotwise.catalog import services as catalog
from slotwise.core.clock import utcnow
from tests import factories
from tests.conftest import World

STAFF = Actor.system("test")


def _window(world: World) -> tuple[datetime, datetime]:
    start = datetime(2030, 1, 21, tzinfo=world.business.tz)  # a Monday, days after "now"
    return start, start + timedelta(days=7)


def _cached(world: World) -> list[availability_cache.Slot]:
    start, end = _window(world)
    return availability_cache.slots(
        service=world.service,
        business=world.business,
        page=world.page,
        window_start=start,
        window_end=end,
        now=utcnow(),
    )


def _fresh(world: World) -> list[availability_cache.Slot]:
    start, end = _window(world)
    return loaders.slots_for(
        service=world.service, page=world.page, window_start=start, window_end=end, now=utcnow()
    )


def _at(world: World, hour: int) -> datetime:
    return factories.local(world.business, 2030, 1, 21, hour)


def test_a_repeated_question_is_one_query_and_a_hit(world: World) -> None:
    first = _cached(world)
    availability_cache.stats.clear()
    with CaptureQueriesContext(connection) as read:
        again = _cached(world)
    assert again == first == _fresh(world)
    assert len(read) == 1  # the providers offering the service, with their versions
    assert availability_cache.stats == {"hit": 1}


def test_the_clock_moves_the_answer_without_a_new_computation(world: World) -> None:
    import time_machine

    nine = _at(world, 9)
    with time_machine.travel(nine + timedelta(minutes=1), tick=False):
        before = _cached(world)
    # Later in the same hour: the stored answer serves, cut at the new "now".
    with time_machine.travel(nine + timedelta(minutes=40), tick=False):
        availability_cache.stats.clear()
        later = _cached(world)
        assert later == _fresh(world)
    assert before[0].start < later[0].start
    assert availability_cache.stats == {"hit": 1}


def _book(world: World) -> None:
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=_at(world, 9),
        now=utcnow(),
    )


def _hours(world: World) -> None:
    catalog.working_hours_set(
        business=world.business,
        provider=world.alex,
        intervals=[(0, time(9), time(12)), (0, time(13), time(17))],  # a lunch break
    )


def _time_off(world: World) -> None:
    catalog.time_off_create(
        business=world.business, provider=world.alex, start=_at(world, 8), end=_at(world, 18)
    )


def _service_longer(world: World) -> None:
    catalog.service_save(
        business=world.business, service=world.service, changes={"duration_minutes": 90}
    )
    world.service.refresh_from_db()


def _page_step(world: World) -> None:
    world.page.slot_step_minutes = 60
    world.page.save(update_fields=["slot_step_minutes"])


def _provider_leaves_page(world: World) -> None:
    world.page.providers.remove(world.blake)


CHANGES: dict[str, Callable[[World], None]] = {
    "booking created": _book,
    "working hours (a break)": _hours,
    "time off": _time_off,
    "service duration": _service_longer,
    "page step": _page_step,
    "provider off the page": _provider_leaves_page,
}


@pytest.mark.parametrize("change", CHANGES)
def test_the_next_answer_reflects_every_change(world: World, change: str) -> None:
    before = _cached(world)
    CHANGES[change](world)
    after = _cached(world)
    assert after == _fresh(world)
    assert after != before


def _booked(world: World) -> int:
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=_at(world, 9),
        now=utcnow(),
    )
    return booking.pk


def _alex_at_nine(world: World) -> bool:
    return any(s.start == _at(world, 9) and world.alex.pk in s.provider_ids for s in _cached(world))


def test_cancel_and_reschedule_free_the_time(world: World) -> None:
    pk = _booked(world)
    assert not _alex_at_nine(world)
    actions.booking_reschedule(booking_id=pk, actor=STAFF, new_start=_at(world, 14), now=utcnow())
    assert _alex_at_nine(world)
    assert not any(
        s.start == _at(world, 14) and world.alex.pk in s.provider_ids for s in _cached(world)
    )
    actions.booking_cancel(booking_id=pk, actor=STAFF, now=utcnow())
    assert _cached(world) == _fresh(world)
    assert any(
        s.start == _at(world, 14) and world.alex.pk in s.provider_ids for s in _cached(world)
    )


def test_time_off_deleted_frees_the_time(world: World) -> None:
    off = catalog.time_off_create(
        business=world.business, provider=world.alex, start=_at(world, 8), end=_at(world, 18)
    )
    assert not _alex_at_nine(world)
    catalog.time_off_delete(business=world.business, provider_id=world.alex.pk, time_off_id=off.pk)
    assert _alex_at_nine(world)


def test_closing_a_booking_gives_a_new_version(world: World) -> None:
    pk = _booked(world)
    version = availability_cache.version_of(world.alex.pk)
    booking = actions.booking_complete(booking_id=pk, actor=STAFF, now=_at(world, 11))
    assert booking.status == "completed"
    assert availability_cache.version_of(world.alex.pk) == version + 1
    assert _cached(world) == _fresh(world)


def test_a_bump_rolls_back_with_its_change(world: World) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        availability_cache.bump([world.alex.pk, world.blake.pk])
        raise RuntimeError("refused")
    assert not AvailabilityVersion.objects.exists()
    with transaction.atomic():
        availability_cache.bump([world.alex.pk])
        availability_cache.bump([world.alex.pk, world.blake.pk])
    assert availability_cache.version_of(world.alex.pk) == 2
    assert availability_cache.version_of(world.blake.pk) == 1


def test_calendar_busy_times_replaced_give_a_new_version(world: World) -> None:
    from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar

    conn = CalendarConnection.objects.create(
        business=world.business, provider=world.alex, kind=CalendarConnection.Kind.ICS
    )
    before = _cached(world)
    calendar = RemoteCalendar.objects.create(
        connection=conn, provider=world.alex, url="https://cal.test/x", name="Mine"
    )
    BusyInterval.objects.create(
        business=world.business,
        provider=world.alex,
        remote_calendar=calendar,
        start=_at(world, 8),
        end=_at(world, 18),
        href="e",
        uid="e",
    )
    # Rows alone do not change a version: the sync's store (and the staff's changes) do.
    assert _cached(world) == before
    from slotwise.calendars import services

    services.connection_delete(business=world.business, connection=conn)
    assert _cached(world) == _fresh(world)


def test_the_shared_cache_is_used_when_configured(world: World, settings) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "availability": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    first = _cached(world)
    availability_cache.clear_local()
    availability_cache.stats.clear()
    assert _cached(world) == first
    assert availability_cache.stats == {"hit": 1}
    _book(world)
    assert _cached(world) == _fresh(world) != first
