"""Every message in the language of the person who reads it, whoever caused it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from slotwise.bookings import actions
from slotwise.bookings.models import Booking
from slotwise.core import errors
from slotwise.core.models import Membership, StaffPreferences
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests import factories
from tests.site.test_booking_page import FIRST_SLOT, URL, _details

pytestmark = pytest.mark.django_db
K = Message.Kind


def _staff(world, email, language):
    user = get_user_model().objects.create_user(
        username=email, email=email, password="another-long-password"
    )
    Membership.objects.create(business=world.business, user=user, role=Membership.Role.STAFF)
    StaffPreferences.objects.create(user=user, language=language)
    return user


def test_german_customer_english_staff_reschedule(client, world, settings):
    settings.SITE_URL = "https://book.example.com"
    business = world.business
    business.default_language = "fr"  # neither the customer's nor the staff's
    business.save()
    world.service.translations = {"de": {"name": "Haarschnitt"}}
    world.service.save()
    desk = _staff(world, "desk@acme.test", "en")
    _staff(world, world.alex.email, "en")  # the provider reads English too

    # The customer books on a German browser.
    query = {"service": world.service.pk, "provider": world.alex.pk, "start": FIRST_SLOT}
    page = client.get(URL, query, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert "Ihre Angaben" in page.text and 'lang="de-DE"' in page.text
    done = client.post(URL, {**query, **_details()}, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert done.status_code == 302
    booking = Booking.objects.get()
    assert booking.language == "de-DE"
    assert booking.customer.language == "de-DE"  # a new customer keeps it

    # Staff reschedule it in the English backoffice.
    staff = Client()
    staff.force_login(desk)
    detail = staff.get(reverse("backoffice:booking_detail", args=[booking.reference]))
    assert "Customer's language" in detail.text and "Deutsch" in detail.text
    new_start = booking.start + timedelta(hours=2)
    moved = staff.post(
        reverse("backoffice:booking_reschedule", args=[booking.reference]),
        {
            "version": booking.version,
            "provider": world.alex.pk,
            "slot": new_start.isoformat(),
            "notify_customer": "on",
        },
    )
    assert moved.status_code == 302

    now = booking.start - timedelta(days=3)
    row = Message.objects.get(booking=booking, kind=K.RESCHEDULED, audience="customer")
    email = build_email(row, now=now)
    assert email.subject.startswith("Buchung verschoben: Haarschnitt, jetzt am Mo., 3. Juni 2030")
    assert "Ihre Buchung hat einen neuen Termin" in email.body
    assert "Montag, 3. Juni 2030, 11:00 – 12:00 (Europe/Berlin, CEST)" in email.body
    invite = next(a for a in email.attachments)
    event = Calendar.from_ical(invite.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Haarschnitt bei Acme Studio"
    assert "Buchungsnummer" in str(event["DESCRIPTION"])

    # The manage link in that email opens a German page, whatever the browser says.
    manage_url = next(
        line.split(": ", 1)[1]
        for line in email.body.splitlines()
        if line.startswith("Buchung ansehen")
    )
    manage = Client().get(manage_url.replace(settings.SITE_URL, ""), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="de-de"' in manage.text or 'lang="de"' in manage.text
    assert "Möchten Sie etwas ändern?" in manage.text and "Haarschnitt" in manage.text

    # The provider's alert is in the provider's language, the business address's in French.
    alert = Message.objects.get(booking=booking, kind=K.STAFF_RESCHEDULED, audience="provider")
    assert build_email(alert, now=now).subject.startswith("Booking rescheduled: Dana Doe, Haircut")
    desk_alert = Message.objects.get(booking=booking, kind=K.STAFF_RESCHEDULED, audience="business")
    assert build_email(desk_alert, now=now).subject.startswith("Réservation déplacée")


def test_staff_change_the_customers_language(world):
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 6, 4, 14),
    )
    assert booking.language == ""
    actions.booking_language_set(
        booking_id=booking.pk, business_id=world.business.pk, language="nl"
    )
    booking.refresh_from_db()
    assert booking.language == "nl" and booking.customer.language == "nl"
    with pytest.raises(errors.InvalidInput):
        actions.booking_language_set(
            booking_id=booking.pk, business_id=world.business.pk, language="xx"
        )
    with pytest.raises(errors.NotFound):
        actions.booking_language_set(booking_id=booking.pk, business_id=0, language="de")
    reminder = Message.objects.get(booking=booking, kind=K.REMINDER)
    assert build_email(reminder, now=reminder.due_at).subject.startswith("Herinnering:")
