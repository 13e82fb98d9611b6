"""Availability reads a provider's calendar busy times merged by the database (overlapping and
touching times joined): the same minutes blocked in fewer rows (docs/calendars.md)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slotwise.bookings import availability_queries as loaders
from slotwise.calendars.hooks import calendar_busy, calendar_busy_merged
from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar

pytestmark = pytest.mark.django_db

BASE = datetime(2030, 1, 20, 6, 0, tzinfo=UTC)
WINDOW = (BASE + timedelta(hours=2), BASE + timedelta(hours=30))


def _calendar(world, provider, name: str) -> RemoteCalendar:
    connection = CalendarConnection.objects.create(
        business=world.business, provider=provider, kind="ics", url=f"https://x.test/{name}"
    )
    return RemoteCalendar.objects.create(
        connection=connection, provider=provider, url=connection.url, name=name
    )


def _minutes(spans) -> set[tuple[int, int]]:
    """Every (provider, minute) blocked inside the window."""
    lo, hi = WINDOW
    found = set()
    for provider_id, start, end in spans:
        t = max(start, lo)
        while t < min(end, hi):
            found.add((provider_id, int((t - BASE).total_seconds() // 60)))
            t += timedelta(minutes=1)
    return found


# (provider 0/1, calendar 0/1, start minute from BASE, length in minutes); a day and a half.
ROWS = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 36 * 60), st.integers(1, 240)),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS)
# A long time covering two short ones that do not meet: one busy time, not three.
@example(rows=[(0, 0, 200, 100), (0, 0, 210, 10), (0, 1, 230, 10), (0, 1, 300, 5)])
def test_merged_busy_blocks_the_same_minutes_in_disjoint_times(world, rows) -> None:
    BusyInterval.objects.all().delete()
    providers = [world.alex, world.blake]
    calendars = {
        (p, c): RemoteCalendar.objects.filter(provider=providers[p], name=f"c{p}{c}").first()
        or _calendar(world, providers[p], f"c{p}{c}")
        for p in (0, 1)
        for c in (0, 1)
    }
    BusyInterval.objects.bulk_create(
        BusyInterval(
            business=world.business,
            provider=providers[p],
            remote_calendar=calendars[(p, c)],
            start=BASE + timedelta(minutes=at),
            end=BASE + timedelta(minutes=at + length),
        )
        for p, c, at, length in rows
    )
    ids = [world.alex.pk, world.blake.pk]
    raw = [(b.provider_id, b.start, b.end) for b in calendar_busy(ids, *WINDOW)]
    merged = [(b.provider_id, b.start, b.end) for b in calendar_busy_merged(ids, *WINDOW)]

    assert _minutes(merged) == _minutes(raw)
    assert len(merged) <= len(raw)
    for provider_id in ids:
        mine = sorted((s, e) for pid, s, e in merged if pid == provider_id)
        for (_s1, e1), (s2, _e2) in itertools.pairwise(mine):
            assert e1 < s2  # neither overlapping nor touching: one time each
        assert all(s.tzinfo is not None and s < e for s, e in mine)


def test_availability_reads_the_merged_times_and_the_busy_view_the_raw(world) -> None:
    work, private = _calendar(world, world.alex, "Work"), _calendar(world, world.alex, "Private")
    for calendar, hours in ((work, (9, 11)), (private, (10, 12)), (private, (12, 13))):
        BusyInterval.objects.create(
            business=world.business,
            provider=world.alex,
            remote_calendar=calendar,
            start=BASE.replace(hour=hours[0]),
            end=BASE.replace(hour=hours[1]),
        )
    lo, hi = BASE, BASE + timedelta(days=1)
    assert [(b.start.hour, b.end.hour) for b in loaders.blocking_busy([world.alex.pk], lo, hi)] == [
        (9, 13)
    ]
    shown = sorted(
        (b.start.hour, b.end.hour, b.source_id) for b in loaders.extra_busy([world.alex.pk], lo, hi)
    )
    assert shown == [(9, 11, work.pk), (10, 12, private.pk), (12, 13, private.pk)]
    assert list(calendar_busy_merged([], lo, hi)) == []
