"""Rate limits count in the shared (database) cache, per scope and client, per window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slotwise.core import periodic
from slotwise.core.models import RateCounter
from slotwise.core.ratelimit import delete_expired, give_back, hit, is_limited, reset, take
from tests.support.limits import forget_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    forget_limits()
    yield
    forget_limits()


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
        cursor.execute("SELECT counter_key, count FROM core_ratecounter")
        rows = cursor.fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("rl:bad_token:10.0.0.9:") and rows[0][1] == 1


def test_each_count_is_one_statement():
    """An upsert that returns the new count: no read-then-write, no transaction around it."""
    hit("bad_token", "10.0.0.9", limit=5, window_seconds=60)  # the row exists from here on
    for expected in (2, 3):
        with CaptureQueriesContext(connection) as queries:
            decision = take("availability", "10.0.0.9")
        assert len(queries) == 1, [q["sql"] for q in queries]
        assert "ON CONFLICT" in queries[0]["sql"]
        assert decision.allowed
        assert RateCounter.objects.get(counter_key=decision.cache_key).count == expected - 1


def test_giving_back_never_goes_below_zero():
    decision = take("booking_email", "mailbox")
    give_back(decision)
    give_back(decision)
    assert RateCounter.objects.get(counter_key=decision.cache_key).count == 0
    assert take("booking_email", "mailbox").allowed


def test_ended_windows_are_deleted_by_the_worker():
    with time_machine.travel("2030-01-01 10:00:05", tick=False):
        hit("bad_token", "10.0.0.1", limit=3, window_seconds=60)
        take("availability", "10.0.0.1")
    with time_machine.travel("2030-01-01 10:00:30", tick=False):
        hit("bad_token", "10.0.0.2", limit=3, window_seconds=60)
    # Stored as the ORM stores instants, so they compare exactly (10:01:00 is two windows' end).
    ends = RateCounter.objects.filter(expires_at=datetime(2030, 1, 1, 10, 1, 0, tzinfo=UTC))
    assert ends.count() == 2
    assert delete_expired(datetime(2030, 1, 1, 10, 0, 59, tzinfo=UTC)) == 0
    # 10:01:01: the 10:00 windows have ended (a second of grace past each window's end).
    assert delete_expired(datetime(2030, 1, 1, 10, 1, 2, tzinfo=UTC)) == 3
    assert not RateCounter.objects.exists()
    assert "rate-counters-expired" in {p.name for p in periodic.registered()}


def test_reset_forgets_every_count():
    assert all(hit("login", "10.0.0.1", limit=2, window_seconds=60) for _ in range(2))
    assert is_limited("login", "10.0.0.1", limit=2, window_seconds=60)
    reset()
    assert not is_limited("login", "10.0.0.1", limit=2, window_seconds=60)


def test_counter_table_is_unlogged_on_postgresql():
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"  # SQLite has no such thing: nothing to check
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'core_ratecounter'")
        assert cursor.fetchone()[0] == "u"
