"""Emails and calendar invites for appointments whose week holds a clock change.

Rendered through the worker's own path (an outbox row -> ``render.build_email``, or the
worker itself delivering to Django's test mailbox): the customer reads the time in the zone
stored on their customer record, staff in the business's zone, both with the zone named; the
invite carries UTC instants; the 24-hour reminder is due 24 real hours before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from icalendar import Calendar

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.notifications import worker
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests.time.scenarios import DAY_CASES, DeadlineCase, book_web, build_shop, utc

pytestmark = pytest.mark.django_db

K = Message.Kind
CASES = [pytest.param(c, id=c.id) for c in DAY_CASES]


def _row(booking: Booking, kind: str, audience: str = "customer") -> Message:
    return Message.objects.get(booking=booking, kind=kind, audience=audience)


def _invite(email: EmailMultiAlternatives) -> tuple[str, datetime, datetime]:
    """(METHOD, DTSTART, DTEND) of the email's calendar part, as it goes over the wire."""
    parts = [p for p in email.message().walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    raw = parts[0].get_payload(decode=True)
    # Written as UTC instants ("...Z"), never as floating or zone-relative local times.
    assert re.search(rb"^DTSTART:\d{8}T\d{6}Z$", raw, re.M), raw
    assert re.search(rb"^DTEND:\d{8}T\d{6}Z$", raw, re.M), raw
    calendar = Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event["DTSTART"].dt, event["DTEND"].dt


def _clock(moment: datetime) -> Callable[[], datetime]:
    """A worker clock stopped at ``moment``."""
    return lambda: moment


@pytest.mark.parametrize("case", CASES)
def test_confirmation_and_staff_emails_name_each_readers_zone(case: DeadlineCase) -> None:
    shop = build_shop(case.zone)
    booking, _token = book_web(shop, start=case.start, customer_zone=case.customer_zone)
    made = case.start_utc - timedelta(days=7)

    confirmation = build_email(_row(booking, K.CONFIRMATION), now=made)
    assert case.when_for_customer in confirmation.body
    assert case.when_for_customer in confirmation.alternatives[0][0]  # the HTML part too
    promise = f"You can cancel or reschedule online until {case.deadline_for_customer}."
    assert promise in confirmation.body
    assert _invite(confirmation) == (
        "REQUEST",
        case.start_utc,
        case.start_utc + timedelta(hours=1),
    )

    staff = build_email(_row(booking, K.STAFF_CREATED, "provider"), now=made)
    assert staff.to == [shop.day_provider.email]
    assert case.when_for_staff in staff.body
    assert case.when_for_customer not in staff.body

    # Staff cancel later; the customer's cancellation shows the same time and removes it.
    actions.booking_cancel(
        booking_id=booking.pk, actor=Actor.system("desk"), now=made + timedelta(days=1)
    )
    cancelled = build_email(_row(booking, K.CANCELLED), now=made + timedelta(days=1))
    assert f"Was: {case.when_for_customer}" in cancelled.body
    assert _invite(cancelled) == ("CANCEL", case.start_utc, case.start_utc + timedelta(hours=1))
    staff_cancelled = build_email(
        _row(booking, K.STAFF_CANCELLED, "provider"), now=made + timedelta(days=1)
    )
    assert case.when_for_staff in staff_cancelled.body


@pytest.mark.parametrize("case", CASES)
def test_reminder_is_due_24_real_hours_before_and_still_offers_changes(
    case: DeadlineCase,
) -> None:
    """The default 24-hour reminder falls on the 24-hour deadline: the window is still open."""
    shop = build_shop(case.zone)
    booking, _token = book_web(shop, start=case.start, customer_zone=case.customer_zone)
    reminder = _row(booking, K.REMINDER)
    assert reminder.due_at == case.deadline_utc  # 08:00 or 10:00 on the day-before clock

    mail.outbox.clear()
    worker.run_once(worker_id="w", now=_clock(case.deadline_utc - timedelta(microseconds=1)))
    assert [m.subject for m in mail.outbox if m.subject.startswith("Reminder")] == []
    reminder.refresh_from_db()
    assert reminder.status == Message.Status.QUEUED

    worker.run_once(worker_id="w", now=_clock(case.deadline_utc))
    reminder.refresh_from_db()
    assert reminder.status == Message.Status.SENT
    assert reminder.sent_at == case.deadline_utc
    (sent,) = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert sent.to == ["robin@example.test"]
    assert case.when_for_customer in sent.body
    assert f"You can cancel or reschedule online until {case.deadline_for_customer}." in sent.body
    assert re.search(r"Cancel booking: https://book\.example\.com/manage/[\w-]+/", sent.body)


def test_night_job_across_fall_back_in_customer_emails_and_invite() -> None:
    """01:00 CEST to 03:00 CET is three real hours; the New York customer sees 19:00-22:00."""
    shop = build_shop("Europe/Berlin")
    start = utc(2030, 10, 26, 23)  # Sunday 27 October, 01:00 CEST
    booking, _token = book_web(
        shop,
        start=start,
        customer_zone="America/New_York",
        service=shop.night_service,
        provider=shop.night_provider,
    )
    assert booking.end == utc(2030, 10, 27, 2)  # 03:00 CET, three real hours later
    email = build_email(_row(booking, K.CONFIRMATION), now=start - timedelta(days=7))
    assert "Saturday, 26 October 2030, 19:00 – 22:00 (America/New_York, EDT)" in email.body
    assert _invite(email) == ("REQUEST", start, utc(2030, 10, 27, 2))


@pytest.mark.parametrize(
    ("zone", "start", "end_abbreviation"),
    [
        ("Europe/Berlin", utc(2030, 10, 26, 23), "CET"),  # 01:00 CEST -> 03:00 CET
        ("Europe/Berlin", utc(2030, 3, 31, 0), "CEST"),  # 01:00 CET -> 05:00 CEST
        ("America/New_York", utc(2030, 11, 3, 5), "EST"),  # 01:00 EDT -> 03:00 EST
    ],
    ids=["berlin-fall-back", "berlin-spring-forward", "new-york-fall-back"],
)
def test_staff_email_names_the_zone_of_both_ends_of_a_range_across_the_change(
    zone: str, start: datetime, end_abbreviation: str
) -> None:
    """A range over the change must not state its end in the start's offset.

    "01:00 – 03:00 (Europe/Berlin, CEST)" reads as two hours and puts the end at 01:00 UTC,
    an hour early: 03:00 that night is CET. The end's own zone has to be named.
    """
    shop = build_shop(zone)
    booking, _token = book_web(
        shop,
        start=start,
        customer_zone=zone,
        service=shop.night_service,
        provider=shop.night_provider,
    )
    staff = build_email(_row(booking, K.STAFF_CREATED, "provider"), now=start - timedelta(days=7))
    (line,) = [line for line in staff.body.splitlines() if " – " in line]
    assert re.search(rf"\b{end_abbreviation}\b", line), line
