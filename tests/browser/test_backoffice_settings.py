"""A booking page's self-service settings change: old bookings keep theirs, new ones get it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.bookings.actions import CustomerDetails, booking_create_web
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests.browser._backoffice import next_monday_10, sign_in, world_with_history
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _web_booking(world, start, email):
    booking, _ = booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=start,
        customer=CustomerDetails("Robin", email),
        now=utcnow(),
    )
    return booking


def _email_text(booking):
    message = Message.objects.get(booking=booking, kind="confirmation")
    return build_email(message, now=utcnow()).body


def test_booking_page_settings_apply_to_new_bookings_only(live_server, desktop_page, phone_page):
    world = world_with_history()
    start = next_monday_10(world)
    old = _web_booking(world, start, "early@example.test")
    assert "Reschedule: " in _email_text(old) and "Cancel booking: " in _email_text(old)

    page, base = desktop_page, live_server.url
    sign_in(page, base)
    page.get_by_role("link", name="Settings").click()
    follow(page, page.get_by_role("link", name="Booking pages").first)
    assert_accessible(page)
    screenshot(page, "backoffice-settings-pages-desktop")
    follow(page, page.get_by_role("link", name=world.page.title))
    assert page.get_by_text("Changes apply to bookings made from now on.").is_visible()
    page.get_by_label("Customers may reschedule online").uncheck()
    page.get_by_label("Latest change time").select_option(label="2 hours before")
    assert_accessible(page)
    screenshot(page, "backoffice-settings-page-form-desktop")
    page.get_by_role("button", name="Save booking page").click()
    arrived(page.get_by_text("The changes apply to bookings made from now on."))

    old.refresh_from_db()
    assert (old.allow_cancel, old.allow_reschedule, old.change_deadline_minutes) == (
        True,
        True,
        1440,
    )
    world.page.refresh_from_db()
    new = _web_booking(world, start + timedelta(hours=3), "later@example.test")
    assert (new.allow_cancel, new.allow_reschedule, new.change_deadline_minutes) == (
        True,
        False,
        120,
    )
    assert "Cancel booking: " in _email_text(new) and "Reschedule: " not in _email_text(new)

    # Each booking shows its own snapshot in the backoffice.
    page.goto(f"{base}/backoffice/bookings/{old.reference}/")
    policy = page.locator("section", has=page.locator("#h-policy")).inner_text()
    assert "until 24 hours before" in policy
    page.goto(f"{base}/backoffice/bookings/{new.reference}/")
    policy = page.locator("section", has=page.locator("#h-policy")).inner_text()
    assert "until 2 hours before" in policy

    phone = phone_page
    sign_in(phone, base)
    for path, name in [
        (f"/backoffice/settings/pages/{world.page.pk}/", "page-form"),
        (f"/backoffice/settings/providers/{world.alex.pk}/", "provider"),
        ("/backoffice/settings/notifications/", "notifications"),
        ("/backoffice/settings/reminders/", "reminders"),
        ("/backoffice/settings/team/", "team"),
    ]:
        phone.goto(base + path)
        assert_accessible(phone)
        screenshot(phone, f"backoffice-settings-{name}-phone")
    for path, name in [
        (f"/backoffice/settings/providers/{world.alex.pk}/", "provider"),
        ("/backoffice/settings/services/", "services"),
        ("/backoffice/settings/business/", "business"),
    ]:
        page.goto(base + path)
        assert_accessible(page)
        screenshot(page, f"backoffice-settings-{name}-desktop")
