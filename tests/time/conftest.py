"""Fixtures for the time tests: empty rate limits and a fixed public address for links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from tests.support.limits import forget_limits


@pytest.fixture(autouse=True)
def _empty_rate_limits() -> Iterator[None]:
    """Each test starts with no bad-token counts, whatever ran before it."""
    forget_limits()
    yield
    forget_limits()


@pytest.fixture(autouse=True)
def _settings(settings: Settings) -> None:
    """Links in emails point at one known address, so tests can find tokens in them.

    Every test creates its own business and owner; a fast password hash keeps that cheap
    (no test here logs in).
    """
    settings.SITE_URL = "https://book.example.com"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
