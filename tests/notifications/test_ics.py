"""Calendar invites for a booking: one event per booking, written in UTC, iTIP-shaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications.ics import booking_calendar, booking_uid, calendar_mime_part
from tests import factories

NOW = datetime(2030, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://book.example.com/"


@pytest.fixture
def booking(world):
    world.business.address = "Torstraße 1, 10119 Berlin"
    world.business.save()
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 6, 4, 14),
        policy=SelfServicePolicy.off(),
        now=NOW,
    )


def build(booking, method="REQUEST", sequence=1, **kw) -> bytes:
    return booking_calendar(
        booking,
        method=method,
        start=booking.start,
        end=booking.end,
        sequence=sequence,
        now=NOW,
        **kw,
    )


def test_request_invite(booking):
    ics = build(booking, sequence=4)
    calendar = Calendar.from_ical(ics)
    assert calendar["METHOD"] == "REQUEST"
    assert "UID" not in calendar  # only the event has one, and it is stable
    (event,) = calendar.events
    assert event.uid == f"booking-{booking.pk}@book.example.com" == booking_uid(booking)
    assert event.sequence == 4
    assert event.start == booking.start and event.end == booking.end
    assert b"DTSTART:20300604T120000Z" in ics and b"DTEND:20300604T130000Z" in ics
    assert event.stamp == NOW
    assert str(event["SUMMARY"]) == "Haircut at Acme Studio"
    assert str(event["LOCATION"]) == "Torstraße 1, 10119 Berlin"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event.organizer) == "mailto:desk@acme.test"
    assert event.organizer.params["CN"] == "Acme Studio"
    (attendee,) = event.attendees
    assert str(attendee) == "mailto:casey@example.test"
    assert attendee.params["RSVP"] == "FALSE"
    assert booking.reference in str(event["DESCRIPTION"])


def test_same_facts_give_the_same_bytes(booking):
    assert build(booking) == build(booking)


def test_cancel_marks_the_event_cancelled(booking):
    calendar = Calendar.from_ical(build(booking, method="cancel", sequence=2))
    assert calendar["METHOD"] == "CANCEL"
    assert str(calendar.events[0]["STATUS"]) == "CANCELLED"
    assert calendar.events[0].uid == booking_uid(booking)


def test_publish_for_downloads_has_no_attendee(booking):
    calendar = Calendar.from_ical(build(booking, method="PUBLISH"))
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar.events[0].attendees == []


def test_optional_fields_left_out_when_unknown(booking):
    business = booking.business
    business.address = ""
    business.contact_email = ""
    business.save()
    event = Calendar.from_ical(build(booking, description="Custom")).events[0]
    assert "LOCATION" not in event and "ORGANIZER" not in event
    assert str(event["DESCRIPTION"]) == "Custom"


def test_rejects_unknown_methods_and_naive_times(booking):
    with pytest.raises(ValueError, match="method"):
        build(booking, method="REFRESH")
    with pytest.raises(ValueError, match="timezone-aware"):
        booking_calendar(
            booking,
            method="REQUEST",
            start=datetime(2030, 6, 4, 14),
            end=datetime(2030, 6, 4, 15),
            sequence=1,
            now=NOW,
        )


def test_later_versions_move_the_same_event(booking):
    later = booking.start + timedelta(days=1)
    first = Calendar.from_ical(build(booking, sequence=1)).events[0]
    second = Calendar.from_ical(
        booking_calendar(
            booking,
            method="REQUEST",
            start=later,
            end=later + timedelta(hours=1),
            sequence=2,
            now=NOW,
        )
    ).events[0]
    assert first.uid == second.uid and second.sequence > first.sequence
    assert second.start == later


def test_mime_part_carries_the_method(booking):
    part = calendar_mime_part(build(booking, method="CANCEL"), method="CANCEL")
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "CANCEL"
    assert part.get_filename() == "invite.ics"
    assert Calendar.from_ical(part.get_content())["METHOD"] == "CANCEL"
