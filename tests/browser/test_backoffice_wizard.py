"""The custom booking wizard in a browser: self-service on and off, and what the email offers."""

from __future__ import annotations

import pytest

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from tests.backoffice.helpers import confirmation_text
from tests.browser._backoffice import (
    choose_slot,
    next_monday_10,
    show_week,
    sign_in,
    world_with_history,
)
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _walk_wizard(page, base, world, *, shots: str | None) -> None:
    page.get_by_role("link", name="New booking").first.click()
    # 1. customer: search, pick
    page.get_by_label("Find a customer").fill("casey")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Casey Jordan", exact=False).check()
    if shots:
        assert_accessible(page)
        screenshot(page, f"{shots}-1-customer")
    page.get_by_role("button", name="Continue with this customer").click()
    # 2. service and provider
    page.get_by_label("Service", exact=True).select_option(label="Haircut")
    page.get_by_label("Provider", exact=True).select_option(label="Alex")
    page.get_by_role("button", name="Continue").click()
    # 3. day and time
    day = next_monday_10(world).date().isoformat()
    show_week(page, day)
    choose_slot(page, "11:00")
    if shots:
        assert_accessible(page)
        screenshot(page, f"{shots}-3-time")
    page.get_by_role("button", name="Continue").click()
    # 4. notes and price
    page.get_by_role("textbox", name="Notes").fill("Called in; prefers Alex.")
    page.get_by_role("button", name="Continue").click()


def test_wizard_self_service_on_desktop(live_server, desktop_page):
    world = world_with_history()
    page, base = desktop_page, live_server.url
    sign_in(page, base)
    _walk_wizard(page, base, world, shots="backoffice-wizard-desktop")
    # 5. self-service: yes, cancel only, 24 hours, one reschedule cap not relevant
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Reschedule", exact=True).uncheck()
    page.get_by_label("Latest change time").select_option("1440")
    assert_accessible(page)
    screenshot(page, "backoffice-wizard-desktop-5-selfservice")
    follow(page, page.get_by_role("button", name="Continue"))
    # 6. review
    summary = page.locator("#review-selfservice").inner_text()
    assert "may cancel online (not reschedule)" in summary
    assert "24 hours before" in summary
    assert_accessible(page)
    screenshot(page, "backoffice-wizard-desktop-6-review")
    page.get_by_role("button", name="Create booking now").click()
    arrived(page.get_by_text("created."))

    booking = Booking.objects.get()
    assert page.url.endswith(f"/backoffice/bookings/{booking.reference}/")
    assert (booking.allow_cancel, booking.allow_reschedule) == (True, False)
    assert booking.change_deadline_minutes == 1440
    assert booking.notes == "Called in; prefers Alex."
    text = confirmation_text(booking, utcnow())
    assert "Cancel booking: " in text and "Reschedule: " not in text
    # The policy is shown read-only on the booking.
    policy = page.locator("section", has=page.locator("#h-policy"))
    assert "read-only" in policy.inner_text().lower()
    assert "until 24 hours before the appointment" in policy.inner_text()
    assert policy.locator("input, select, textarea, button").count() == 0
    assert_accessible(page)
    screenshot(page, "backoffice-booking-detail-desktop")


def test_wizard_self_service_off_phone(live_server, phone_page):
    world = world_with_history()
    page, base = phone_page, live_server.url
    sign_in(page, base)
    _walk_wizard(page, base, world, shots="backoffice-wizard-phone")
    page.get_by_label("No", exact=True).check()
    screenshot(page, "backoffice-wizard-phone-5-selfservice")
    follow(page, page.get_by_role("button", name="Continue"))
    assert "Off" in page.locator("#review-selfservice").inner_text()
    assert_accessible(page)
    screenshot(page, "backoffice-wizard-phone-6-review")
    page.get_by_role("button", name="Create booking now").click()
    arrived(page.get_by_text("created."))

    booking = Booking.objects.get()
    assert not booking.allow_cancel and not booking.allow_reschedule
    text = confirmation_text(booking, utcnow())
    assert "/cancel/" not in text and "/reschedule/" not in text
    assert "Cancel booking" not in text and "Reschedule:" not in text
    assert "View booking" in text  # every customer email links to the booking
    screenshot(page, "backoffice-booking-detail-phone")
