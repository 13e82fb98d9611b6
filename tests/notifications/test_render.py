"""Emails built from outbox rows: wording, time zones, self-service links, calendar invites."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from icalendar import Calendar

from slotwise.bookings import actions
from slotwise.bookings.actions import token_verify
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests import factories

SITE = "https://book.example.com"
K = Message.Kind
BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=1440)
CANCEL_ONLY = SelfServicePolicy(allow_cancel=True, change_deadline_minutes=1440)
RESCHEDULE_ONLY = SelfServicePolicy(allow_reschedule=True, change_deadline_minutes=1440)

# 4 June 2030 14:00 in Berlin (CEST) is 12:00 UTC and 08:00 in New York (EDT).
CUSTOMER_WHEN = "Tuesday, 4 June 2030, 08:00 – 09:00 (America/New_York, EDT)"
STAFF_WHEN = "Tuesday, 4 June 2030, 14:00 – 15:00 (Europe/Berlin, CEST)"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Slotwise <bookings@slotwise.example>"


@pytest.fixture
def shop(world):
    business = world.business
    business.address = "Torstraße 1, 10119 Berlin"
    business.phone = "+49 30 1234567"
    business.save()
    world.customer.phone = "+1 212 555 0100"
    world.customer.save()
    return world


def at(world, day: int, hour: int, minute: int = 0) -> datetime:
    return factories.local(world.business, 2030, 6, day, hour, minute)


def book(world, policy=BOTH, start=None, provider=None, now=None, **kw):
    start = start or at(world, 4, 14)
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=provider or world.alex,
        customer=world.customer,
        start=start,
        policy=policy,
        now=now or at(world, 1, 12),
        **kw,
    )


def message(booking, kind: str, audience: str = "customer") -> Message:
    return Message.objects.filter(booking=booking, kind=kind, audience=audience).latest("pk")


def html_of(msg) -> str:
    ((html, mimetype),) = msg.alternatives
    assert mimetype == "text/html"
    return html


def wire(msg) -> email.message.EmailMessage:
    """The message as it goes over the wire, parsed back."""
    return email.message_from_bytes(msg.message().as_bytes(), policy=email.policy.default)


def calendar_part(msg):
    parts = [p for p in wire(msg).walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def invite(msg) -> Calendar:
    return Calendar.from_ical(calendar_part(msg).get_content())


def manage_tokens(text: str) -> list[str]:
    return re.findall(re.escape(SITE) + r"/manage/([A-Za-z0-9_-]+)/", text)


# --- confirmation ------------------------------------------------------------------------


def test_confirmation_headers_and_bodies(shop):
    booking = book(shop)
    row = message(booking, K.CONFIRMATION)
    msg = build_email(row, now=at(shop, 1, 12))

    assert msg.subject == "Booking confirmed: Haircut on Tue 4 Jun 2030, 08:00"
    assert msg.to == ["casey@example.test"]
    assert msg.from_email == "Acme Studio via Slotwise <bookings@slotwise.example>"
    assert msg.reply_to == ["Acme Studio <desk@acme.test>"]
    assert msg.extra_headers["Message-ID"] == f"<slotwise.message.{row.pk}@book.example.com>"
    html = html_of(msg)
    for body in (msg.body, html):
        assert CUSTOMER_WHEN in body
        assert "14:00" not in body  # the business's wall clock is not the customer's
        assert "Alex" in body and "Haircut" in body and booking.reference in body
        assert "+49 30 1234567" in body and "desk@acme.test" in body
    assert "Torstraße 1, 10119 Berlin" in msg.body
    assert "Torstraße 1, 10119 Berlin" in html
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert msg.body.startswith("Acme Studio\n\nYour booking is confirmed\n\nHello Casey,")

    parsed = wire(msg)
    assert parsed["Message-ID"] == f"<slotwise.message.{row.pk}@book.example.com>"
    assert parsed["From"].addresses[0].display_name == "Acme Studio via Slotwise"
    assert parsed["From"].addresses[0].addr_spec == "bookings@slotwise.example"
    assert parsed["Reply-To"].addresses[0].addr_spec == "desk@acme.test"


def test_message_id_is_stable_and_each_render_gets_its_own_token(shop):
    row = message(book(shop), K.CONFIRMATION)
    first, second = build_email(row, now=at(shop, 1, 12)), build_email(row, now=at(shop, 1, 13))
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert manage_tokens(first.body)[0] != manage_tokens(second.body)[0]
    assert BookingToken.objects.filter(purpose="manage").count() == 2


def test_no_reply_to_without_contact_email(shop):
    shop.business.contact_email = ""
    shop.business.save()
    msg = build_email(message(book(shop), K.CONFIRMATION), now=at(shop, 1, 12))
    assert msg.reply_to == []
    assert "ORGANIZER" not in invite(msg).events[0]


def test_customer_without_zone_sees_the_business_zone(shop):
    shop.customer.timezone = ""
    shop.customer.save()
    msg = build_email(message(book(shop), K.CONFIRMATION), now=at(shop, 1, 12))
    assert STAFF_WHEN in msg.body


def test_times_come_from_the_message_not_the_current_booking(shop):
    booking = book(shop)
    row = message(booking, K.CONFIRMATION)
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.system("desk"),
        new_start=at(shop, 5, 10),
        now=at(shop, 1, 13),
    )
    msg = build_email(row, now=at(shop, 1, 14))
    assert CUSTOMER_WHEN in msg.body
    assert invite(msg).events[0].sequence == 1


# --- self-service section ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "reschedule", "cancel"),
    [(BOTH, True, True), (CANCEL_ONLY, False, True), (RESCHEDULE_ONLY, True, False)],
    ids=["both", "cancel-only", "reschedule-only"],
)
def test_self_service_buttons_exactly_as_allowed(shop, policy, reschedule, cancel):
    booking = book(shop, policy=policy)
    now = at(shop, 1, 12)
    msg = build_email(message(booking, K.CONFIRMATION), now=now)
    html = html_of(msg)

    deadline = "Monday, 3 June 2030, 08:00 (America/New_York, EDT)"
    what = {(True, True): "cancel or reschedule", (True, False): "cancel"}.get(
        (cancel, reschedule), "reschedule"
    )
    assert f"You can {what} online until {deadline}." in msg.body
    assert f"You can {what} online until {deadline}." in html
    # Each button goes straight to its own page; the booking itself is always linked.
    assert bool(re.search(r"Reschedule: \S+/manage/\S+/reschedule/\n", msg.body)) is reschedule
    assert bool(re.search(r"Cancel booking: \S+/manage/\S+/cancel/\n", msg.body)) is cancel
    assert "View booking (see it at any time, add it to your calendar): " in msg.body
    assert (">Reschedule</a>" in html) is reschedule
    assert (">Cancel booking</a>" in html) is cancel
    assert "no longer possible" not in msg.body

    tokens = set(manage_tokens(msg.body)) | set(manage_tokens(html))
    assert len(tokens) == 1  # one fresh token per email, in every link of it
    (token,) = tokens
    assert token_verify(raw=token, purpose="manage", now=now) == booking
    assert token_verify(raw=token, purpose="rate", now=now) is None


def test_no_self_service_section_when_the_policy_allows_nothing(shop):
    booking = book(shop, policy=SelfServicePolicy.off())
    msg = build_email(message(booking, K.CONFIRMATION), now=at(shop, 1, 12))
    for body in (msg.body, html_of(msg)):
        assert "Need to make a change?" not in body
        assert "no longer possible" not in body and "possible until" not in body
        assert "Reschedule" not in body and "Cancel booking" not in body
        # The booking itself is linked whatever the policy: to see it, add it to a calendar.
        assert "View booking" in body
        assert "/cancel/" not in body and "/reschedule/" not in body
    assert len(set(manage_tokens(msg.body))) == 1


def test_deadline_passed_says_to_contact_the_business(shop):
    booking = book(shop, policy=BOTH)
    row = message(booking, K.CONFIRMATION)
    # 23 hours before the appointment: the 24-hour window closed an hour ago.
    msg = build_email(row, now=at(shop, 4, 14) - timedelta(hours=23))
    for body in (msg.body, html_of(msg)):
        assert "Changes online were possible until 24 hours before the appointment." in body
        assert "please contact Acme Studio" in body
        assert "/cancel/" not in body and "/reschedule/" not in body
        assert "online until" not in body
        assert "View booking" in body


def test_deadline_exactly_now_still_offers_changes(shop):
    booking = book(shop, policy=BOTH)
    msg = build_email(message(booking, K.CONFIRMATION), now=at(shop, 3, 14))
    assert "/cancel/" in msg.body and "/reschedule/" in msg.body


def test_reschedule_button_dropped_when_the_reschedule_limit_is_used_up(shop):
    policy = SelfServicePolicy(
        allow_cancel=True, allow_reschedule=True, change_deadline_minutes=60, max_reschedules=1
    )
    booking = book(shop, policy=policy)
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.customer("Casey"),
        new_start=at(shop, 5, 10),
        now=at(shop, 1, 13),
    )
    msg = build_email(message(booking, K.RESCHEDULED), now=at(shop, 1, 13))
    assert "Cancel booking: " in msg.body
    assert "Reschedule: " not in msg.body


# --- rescheduled and cancelled, with their invites ---------------------------------------


def test_reschedule_and_cancel_keep_one_calendar_event(shop):
    booking = book(shop, policy=BOTH)
    confirmation = build_email(message(booking, K.CONFIRMATION), now=at(shop, 1, 12))

    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.customer("Casey"),
        new_start=at(shop, 5, 10),
        now=at(shop, 1, 13),
    )
    rescheduled = build_email(message(booking, K.RESCHEDULED), now=at(shop, 1, 13))

    actions.booking_cancel(
        booking_id=booking.pk,
        actor=Actor.customer("Casey"),
        now=at(shop, 2, 9),
        reason="Feeling unwell",
    )
    cancelled = build_email(message(booking, K.CANCELLED), now=at(shop, 2, 9))

    # Wording of the reschedule: new time and old time, both in the customer's zone.
    new_when = "Wednesday, 5 June 2030, 04:00 – 05:00 (America/New_York, EDT)"
    assert rescheduled.subject == "Booking rescheduled: Haircut, now on Wed 5 Jun 2030, 04:00"
    for body in (rescheduled.body, html_of(rescheduled)):
        assert new_when in body
        assert CUSTOMER_WHEN in body
        assert "Your booking has been moved as you requested." in body
        assert body.index(new_when) < body.index(CUSTOMER_WHEN)
    assert f"Previously: {CUSTOMER_WHEN}" in rescheduled.body
    # The self-service deadline follows the new time.
    assert "until Tuesday, 4 June 2030, 04:00 (America/New_York, EDT)" in rescheduled.body

    # Wording of the cancellation.
    assert cancelled.subject == "Booking cancelled: Haircut on Wed 5 Jun 2030, 04:00"
    for body in (cancelled.body, html_of(cancelled)):
        assert "Your booking has been cancelled as you requested." in body
        assert "Reason: Feeling unwell" in body
        assert new_when in body
        assert "View booking" in body and "/cancel/" not in body and "/reschedule/" not in body
        assert "/book/" not in body  # a custom booking has no page to book again on

    # One event: same UID, growing SEQUENCE, the METHOD matching the MIME parameter.
    calendars = [invite(m) for m in (confirmation, rescheduled, cancelled)]
    events = [c.events[0] for c in calendars]
    assert [c["METHOD"] for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {e.uid for e in events} == {f"booking-{booking.pk}@book.example.com"}
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].start == at(shop, 4, 14)
    assert events[1].start == events[2].start == at(shop, 5, 10)
    assert events[1].end == at(shop, 5, 11)
    assert str(events[2]["STATUS"]) == "CANCELLED"
    assert str(events[0]["STATUS"]) == "CONFIRMED"
    assert events[0]["DTSTART"].to_ical() == b"20300604T120000Z"  # written in UTC
    for m, method in ((confirmation, "REQUEST"), (rescheduled, "REQUEST"), (cancelled, "CANCEL")):
        part = calendar_part(m)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == method
        assert part.get_filename() == "invite.ics"


def test_invite_details(shop):
    booking = book(shop)
    now = at(shop, 1, 12)
    event = invite(build_email(message(booking, K.CONFIRMATION), now=now)).events[0]
    assert str(event["SUMMARY"]) == "Haircut at Acme Studio"
    assert str(event["LOCATION"]) == "Torstraße 1, 10119 Berlin"
    assert str(event["ORGANIZER"]) == "mailto:desk@acme.test"
    assert event.stamp == now
    assert event["DTSTAMP"].to_ical() == b"20300601T100000Z"
    (attendee,) = event.attendees
    assert str(attendee) == "mailto:casey@example.test"


def test_cancel_by_the_business_and_book_again_link(shop):
    booking, _ = actions.booking_create_web(
        page=shop.page,
        service=shop.service,
        provider=shop.alex,
        start=at(shop, 4, 14),
        customer=actions.CustomerDetails(name="Casey", email="casey@example.test"),
        now=at(shop, 1, 12),
    )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=at(shop, 2, 9))
    msg = build_email(message(booking, K.CANCELLED), now=at(shop, 2, 9))
    for body in (msg.body, html_of(msg)):
        assert "Acme Studio has cancelled your booking." in body
        assert "Reason:" not in body
        assert f"{SITE}/book/acme/book/" in body


def test_staff_reschedule_wording_to_the_customer(shop):
    booking = book(shop)
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.system("desk"),
        new_start=at(shop, 5, 10),
        new_provider=shop.blake,
        now=at(shop, 1, 13),
    )
    msg = build_email(message(booking, K.RESCHEDULED), now=at(shop, 1, 13))
    assert "Acme Studio has moved your booking to a new time." in msg.body
    assert "With: Blake (previously Alex)" in msg.body


# --- reminder and rating request ---------------------------------------------------------


def test_reminder_has_self_service_and_no_invite(shop):
    booking = book(shop, policy=CANCEL_ONLY)
    row = message(booking, K.REMINDER)
    msg = build_email(row, now=row.due_at)
    assert msg.subject == "Reminder: Haircut on Tue 4 Jun 2030, 08:00"
    assert "This is a reminder of your appointment with Acme Studio." in msg.body
    assert CUSTOMER_WHEN in msg.body
    # Sent exactly 24 hours before: the 24-hour window closes at that very instant.
    assert "Cancel booking: " in msg.body and "Reschedule" not in msg.body
    assert not [p for p in wire(msg).walk() if p.get_content_type() == "text/calendar"]


def test_rating_request_links_to_a_rate_token(shop):
    booking = book(shop)
    now = at(shop, 4, 16)
    actions.booking_complete(booking_id=booking.pk, actor=Actor.system("desk"), now=now)
    msg = build_email(message(booking, K.RATING_REQUEST), now=now)
    assert msg.subject == "How was your Haircut at Acme Studio?"
    (token,) = set(re.findall(re.escape(SITE) + r"/rate/([A-Za-z0-9_-]+)/", msg.body))
    assert f"{SITE}/rate/{token}/" in html_of(msg)
    assert token_verify(raw=token, purpose="rate", now=now) == booking
    assert token_verify(raw=token, purpose="manage", now=now) is None
    assert "View booking" in msg.body and "/cancel/" not in msg.body
    assert not msg.attachments


# --- staff emails ------------------------------------------------------------------------


def test_staff_new_booking_in_the_business_zone(shop):
    booking = book(shop, notes="Short fringe")
    msg = build_email(message(booking, K.STAFF_CREATED, "provider"), now=at(shop, 1, 12))
    assert msg.to == ["alex@acme.test"]
    assert msg.subject == "New booking: Casey, Haircut on Tue 4 Jun 2030, 14:00"
    html = html_of(msg)
    for body in (msg.body, html):
        assert STAFF_WHEN in body
        assert "America/New_York" not in body
        assert "Hello Alex," in body
        assert "Casey" in body and "casey@example.test" in body and "+1 212 555 0100" in body
        assert booking.reference in body and "Short fringe" in body
        assert f"{SITE}/backoffice/bookings/{booking.reference}/" in body
        assert "/manage/" not in body
    assert "A booking was created in the backoffice." in msg.body
    assert not msg.attachments


def test_staff_emails_when_a_booking_moves_to_another_provider(shop):
    booking = book(shop)
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.staff(None),
        new_start=at(shop, 5, 10),
        new_provider=shop.blake,
        now=at(shop, 1, 13),
    )
    new_when = "Wednesday, 5 June 2030, 10:00 – 11:00 (Europe/Berlin, CEST)"

    away = build_email(message(booking, K.STAFF_REASSIGNED_AWAY, "provider"), now=at(shop, 1, 13))
    assert away.to == ["alex@acme.test"]
    assert away.subject == "Booking moved to Blake: Casey, Haircut on Tue 4 Jun 2030, 14:00"
    assert "A booking is no longer yours" in away.body
    assert f"This booking was moved to Blake, now on {new_when}." in away.body
    assert f"Was: {STAFF_WHEN}" in away.body

    created = message(booking, K.STAFF_CREATED, "provider")
    moved_in = build_email(created, now=at(shop, 1, 13))
    assert moved_in.to == ["blake@acme.test"]
    assert moved_in.subject == "Booking moved to you: Casey, Haircut on Wed 5 Jun 2030, 10:00"
    assert "This booking was moved to you from Alex." in moved_in.body
    assert new_when in moved_in.body

    desk = build_email(message(booking, K.STAFF_RESCHEDULED, "business"), now=at(shop, 1, 13))
    assert desk.to == ["desk@acme.test"]
    assert "This booking was moved to a new time by a staff member." in desk.body
    assert f"New time: {new_when}" in desk.body
    assert f"Previously: {STAFF_WHEN}" in desk.body
    assert "Provider: Blake (previously Alex)" in desk.body


def test_staff_cancelled_mentions_reason_and_payments(shop):
    booking = book(shop)
    actions.payment_record(
        booking_id=booking.pk,
        business_id=shop.business.pk,
        actor=Actor.system("desk"),
        amount=Decimal("10.00"),
        method="cash",
        now=at(shop, 1, 13),
    )
    actions.booking_cancel(
        booking_id=booking.pk, actor=Actor.system("desk"), now=at(shop, 2, 9), reason="Closed"
    )
    msg = build_email(message(booking, K.STAFF_CANCELLED, "provider"), now=at(shop, 2, 9))
    assert msg.subject == "Booking cancelled: Casey, Haircut on Tue 4 Jun 2030, 14:00"
    for body in (msg.body, html_of(msg)):
        assert "This booking was cancelled by the system." in body
        assert "Reason: Closed" in body
        assert "A refund or a cancellation fee may need handling" in body
        assert STAFF_WHEN in body
    assert not msg.attachments


# --- escaping, sending -------------------------------------------------------------------


def test_html_is_escaped_and_text_is_not(shop):
    shop.customer.name = "Casey <script>alert(1)</script>"
    shop.customer.save()
    shop.business.name = "Smith & Sons"
    shop.business.save()
    booking = book(shop)
    for kind, audience in ((K.CONFIRMATION, "customer"), (K.STAFF_CREATED, "provider")):
        msg = build_email(message(booking, kind, audience), now=at(shop, 1, 12))
        html = html_of(msg)
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert "Smith &amp; Sons" in html and "Smith & Sons" not in html
        assert "Smith & Sons" in msg.body
    staff_text = build_email(message(booking, K.STAFF_CREATED, "provider"), now=at(shop, 1, 12))
    assert "Customer: Casey <script>alert(1)</script>" in staff_text.body


def test_header_injection_is_impossible(shop):
    shop.business.name = "Acme\r\nBcc: victim@example.test"
    shop.business.save()
    msg = build_email(message(book(shop), K.CONFIRMATION), now=at(shop, 1, 12))
    assert "\n" not in msg.subject and "\n" not in msg.from_email
    assert "Bcc" not in [k for k, _ in wire(msg).items()]


def test_built_email_sends(shop):
    msg = build_email(message(book(shop), K.CONFIRMATION), now=at(shop, 1, 12))
    assert msg.send() == 1
    (sent,) = mail.outbox
    assert sent.subject.startswith("Booking confirmed")


def test_only_email_rows_are_built(shop):
    row = message(book(shop), K.CONFIRMATION)
    row.channel = Message.Channel.SMS
    with pytest.raises(ValueError, match="not an email"):
        build_email(row, now=at(shop, 1, 12))


# Webhook and calendar rows are not emails; notifications/webhooks.py and
# calendars/writes.py deliver them. Waitlist emails name an entry, not a booking:
# test_waitlist_emails.py renders them.
@pytest.mark.parametrize(
    "kind",
    [
        k
        for k in K.values
        if k not in {K.WEBHOOK, K.CALENDAR_WRITE, K.WAITLIST_JOINED, K.WAITLIST_OFFER}
    ],
)
def test_every_kind_renders(shop, kind):
    """A row of any kind renders with context the outbox could have written."""
    booking = book(shop)
    base = message(booking, K.CONFIRMATION)
    row = Message.objects.create(
        business=shop.business,
        booking=booking,
        kind=kind,
        recipient="x@example.test",
        recipient_name="X",
        audience="customer" if not kind.startswith("staff") else "provider",
        context={
            **base.context,
            "old_start": base.context["start"],
            "old_end": base.context["end"],
            "old_provider_name": "Blake",
            "actor": "staff",
            "reason": "",
            "reassigned": True,
        },
        dedupe_key=f"test:{kind}",
        due_at=at(shop, 1, 12),
        next_attempt_at=at(shop, 1, 12),
        created_at=at(shop, 1, 12),
    )
    msg = build_email(row, now=at(shop, 1, 12))
    assert msg.subject and msg.body.strip() and "</html>" in html_of(msg)
    assert "{%" not in msg.body and "{{" not in html_of(msg)
    msg.message().as_bytes()
