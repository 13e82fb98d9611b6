"""Bookings written into the provider's write calendar on a real CalDAV server (Radicale),
and conflicts when someone moves or deletes the event there (docs/calendars.md)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import caldav
import pytest
from icalendar import Calendar

from slotwise.bookings.actions import booking_cancel, booking_reschedule
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.calendars import services, uids, writes
from slotwise.calendars.models import BookingCalendarEvent, CalendarConflict
from slotwise.notifications import worker
from slotwise.notifications.models import Message
from tests import factories
from tests.api.conftest import Api, key_for
from tests.calendars.helpers import NOW, account

pytestmark = pytest.mark.slow

STAFF = Actor.system("test")


def connect_writing(world, radicale):
    """Alex's account with a "Work" calendar chosen to receive bookings: (connection, calendar)."""
    user, password, (work,) = account(radicale, "Work")
    connection = services.connection_create(
        business=world.business,
        provider=world.alex,
        kind="caldav",
        url=radicale.url,
        username=user,
        password=password,
        now=NOW,
    )
    remote = connection.calendars.get()
    services.connection_choose_calendars(
        business=world.business,
        connection=connection,
        choices=[services.CalendarChoice(remote.pk, busy=True, write=True)],
        now=NOW,
    )
    return connection, work


def book(world, day: int = 21, hour: int = 10) -> Booking:
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 1, day, hour),
        now=NOW,
    )


def deliver(now=NOW) -> None:
    while worker.run_once(worker_id="test", now=lambda: now, lane="webhooks"):
        pass


def events_of(calendar: caldav.Calendar) -> list:
    found = []
    for obj in calendar.events():
        cal = Calendar.from_ical(obj.data)
        for event in cal.walk("VEVENT"):
            found.append((str(obj.url), event))
    return found


def calendar_messages(booking):
    return list(Message.objects.filter(booking=booking, channel=Message.Channel.CALENDAR))


def test_create_reschedule_cancel_write_update_and_delete_the_same_event(world, radicale):
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    (message,) = calendar_messages(booking)
    assert message.status == Message.Status.QUEUED  # written in the booking's transaction
    deliver()

    ((href, event),) = events_of(work)
    assert str(event["UID"]) == uids.booking_uid(booking)
    assert unquote(href).endswith(f"/{uids.booking_uid(booking)}.ics")
    assert event.decoded("DTSTART") == booking.start
    assert int(event["SEQUENCE"]) == 1
    assert "Casey" in str(event["SUMMARY"]) and world.service.name in str(event["SUMMARY"])
    record = BookingCalendarEvent.objects.get(booking=booking)
    assert record.etag and record.sequence == 1

    new_start = factories.local(world.business, 2030, 1, 22, 14)
    booking = booking_reschedule(
        booking_id=booking.pk, actor=STAFF, new_start=new_start, now=NOW + timedelta(minutes=1)
    )
    deliver(NOW + timedelta(minutes=1))
    ((href2, event),) = events_of(work)
    assert href2 == href
    assert event.decoded("DTSTART") == new_start
    assert int(event["SEQUENCE"]) == booking.version > 1

    booking_cancel(booking_id=booking.pk, actor=STAFF, now=NOW + timedelta(minutes=2))
    deliver(NOW + timedelta(minutes=2))
    assert events_of(work) == []
    assert not BookingCalendarEvent.objects.filter(booking=booking).exists()
    assert all(m.status == Message.Status.SENT for m in calendar_messages(booking))


def test_no_write_calendar_queues_nothing(world):
    booking = book(world)
    assert calendar_messages(booking) == []
    assert Message.objects.filter(booking=booking).exists()  # the emails are still queued


def test_server_down_is_retried_later_and_nothing_is_lost(world, radicale):
    _connection, work = connect_writing(world, radicale)
    radicale.stop()
    try:
        booking = book(world)
        deliver()
        (message,) = calendar_messages(booking)
        assert message.status == Message.Status.AWAITING_RETRY
        assert "refused" in message.last_error.lower() or "connect" in message.last_error.lower()
    finally:
        radicale.start()
    later = NOW + timedelta(hours=1)
    deliver(later)
    (message,) = calendar_messages(booking)
    assert message.status == Message.Status.SENT
    ((_href, event),) = events_of(work)
    assert str(event["UID"]) == uids.booking_uid(booking)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_crash_between_claim_and_send_resends_idempotently(world, radicale):
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    # A worker claims the row, writes the event, and dies before recording anything.
    assert worker.claim(worker_id="dead", now=NOW, lane="webhooks")
    (message,) = calendar_messages(booking)
    writes.reconcile(Booking.objects.get(pk=booking.pk), now=NOW)
    BookingCalendarEvent.objects.all().delete()  # its record never committed
    # The lease runs out; another worker takes the row and sends it again.
    deliver(NOW + worker.LEASE + timedelta(seconds=1))
    (message,) = calendar_messages(booking)
    assert message.status == Message.Status.SENT
    assert len(events_of(work)) == 1
    assert BookingCalendarEvent.objects.get(booking=booking).etag


def test_repeated_message_writes_nothing_new(world, radicale):
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    deliver()
    etag = BookingCalendarEvent.objects.get(booking=booking).etag
    writes.reconcile(Booking.objects.get(pk=booking.pk), now=NOW)
    assert BookingCalendarEvent.objects.get(booking=booking).etag == etag
    assert len(events_of(work)) == 1


def moved_in_calendar(work: caldav.Calendar, booking: Booking, hours: int) -> None:
    ((_href, _event),) = events_of(work)
    obj = work.event_by_uid(uids.booking_uid(booking))
    cal = Calendar.from_ical(obj.data)
    for event in cal.walk("VEVENT"):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        del event["DTSTART"], event["DTEND"]
        event.add("DTSTART", start + timedelta(hours=hours))
        event.add("DTEND", end + timedelta(hours=hours))
    obj.data = cal.to_ical().decode()
    obj.save()


def test_event_moved_in_the_calendar_is_a_conflict_found_by_the_check(world, radicale):
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    deliver()
    moved_in_calendar(work, booking, hours=2)

    assert writes.check_written(NOW) == 1
    conflict = CalendarConflict.objects.get(booking=booking)
    assert conflict.slotwise_start == booking.start
    assert conflict.calendar_start == booking.start + timedelta(hours=2)
    assert not conflict.deleted
    # The booking is never moved by it.
    assert Booking.objects.get(pk=booking.pk).start == booking.start
    # Checked again: the same open conflict, not a second one.
    assert writes.check_written(NOW) == 0
    assert CalendarConflict.objects.filter(booking=booking).count() == 1

    writes.conflict_write_back(
        business_id=world.business.pk, conflict_id=conflict.pk, user=None, now=NOW
    )
    deliver()
    ((_href, event),) = events_of(work)
    assert event.decoded("DTSTART") == booking.start
    conflict.refresh_from_db()
    assert conflict.resolution == CalendarConflict.Resolution.WRITTEN_BACK
    assert writes.check_written(NOW) == 0


def test_event_moved_then_booking_rescheduled_is_a_conflict_not_an_overwrite(world, radicale):
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    deliver()
    moved_in_calendar(work, booking, hours=3)
    booking = booking_reschedule(
        booking_id=booking.pk,
        actor=STAFF,
        new_start=factories.local(world.business, 2030, 1, 23, 9),
        now=NOW,
    )
    deliver()
    conflict = CalendarConflict.objects.get(booking=booking, resolved_at=None)
    assert conflict.slotwise_start == booking.start
    ((_href, event),) = events_of(work)
    assert event.decoded("DTSTART") == conflict.calendar_start  # their change is kept

    writes.conflict_dismiss(
        business_id=world.business.pk, conflict_id=conflict.pk, user=None, now=NOW
    )
    assert writes.check_written(NOW) == 0
    # The next change of the booking is written over the dismissed one.
    booking = booking_reschedule(
        booking_id=booking.pk,
        actor=STAFF,
        new_start=factories.local(world.business, 2030, 1, 24, 9),
        now=NOW,
    )
    deliver()
    ((_href, event),) = events_of(work)
    assert event.decoded("DTSTART") == booking.start


def test_event_deleted_in_the_calendar_is_a_conflict(world, radicale):
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    deliver()
    work.event_by_uid(uids.booking_uid(booking)).delete()
    assert writes.check_written(NOW) == 1
    conflict = CalendarConflict.objects.get(booking=booking)
    assert conflict.deleted
    writes.conflict_write_back(
        business_id=world.business.pk, conflict_id=conflict.pk, user=None, now=NOW
    )
    deliver()
    assert len(events_of(work)) == 1


def test_write_calendar_changed_moves_the_event(world, radicale):
    user, password, (work, private) = account(radicale, "Work", "Private")
    connection = services.connection_create(
        business=world.business,
        provider=world.alex,
        kind="caldav",
        url=radicale.url,
        username=user,
        password=password,
        now=NOW,
    )
    by_name = {c.name: c for c in connection.calendars.all()}

    def choose(name: str) -> None:
        services.connection_choose_calendars(
            business=world.business,
            connection=connection,
            choices=[
                services.CalendarChoice(c.pk, write=(c.name == name)) for c in by_name.values()
            ],
            now=NOW,
        )

    choose("Work")
    booking = book(world)
    deliver()
    assert len(events_of(work)) == 1
    choose("Private")
    booking = booking_reschedule(
        booking_id=booking.pk,
        actor=STAFF,
        new_start=factories.local(world.business, 2030, 1, 25, 9),
        now=NOW,
    )
    deliver()
    assert events_of(work) == []
    ((_href, event),) = events_of(private)
    assert event.decoded("DTSTART") == booking.start


def test_connection_removed_leaves_written_events_and_queues_nothing(world, radicale):
    connection, work = connect_writing(world, radicale)
    booking = book(world)
    deliver()
    services.connection_delete(business=world.business, connection=connection)
    assert not BookingCalendarEvent.objects.exists()
    booking_cancel(booking_id=booking.pk, actor=STAFF, now=NOW)
    assert len(calendar_messages(booking)) == 1  # only the first write
    assert len(events_of(work)) == 1  # Slotwise cannot reach it any more; it stays


def test_a_conflict_is_seen_and_written_back_through_the_api(world, radicale):
    api = Api(key_for(world.business))
    _connection, work = connect_writing(world, radicale)
    booking = book(world)
    deliver()
    moved_in_calendar(work, booking, hours=2)
    assert writes.check_written(NOW) == 1

    (listed,) = api.get("calendar-conflicts").json()["items"]
    assert listed["booking_reference"] == booking.reference
    assert listed["calendar_name"] == "Work" and listed["deleted"] is False
    assert listed["slotwise_start"] == "2030-01-21T10:00:00+01:00"
    assert listed["calendar_start"] == "2030-01-21T12:00:00+01:00"

    answered = api.post(f"calendar-conflicts/{listed['id']}/write-back")
    assert answered.status_code == 200 and answered.json()["resolution"] == "written_back"
    deliver()
    ((_href, event),) = events_of(work)
    assert event.decoded("DTSTART") == booking.start
    assert writes.check_written(NOW) == 0
    assert api.get("calendar-conflicts").json()["count"] == 0
