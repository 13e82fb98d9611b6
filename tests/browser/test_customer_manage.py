"""A customer manages a booking from the link in the email: reschedule, cancel, rate."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingToken, Rating
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests import factories
from tests.browser.conftest import arrived, assert_accessible, screenshot
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(db):
    forget_limits()
    return build_world()


def _at(shop, days: int, hour: int) -> datetime:
    """``hour`` o'clock in the business's zone, ``days`` from today."""
    today = utcnow().astimezone(shop.business.tz).date()
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=shop.business.tz)


def _link_from_email(booking: Booking, kind: str, path: str) -> str:
    """The link the customer got: render the queued email, take the link from its text."""
    message = Message.objects.get(booking=booking, kind=kind, audience="customer")
    text = build_email(message, now=utcnow()).body
    match = re.search(rf"https?://\S+?(/{path}/[A-Za-z0-9_-]+/)", text)
    assert match, text
    return match.group(1)


def _web_booking(shop, start: datetime) -> Booking:
    booking, _ = actions.booking_create_web(
        page=shop.page,
        service=shop.service,
        provider=shop.alex,
        start=start,
        customer=actions.CustomerDetails(
            name="Dana Doe", email="dana@example.test", timezone="Europe/London"
        ),
        now=utcnow(),
    )
    return booking


def test_reschedule_then_cancel_from_the_email_link(live_server, phone_page, shop):
    booking = _web_booking(shop, _at(shop, 3, 10))
    page = phone_page
    page.goto(live_server.url + _link_from_email(booking, "confirmation", "manage"))
    arrived(page.get_by_role("heading", name="Your booking"))
    assert booking.reference in page.content()
    assert "Europe/London" in page.content()
    assert_accessible(page)
    screenshot(page, "customer-manage-phone")

    page.get_by_role("link", name="Reschedule").click()
    arrived(page.get_by_role("heading", name="Choose a new time"))
    page.locator("a.day.free").nth(4).click()
    arrived(page.locator("#times a.time").first)
    assert_accessible(page)
    screenshot(page, "customer-reschedule-picker-phone")
    page.locator("#times a.time").nth(2).click()

    arrived(page.get_by_role("heading", name="Confirm the new time"))
    assert page.get_by_text("Current time", exact=True).is_visible()
    assert page.get_by_text("New time", exact=True).is_visible()
    assert_accessible(page)
    screenshot(page, "customer-reschedule-confirm-phone")
    page.get_by_role("button", name="Move my booking").click()
    arrived(page.get_by_text("Your booking is moved to"))
    booking.refresh_from_db()
    assert booking.reschedule_count == 1
    assert_accessible(page)
    screenshot(page, "customer-rescheduled-phone")

    page.get_by_role("link", name="Cancel booking").click()
    arrived(page.get_by_role("heading", name="Cancel this booking?"))
    # The same page also open in a second tab: it will submit a stale form later.
    second = page.context.new_page()
    second.goto(page.url)
    page.get_by_label("Reason (optional)").fill("Plans changed")
    assert_accessible(page)
    screenshot(page, "customer-cancel-confirm-phone")
    page.get_by_role("button", name="Yes, cancel booking").click()
    arrived(page.get_by_text("Your booking is cancelled"))
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.cancellation_reason == "Plans changed"
    assert page.get_by_role("link", name="Cancel booking").count() == 0
    assert_accessible(page)
    screenshot(page, "customer-cancelled-phone")

    # The second tab's confirm: acts once, and says so kindly with the current state.
    second.get_by_role("button", name="Yes, cancel booking").click()
    arrived(second.get_by_text("This booking has already been cancelled."))
    assert second.get_by_text("Cancelled", exact=True).first.is_visible()
    assert booking.events.filter(kind="cancelled").count() == 1


def test_self_service_off_shows_no_options(live_server, phone_page, shop):
    booking = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.alex,
        customer=shop.customer,
        start=_at(shop, 3, 10),
        policy=SelfServicePolicy.off(),
        now=utcnow(),
    )
    token = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=utcnow())
    page = phone_page
    page.goto(f"{live_server.url}/manage/{token}/")
    arrived(page.get_by_text("This booking cannot be cancelled online."))
    assert page.get_by_role("link", name="Reschedule").count() == 0
    assert page.get_by_role("link", name="Cancel booking").count() == 0
    assert page.get_by_role("link", name="desk@acme.test").first.is_visible()
    assert_accessible(page)
    screenshot(page, "customer-manage-self-service-off-phone")


def test_after_the_deadline_no_options(live_server, phone_page, shop):
    start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=5)
    booking = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.alex,
        customer=shop.customer,
        start=start,
        policy=SelfServicePolicy(allow_cancel=True, allow_reschedule=True),
        now=utcnow() - timedelta(days=3),
        override_availability=True,
    )
    token = actions.token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=utcnow())
    page = phone_page
    page.goto(f"{live_server.url}/manage/{token}/")
    arrived(page.get_by_text("Changes online were possible until 24 hours before"))
    assert page.get_by_role("link", name="Reschedule").count() == 0
    assert page.get_by_role("link", name="Cancel booking").count() == 0
    assert_accessible(page)
    screenshot(page, "customer-manage-deadline-passed-phone")


def test_rating_flow(live_server, phone_page, shop):
    booking = factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.alex,
        customer=shop.customer,
        start=_at(shop, -1, 10),
        now=utcnow() - timedelta(days=3),
    )
    actions.booking_complete(booking_id=booking.pk, actor=Actor.system("desk"), now=utcnow())
    page = phone_page
    page.goto(live_server.url + _link_from_email(booking, "rating_request", "rate"))
    arrived(page.get_by_role("heading", name="How was your visit?"))
    assert_accessible(page)
    # Keyboard: the stars are one radio group.
    page.get_by_role("radio", name="1 star, poor").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="4 stars, very good").is_checked()
    page.get_by_label("Comment (optional)").fill("Lovely, thank you")
    screenshot(page, "customer-rate-phone")
    page.get_by_role("button", name="Send rating").click()
    arrived(page.get_by_role("heading", name="Thank you for your rating"))
    rating = Rating.objects.get(booking=booking)
    assert rating.stars == 4 and rating.comment == "Lovely, thank you"
    assert_accessible(page)
    screenshot(page, "customer-rate-thanks-phone")
