"""Shared steps of the backoffice browser tests (signing in, demo data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache

from slotwise.core.clock import utcnow
from tests import factories
from tests.conftest import World, build_world

PASSWORD = "a-long-test-password"


def world_with_history() -> World:
    """A business with a few bookings around today, so the screens have something to show."""
    cache.clear()  # the login throttle lives in the cache
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


def choose_slot(page: Any, clock: str) -> None:
    page.locator("label.slot", has_text=clock).first.click()
