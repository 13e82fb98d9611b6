"""Staff tools in a real browser, on a laptop and a phone: the bookings list opens on what is
coming, the week of working hours saves at once, notes are edited on the booking page, the
menu collapses on a phone and no page scrolls sideways."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from slotwise.catalog.models import WorkingHours
from slotwise.core.clock import utcnow
from tests import factories
from tests.browser._backoffice import next_monday_10, sign_in, world_with_history
from tests.browser.conftest import assert_accessible, follow, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _seed(world) -> Any:
    start = next_monday_10(world)
    now = utcnow()
    bookings = [
        factories.custom_booking(
            world.business,
            service=world.service,
            provider=provider,
            customer=world.customer,
            start=start + timedelta(days=day, hours=hour),
            now=now,
        )
        for day, hour, provider in ((0, 0, world.alex), (0, 2, world.blake), (2, 1, world.alex))
    ]
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=now - timedelta(days=3),
        now=now - timedelta(days=4),
        override_availability=True,
    )
    return bookings[0]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_staff_tools_on_laptop_and_phone(live_server, desktop_page, phone_page, viewport):
    page = desktop_page if viewport == "desktop" else phone_page
    world = world_with_history()
    first = _seed(world)
    sign_in(page, live_server.url)
    _no_sideways_scroll(page)  # the dashboard

    # The menu: on a phone one "Menu" disclosure, opened from the keyboard.
    if viewport == "phone":
        assert not page.locator(".nav-wide").is_visible()
        menu = page.locator(".nav-menu > summary")
        menu.focus()
        page.keyboard.press("Enter")
        follow(
            page,
            page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Bookings"),
        )
    else:
        assert not page.locator(".nav-menu").is_visible()
        follow(
            page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Bookings")
        )

    # The bookings list opens on "Upcoming", soonest first.
    tab = page.locator(".tabs a[aria-current=page]")
    assert tab.inner_text().startswith("Upcoming")
    first_row = page.locator("table tbody tr").first
    assert first.reference in first_row.inner_text()
    assert "Times in Europe/Berlin" in page.locator("#list-summary").inner_text()
    assert_accessible(page)
    _no_sideways_scroll(page)
    screenshot(page, f"staff-bookings-list-{viewport}")
    page.locator(".tabs a", has_text="Past").click()
    page.wait_for_url("**tab=past*")  # a link: read the new page, not the one leaving
    assert page.locator(".tabs a[aria-current=page]").inner_text().startswith("Past")
    assert page.locator("table tbody tr").count() == 1

    # The booking page: edit the notes.
    page.goto(f"{live_server.url}/backoffice/bookings/{first.reference}/")
    _no_sideways_scroll(page)
    page.get_by_label("Notes").fill("Prefers the window seat")
    follow(page, page.get_by_role("button", name="Save notes"))
    assert "Notes saved." in page.locator(".flash-list").inner_text()
    assert "Notes edited" in page.locator(".timeline").inner_text()

    # Working hours: Monday split around lunch, copied to the other weekdays, saved once.
    page.goto(f"{live_server.url}/backoffice/settings/providers/{world.alex.pk}/hours/")
    assert_accessible(page)
    _no_sideways_scroll(page)
    monday = page.locator("#day-0")
    while monday.locator(".week-range").count() < 2:
        follow(page, monday.get_by_role("button", name="Add"))
        monday = page.locator("#day-0")
    monday.get_by_label("Monday, range 1, from").fill("09:00")
    monday.get_by_label("Monday, range 1, until").fill("12:30")
    monday.get_by_label("Monday, range 2, from").fill("13:30")
    monday.get_by_label("Monday, range 2, until").fill("18:00")
    follow(page, page.get_by_role("button", name="Copy Monday to Tuesday–Friday"))
    assert page.get_by_label("Friday, range 2, until").input_value() == "18:00"
    follow(page, page.get_by_role("button", name="Save working hours").last)
    assert "Working hours saved." in page.locator(".flash-list").inner_text()
    screenshot(page, f"staff-working-hours-{viewport}")
    for day in range(5):
        assert list(
            WorkingHours.objects.filter(provider=world.alex, weekday=day)
            .order_by("start")
            .values_list("start", "end")
        ) == [(time(9), time(12, 30)), (time(13, 30), time(18))]

    # A bad range is named on its day, and nothing is saved.
    page.get_by_label("Tuesday, range 1, until").fill("08:00")
    follow(page, page.get_by_role("button", name="Save working hours").last)
    assert "the end must be after the start" in page.locator("#day-1").inner_text()
    assert_accessible(page)

    # Settings: accessible, no sideways scroll.
    page.goto(f"{live_server.url}/backoffice/settings/")
    assert_accessible(page)
    _no_sideways_scroll(page)
