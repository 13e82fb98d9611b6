"""What the customer asked for is what happens, in a phone-sized browser: a reschedule keeps
their provider, a taken time keeps what they typed, and staff close a booking only after it,
with a confirmation step and an undo."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories
from tests.browser._backoffice import sign_in
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(db):
    forget_limits()
    return build_world()


def _at(shop, days: int, hour: int) -> datetime:
    """``hour`` o'clock in the business's zone, ``days`` from today (days ≥ 3: never today)."""
    today = utcnow().astimezone(shop.business.tz).date()
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=shop.business.tz)


def _web_booking(shop, start: datetime, provider) -> tuple[Booking, str]:
    booking, token = actions.booking_create_web(
        page=shop.page,
        service=shop.service,
        provider=provider,
        start=start,
        customer=actions.CustomerDetails(name="Dana Doe", email="dana@example.test"),
        now=utcnow(),
    )
    return booking, f"/manage/{token}/"


def _busy(shop, provider, start: datetime) -> None:
    factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=provider,
        customer=shop.customer,
        start=start,
        now=min(utcnow(), start - timedelta(days=1)),
        override_availability=True,
    )


def test_reschedule_keeps_the_provider_the_customer_chose(live_server, phone_page, shop):
    booking, link = _web_booking(shop, _at(shop, 4, 10), shop.alex)
    day = _at(shop, 5, 14)
    _busy(shop, shop.alex, day)  # Alex is busy at 14:00 that day; Blake is free
    page = phone_page
    page.goto(f"{live_server.url}{link}reschedule/?tz=Europe/Berlin&day={day.date().isoformat()}")
    arrived(page.get_by_role("heading", name="Choose a new time"))
    times = page.locator("#times a.time").all_inner_texts()
    assert times and "14:00" not in times  # only Alex's times, and Alex is busy at 14:00
    assert page.locator("#times .time-with").count() == 0
    assert page.get_by_text("Free times with Alex.").is_visible()
    assert_accessible(page)
    screenshot(page, "promise-reschedule-own-provider-phone")

    # Choosing Blake explicitly is the only way to Blake's 14:00.
    page.get_by_label("With").select_option(label="Blake")
    page.get_by_role("button", name="Show times").click()
    arrived(page.get_by_text("Free times with Blake."))
    page.locator("#times a.time", has_text="14:00").click()
    arrived(page.get_by_role("heading", name="Confirm the new time"))
    assert page.get_by_text("different person").is_visible()
    screenshot(page, "promise-reschedule-chosen-provider-phone")
    page.get_by_role("button", name="Move my booking").click()
    arrived(page.get_by_text("Your booking is moved"))
    booking.refresh_from_db()
    assert booking.provider == shop.blake and booking.start == day


def test_any_provider_booking_shows_who_each_time_is_with(live_server, phone_page, shop):
    booking, link = _web_booking(shop, _at(shop, 4, 10), None)
    assert booking.provider == shop.alex
    day = _at(shop, 5, 14)
    _busy(shop, shop.alex, day)
    page = phone_page
    page.goto(f"{live_server.url}{link}reschedule/?tz=Europe/Berlin&day={day.date().isoformat()}")
    arrived(page.locator("#times a.time").first)
    fourteen = page.locator("#times a.time", has_text="14:00")
    assert "Blake" in fourteen.inner_text()
    assert "Alex" in page.locator("#times a.time", has_text="16:00").inner_text()
    assert_accessible(page)
    screenshot(page, "promise-reschedule-any-provider-phone")
    fourteen.click()
    arrived(page.get_by_role("heading", name="Confirm the new time"))
    assert page.get_by_text("with Blake").is_visible()


def test_a_taken_time_keeps_the_customers_details(live_server, phone_page, shop):
    start = _at(shop, 4, 10)
    page = phone_page
    page.goto(
        f"{live_server.url}/book/acme/book/?service={shop.service.pk}&provider={shop.alex.pk}"
        f"&tz=Europe/Berlin&day={start.date().isoformat()}"
    )
    page.locator("#times a.time", has_text="10:00").click()
    arrived(page.get_by_role("heading", name="Your details"))
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Email").fill("dana@example.test")
    _busy(shop, shop.alex, start)  # someone else takes 10:00 while Dana types
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_text("Your details are kept"))
    summary = page.locator("section.summary").inner_text()
    assert "10:00" not in summary  # the taken time is no longer shown as chosen
    assert page.get_by_label("Your name").input_value() == "Dana Doe"
    assert page.get_by_label("Email").input_value() == "dana@example.test"
    assert_accessible(page)
    screenshot(page, "promise-taken-time-phone")

    # Confirm without a new time: asked again, nothing typed is lost.
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_text("Please choose a new time."))
    assert page.get_by_label("Email").input_value() == "dana@example.test"

    page.locator("label.time-radio", has_text="12:00").first.click()
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_role("heading", name="Your booking"))
    booking = Booking.objects.get(customer__email="dana@example.test")
    assert booking.start == start.replace(hour=12)


def test_close_a_booking_with_confirmation_and_undo(live_server, phone_page, shop):
    start = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    booking = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.alex,
        customer=shop.customer,
        start=start,
        now=start - timedelta(days=1),
        override_availability=True,
    )
    running_start = (utcnow() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    running = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.blake,
        customer=shop.customer,
        start=running_start,
        now=running_start - timedelta(days=1),
        override_availability=True,
    )
    base = live_server.url
    page = phone_page
    sign_in(page, base)

    page.goto(f"{base}/backoffice/bookings/{running.reference}/")
    assert page.get_by_text("once the appointment has ended").is_visible()
    assert page.get_by_role("link", name="Mark completed").count() == 0

    page.goto(f"{base}/backoffice/bookings/{booking.reference}/")
    follow(page, page.get_by_role("link", name="Mark completed"))
    arrived(page.get_by_role("heading", name="Mark as completed"))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED  # the link only asks
    assert_accessible(page)
    screenshot(page, "promise-close-confirm-phone")
    follow(page, page.get_by_role("button", name="Mark completed"))
    arrived(page.get_by_text("You can undo this for 10 minutes").first)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    rating = Message.objects.get(booking=booking, kind=Message.Kind.RATING_REQUEST)
    assert rating.status == Message.Status.QUEUED and rating.due_at > utcnow()
    assert "is asked for a rating at" in page.content()
    screenshot(page, "promise-close-undo-phone")

    follow(page, page.get_by_role("button", name="Undo “completed”"))
    arrived(page.get_by_text("Undone: the booking is confirmed again."))
    booking.refresh_from_db()
    rating.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert rating.status == Message.Status.CANCELLED
    assert "Closing undone" in page.locator("ol.timeline").inner_text()
    assert_accessible(page)


def test_the_changed_pages_on_a_desktop(live_server, desktop_page, shop):
    _booking, link = _web_booking(shop, _at(shop, 4, 10), None)
    day = _at(shop, 5, 14)
    _busy(shop, shop.alex, day)
    page = desktop_page
    page.goto(f"{live_server.url}{link}reschedule/?tz=Europe/Berlin&day={day.date().isoformat()}")
    assert "Blake" in page.locator("#times a.time", has_text="14:00").inner_text()
    assert_accessible(page)
    screenshot(page, "promise-reschedule-any-provider-desktop")

    start = _at(shop, 4, 12)
    page.goto(
        f"{live_server.url}/book/acme/book/?service={shop.service.pk}&provider={shop.alex.pk}"
        f"&tz=Europe/Berlin&day={start.date().isoformat()}"
    )
    page.locator("#times a.time", has_text="12:00").click()
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Email").fill("dana@example.test")
    _busy(shop, shop.alex, start)
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_text("Your details are kept"))
    assert_accessible(page)
    screenshot(page, "promise-taken-time-desktop")

    ended = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    closed = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.blake,
        customer=shop.customer,
        start=ended,
        now=ended - timedelta(days=1),
        override_availability=True,
    )
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/backoffice/bookings/{closed.reference}/no-show/")
    arrived(page.get_by_role("heading", name="Mark as no-show"))
    assert_accessible(page)
    screenshot(page, "promise-close-no-show-confirm-desktop")
