"""Shared steps of the backoffice browser tests (signing in, demo data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slotwise.core.clock import utcnow
from tests import factories
from tests.conftest import World, build_world
from tests.support.limits import forget_limits

PASSWORD = "a-long-test-password"


def world_with_history() -> World:
    """A business with a few bookings around today, so the screens have something to show."""
    forget_limits()  # the login throttle counts
    world = build_world()
    world.customer.name = "Casey Jordan"
    world.customer.save()
    return world


def next_monday_10(world: World) -> Any:
    today = utcnow().astimezone(world.business.tz).date()
    day = today + timedelta(days=14 + (7 - today.weekday()) % 7)
    return factories.local(world.business, day.year, day.month, day.day, 10)


def sign_in(page: Any, base_url: str, email: str = "owner@acme.test") -> None:
    page.goto(base_url + "/backoffice/")
    assert "/backoffice/login/" in page.url
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/backoffice/")


def show_week(page: Any, day: str) -> None:
    """The wizard's time step: ask for the week from `day` and wait for that week's page.

    The button submits a GET form; reading the page before the new one has loaded
    would read the old week (or nothing at all)."""
    page.get_by_label("Week from", exact=True).fill(day)
    page.get_by_role("button", name="Show free times").click()
    page.wait_for_url(f"**day={day}*")
    page.wait_for_load_state("domcontentloaded")


def choose_slot(page: Any, clock: str) -> None:
    page.locator("label.slot", has_text=clock).first.click()
