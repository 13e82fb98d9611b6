"""What a customer sees past a rate limit: a message by the form, or a short "slow down" page."""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.core import ratelimit
from tests.browser.conftest import arrived, assert_accessible, screenshot
from tests.browser.test_customer_booking import _to_details
from tests.conftest import build_world
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db(transaction=True)

VICTIM = "victim@example.test"


@pytest.fixture
def shop(db: None) -> Any:
    forget_limits()
    return build_world()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_mailbox_over_its_limit_gets_a_message_by_the_email_field(
    live_server, phone_page, desktop_page, shop, settings, viewport
):
    settings.SLOTWISE_RATE_LIMITS = {**settings.SLOTWISE_RATE_LIMITS, "booking_email": (1, 3600)}
    ratelimit.take("booking_email", ratelimit.email_key(VICTIM))  # a booking made earlier
    page = phone_page if viewport == "phone" else desktop_page
    _to_details(page, live_server.url)
    page.get_by_label("Your name").fill("Mallory")
    page.get_by_label("Email").fill(VICTIM)
    page.get_by_role("button", name="Confirm booking").click()
    message = page.get_by_text("Several bookings were made with this email address")
    arrived(message)
    assert page.get_by_label("Email").input_value() == VICTIM
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    screenshot(page, f"customer-book-email-limit-{viewport}")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_too_many_page_views_get_a_slow_down_page(
    live_server, phone_page, desktop_page, shop, settings, viewport
):
    settings.SLOTWISE_RATE_LIMITS = {**settings.SLOTWISE_RATE_LIMITS, "availability": (1, 60)}
    page = phone_page if viewport == "phone" else desktop_page
    ratelimit.take("availability", "127.0.0.1")
    response = page.goto(live_server.url + "/book/acme/book/?tz=Europe/Berlin")
    assert response.status == 429 and 1 <= int(response.headers["retry-after"]) <= 60
    arrived(page.get_by_role("heading", name="Please slow down"))
    assert_accessible(page)
    screenshot(page, f"customer-book-slow-down-{viewport}")
