"""How many statements a customer's write costs, through the faces that serve it under load.

A web booking (the booking page's confirm and the public API), a reschedule and a cancel
through the manage API each run an exact number of statements on each database. The counts
are pinned, not bounded: a change that adds a statement to these paths has to say so here
(and why), and a change that saves one lowers the figure, so the saving cannot quietly come
back. docs/benchmarks.md ("The customer's path") shows what each count was before.

Every guarantee stays: the provider's row lock and the overlap re-check under it, the history
row, the outbox rows (confirmation, staff alerts, reminders), the domain event, and the
provider's new availability version (one upsert: docs/api.md, "Answers are cached, never
stale").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from slotwise.bookings.models import Booking, BookingEvent
from slotwise.notifications.models import Message, ReminderRule
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

# A week before factories.MONDAY: every booking is "next week".
NOW = factories.MONDAY - timedelta(days=7)
SITE_URL = "/book/acme/book/"
API_PAGE = "/api/v1/public/acme/pages/book"
MON_10 = "2030-06-03T10:00:00+02:00"
MON_12 = "2030-06-03T12:00:00+02:00"
MON_14 = "2030-06-03T14:00:00+02:00"
VENDOR = connection.vendor


def _pinned(counts: dict[str, int]) -> int:
    return counts[VENDOR]


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block (savepoints included: each is a round trip)."""
    found: list[str] = []
    with CaptureQueriesContext(connection) as captured:
        yield found
    found += [q["sql"] for q in captured.captured_queries]


def _kinds(sql: list[str]) -> str:
    """``SELECT×9 INSERT×4 …``: shown when a count differs, to see what moved."""
    verbs = Counter(s.split(None, 1)[0].upper() for s in sql)
    return " ".join(f"{verb}×{n}" for verb, n in sorted(verbs.items()))


def assert_statements(sql: list[str], expected: dict[str, int]) -> None:
    want = _pinned(expected)
    assert len(sql) == want, (
        f"{len(sql)} statements on {VENDOR}, pinned at {want} ({_kinds(sql)}):\n"
        + "\n".join(s[:160] for s in sql)
    )


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shop(world: World, clock: None) -> World:
    """The standard world with three reminder rules (24 h, 2 h, 1 h) and a webhook-free
    business: the outbox rows of a booking are a confirmation, two staff alerts and three
    reminders."""
    for minutes in (60, 120):
        ReminderRule.objects.create(business=world.business, minutes_before=minutes)
    return world


def _api_book(client: Client, world: World, start: str = MON_10) -> dict[str, Any]:
    body = {
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": start,
        "customer": {"name": "Casey", "email": "casey@example.test", "timezone": "Europe/Berlin"},
    }
    response = client.post(
        f"{API_PAGE}/bookings",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": "a-long-idempotency-key-" + start[11:13]},
    )
    assert response.status_code == 201, response.content
    return response.json()


def _token(created: dict[str, Any]) -> str:
    return created["manage_url"].rstrip("/").rsplit("/", 1)[1]


def _outbox(booking: Booking) -> Counter[str]:
    return Counter(Message.objects.filter(booking=booking).values_list("kind", flat=True))


# What each write cost before the leaner write path (commit 5bbb65f), SQLite / PostgreSQL:
# a web booking by the page 47 / 46, by the public API 44 / 43; a reschedule 24 / 23 and a
# cancel 14 / 13 through the manage API (each request whole: rate limits, token lookup, answer).
# Saved since: the pairing check, the overlap shortcut and the reference check are one
# statement; the overlap re-check is the availability check under the lock (not a second
# query); the provider is locked without being read again (and not at all on SQLite, whose
# IMMEDIATE transaction holds the write lock); settings, reminder rules and "any webhook?"
# are one statement; a reschedule moves its reminders in one UPDATE, not one each; each
# rate-limit count is one upsert (core/ratelimit.py), not seven statements in a transaction
# on the cache table (a web booking counts two: per address and per mailbox); the public
# API finds the page and the service in one statement.


def test_web_booking_on_the_booking_page(shop: World) -> None:
    client = Client()
    query = {"service": shop.service.pk, "provider": shop.alex.pk, "start": "2030-06-03T08:00Z"}
    page = client.get(SITE_URL, query).text
    key = re.search(r'name="booking_key" value="([^"]+)"', page)
    assert key is not None
    form = {
        **query,
        "name": "Dana Doe",
        "email": "dana@example.test",
        "phone": "",
        "notes": "",
        "booking_key": key.group(1),
    }
    with statements() as sql:
        response = client.post(SITE_URL, form)
    assert response.status_code == 302, response.content
    booking = Booking.objects.get()
    assert_statements(sql, {"sqlite": 28, "postgresql": 28})
    assert _outbox(booking) == {
        Message.Kind.CONFIRMATION: 1,
        Message.Kind.STAFF_CREATED: 1,
        Message.Kind.REMINDER: 3,
    }
    assert BookingEvent.objects.filter(booking=booking, kind="created").count() == 1
    assert any("FOR UPDATE" in s for s in sql) or VENDOR == "sqlite"


def test_web_booking_through_the_public_api(shop: World) -> None:
    client = Client()
    with statements() as sql:
        created = _api_book(client, shop)
    booking = Booking.objects.get(reference=created["booking"]["reference"])
    assert_statements(sql, {"sqlite": 24, "postgresql": 24})
    assert _outbox(booking) == {
        Message.Kind.CONFIRMATION: 1,
        Message.Kind.STAFF_CREATED: 1,
        Message.Kind.REMINDER: 3,
    }
    assert BookingEvent.objects.filter(booking=booking, kind="created").count() == 1


def test_reschedule_through_the_manage_api(shop: World) -> None:
    client = Client()
    token = _token(_api_book(client, shop))
    with statements() as sql:
        response = client.post(
            f"/api/v1/manage/{token}/reschedule",
            json.dumps({"start": MON_14}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert_statements(sql, {"sqlite": 20, "postgresql": 20})
    booking = Booking.objects.get()
    assert booking.start.isoformat() == "2030-06-03T12:00:00+00:00"
    reminders = Message.objects.filter(booking=booking, kind=Message.Kind.REMINDER)
    assert sorted(m.due_at for m in reminders) == sorted(
        booking.start - timedelta(minutes=m) for m in (24 * 60, 120, 60)
    )
    assert _outbox(booking)[Message.Kind.RESCHEDULED] == 1
    assert BookingEvent.objects.filter(booking=booking, kind="rescheduled").count() == 1


def test_cancel_through_the_manage_api(shop: World) -> None:
    client = Client()
    token = _token(_api_book(client, shop))
    with statements() as sql:
        response = client.post(
            f"/api/v1/manage/{token}/cancel",
            json.dumps({"reason": "ill"}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert_statements(sql, {"sqlite": 14, "postgresql": 13})
    booking = Booking.objects.get()
    assert booking.status == Booking.Status.CANCELLED
    assert not Message.objects.filter(
        booking=booking, kind=Message.Kind.REMINDER, status__in=Message.PENDING
    ).exists()
    assert _outbox(booking)[Message.Kind.CANCELLED] == 1
    assert BookingEvent.objects.filter(booking=booking, kind="cancelled").count() == 1


def test_webhook_rows_join_the_one_insert_of_the_outbox(shop: World) -> None:
    """Two endpoints cost one read more, not a lookup, a savepoint and an insert each."""
    from slotwise.notifications.models import WebhookEndpoint

    for n in (1, 2):
        WebhookEndpoint.objects.create(
            business=shop.business,
            url=f"https://hooks{n}.example.test/in",
            events=["booking.created"],
            secret="s" * 32,
            created_at=NOW,
        )
    client = Client()
    with statements() as sql:
        created = _api_book(client, shop)
    assert_statements(sql, {"sqlite": 25, "postgresql": 25})
    booking = Booking.objects.get(reference=created["booking"]["reference"])
    assert _outbox(booking)[Message.Kind.WEBHOOK] == 2
    assert sum(s.startswith('INSERT INTO "notifications_message"') for s in sql) == 1
