"""A customer whose browser speaks French books, manages and cancels: French throughout, with
the time zone named."""

from __future__ import annotations

import re

import pytest

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot
from tests.conftest import build_world
from tests.i18n.untranslated import english_left, visible_text
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(db):
    forget_limits()
    world = build_world()
    world.page.translations = {"fr": {"title": "Prendre rendez-vous", "intro": ""}}
    world.page.save()
    world.service.translations = {"fr": {"name": "Coupe"}}
    world.service.save()
    return world


def _french(page) -> str:
    text = visible_text(page.content())
    assert english_left(text, "fr") == [], text
    return text


def test_french_browser_books_manages_and_cancels(live_server, french_phone_page, shop):
    page = french_phone_page
    page.goto(live_server.url + "/book/acme/book/")
    page.wait_for_url(re.compile(r"tz="))
    arrived(page.get_by_role("heading", name="Prendre rendez-vous", exact=True))
    assert page.locator("html").get_attribute("lang") == "fr-FR"
    _french(page)
    page.get_by_role("button", name="Continuer").click()
    arrived(page.get_by_role("heading", name="Choisissez un jour et une heure"))
    assert "Europe/Paris" in _french(page)
    page.get_by_role("link", name="Mois suivant").click()
    page.wait_for_url(re.compile(r"month="))
    page.locator("a.day.free").nth(2).click()
    arrived(page.locator("#times a.time").first)
    _french(page)
    page.locator("#times a.time").first.click()
    arrived(page.get_by_role("heading", name="Vos coordonnées"))
    page.get_by_label("Votre nom").fill("Camille Martin")
    page.get_by_label("E-mail").fill("camille@example.test")
    assert_accessible(page)
    screenshot(page, "customer-french-details-phone")
    page.get_by_role("button", name="Confirmer la réservation").click()

    arrived(page.get_by_role("heading", name="Votre réservation est confirmée"))
    text = _french(page)
    assert re.search(r"\(Europe/Paris, CES?T\)", text), text
    assert "Coupe" in text
    booking = Booking.objects.get()
    assert booking.language == "fr-FR"
    confirmation = Message.objects.get(booking=booking, kind="confirmation", audience="customer")
    email = build_email(confirmation, now=utcnow())
    assert email.subject.startswith("Réservation confirmée : Coupe le ")
    assert english_left(visible_text(email.body), "fr") == []
    screenshot(page, "customer-french-confirmed-phone")

    follow(page, page.get_by_role("link", name="Annuler la réservation"))
    arrived(page.get_by_role("heading", name="Annuler cette réservation ?"))
    _french(page)
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Oui, annuler la réservation"))
    arrived(page.get_by_text("Votre réservation est annulée").first)
    text = _french(page)
    assert "Europe/Paris" in text
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    screenshot(page, "customer-french-cancelled-phone")

    # The switcher: the same page in German, and the choice stays for the next page.
    follow(page, page.get_by_role("link", name="Deutsch"))
    page.wait_for_url(re.compile(r"lang=de"))
    arrived(page.get_by_text("Storniert", exact=True).first)
    assert page.locator("html").get_attribute("lang") == "de"
    assert english_left(visible_text(page.content()), "de") == []
    page.reload()
    assert page.locator("html").get_attribute("lang") == "de"
