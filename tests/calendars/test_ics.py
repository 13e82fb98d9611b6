"""ICS addresses (Google's secret address, Outlook's published calendar), served locally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from slotwise.calendars import services, sync
from slotwise.calendars.errors import CalendarUnreachable
from slotwise.calendars.models import CalendarConnection
from tests.calendars.helpers import NOW, stored, utc
from tests.calendars.ics import vcalendar, vevent


def connect(world, url: str) -> CalendarConnection:
    return services.connection_create(
        business=world.business, provider=world.alex, kind="ics", url=url, now=NOW
    )


def test_an_ics_address_is_imported_with_its_name(world, ics_feed):
    state, url = ics_feed
    connection = connect(world, url)
    assert connection.kind == "ics" and connection.status == "ok"
    assert [c.name for c in connection.calendars.all()] == ["Alex private"]
    assert stored(connection) == [(utc(2030, 1, 21, 10), utc(2030, 1, 21, 11), "dentist")]
    assert connection.http_etag == state.etag


def test_webcal_addresses_are_read_over_https(world):
    assert services._checked_url("webcal://example.com/a.ics") == "https://example.com/a.ics"


def test_polling_asks_conditionally_and_picks_up_changes(world, ics_feed):
    state, url = ics_feed
    connection = connect(world, url)
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5))
    assert state.requests[-1].get("If-None-Match") == state.etag
    assert len(stored(connection)) == 1
    state.body = vcalendar(
        vevent("dentist", "DTSTART:20300121T100000Z", "DTEND:20300121T110000Z"),
        vevent("gym", "DTSTART:20300122T170000Z", "DTEND:20300122T180000Z"),
    )
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=10))
    assert [uid for _, _, uid in stored(connection)] == ["dentist", "gym"]


def test_a_broken_address_keeps_the_last_busy_times_and_is_shown_stale(world, ics_feed):
    state, url = ics_feed
    connection = connect(world, url)
    state.status = 500
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5))
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.STALE
    assert "500" in connection.last_error
    assert len(stored(connection)) == 1
    state.status, state.body = 200, "<html>not a calendar</html>"
    assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=7))
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.STALE
    assert "iCalendar" in connection.last_error
    assert len(stored(connection)) == 1


def test_an_address_that_is_not_a_calendar_is_refused_on_connect(world, ics_feed):
    state, url = ics_feed
    state.body = "<html>hello</html>"
    with pytest.raises(CalendarUnreachable):
        connect(world, url)
    state.status = 404
    with pytest.raises(CalendarUnreachable) as caught:
        connect(world, url)
    assert "404" in caught.value.message
    assert not CalendarConnection.objects.exists()


def test_a_private_address_is_refused_at_sync_time_once_private_urls_are_off(world, ics_feed):
    _state, url = ics_feed
    connection = connect(world, url)
    with override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False):
        assert sync.sync_connection(connection.pk, now=NOW + timedelta(minutes=5))
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.STALE
    assert "loopback" in connection.last_error
    assert len(stored(connection)) == 1


def test_two_workers_never_sync_the_same_connection(world, ics_feed):
    _state, url = ics_feed
    connection = connect(world, url)
    later = NOW + timedelta(minutes=10)
    assert sync.claim_due(worker_id="one", now=later) == [connection.pk]
    assert sync.claim_due(worker_id="two", now=later) == []
    assert not sync.sync_connection(connection.pk, now=later, worker_id="two")
    # A worker that died gives the connection back when its lease runs out.
    assert sync.claim_due(worker_id="two", now=later + sync.LEASE + timedelta(seconds=1)) == [
        connection.pk
    ]


def test_the_worker_job_syncs_due_connections_only(world, ics_feed):
    state, url = ics_feed
    connection = connect(world, url)
    asked = len(state.requests)
    assert sync.sync_due(NOW + timedelta(minutes=1), "w") == 0  # next one in 5 minutes
    assert sync.sync_due(NOW + timedelta(minutes=5), "w") == 1
    assert len(state.requests) == asked + 1
    connection.refresh_from_db()
    assert connection.next_sync_at == NOW + timedelta(minutes=10)


def test_the_window_reaches_the_longest_booking_horizon(world):
    world.page.max_days_ahead = 400
    world.page.save()
    start, end = sync.sync_window(world.business, NOW)
    assert (start, end) == (NOW - timedelta(days=30), NOW + timedelta(days=400))
    world.page.max_days_ahead = 30
    world.page.save()
    assert sync.sync_window(world.business, NOW)[1] == NOW + timedelta(days=180)


@pytest.mark.parametrize(
    ("failures", "minutes"), [(1, 1), (2, 2), (3, 4), (7, 64), (8, 120), (50, 120)]
)
def test_retry_delay_doubles_up_to_two_hours(failures, minutes):
    assert sync.retry_delay(failures) == timedelta(minutes=minutes)


def test_floating_times_use_the_business_zone(world, ics_feed):
    state, url = ics_feed
    state.body = vcalendar(vevent("f", "DTSTART:20300121T100000", "DTEND:20300121T110000"))
    connection = connect(world, url)
    assert stored(connection) == [(utc(2030, 1, 21, 9), utc(2030, 1, 21, 10), "f")]
    assert datetime(2030, 1, 21, 9, tzinfo=UTC) == stored(connection)[0][0]
