"""Calendar sync against a real CalDAV server (Radicale on loopback; docs/calendars.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.models import Booking
from slotwise.calendars import services, sync
from slotwise.calendars.errors import CalendarUnreachable
from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar
from slotwise.core import errors
from tests import factories
from tests.bookings.helpers import refused
from tests.calendars.helpers import NOW, account, put, stored, utc

pytestmark = pytest.mark.slow


def connect(world, radicale, url=None, user=None, password=None, provider=None):
    return services.connection_create(
        business=world.business,
        provider=provider or world.alex,
        kind="caldav",
        url=url or radicale.url,
        username=user,
        password=password,
        now=NOW,
    )


def free_starts(world, day: int) -> list[int]:
    """Alex's free start hours (local) on ``day`` January 2030."""
    start = factories.local(world.business, 2030, 1, day, 0)
    slots = loaders.slots_for(
        service=world.service,
        window_start=start,
        window_end=start + timedelta(days=1),
        now=NOW,
        provider=world.alex,
    )
    return sorted(
        {s.start.astimezone(world.business.tz).hour for s in slots if s.start.minute == 0}
    )


def test_discovery_from_the_server_root_the_well_known_address_and_the_principal(world, radicale):
    user, password, _ = account(radicale, "Work", "Private")
    for url in (radicale.url, radicale.url + ".well-known/caldav", f"{radicale.url}{user}/"):
        connection = connect(world, radicale, url=url, user=user, password=password)
        names = sorted(c.name for c in connection.calendars.all())
        assert names == ["Private", "Work"], url
        assert connection.status == CalendarConnection.Status.OK
        assert connection.password_encrypted and password not in connection.password_encrypted
        services.connection_delete(business=world.business, connection=connection)


def test_wrong_password_is_calendar_unreachable_with_the_reason_and_saves_nothing(world, radicale):
    user, _password, _ = account(radicale, "Work")
    with pytest.raises(CalendarUnreachable) as caught:
        connect(world, radicale, user=user, password="wrong")
    assert caught.value.code == "calendar_unreachable"
    assert caught.value.http_status == 422
    assert "401" in caught.value.message
    assert not CalendarConnection.objects.exists()


def test_unreachable_server_is_calendar_unreachable(world, radicale):
    from tests.support.radicale import free_port

    with pytest.raises(CalendarUnreachable) as caught:
        connect(world, radicale, url=f"http://127.0.0.1:{free_port()}/", user="a", password="b")
    assert "refused" in caught.value.message


def test_private_addresses_are_refused_unless_allowed(world, radicale):
    user, password, _ = account(radicale, "Work")
    with (
        override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False),
        pytest.raises(errors.InvalidInput) as caught,
    ):
        connect(world, radicale, user=user, password=password)
    assert "loopback" in caught.value.message
    assert not CalendarConnection.objects.exists()


def test_a_busy_event_blocks_exactly_its_slots_and_a_free_one_does_not(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    assert 11 in free_starts(world, 21)
    # Monday 21 January 2030, 11:00-12:00 Berlin (10-11 UTC): busy. 14:00-15:00: "free".
    put(work, "dentist", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    put(work, "maybe", "DTSTART:20300121T130000Z", "DTEND:20300121T140000Z", "TRANSP:TRANSPARENT")
    connect(world, radicale, user=user, password=password)
    starts = free_starts(world, 21)
    # The 60-minute service with 15 minutes after: 10:00 would end 11:15, so it goes too.
    assert 10 not in starts and 11 not in starts
    assert {9, 12, 13, 14, 15} <= set(starts)


def test_recurring_event_with_a_moved_and_a_cancelled_occurrence(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    from tests.calendars.helpers import put_raw
    from tests.calendars.ics import BERLIN_TZ, vcalendar, vevent

    put_raw(
        work,
        vcalendar(
            BERLIN_TZ,
            vevent(
                "weekly",
                "DTSTART;TZID=Europe/Berlin:20300121T100000",
                "DTEND;TZID=Europe/Berlin:20300121T110000",
                "RRULE:FREQ=WEEKLY;COUNT=3",
            ),
            vevent(
                "weekly",
                "RECURRENCE-ID;TZID=Europe/Berlin:20300128T100000",
                "DTSTART;TZID=Europe/Berlin:20300128T160000",
                "DTEND;TZID=Europe/Berlin:20300128T170000",
            ),
            vevent(
                "weekly",
                "RECURRENCE-ID;TZID=Europe/Berlin:20300204T100000",
                "DTSTART;TZID=Europe/Berlin:20300204T100000",
                "DTEND;TZID=Europe/Berlin:20300204T110000",
                "STATUS:CANCELLED",
            ),
        ),
    )
    connection = connect(world, radicale, user=user, password=password)
    assert [(s, e) for s, e, _ in stored(connection)] == [
        (utc(2030, 1, 21, 9), utc(2030, 1, 21, 10)),
        (utc(2030, 1, 28, 15), utc(2030, 1, 28, 16)),
    ]


def test_all_day_event_and_an_event_in_another_zone_across_dst(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    from tests.calendars.helpers import put_raw
    from tests.calendars.ics import NEW_YORK_TZ, vcalendar, vevent

    put(work, "holiday", "DTSTART;VALUE=DATE:20300122", "DTEND;VALUE=DATE:20300123")
    put_raw(
        work,
        vcalendar(
            NEW_YORK_TZ,
            vevent(
                "ny",
                "DTSTART;TZID=America/New_York:20300304T090000",
                "DTEND;TZID=America/New_York:20300304T100000",
                "RRULE:FREQ=WEEKLY;COUNT=2",
            ),
        ),
    )
    connection = connect(world, radicale, user=user, password=password)
    assert [(s, e) for s, e, _ in stored(connection)] == [
        (utc(2030, 1, 21, 23), utc(2030, 1, 22, 23)),  # the whole Berlin day
        (utc(2030, 3, 4, 14), utc(2030, 3, 4, 15)),
        (utc(2030, 3, 11, 13), utc(2030, 3, 11, 14)),  # New York moved to EDT
    ]
    assert free_starts(world, 22) == []


def test_incremental_sync_picks_up_a_new_and_a_deleted_event(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    put(work, "first", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    doomed = put(work, "doomed", "DTSTART:20300122T100000Z", "DTEND:20300122T110000Z")
    connection = connect(world, radicale, user=user, password=password)
    calendar = connection.calendars.get()
    first_full, token = calendar.last_full_sync_at, calendar.sync_token
    assert token and first_full == NOW
    put(work, "new", "DTSTART:20300123T100000Z", "DTEND:20300123T110000Z")
    doomed.delete()
    later = NOW + timedelta(minutes=5)
    assert sync.sync_connection(connection.pk, now=later)
    calendar.refresh_from_db()
    assert calendar.last_full_sync_at == first_full  # read by sync-token, not in full
    assert calendar.sync_token != token
    assert [uid for _, _, uid in stored(connection)] == ["first", "new"]
    # Once a day a full read moves the window on; the result is the same.
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(days=1, minutes=1))
    calendar.refresh_from_db()
    assert calendar.last_full_sync_at == NOW + timedelta(days=1, minutes=1)
    assert [uid for _, _, uid in stored(connection)] == ["first", "new"]


def test_an_invalid_sync_token_falls_back_to_a_full_read(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    put(work, "first", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    connection = connect(world, radicale, user=user, password=password)
    RemoteCalendar.objects.filter(connection=connection).update(sync_token="bogus")
    put(work, "second", "DTSTART:20300122T100000Z", "DTEND:20300122T110000Z")
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5))
    assert [uid for _, _, uid in stored(connection)] == ["first", "second"]


def test_slotwise_own_events_are_not_read_back_as_busy(world, radicale, settings):
    settings.SITE_URL = "https://book.example.test"
    user, password, (work,) = account(radicale, "Work")
    put(work, "booking-99@book.example.test", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    put(work, "theirs", "DTSTART:20300121T120000Z", "DTEND:20300121T130000Z")
    connection = connect(world, radicale, user=user, password=password)
    assert [uid for _, _, uid in stored(connection)] == ["theirs"]


def test_server_down_keeps_busy_times_shows_stale_never_touches_bookings_then_recovers(
    world, radicale
):
    user, password, (work,) = account(radicale, "Work")
    put(work, "dentist", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    connection = connect(world, radicale, user=user, password=password)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 1, 21, 14),
        now=NOW,
    )
    before = Booking.objects.values().get(pk=booking.pk)
    busy_before = stored(connection)
    radicale.stop()
    try:
        later = NOW + timedelta(minutes=5)
        assert sync.sync_connection(connection.pk, now=later)
        connection.refresh_from_db()
        assert connection.status == CalendarConnection.Status.STALE
        assert "refused" in connection.last_error
        assert connection.consecutive_failures == 1
        assert connection.next_sync_at == later + timedelta(minutes=1)
        assert stored(connection) == busy_before  # the last known busy times still block
        assert 11 not in free_starts(world, 21)
        assert Booking.objects.values().get(pk=booking.pk) == before
        # A second failure waits twice as long.
        assert sync.sync_connection(connection.pk, now=later + timedelta(minutes=1))
        connection.refresh_from_db()
        assert connection.next_sync_at == later + timedelta(minutes=3)
        assert services.stale_connections(world.business) == [connection]
    finally:
        radicale.start()
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=10))
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.OK
    assert (connection.last_error, connection.consecutive_failures) == ("", 0)
    assert Booking.objects.values().get(pk=booking.pk) == before


def test_a_booking_is_refused_under_the_lock_right_after_an_import(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    connection = connect(world, radicale, user=user, password=password)
    start = factories.local(world.business, 2030, 1, 21, 11)
    assert 11 in free_starts(world, 21)  # what the customer saw
    put(work, "dentist", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5))
    with refused("slot_unavailable"):
        factories.custom_booking(
            world.business,
            service=world.service,
            provider=world.alex,
            customer=world.customer,
            start=start,
            now=NOW,
        )


def test_unticking_a_calendar_drops_its_busy_times_and_ticking_reads_it_again(world, radicale):
    user, password, (work,) = account(radicale, "Work")
    put(work, "dentist", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z")
    connection = connect(world, radicale, user=user, password=password)
    calendar = connection.calendars.get()
    services.connection_choose_calendars(
        business=world.business,
        connection=connection,
        choices=[services.CalendarChoice(calendar.pk, busy=False, write=True)],
        now=NOW,
    )
    assert not BusyInterval.objects.exists()
    calendar.refresh_from_db()
    assert calendar.is_write_target
    later = NOW + timedelta(minutes=1)
    services.connection_choose_calendars(
        business=world.business,
        connection=connection,
        choices=[services.CalendarChoice(calendar.pk, busy=True)],
        now=later,
    )
    assert sync.sync_due(later, "test-worker") == 1
    assert [uid for _, _, uid in stored(connection)] == ["dentist"]
