"""A customer books on the public page with a phone (and looks at it on a desktop)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories
from tests.browser.conftest import arrived, assert_accessible, screenshot
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)

#: A function, not an expression string: the page's CSP forbids eval().
FOCUSED = "(id) => document.activeElement && document.activeElement.id === id"


@pytest.fixture
def shop(db):
    forget_limits()
    return build_world()


def _to_details(page, base_url: str) -> None:
    """Walk service → provider → day → time on the page, up to the details form."""
    page.goto(base_url + "/book/acme/book/")
    arrived(page.get_by_role("heading", name="Who would you like?"))
    page.get_by_role("button", name="Continue").click()
    arrived(page.get_by_role("heading", name="Choose a day and time"))
    # htmx swaps the times in place; the heading of the day gets the focus.
    page.locator("a.day.free").first.click()
    arrived(page.locator("#times a.time").first)
    page.locator("#times a.time").first.click()
    arrived(page.get_by_role("heading", name="Your details"))


def test_book_a_slot_on_a_phone(live_server, phone_page, shop):
    page = phone_page
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/book/acme/book/")
    # The browser's zone is detected and named (the page reloads with ?tz=).
    page.wait_for_url(re.compile(r"tz="))
    assert_accessible(page)
    screenshot(page, "customer-book-provider-phone")

    page.get_by_role("button", name="Continue").click()
    arrived(page.get_by_role("heading", name="Choose a day and time"))
    assert page.get_by_text("Times are shown in").is_visible()
    assert_accessible(page)
    screenshot(page, "customer-book-calendar-phone")

    # Next month: far enough ahead that the 24-hour change window is still open.
    page.get_by_role("link", name="Next month").click()
    page.wait_for_url(re.compile(r"month="))
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'month-title'"
    )
    page.locator("a.day.free").nth(2).click()
    arrived(page.locator("#times a.time").first)
    # The swap moved focus to the day's heading, for keyboard and screen reader users.
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'times-title'"
    )
    assert "day=" in page.url  # the URL follows, so back and reload work
    assert_accessible(page)
    screenshot(page, "customer-book-times-phone")

    page.locator("#times a.time").first.click()
    arrived(page.get_by_role("heading", name="Your details"))
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Email").fill("dana@example.test")
    page.get_by_label("Phone (optional)").fill("+49 30 1234")
    assert_accessible(page)
    screenshot(page, "customer-book-details-phone")

    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_role("heading", name="Your booking is confirmed"))
    booking = Booking.objects.get()
    assert booking.reference in page.content()
    assert Message.objects.filter(booking=booking, kind="confirmation").exists()
    assert page.get_by_role("link", name="Reschedule").is_visible()
    assert page.get_by_role("link", name="Cancel booking").is_visible()
    assert page.get_by_role("link", name=re.compile("Add to calendar")).is_visible()
    assert_accessible(page)
    screenshot(page, "customer-book-confirmed-phone")
    # No script or style was refused by the CSP on the way (no inline code anywhere).
    assert not [m for m in console if "Content Security Policy" in m], console


def test_booking_page_on_a_desktop(live_server, desktop_page, shop):
    page = desktop_page
    page.goto(live_server.url + "/book/acme/book/?provider=any&tz=Europe/Berlin")
    page.locator("a.day.free").first.click()
    arrived(page.locator("#times a.time").first)
    assert_accessible(page)
    screenshot(page, "customer-book-times-desktop")


def test_errors_in_the_details_are_shown_next_to_the_fields(live_server, phone_page, shop):
    page = phone_page
    _to_details(page, live_server.url)
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_text("Please give your name."))
    assert page.get_by_text("Please give a valid email address").is_visible()
    assert_accessible(page)
    screenshot(page, "customer-book-errors-phone")
    assert not Booking.objects.exists()


def test_slot_taken_between_page_load_and_confirm(live_server, phone_page, shop):
    page = phone_page
    page.goto(live_server.url + f"/book/acme/book/?provider={shop.alex.pk}&tz=Europe/Berlin")
    # The second free day is a whole working day whatever the hour (today may have a single
    # time left), so another time remains once the first one is taken.
    page.locator("a.day.free").nth(1).click()
    page.locator("#times a.time").first.click()
    arrived(page.get_by_role("heading", name="Your details"))
    page.get_by_label("Your name").fill("Dana Doe")
    page.get_by_label("Email").fill("dana@example.test")

    # Meanwhile the front desk gives that time to someone else.
    start = datetime.strptime(
        page.locator("input[name=start]").get_attribute("value"), "%Y-%m-%dT%H:%MZ"
    ).replace(tzinfo=UTC)
    factories.custom_booking(
        shop.business,
        service=shop.service,
        provider=shop.alex,
        customer=shop.customer,
        start=start,
        now=utcnow(),
        override_availability=True,
    )
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_text("That time is no longer available"))
    assert page.get_by_label("Your name").input_value() == "Dana Doe"
    assert_accessible(page)
    screenshot(page, "customer-book-slot-taken-phone")

    page.locator(".time-radio").first.click()
    page.get_by_role("button", name="Confirm booking").click()
    arrived(page.get_by_role("heading", name="Your booking is confirmed"))
    assert Booking.objects.filter(customer__email="dana@example.test").count() == 1
