"""Rate limits count in the shared (database) cache, per scope and client, per window."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection

from slotwise.core.ratelimit import hit, is_limited

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_limit_within_window_then_reset():
    with time_machine.travel("2030-01-01 10:00:05", tick=False) as clock:
        assert all(hit("bad_token", "10.0.0.1", limit=3, window_seconds=60) for _ in range(3))
        assert is_limited("bad_token", "10.0.0.1", limit=3, window_seconds=60)
        assert not hit("bad_token", "10.0.0.1", limit=3, window_seconds=60)
        # Other clients and other scopes are counted separately.
        assert not is_limited("bad_token", "10.0.0.2", limit=3, window_seconds=60)
        assert not is_limited("login", "10.0.0.1", limit=3, window_seconds=60)
        clock.move_to("2030-01-01 10:01:01")
        assert not is_limited("bad_token", "10.0.0.1", limit=3, window_seconds=60)


def test_counts_live_in_the_database_so_all_processes_share_them():
    hit("bad_token", "10.0.0.9", limit=5, window_seconds=60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM slotwise_cache")
        assert cursor.fetchone()[0] >= 1
