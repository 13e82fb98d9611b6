"""The waitlist's customer pages: join, entry and leave, offer (GET safe, POST accepts),
an earlier time from the manage page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import (
    Booking,
    BookingPage,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)
from slotwise.bookings.tokens import waitlist_token_issue
from tests import factories
from tests.site.conftest import NOW

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2030, 6, 3, 7, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def page(world):
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    return world.page


def join_url(world):
    return f"/book/{world.business.slug}/{world.page.slug}/waitlist/"


FORM = {
    "name": "Dana",
    "email": "dana@example.test",
    "first_day": "2030-06-03",
    "last_day": "2030-06-04",
    "start": "09:00",
}


def test_booking_page_links_to_the_waitlist_only_when_it_is_on(world, client):
    url = f"/book/{world.business.slug}/{world.page.slug}/?service={world.service.pk}&provider=any"
    assert b"waitlist-link" not in client.get(url).content
    assert client.get(join_url(world)).status_code == 404
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    page = client.get(url).content.decode()
    assert 'id="waitlist-link"' in page and "/waitlist/?service=" in page


def test_join_form_joins_and_shows_the_entry(page, world, client):
    form = client.get(join_url(world) + f"?service={world.service.pk}")
    assert form.status_code == 200 and b'name="first_day"' in form.content
    answer = client.post(join_url(world), {**FORM, "service": world.service.pk, "provider": "any"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    entry = WaitlistEntry.objects.get()
    assert entry.windows[0]["from"] == "09:00" and entry.provider is None
    shown = client.get(answer["Location"])
    assert shown.status_code == 200 and entry.reference.encode() in shown.content


def test_join_form_shows_errors_and_joins_nothing(page, world, client):
    answer = client.post(
        join_url(world),
        {**FORM, "email": "nope", "service": world.service.pk},
    )
    assert answer.status_code == 200 and b"valid email" in answer.content
    past = client.post(
        join_url(world),
        {**FORM, "first_day": "2030-05-01", "last_day": "2030-05-02", "service": world.service.pk},
    )
    assert past.status_code == 200 and b"in the past" in past.content
    assert not WaitlistEntry.objects.exists()


def _offer(page, world):
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY_9,
        now=NOW,
    )
    joined = wl.waitlist_join(
        page=page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": "2030-06-03", "end": "2030-06-03"}],
        customer=actions.CustomerDetails(name="Dana", email="dana@example.test"),
        now=NOW,
    )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=NOW)
    wl.waitlist_round(now=NOW)
    offer = WaitlistOffer.objects.get()
    raw = waitlist_token_issue(
        entry=offer.entry, offer=offer, purpose=WaitlistToken.Purpose.OFFER, now=NOW
    )
    return offer, raw, joined.token


def test_offer_page_is_safe_to_open_and_accepts_on_post(page, world, client):
    _offer_row, raw, _entry_token = _offer(page, world)
    shown = client.get(f"/offers/{raw}/")
    text = shown.content.decode()
    assert shown.status_code == 200 and "Book this time" in text
    assert "09:00" in text and "Alex" in text and "Europe/Berlin" in text
    assert not Booking.objects.filter(status="confirmed").exists()
    accepted = client.post(f"/offers/{raw}/")
    assert accepted.status_code == 302 and "/manage/" in accepted["Location"]
    assert Booking.objects.filter(status="confirmed", start=MONDAY_9).count() == 1
    again = client.post(f"/offers/{raw}/")
    assert again.status_code == 200 and b"expired or was already used" in again.content
    assert client.get("/offers/not-valid/").status_code == 404


def test_offer_page_says_when_the_time_was_taken(page, world, client):
    offer, raw, _entry_token = _offer(page, world)
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=offer.start,
        now=NOW,
    )
    answer = client.post(f"/offers/{raw}/")
    assert answer.status_code == 200 and b"still on the waitlist" in answer.content


def test_entry_page_leaves_on_post_only(page, world, client):
    _offer_row, _raw, entry_token = _offer(page, world)
    assert client.get(f"/waitlist/{entry_token}/").status_code == 200
    assert WaitlistEntry.objects.get().status == "waiting"
    left = client.post(f"/waitlist/{entry_token}/")
    assert left.status_code == 200 and b"You have left the waitlist" in left.content
    assert WaitlistEntry.objects.get().status == "left"
    assert WaitlistOffer.objects.get().status == "withdrawn"
    assert client.get("/waitlist/nope/").status_code == 404


def test_earlier_time_from_the_manage_page(page, world, client):
    _booking, token = actions.booking_create_web(
        page=page,
        service=world.service,
        provider=world.alex,
        start=MONDAY_9.replace(day=6),
        customer=actions.CustomerDetails(name="Eli", email="eli@example.test"),
        now=NOW,
    )
    manage = client.get(f"/manage/{token}/").content.decode()
    assert 'id="earlier-link"' in manage
    form = client.get(f"/manage/{token}/earlier/")
    assert form.status_code == 200
    answer = client.post(
        f"/manage/{token}/earlier/", {"first_day": "2030-06-03", "last_day": "2030-06-05"}
    )
    assert answer.status_code == 302
    assert WaitlistEntry.objects.get().booking is not None


def test_earlier_time_not_offered_without_reschedule(page, world, client):
    BookingPage.objects.filter(pk=page.pk).update(allow_reschedule=False)
    page.refresh_from_db()
    _booking, token = actions.booking_create_web(
        page=page,
        service=world.service,
        provider=world.alex,
        start=MONDAY_9.replace(day=6),
        customer=actions.CustomerDetails(name="Eli", email="eli@example.test"),
        now=NOW,
    )
    assert b'id="earlier-link"' not in client.get(f"/manage/{token}/").content
    answer = client.post(f"/manage/{token}/earlier/", {"first_day": "2030-06-03"})
    assert answer.status_code == 200
    assert not WaitlistEntry.objects.exists()


@pytest.fixture
def client():
    return Client()
