"""Shared fixtures: one business with a service, two providers, a customer and a page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.utils import translation

from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.core.models import Business
from tests import factories
from tests.support.clock import suite_now


def pytest_configure(config: pytest.Config) -> None:
    """Build the .mo files when they are missing or older than their .po (a fresh clone run
    with plain ``pytest``, without ``make install``), before any translation is loaded."""
    from django.core.management import call_command

    from slotwise.core.management.commands.translations import (
        po_path,
        translated_languages,
    )

    for code in translated_languages():
        po = po_path(code)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            call_command("translations", "compile", verbosity=0)
            return


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """One test database per test run, so runs side by side never share one."""
    from django.conf import settings

    for db in settings.DATABASES.values():
        name = db.setdefault("TEST", {}).get("NAME") or f"test_{db['NAME']}"
        is_file = db["ENGINE"].endswith("sqlite3")
        root, dot, ext = name.rpartition(".") if is_file else (name, "", "")
        db["TEST"]["NAME"] = f"{root}_{os.getpid()}{dot}{ext}" if dot else f"{name}_{os.getpid()}"


@pytest.fixture(autouse=True)
def _frozen_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Start every in-process test at the same instant (see tests/support/clock.py).

    The clock ticks on from there, so timeouts and waits behave; a test that needs another
    instant travels again inside this one. Tests marked ``slow`` start real processes, which
    keep the real clock, so they do too.
    """
    if request.node.get_closest_marker("slow"):
        yield
        return
    with time_machine.travel(suite_now(), tick=True):
        yield


#: Public rate limits for tests: high enough that no test (concurrency, fuzz, schemathesis,
#: load generator, browser) ever meets one. Tests of the limits themselves take the
#: ``shipped_rate_limits`` fixture (tests/security/test_abuse_limits.py).
TEST_RATE_LIMITS = {
    name: (1_000_000, 60) for name in ("availability", "booking", "booking_email", "feed")
}


@pytest.fixture(autouse=True)
def _fresh_availability_cache() -> None:
    """Every test starts without cached availability answers: test databases reuse provider
    ids and versions, so an answer kept from an earlier test would not be about this one."""
    from slotwise.bookings import availability_cache

    availability_cache.clear_local()


@pytest.fixture(autouse=True)
def _high_rate_limits(settings: Any) -> None:
    settings.SLOTWISE_RATE_LIMITS = TEST_RATE_LIMITS


@dataclass
class World:
    business: Business
    service: Service
    alex: Provider
    blake: Provider
    customer: Customer
    page: BookingPage


def build_world(slug: str = "acme", tz: str = "Europe/Berlin") -> World:
    business = factories.make_business(slug, tz)
    service = factories.make_service(business, buffer_after_minutes=15)
    alex = factories.make_provider(business, "Alex", [service])
    blake = factories.make_provider(business, "Blake", [service])
    customer = factories.make_customer(business)
    page = factories.make_page(
        business,
        [service],
        [alex, blake],
        allow_cancel=True,
        allow_reschedule=True,
        change_deadline_minutes=24 * 60,
    )
    return World(business, service, alex, blake, customer, page)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def other_world(db: None) -> World:
    """A second business, for tenant isolation tests."""
    return build_world("globex", "America/New_York")


@pytest.fixture(autouse=True)
def _allow_private_urls(settings: object) -> None:
    """Test receivers listen on 127.0.0.1, so outbound URLs may be private here, as with
    SLOTWISE_ALLOW_PRIVATE_URLS=true; tests of the refusal turn it off with override_settings."""
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def radicale() -> Iterator[Any]:
    """A real CalDAV server (Radicale) for this test process; tests take a user each
    (``radicale.new_user()``). See tests/support/radicale.py."""
    from tests.support.radicale import radicale_server

    with radicale_server() as server:
        yield server


@pytest.fixture
def ics_feed() -> Iterator[Any]:
    """(feed, url): an ICS address on a local HTTP server; set ``feed.body``/``feed.status``."""
    from tests.support.icsfeed import serve_feed

    with serve_feed() as served:
        yield served


@pytest.fixture(autouse=True)
def _no_language_left_over() -> Iterator[None]:
    """Every test starts in the default language, as a fresh request thread would: a test
    whose request activated another language must not decide what the next one reads."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded images go to a directory of this test run, never to the repository's var/."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"
