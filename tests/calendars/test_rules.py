"""Which events block, and when: the pure rules of docs/calendars.md, "Which events block"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotwise.calendars import rules, uids
from tests.calendars.ics import BERLIN_TZ, NEW_YORK_TZ, vcalendar, vevent

BERLIN = ZoneInfo("Europe/Berlin")
LO = datetime(2030, 1, 1, tzinfo=UTC)
HI = datetime(2030, 12, 31, tzinfo=UTC)


def busy(data: str, tz: ZoneInfo = BERLIN, **kw) -> list[tuple[datetime, datetime]]:
    found = rules.busy_times(data, window_start=LO, window_end=HI, tz=tz, **kw)
    return [(b.start, b.end) for b in found]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # A plain event in UTC blocks exactly its time.
        (("DTSTART:20300110T090000Z", "DTEND:20300110T100000Z"), [(9, 10)]),
        # Shown as free: blocks nothing (Easy!Appointments blocked these).
        (("DTSTART:20300110T090000Z", "DTEND:20300110T100000Z", "TRANSP:TRANSPARENT"), []),
        # Explicitly busy.
        (("DTSTART:20300110T090000Z", "DTEND:20300110T100000Z", "TRANSP:OPAQUE"), [(9, 10)]),
        # Cancelled: blocks nothing.
        (("DTSTART:20300110T090000Z", "DTEND:20300110T100000Z", "STATUS:CANCELLED"), []),
        # Tentative still blocks.
        (("DTSTART:20300110T090000Z", "DTEND:20300110T100000Z", "STATUS:TENTATIVE"), [(9, 10)]),
        # A duration instead of an end.
        (("DTSTART:20300110T090000Z", "DURATION:PT90M"), [(9, 10.5)]),
        # No end and no duration: a point in time, blocks nothing.
        (("DTSTART:20300110T090000Z",), []),
        # Floating time: read in the provider's zone (Berlin, UTC+1 in January).
        (("DTSTART:20300110T100000", "DTEND:20300110T110000"), [(9, 10)]),
        # A named zone.
        (
            (
                "DTSTART;TZID=Europe/Berlin:20300110T100000",
                "DTEND;TZID=Europe/Berlin:20300110T110000",
            ),
            [(9, 10)],
        ),
    ],
)
def test_single_events(lines, expected):
    got = busy(vcalendar(BERLIN_TZ, vevent("e", *lines)))

    def hours(h: float) -> datetime:
        return utc(2030, 1, 10) + timedelta(hours=h)

    assert got == [(hours(a), hours(b)) for a, b in expected]


def test_all_day_event_blocks_the_whole_local_day():
    got = busy(vcalendar(vevent("d", "DTSTART;VALUE=DATE:20300110", "DTEND;VALUE=DATE:20300111")))
    # Midnight to midnight in Berlin is 23:00 to 23:00 UTC in winter.
    assert got == [(utc(2030, 1, 9, 23), utc(2030, 1, 10, 23))]


def test_all_day_event_without_end_is_one_day_and_multi_day_events_span_days():
    got = busy(
        vcalendar(
            vevent("one", "DTSTART;VALUE=DATE:20300110"),
            vevent("three", "DTSTART;VALUE=DATE:20300201", "DTEND;VALUE=DATE:20300204"),
        )
    )
    assert got == [
        (utc(2030, 1, 9, 23), utc(2030, 1, 10, 23)),
        (utc(2030, 1, 31, 23), utc(2030, 2, 3, 23)),
    ]


def test_all_day_event_across_the_spring_dst_change_is_23_hours():
    ((start, end),) = busy(
        vcalendar(vevent("d", "DTSTART;VALUE=DATE:20300331", "DTEND;VALUE=DATE:20300401"))
    )
    assert (start, end) == (utc(2030, 3, 30, 23), utc(2030, 3, 31, 22))


def test_weekly_recurrence_with_a_moved_a_cancelled_and_an_excluded_occurrence():
    data = vcalendar(
        BERLIN_TZ,
        vevent(
            "weekly",
            "DTSTART;TZID=Europe/Berlin:20300107T100000",
            "DTEND;TZID=Europe/Berlin:20300107T110000",
            "RRULE:FREQ=WEEKLY;COUNT=5",
            "EXDATE;TZID=Europe/Berlin:20300114T100000",
        ),
        vevent(
            "weekly",
            "RECURRENCE-ID;TZID=Europe/Berlin:20300121T100000",
            "DTSTART;TZID=Europe/Berlin:20300121T150000",
            "DTEND;TZID=Europe/Berlin:20300121T160000",
        ),
        vevent(
            "weekly",
            "RECURRENCE-ID;TZID=Europe/Berlin:20300128T100000",
            "DTSTART;TZID=Europe/Berlin:20300128T100000",
            "DTEND;TZID=Europe/Berlin:20300128T110000",
            "STATUS:CANCELLED",
        ),
    )
    assert busy(data) == [
        (utc(2030, 1, 7, 9), utc(2030, 1, 7, 10)),
        (utc(2030, 1, 21, 14), utc(2030, 1, 21, 15)),  # moved to the afternoon
        (utc(2030, 2, 4, 9), utc(2030, 2, 4, 10)),
    ]


def test_weekly_event_in_new_york_keeps_its_local_time_across_the_us_dst_change():
    data = vcalendar(
        NEW_YORK_TZ,
        vevent(
            "ny",
            "DTSTART;TZID=America/New_York:20300304T090000",
            "DTEND;TZID=America/New_York:20300304T100000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        ),
    )
    # 9:00 in New York: 14:00 UTC before 10 March 2030, 13:00 UTC after.
    assert busy(data) == [
        (utc(2030, 3, 4, 14), utc(2030, 3, 4, 15)),
        (utc(2030, 3, 11, 13), utc(2030, 3, 11, 14)),
    ]


def test_x_wr_timezone_files_are_read_in_that_zone():
    # Google's export: times in UTC, the zone only in X-WR-TIMEZONE; the weekly 10:00 Berlin
    # meeting must stay at 10:00 Berlin after the DST change (09:00 → 08:00 UTC).
    data = vcalendar(
        vevent(
            "g",
            "DTSTART:20300325T090000Z",
            "DTEND:20300325T100000Z",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        ),
        extra="X-WR-TIMEZONE:Europe/Berlin\r\n",
    )
    assert busy(data) == [
        (utc(2030, 3, 25, 9), utc(2030, 3, 25, 10)),
        (utc(2030, 4, 1, 8), utc(2030, 4, 1, 9)),
    ]


def test_slotwise_own_events_are_never_busy():
    data = vcalendar(
        vevent("booking-42@slotwise.test", "DTSTART:20300110T090000Z", "DTEND:20300110T100000Z"),
        vevent("someone-else", "DTSTART:20300110T110000Z", "DTEND:20300110T120000Z"),
    )
    got = busy(data, is_own=lambda uid: uids.is_own_uid(uid, host="slotwise.test"))
    assert got == [(utc(2030, 1, 10, 11), utc(2030, 1, 10, 12))]


def test_own_uid_scheme_matches_the_invites():
    assert uids.is_own_uid("booking-7@slotwise.test", host="slotwise.test")
    assert uids.is_own_uid("BOOKING-7@SLOTWISE.TEST", host="slotwise.test")
    assert not uids.is_own_uid("booking-7@other.test", host="slotwise.test")
    assert not uids.is_own_uid("booking-x@slotwise.test", host="slotwise.test")
    assert not uids.is_own_uid("prefix-booking-7@slotwise.test", host="slotwise.test")


def test_events_outside_the_window_are_left_out():
    data = vcalendar(
        vevent("old", "DTSTART:20291201T090000Z", "DTEND:20291201T100000Z"),
        vevent("edge", "DTSTART:20291231T230000Z", "DTEND:20300101T010000Z"),
    )
    assert busy(data) == [(utc(2029, 12, 31, 23), utc(2030, 1, 1, 1))]


def test_unreadable_data_is_an_error():
    with pytest.raises(rules.UnreadableCalendar):
        rules.busy_times("not a calendar", window_start=LO, window_end=HI, tz=BERLIN)


@given(
    start_minute=st.integers(0, 60 * 24 * 300),
    length=st.integers(0, 60 * 24 * 3),
    transparent=st.booleans(),
    cancelled=st.booleans(),
    floating=st.booleans(),
    own=st.booleans(),
)
def test_property_busy_times_are_well_formed_and_obey_the_rules(
    start_minute, length, transparent, cancelled, floating, own
):
    # From 2 January: a floating time read in Berlin stays inside the window (LO is UTC).
    start = datetime(2030, 1, 2) + timedelta(minutes=start_minute)
    end = start + timedelta(minutes=length)
    fmt = "%Y%m%dT%H%M%S" + ("" if floating else "Z")
    lines = [f"DTSTART:{start.strftime(fmt)}", f"DTEND:{end.strftime(fmt)}"]
    if transparent:
        lines.append("TRANSP:TRANSPARENT")
    if cancelled:
        lines.append("STATUS:CANCELLED")
    uid = "booking-1@slotwise.test" if own else "x"
    got = rules.busy_times(
        vcalendar(vevent(uid, *lines)),
        window_start=LO,
        window_end=HI,
        tz=BERLIN,
        is_own=lambda u: uids.is_own_uid(u, host="slotwise.test"),
    )
    if transparent or cancelled or own or length == 0:
        assert got == []
        return
    (one,) = got
    assert one.end - one.start == timedelta(minutes=length)
    expected = start.replace(tzinfo=BERLIN if floating else UTC).astimezone(UTC)
    assert one.start == expected
