"""A booking made with a stored customer's address: the booker's pages name the booker; the
backoffice shows what was typed beside the unchanged customer record."""

from __future__ import annotations

import pytest

from slotwise.bookings import actions
from slotwise.core.clock import utcnow
from tests.browser._backoffice import next_monday_10, sign_in, world_with_history
from tests.browser.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_booked_as_and_customer_record(live_server, desktop_page, phone_page):
    world = world_with_history()
    world.customer.phone = "+1 212 555 0100"
    world.customer.save()
    booking, token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=next_monday_10(world),
        customer=actions.CustomerDetails(
            name="Mallory Mask",
            email="casey@example.test",
            phone="+81 3 5555 0199",
            timezone="Asia/Tokyo",
        ),
        now=utcnow(),
    )
    base = live_server.url

    for page, size in ((desktop_page, "desktop"), (phone_page, "phone")):
        page.goto(f"{base}/manage/{token}/")
        facts = page.locator(".booking-card").inner_text()
        assert "Mallory Mask" in facts and "Casey" not in facts
        assert "Asia/Tokyo" in page.content()
        assert_accessible(page)
        screenshot(page, f"manage-booked-for-{size}")

        sign_in(page, base)
        page.goto(f"{base}/backoffice/bookings/{booking.reference}/")
        card = page.locator("section[aria-labelledby='h-customer']")
        text = card.inner_text()
        assert "Booked as" in text and "Mallory Mask" in text and "+81 3 5555 0199" in text
        assert "Customer record" in text and "Casey Jordan" in text and "+1 212 555 0100" in text
        assert_accessible(page)
        card.scroll_into_view_if_needed()
        screenshot(page, f"backoffice-booked-as-{size}")
