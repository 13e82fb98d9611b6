"""The staff calendar's time grid in a browser (docs/guide.md, "Calendar"): what it draws,
click-to-book, drag-to-move with its confirmation, a refused move, phones and axe-core."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from slotwise.bookings.models import Booking
from slotwise.catalog.models import TimeOff
from slotwise.core.clock import utcnow
from tests import factories
from tests.browser._backoffice import next_monday_10, show_week, sign_in, world_with_history
from tests.browser.conftest import arrived, assert_accessible, follow, screenshot
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def _seed(world: World) -> tuple[Booking, Any]:
    """A Monday with a 10:00–11:00 booking for Alex (15 minutes' buffer after) and Alex's
    time off 14:00–15:30."""
    start = next_monday_10(world)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=utcnow(),
    )
    TimeOff.objects.create(
        provider=world.alex,
        start=start + timedelta(hours=4),
        end=start + timedelta(hours=5, minutes=30),
        reason="Dentist",
    )
    mail.outbox.clear()
    return booking, start


def _open_day(page: Any, base: str, day: Any) -> None:
    # The browser's clock is the suite's frozen instant too, so the grid's "now" line is
    # drawn where the server's clock says it is.
    page.clock.set_fixed_time(utcnow())
    page.goto(f"{base}/backoffice/calendar/?view=day&date={day.isoformat()}")
    arrived(page.locator(".ec-event.bk").first)


def test_day_grid_draws_the_seeded_day_on_desktop(live_server, desktop_page):
    world = world_with_history()
    booking, start = _seed(world)
    page, base = desktop_page, live_server.url
    sign_in(page, base)
    _open_day(page, base, start.date())
    assert page.locator("#grid-fallback").is_hidden()
    assert "Europe/Berlin" in page.locator(".grid-zone").inner_text()
    box = page.locator(f"[data-reference='{booking.reference}']")
    assert "Casey Jordan" in box.inner_text() and "10:00" in box.inner_text()
    # The 60-minute booking spans its length: 1.5 times shorter than the 90-minute time
    # off block, and its 15-minute buffer is drawn after it.
    hour = box.bounding_box()["height"]
    time_off = page.locator(".bg-timeoff").first
    assert "Time off: Dentist" in time_off.inner_text()
    assert time_off.bounding_box()["height"] == pytest.approx(1.5 * hour, abs=3)
    buffer = page.locator(".bg-buffer").first.bounding_box()
    assert buffer["height"] == pytest.approx(hour / 4, abs=3)
    assert buffer["y"] == pytest.approx(box.bounding_box()["y"] + hour, abs=3)
    assert page.locator(".bg-open").count() == 2  # Alex's and Blake's working hours
    assert_accessible(page)
    screenshot(page, "calendar-day-desktop")
    # Keyboard: Tab reaches the booking box, Enter opens it.
    box.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/backoffice/bookings/{booking.reference}/")
    page.goto(
        f"{base}/backoffice/calendar/?view=week&date={start.date().isoformat()}&provider={world.alex.pk}"
    )
    arrived(page.locator(".ec-event.bk").first)
    assert page.locator(".bg-timeoff").count() == 1
    assert_accessible(page)
    screenshot(page, "calendar-week-desktop")
    # Today: the "now" line sits at the frozen clock's minute.
    page.goto(f"{base}/backoffice/calendar/?view=day")
    line = page.locator(".ec-now-indicator")
    arrived(line)
    config = json.loads(page.locator("#grid-config").inner_text())
    body = page.locator(".ec-body").bounding_box()
    first_hour = int(config["slotMin"][:2])
    per_minute = body["height"] / ((int(config["slotMax"][:2]) - first_hour) * 60)
    now = utcnow().astimezone(world.business.tz)
    expected = body["y"] + (now.hour * 60 + now.minute - first_hour * 60) * per_minute
    assert line.bounding_box()["y"] == pytest.approx(expected, abs=per_minute * 3 + 2)
    screenshot(page, "calendar-today-desktop")


def test_phone_day_grid_scrolls_inside_itself_and_week_and_now_line(live_server, phone_page):
    world = world_with_history()
    _booking, start = _seed(world)
    for name in ("Charlie", "Dana"):
        factories.make_provider(world.business, name, [world.service])
    page, base = phone_page, live_server.url
    sign_in(page, base)
    _open_day(page, base, start.date())
    screenshot(page, "calendar-day-phone")
    # Four providers do not fit 390 px: the grid scrolls sideways inside itself, the time
    # axis stays put, and the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    main = page.locator(".ec-main")
    assert main.evaluate("el => el.scrollWidth > el.clientWidth")
    axis = page.locator(".ec-body .ec-sidebar").first
    x_before = axis.bounding_box()["x"]
    dana_before = page.locator(".ec-col-head", has_text="Dana").bounding_box()["x"]
    main.evaluate("el => { el.scrollLeft = 200; }")
    page.wait_for_timeout(100)
    assert axis.bounding_box()["x"] == pytest.approx(x_before, abs=1)
    assert page.locator(".ec-col-head", has_text="Dana").bounding_box()["x"] < dana_before - 100
    main.evaluate("el => { el.scrollLeft = 0; }")
    page.goto(f"{base}/backoffice/calendar/?view=week&date={start.date().isoformat()}")
    arrived(page.locator(".ec-event.bk").first)
    screenshot(page, "calendar-week-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.clock.set_fixed_time(utcnow())
    page.goto(f"{base}/backoffice/calendar/?view=day")
    arrived(page.locator(".ec-now-indicator"))
    screenshot(page, "calendar-today-phone")


def _slot_point(page: Any, booking: Booking, provider_name: str, minutes_from_10: int) -> Any:
    """A point inside the 15-minute cell ``minutes_from_10`` after 10:00 in the provider's
    column, measured from the seeded 10:00–11:00 booking's box (one hour tall). The page is
    first scrolled so the box is near the top: mouse and touch act only inside the viewport."""
    box = page.locator(f"[data-reference='{booking.reference}']").bounding_box()
    page.evaluate("dy => window.scrollBy(0, dy)", box["y"] - 100)
    page.wait_for_timeout(100)
    box = page.locator(f"[data-reference='{booking.reference}']").bounding_box()
    head = page.locator(".ec-col-head", has_text=provider_name).first.bounding_box()
    hour = box["height"]
    x = head["x"] + head["width"] / 2
    y = box["y"] + hour * minutes_from_10 / 60 + hour / 8
    return x, y


def _drag(page: Any, booking: Booking, provider_name: str, minutes_from_10: int) -> None:
    x, y = _slot_point(page, booking, provider_name, minutes_from_10)
    box = page.locator(f"[data-reference='{booking.reference}']").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20, steps=3)
    page.mouse.move(x, y - box["height"] / 8 + 8, steps=10)
    page.mouse.up()


@pytest.mark.parametrize("viewport", ["desktop_page", "phone_page"])
def test_click_an_empty_time_books_it_in_at_most_six_clicks(live_server, request, viewport):
    page = request.getfixturevalue(viewport)
    world = world_with_history()
    booking, start = _seed(world)
    base = live_server.url
    sign_in(page, base)
    _open_day(page, base, start.date())
    clicks = 0

    def click(target: Any) -> None:
        nonlocal clicks
        clicks += 1
        follow(page, target)

    x, y = _slot_point(page, booking, "Blake", 3 * 60)  # Blake at 13:00
    clicks += 1
    if viewport == "phone_page":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    page.get_by_label("Find a customer").fill("casey")  # typing
    click(page.get_by_role("button", name="Search"))
    click(page.get_by_role("button", name="Continue with this customer"))
    assert "Blake" in page.locator("main").inner_text()
    assert_accessible(page)
    click(page.get_by_role("button", name="Create booking now"))
    arrived(page.get_by_text("created."))
    assert clicks <= 6
    made = Booking.objects.exclude(pk=booking.pk).get()
    assert made.provider == world.blake
    assert made.start == start + timedelta(hours=3)
    assert made.customer == world.customer


def test_drag_to_move_with_notify_reschedules_and_emails(live_server, desktop_page):
    from slotwise.notifications.models import Message

    world = world_with_history()
    booking, start = _seed(world)
    page, base = desktop_page, live_server.url
    sign_in(page, base)
    _open_day(page, base, start.date())
    assert_accessible(page)
    _drag(page, booking, "Blake", 2 * 60)  # Blake at 12:00
    dialog = page.get_by_role("dialog", name="Move this booking?")
    arrived(dialog)
    assert "12:00" in dialog.inner_text() and "Blake" in dialog.inner_text()
    assert_accessible(page)
    screenshot(page, "calendar-move-dialog-desktop")
    dialog.get_by_label("Yes, notify").check()
    dialog.get_by_role("button", name="Move booking").click()
    arrived(page.get_by_text("The booking was moved to the new time."))
    booking.refresh_from_db()
    assert booking.provider == world.blake
    assert booking.start == start + timedelta(hours=2)
    assert Message.objects.filter(booking=booking, kind=Message.Kind.RESCHEDULED).exists()


def test_drag_to_move_without_notify_sends_nothing_on_a_phone(live_server, phone_page):
    from slotwise.notifications.models import Message

    world = world_with_history()
    booking, start = _seed(world)
    page, base = phone_page, live_server.url
    sign_in(page, base)
    _open_day(page, base, start.date())
    _drag(page, booking, "Alex", 90)  # Alex at 11:30
    dialog = page.get_by_role("dialog", name="Move this booking?")
    dialog.get_by_label("No", exact=True).check()
    dialog.get_by_role("button", name="Move booking").click()
    arrived(page.get_by_text("The booking was moved to the new time."))
    booking.refresh_from_db()
    assert booking.provider == world.alex
    assert booking.start == start + timedelta(minutes=90)
    assert not Message.objects.filter(booking=booking, kind=Message.Kind.RESCHEDULED).exists()


def test_a_refused_drag_snaps_back_with_the_reason(live_server, desktop_page):
    world = world_with_history()
    booking, start = _seed(world)
    page, base = desktop_page, live_server.url
    sign_in(page, base)
    _open_day(page, base, start.date())
    box = page.locator(f"[data-reference='{booking.reference}']")
    head = page.locator(".ec-col-head", has_text="Alex").first

    def where() -> tuple[float, float]:
        # Relative to the column's head: the status line above the grid may move the page.
        b, h = box.bounding_box(), head.bounding_box()
        return b["x"] - h["x"], b["y"] - h["y"]

    before = where()
    _drag(page, booking, "Alex", 4 * 60)  # onto Alex's time off at 14:00
    dialog = page.get_by_role("dialog", name="Move this booking?")
    dialog.get_by_role("button", name="Move booking").click()
    status = page.locator("#grid-status")
    arrived(status.get_by_text("Not moved:"))
    screenshot(page, "calendar-refused-desktop")
    after = where()
    assert abs(after[0] - before[0]) < 2 and abs(after[1] - before[1]) < 2
    booking.refresh_from_db()
    assert booking.start == start and booking.provider == world.alex


@pytest.mark.parametrize("viewport", ["desktop_page", "phone_page"])
def test_wizard_time_step_shows_a_week_with_reasons(live_server, request, viewport):
    page = request.getfixturevalue(viewport)
    world = world_with_history()
    booking, start = _seed(world)
    world.blake.working_hours.filter(weekday=5).delete()  # Blake does not work Saturdays
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/backoffice/bookings/new/")
    page.get_by_label("Find a customer").fill("casey")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Continue with this customer").click()
    page.get_by_label("Service", exact=True).select_option(label="Haircut")
    page.get_by_label("Provider", exact=True).select_option(label="Alex")
    page.get_by_role("button", name="Continue").click()
    show_week(page, start.date().isoformat())
    alex = page.locator("fieldset", has=page.locator("legend", has_text="Alex"))
    blake = page.locator("fieldset", has=page.locator("legend", has_text="Blake"))
    assert alex.locator(".week-day").count() == 7 and blake.locator(".week-day").count() == 7
    # Monday: Alex is taken 10:00–11:15 (buffer included) and away 14:00–15:30.
    monday = alex.locator(".week-day").first
    assert "11:15" in monday.inner_text() and "10:00" not in monday.inner_text()
    assert "Closed" in blake.locator(".week-day").nth(5).inner_text()
    assert_accessible(page)
    screenshot(page, f"wizard-time-{viewport.split('_')[0]}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    # Blake's Monday 12:00: the booking goes to Blake.
    blake.locator(".week-day").first.locator("label.slot", has_text="12:00").click()
    page.get_by_role("button", name="Continue").click()
    arrived(page.get_by_role("textbox", name="Notes"))
    assert booking.pk


def test_now_line_is_at_the_business_time_in_a_clock_change_week(live_server, desktop_page):
    """Sunday 31 March 2030, 15:00 in Berlin: summer time began at 02:00 that morning, so the
    week began on winter time (+01:00) and "now" is on summer time (+02:00). The line is
    drawn at 15:00, level with a booking that starts then, not an hour early."""
    berlin = ZoneInfo("Europe/Berlin")
    with time_machine.travel(datetime(2030, 3, 31, 15, 0, tzinfo=berlin), tick=False):
        world = world_with_history()
        booking = factories.custom_booking(
            world.business,
            service=world.service,
            provider=world.alex,
            customer=world.customer,
            start=datetime(2030, 3, 31, 15, 0, tzinfo=berlin),
            now=utcnow() - timedelta(days=3),
        )
        page, base = desktop_page, live_server.url
        sign_in(page, base)
        page.clock.set_fixed_time(utcnow())
        page.goto(f"{base}/backoffice/calendar/?view=week&date=2030-03-25")
        box = page.locator(f"[data-reference='{booking.reference}']")
        arrived(box)
        line = page.locator(".ec-now-indicator")
        arrived(line)
        top, hour = box.bounding_box()["y"], box.bounding_box()["height"]  # a 60-minute service
        assert line.bounding_box()["y"] == pytest.approx(top, abs=hour / 8)
        screenshot(page, "calendar-week-clock-change-desktop")
