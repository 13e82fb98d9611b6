"""Each shipped language renders every email kind and every customer page with no English
left (names and brand words aside: ``slotwise.core.i18n.UNTRANSLATED_WORDS``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests import factories
from tests.i18n.untranslated import english_left, visible_text

pytestmark = pytest.mark.django_db

K = Message.Kind
LANGUAGES = ["de", "fr", "es", "nl", "fi"]
BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=1440)
NOW = datetime(2030, 6, 1, 10, 0, tzinfo=UTC)


def _emails(world, code):
    """Every email kind, customer and staff, for a business and customer in ``code``."""
    business = world.business
    business.default_language = code
    business.cancellation_policy = "Free until 24 hours before."
    business.translations = {code: {"cancellation_policy": "—"}}
    business.save()
    world.customer.language = code
    world.customer.save()
    start = factories.local(business, 2030, 6, 4, 14)
    first = factories.custom_booking(
        business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        policy=BOTH,
        now=NOW,
    )
    actions.booking_reschedule(
        booking_id=first.pk,
        business_id=business.pk,
        actor=Actor.system("desk"),
        new_start=factories.local(business, 2030, 6, 5, 10),
        new_provider=world.blake,
        now=NOW,
    )
    actions.booking_cancel(
        booking_id=first.pk, business_id=business.pk, actor=Actor.system("desk"), now=NOW
    )
    second = factories.custom_booking(
        business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        policy=BOTH,
        now=NOW,
    )
    actions.booking_complete(
        booking_id=second.pk,
        actor=Actor.system("desk"),
        now=factories.local(business, 2030, 6, 4, 16),
    )
    rows = Message.objects.filter(channel=Message.Channel.EMAIL, booking__business=business)
    return [(row, build_email(row, now=NOW)) for row in rows]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_email_kind_is_fully_translated(world, settings, code):
    settings.SITE_URL = "https://book.example.com"
    built = _emails(world, code)
    kinds = {row.kind for row, _email in built}
    assert kinds >= {
        K.CONFIRMATION,
        K.RESCHEDULED,
        K.CANCELLED,
        K.REMINDER,
        K.RATING_REQUEST,
        K.STAFF_CREATED,
        K.STAFF_RESCHEDULED,
        K.STAFF_CANCELLED,
        K.STAFF_REASSIGNED_AWAY,
    }
    for row, email in built:
        ((html, _mimetype),) = email.alternatives
        for part, text in (
            ("subject", email.subject),
            ("text", visible_text(email.body)),
            ("html", visible_text(html)),
        ):
            assert english_left(text, code) == [], f"{row.kind} {row.audience} {part}: {text}"
        for attachment in email.attachments:
            payload = attachment.get_payload(decode=True).decode()
            event = Calendar.from_ical(payload).walk("VEVENT")[0]
            summary = f"{event['SUMMARY']} {event.get('DESCRIPTION', '')}"
            assert english_left(summary, code) == [], f"{row.kind} invite: {summary}"


def _token(booking, purpose):
    return actions.token_issue(booking=booking, purpose=purpose, now=NOW)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_customer_page_is_fully_translated(client, world, code):
    business = world.business
    business.default_language = code
    business.cancellation_policy = "x"
    business.save()
    # The business's own texts in this language (the English title would otherwise show).
    world.page.translations = {code: {"title": f"[{code}]", "intro": f"[{code}] …"}}
    world.page.save()
    pages = {}
    url = f"/book/{business.slug}/{world.page.slug}/"
    headers = {"HTTP_ACCEPT_LANGUAGE": f"{code},en;q=0.5"}
    pages["service"] = client.get(url, **headers)
    query = {"service": world.service.pk, "provider": world.alex.pk}
    pages["time"] = client.get(url, query, **headers)
    pages["day"] = client.get(url, {**query, "day": "2030-06-04"}, **headers)
    pages["details"] = client.get(url, {**query, "start": "2030-06-04T07:00Z"}, **headers)
    pages["confirm_invalid"] = client.post(
        url, {**query, "start": "2030-06-04T07:00Z", "name": "", "email": "x"}, **headers
    )
    booking = factories.custom_booking(
        business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(business, 2030, 6, 6, 10),
        policy=BOTH,
        now=NOW,
    )
    booking.language = code
    booking.save(update_fields=["language"])
    manage = f"/manage/{_token(booking, BookingToken.Purpose.MANAGE)}/"
    # Without Accept-Language: the booking's own language decides.
    pages["manage"] = client.get(manage)
    pages["cancel"] = client.get(manage + "cancel/")
    pages["reschedule"] = client.get(manage + "reschedule/")
    pages["reschedule_day"] = client.get(manage + "reschedule/", {"day": "2030-06-07"})
    pages["bad_link"] = client.get("/manage/not-a-token/", **headers)
    actions.booking_complete(
        booking_id=booking.pk,
        actor=Actor.system("desk"),
        now=factories.local(business, 2030, 6, 6, 12),
    )
    pages["rate"] = client.get(f"/rate/{_token(booking, BookingToken.Purpose.RATE)}/")
    pages["cancelled"] = client.get(manage)
    for name, response in pages.items():
        html = response.text
        assert f'<html lang="{code}"' in html, name
        text = visible_text(html)
        assert english_left(text, code) == [], f"{name}: {text}"


def test_the_detector_finds_english(world):
    """The check itself: English text is found, the translation is not."""
    assert english_left("Your booking is confirmed", "de") != []
    assert english_left("Reference: X", "de") == ["Reference"]
    assert english_left("Ihre Buchung ist bestätigt. Buchungsnummer: X", "de") == []
    assert re.search("Slotwise", "Slotwise") and english_left("Slotwise", "de") == []
