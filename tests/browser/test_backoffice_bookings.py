"""Staff reschedule and cancel, clone, and the main screens, in a browser."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.bookings.actions import booking_cancel, booking_reschedule
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories
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


def _booking(world, start, **kw):
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=kw.pop("provider", world.alex),
        customer=world.customer,
        start=start,
        now=kw.pop("now", None) or min(utcnow(), start - timedelta(days=1)),
        **kw,
    )


def test_staff_reschedule_and_cancel(live_server, desktop_page, phone_page):
    world = world_with_history()
    start = next_monday_10(world)
    booking = _booking(world, start, notes="Allergic to lavender")
    base = live_server.url

    page = desktop_page
    sign_in(page, base)
    page.goto(f"{base}/backoffice/bookings/{booking.reference}/")
    page.get_by_role("link", name="Reschedule").click()
    assert page.get_by_label("Notify the customer", exact=False).is_checked()
    choose_slot(page, "14:00")
    assert_accessible(page)
    screenshot(page, "backoffice-reschedule-desktop")
    follow(page, page.get_by_role("button", name="Move booking"))
    arrived(page.get_by_text("moved to the new time"))
    booking.refresh_from_db()
    assert booking.start == start.replace(hour=14)
    assert Message.objects.filter(booking=booking, kind="rescheduled").exists()
    history = page.locator("ol.timeline").inner_text()
    assert "Rescheduled" in history and "10:00" in history and "14:00" in history

    page = phone_page
    sign_in(page, base)
    page.goto(f"{base}/backoffice/bookings/{booking.reference}/")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_label("Reason").fill("Provider is ill")
    page.get_by_label("Notify the customer by email").uncheck()
    assert_accessible(page)
    screenshot(page, "backoffice-cancel-phone")
    follow(page, page.get_by_role("button", name="Cancel booking"))
    arrived(page.get_by_text("The booking was cancelled."))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancellation_reason == "Provider is ill"
    assert not Message.objects.filter(booking=booking, kind="cancelled").exists()
    assert not Message.objects.filter(
        booking=booking, kind="reminder", status__in=Message.PENDING
    ).exists()
    assert page.get_by_role("link", name="Clone").is_visible()


def test_clone_a_cancelled_booking(live_server, desktop_page):
    world = world_with_history()
    start = next_monday_10(world)
    original = _booking(world, start, provider=world.blake, notes="Bring the old photo")
    booking_cancel(booking_id=original.pk, actor=Actor.system("t"), now=utcnow())
    page, base = desktop_page, live_server.url
    sign_in(page, base)
    page.goto(f"{base}/backoffice/bookings/{original.reference}/")
    page.get_by_role("link", name="Clone").click()
    arrived(page.get_by_text(f"cloned from {original.reference}").first)  # the new page
    assert f"cloned from {original.reference}" in page.get_by_role("heading", level=1).inner_text()
    summary = page.locator(".wizard-summary").inner_text()
    assert "Casey Jordan" in summary and "Haircut" in summary and "Blake" in summary
    show_week(page, (start + timedelta(days=1)).date().isoformat())
    choose_slot(page, "10:00")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("textbox", name="Notes").input_value() == "Bring the old photo"
    assert page.get_by_label("Price", exact=True).input_value() == "40.00"
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Cancel", exact=True).uncheck()
    page.get_by_label("Latest change time").select_option("2880")
    follow(page, page.get_by_role("button", name="Continue"))
    screenshot(page, "backoffice-clone-review-desktop")
    page.get_by_role("button", name="Create booking now").click()
    arrived(page.get_by_text("created."))

    clone = Booking.objects.exclude(pk=original.pk).get()
    assert clone.cloned_from == original and clone.provider == world.blake
    assert clone.notes == "Bring the old photo" and clone.start == start + timedelta(days=1)
    assert (clone.allow_cancel, clone.allow_reschedule, clone.change_deadline_minutes) == (
        False,
        True,
        2880,
    )
    text = confirmation_text(clone, utcnow())
    assert "Reschedule: " in text and "Cancel booking: " not in text
    assert original.reference in page.locator("dl.facts").first.inner_text()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_main_screens(live_server, desktop_page, phone_page, device):
    page = desktop_page if device == "desktop" else phone_page
    world = world_with_history()
    base = live_server.url
    start = next_monday_10(world)
    both = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=60)
    today = utcnow().astimezone(world.business.tz).replace(minute=0, second=0, microsecond=0)
    for i, hour in enumerate((9, 11, 14)):
        _booking(
            world,
            today.replace(hour=hour),
            provider=(world.alex, world.blake)[i % 2],
            override_availability=True,
        )
    moved = _booking(world, start, policy=both)
    gone = _booking(world, start + timedelta(hours=3), policy=both, provider=world.blake)
    booking_reschedule(
        booking_id=moved.pk,
        actor=Actor.customer("Casey Jordan"),
        new_start=start + timedelta(days=1),
        now=utcnow(),
    )
    booking_cancel(booking_id=gone.pk, actor=Actor.customer("Casey Jordan"), now=utcnow())
    failed = Message.objects.filter(booking=moved, kind="confirmation").get()
    failed.status, failed.last_error = "failed", "550 5.1.1 mailbox unavailable"
    failed.save()

    sign_in(page, base)
    changes = page.locator("section", has=page.locator("#h-changes")).inner_text()
    assert "rescheduled" in changes and "→" in changes and "cancelled" in changes
    assert "550 5.1.1" in page.locator("section", has=page.locator("#h-failed")).inner_text()
    assert_accessible(page)
    screenshot(page, f"backoffice-dashboard-{device}")

    if device == "phone":
        page.get_by_text("Menu", exact=True).click()  # the navigation folds into a menu
    follow(page, page.get_by_role("link", name="Bookings", exact=True))
    assert_accessible(page)
    screenshot(page, f"backoffice-list-{device}")
    page.get_by_text("Filters: status").click()
    page.get_by_label("Status").select_option(label="Cancelled")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**status=cancelled*")  # a GET form: read the filtered page
    assert gone.reference in page.locator("main").inner_text()
    assert moved.reference not in page.locator("main").inner_text()

    page.goto(f"{base}/backoffice/calendar/")
    assert_accessible(page)
    screenshot(page, f"backoffice-calendar-day-{device}")
    follow(page, page.get_by_role("link", name="Week"))
    assert_accessible(page)
    screenshot(page, f"backoffice-calendar-week-{device}")
    page.goto(f"{base}/backoffice/calendar/?date={(start + timedelta(days=1)).date()}")
    # The time grid: a booking's box opens the booking.
    page.locator(f"[data-reference='{moved.reference}']").click()
    page.wait_for_url(f"**/backoffice/bookings/{moved.reference}/")
