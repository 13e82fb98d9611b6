"""The indexes the hot queries rely on exist, and PostgreSQL's planner uses them.

At a million bookings (bench/scale.py) availability, booking and the worker stay fast only
because each of their queries has an index that reads the few rows it needs. Dropping or
renaming one of them fails here, long before it shows as a slow page.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.models import Booking
from tests.conftest import World

pytestmark = pytest.mark.django_db

#: (table, index name or None for "any index", leading columns) the hot queries need.
REQUIRED: list[tuple[str, str | None, list[str], str]] = [
    (
        "bookings_booking",
        "booking_provider_busy_idx",
        ["provider_id", "blocked_end", "blocked_start"],
        "availability loader and overlap check: a provider's bookings from the window on",
    ),
    (
        "bookings_booking",
        "booking_provider_confirmed_idx",
        ["provider_id", "start"],
        "any provider: each candidate's confirmed bookings that day",
    ),
    (
        "bookings_bookingevent",
        "event_customer_changes_idx",
        ["business_id", "created_at"],
        "dashboard: the newest changes customers made",
    ),
    (
        "calendars_busyinterval",
        "busy_provider_window_idx",
        ["provider_id", "start", "end"],
        "availability loader: a provider's busy times from their own calendars",
    ),
    ("bookings_booking", None, ["business_id", "start"], "backoffice list and dashboard"),
    ("bookings_booking", None, ["reference"], "booking by reference"),
    ("bookings_bookingevent", None, ["booking_id"], "a booking's history"),
    ("bookings_bookingtoken", None, ["token_hash"], "manage-link lookup"),
    ("notifications_message", None, ["status", "next_attempt_at"], "worker claim"),
    ("notifications_message", None, ["status", "lease_expires_at"], "worker: expired leases"),
    ("notifications_message", None, ["booking_id", "kind"], "a booking's reminders"),
    ("slotwise_cache", None, ["cache_key"], "rate limits: one counter by key"),
    ("slotwise_cache", None, ["expires"], "rate limits: culling expired counters"),
]


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: info
        for name, info in found.items()
        if info["index"] or info["unique"] or info["primary_key"]
    }


@pytest.mark.parametrize(("table", "name", "columns", "why"), REQUIRED, ids=lambda v: str(v))
def test_hot_query_index_exists(table: str, name: str | None, columns: list[str], why: str) -> None:
    indexes = _indexes(table)
    if name is not None:
        assert name in indexes, f"{table}.{name} is missing ({why})"
        assert indexes[name]["columns"][: len(columns)] == columns, (
            f"{name} should lead with {columns}, has {indexes[name]['columns']} ({why})"
        )
    else:
        leading = [info["columns"][: len(columns)] for info in indexes.values()]
        assert columns in leading, f"no index on {table} leads with {columns} ({why})"


def test_busy_index_holds_only_bookings_that_hold_time() -> None:
    """Partial: cancelled bookings (most of a busy calendar's churn) are left out of it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_get_expr(indpred, indrelid) FROM pg_index "
                "WHERE indexrelid = 'booking_provider_busy_idx'::regclass"
            )
        else:  # SQLite keeps the CREATE INDEX statement, WHERE clause included
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' "
                "AND name = 'booking_provider_busy_idx'"
            )
        (predicate,) = cursor.fetchone()
    if connection.vendor != "postgresql":
        predicate = predicate.split(" WHERE ", 1)[1]
    for status in Booking.ACTIVE_STATUSES:
        assert status in predicate
    assert Booking.Status.CANCELLED not in predicate


def test_customer_email_lookup_index_is_case_insensitive() -> None:
    """Returning customers are found with email__iexact, i.e. on UPPER(email)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "catalog_customer")
    assert "customer_business_email_ci_idx" in found
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_indexdef('customer_business_email_ci_idx'::regclass)")
            (definition,) = cursor.fetchone()
        assert "business_id" in definition
        assert "upper" in definition.lower()


def _plan_indexes(sql: str) -> set[str]:
    """Index names in the plan the database picks for ``sql`` (as Django sent it)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            details = " ".join(str(row[-1]) for row in cursor.fetchall())
            return set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", details))
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    names: set[str] = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        if "Index Name" in node:
            names.add(node["Index Name"])
        stack.extend(node.get("Plans", []))
    return names


def test_planner_reads_a_providers_bookings_from_the_window_on(world: World) -> None:
    """With two years of history, the loader's query enters the busy index by blocked_end."""
    service, provider = world.service, world.alex
    today = datetime(2026, 6, 1, tzinfo=UTC)
    rows = []
    for day in range(-730, 60):
        start = today + timedelta(days=day, hours=9)
        past = day < 0
        rows.append(
            Booking(
                business=world.business,
                reference=f"SW-T{day + 1000:05d}",
                source=Booking.Source.CUSTOM,
                service=service,
                provider=provider,
                customer=world.customer,
                start=start,
                end=start + timedelta(hours=1),
                blocked_start=start,
                blocked_end=start + timedelta(hours=1),
                status=Booking.Status.COMPLETED if past else Booking.Status.CONFIRMED,
                price=service.price,
                currency=service.currency,
            )
        )
    Booking.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE bookings_booking" if connection.vendor == "postgresql" else "ANALYZE"
        )
    with CaptureQueriesContext(connection) as queries:
        loaders.provider_schedules(
            providers=[provider], window_start=today, window_end=today + timedelta(days=31)
        )
    (sql,) = [q["sql"] for q in queries if "FROM bookings_booking " in q["sql"]]
    assert "booking_provider_busy_idx" in _plan_indexes(sql)
