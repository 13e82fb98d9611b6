"""The waitlist in a browser: join from a booking page with no suitable time, get the offer
email, open its link (reading books nothing) and accept; staff see who was offered what.

Screenshots (phone and desktop) of the join form, the offer page and the staff waitlist.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage, WaitlistEntry
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests import factories
from tests.browser._backoffice import sign_in
from tests.browser.conftest import arrived, assert_accessible, screenshot
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(db):
    forget_limits()
    world = build_world()
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    return world


def _day(shop, days: int):
    return utcnow().astimezone(shop.business.tz).date() + timedelta(days=days)


def _offer_link() -> str:
    message = Message.objects.get(kind=Message.Kind.WAITLIST_OFFER)
    text = build_email(message, now=utcnow()).body
    found = re.search(r"https?://\S+?(/offers/[A-Za-z0-9_-]+/)", text)
    assert found, text
    return found.group(1)


def test_join_from_the_page_then_accept_the_offer_email(live_server, phone_page, browser, shop):
    day = _day(shop, 4)
    page = phone_page
    page.goto(
        f"{live_server.url}/book/{shop.business.slug}/{shop.page.slug}/"
        f"?service={shop.service.pk}&provider=any"
    )
    page.get_by_role("link", name="Join the waitlist").click()
    arrived(page.get_by_role("heading", name="Join the waitlist"))
    page.get_by_label("From", exact=True).fill(day.isoformat())
    page.get_by_label("Earliest start (optional)").fill("09:00")
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Email").fill("dana@example.test")
    assert_accessible(page)
    screenshot(page, "waitlist-join-phone")
    page.get_by_role("button", name="Join the waitlist").click()
    arrived(page.get_by_role("heading", name="You are on the waitlist"))
    entry = WaitlistEntry.objects.get()
    assert entry.reference in page.content()

    # Someone cancels a booking that day; the worker's round makes the offer and its email.
    start = datetime.combine(day, time(10), tzinfo=shop.business.tz)
    booking = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.alex,
        customer=shop.customer,
        start=start,
        now=utcnow(),
    )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=utcnow())
    wl.waitlist_round(now=utcnow())

    page.goto(live_server.url + _offer_link())
    arrived(page.get_by_role("heading", name="A time is free for you"))
    assert "10:00" in page.content() and "Alex" in page.content()
    assert not Booking.objects.filter(status="confirmed").exists()  # opening books nothing
    assert_accessible(page)
    screenshot(page, "waitlist-offer-phone")
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desktop.goto(live_server.url + _offer_link())
    screenshot(desktop, "waitlist-offer-desktop")
    desktop.goto(
        f"{live_server.url}/book/{shop.business.slug}/{shop.page.slug}/waitlist/"
        f"?service={shop.service.pk}"
    )
    screenshot(desktop, "waitlist-join-desktop")
    desktop.context.close()

    page.get_by_role("button", name="Book this time").click()
    arrived(page.get_by_role("heading", name="Your booking is confirmed"))
    made = Booking.objects.get(status="confirmed")
    assert (made.start, made.customer.email) == (start, "dana@example.test")


def test_staff_waitlist_page(live_server, phone_page, desktop_page, shop):
    wl.waitlist_join(
        page=shop.page,
        service_id=shop.service.pk,
        provider_id=None,
        windows=[
            {"start": _day(shop, 3).isoformat(), "end": _day(shop, 5).isoformat(), "from": "09:00"}
        ],
        customer=actions.CustomerDetails(name="Dana Doe", email="dana@example.test"),
        now=utcnow(),
    )
    entry = WaitlistEntry.objects.get()
    for page, name in ((desktop_page, "desktop"), (phone_page, "phone")):
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/backoffice/waitlist/")
        arrived(page.get_by_role("heading", name="Waitlist", exact=True))
        assert "Dana Doe" in page.content()
        assert_accessible(page)
        screenshot(page, f"waitlist-staff-{name}")
    page = desktop_page
    page.get_by_role("link", name=re.compile("Offer a time")).click()
    page.get_by_label("Provider").select_option(label="Blake")
    page.get_by_label("Start").fill(f"{_day(shop, 3).isoformat()}T11:00")
    page.get_by_role("button", name="Send the offer").click()
    arrived(page.get_by_text("The time was offered to Dana Doe by email."))
    assert entry.offers.get().offered_by == "staff"
    screenshot(page, "waitlist-staff-offered-desktop")
