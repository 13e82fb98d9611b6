"""Fuzz fixtures: a frozen clock, empty rate limits, the shared world and a signed-in owner.

The clock stands at Saturday 1 June 2030, 10:00 in Berlin, two days before the factories'
Monday, so every generated date is judged against one fixed "now".
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import World

# The customer pages' still clock and empty rate limits, shared (autouse) by the fuzz tests.
from tests.site.conftest import NOW, empty_rate_limits, frozen_clock  # noqa: F401


@pytest.fixture
def owner_client(world: World) -> Client:
    """The owner of the world's business, signed in (CSRF checks off, as in Django's client)."""
    owner: Any = get_user_model().objects.get(username="owner@acme.test")
    client = Client()
    client.force_login(owner)
    return client
