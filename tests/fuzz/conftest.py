"""Fuzz fixtures: a frozen clock, empty rate limits, the shared world and a signed-in owner.

The clock stands at Saturday 1 June 2030, 10:00 in Berlin, two days before the factories'
Monday, so every generated date is judged against one fixed "now".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from tests.conftest import World

NOW = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def empty_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner_client(world: World) -> Client:
    """The owner of the world's business, signed in (CSRF checks off, as in Django's client)."""
    owner: Any = get_user_model().objects.get(username="owner@acme.test")
    client = Client()
    client.force_login(owner)
    return client
