"""Busy times read from a provider's calendar show in the next cached availability answer:
the sync gives the provider a new version where it replaces their busy times."""

from __future__ import annotations

from datetime import datetime, timedelta

from slotwise.bookings import availability_cache
from slotwise.bookings import availability_queries as loaders
from slotwise.calendars import services, sync
from tests.calendars.helpers import NOW, utc
from tests.calendars.ics import vcalendar, vevent


def _alex_free_at(world, instant: datetime) -> bool:
    start = datetime(2030, 1, 21, tzinfo=world.business.tz)
    ask = {
        "service": world.service,
        "page": world.page,
        "window_start": start,
        "window_end": start + timedelta(days=2),
        "now": NOW,
    }
    cached = availability_cache.slots(business=world.business, **ask)
    assert cached == loaders.slots_for(**ask)
    return any(s.start == instant and world.alex.pk in s.provider_ids for s in cached)


def test_a_sync_that_changes_busy_times_shows_in_the_next_answer(world, ics_feed):
    state, url = ics_feed
    connection = services.connection_create(
        business=world.business, provider=world.alex, kind="ics", url=url, now=NOW
    )
    dentist = utc(2030, 1, 21, 10)
    assert not _alex_free_at(world, dentist)
    version = availability_cache.version_of(world.alex.pk)
    # Nothing changed on the calendar: the version (and the kept answer) stay.
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5))
    assert availability_cache.version_of(world.alex.pk) == version
    state.body = vcalendar(
        vevent("gym", "DTSTART:20300122T170000Z", "DTEND:20300122T180000Z"),
    )
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=10))
    assert availability_cache.version_of(world.alex.pk) == version + 1
    assert _alex_free_at(world, dentist)
