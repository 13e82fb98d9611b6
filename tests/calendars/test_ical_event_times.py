"""Reading a written event back (calendars/ical.py ``event_times``): how a conflict check
sees an event staff may have moved, made all-day or broken (docs/calendars.md, Conflicts)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slotwise.calendars.ical import event_times

BERLIN = ZoneInfo("Europe/Berlin")
UID = "booking-7@slotwise.test"


def calendar(*lines: str) -> str:
    body = "\r\n".join(lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{UID}\r\nDTSTAMP:20300101T000000Z\r\n{body}\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def test_utc_times_are_read_as_they_are():
    data = calendar("DTSTART:20300604T120000Z", "DTEND:20300604T130000Z")
    assert event_times(data, uid=UID, tz=BERLIN) == (
        datetime(2030, 6, 4, 12, tzinfo=UTC),
        datetime(2030, 6, 4, 13, tzinfo=UTC),
    )


def test_floating_times_are_read_in_the_business_zone():
    data = calendar("DTSTART:20300604T140000", "DTEND:20300604T150000")
    assert event_times(data, uid=UID, tz=BERLIN) == (
        datetime(2030, 6, 4, 12, tzinfo=UTC),
        datetime(2030, 6, 4, 13, tzinfo=UTC),
    )


def test_a_duration_gives_the_end():
    data = calendar("DTSTART:20300604T120000Z", "DURATION:PT45M")
    start, end = event_times(data, uid=UID, tz=BERLIN) or (None, None)
    assert (start, end) == (
        datetime(2030, 6, 4, 12, tzinfo=UTC),
        datetime(2030, 6, 4, 12, 45, tzinfo=UTC),
    )


def test_an_event_without_end_or_duration_is_an_instant():
    data = calendar("DTSTART:20300604T120000Z")
    start, end = event_times(data, uid=UID, tz=BERLIN) or (None, None)
    assert start == end == datetime(2030, 6, 4, 12, tzinfo=UTC)


def test_an_all_day_event_is_its_whole_local_day():
    data = calendar("DTSTART;VALUE=DATE:20300604", "DTEND;VALUE=DATE:20300605")
    assert event_times(data, uid=UID, tz=BERLIN) == (
        datetime(2030, 6, 3, 22, tzinfo=UTC),
        datetime(2030, 6, 4, 22, tzinfo=UTC),
    )


def test_another_uid_or_an_override_is_not_the_event():
    data = calendar("DTSTART:20300604T120000Z", "DTEND:20300604T130000Z")
    assert event_times(data, uid="someone-else", tz=BERLIN) is None
    override = calendar(
        "RECURRENCE-ID:20300604T120000Z", "DTSTART:20300605T120000Z", "DTEND:20300605T130000Z"
    )
    assert event_times(override, uid=UID, tz=BERLIN) is None


def test_unreadable_data_is_no_event():
    assert event_times("this is not a calendar", uid=UID, tz=BERLIN) is None
