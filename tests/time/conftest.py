"""Fixtures for the time tests: empty rate limits and a fixed public address for links."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from zoneinfo import available_timezones

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _empty_rate_limits() -> Iterator[None]:
    """Each test starts with no bad-token counts, whatever ran before it."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _settings(settings: Settings) -> None:
    """Links in emails point at one known address, so tests can find tokens in them.

    Every test creates its own business and owner; a fast password hash keeps that cheap
    (no test here logs in).
    """
    settings.SITE_URL = "https://book.example.com"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@pytest.fixture(autouse=True)
def _zone_list_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the installed zone list once per run instead of on every page request.

    ``available_timezones()`` walks the zone files on disk (about 0.15 s here), and the
    customer pages and the zone validator call it per request; the answer cannot change
    during a run, so the tests share one copy.
    """
    for module in ("slotwise.site.views.common", "slotwise.core.models"):
        monkeypatch.setattr(f"{module}.available_timezones", _zone_names)
