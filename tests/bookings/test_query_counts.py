"""The write paths the public API serves under load stay within a fixed number of queries.

A web booking, a customer's reschedule and a customer's cancel each run a bounded number of
statements, whatever the number of providers, page entries or reminder rules: a query per
provider or per message (an N+1) would fail here long before it shows in a benchmark.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.catalog.models import Provider
from slotwise.notifications.models import Message, ReminderRule
from tests import factories
from tests.conftest import World

NOW = factories.MONDAY - timedelta(days=7)


def _details(n: int) -> actions.CustomerDetails:
    return actions.CustomerDetails(name=f"Customer {n}", email=f"c{n}@example.test")


@pytest.fixture
def crowded(world: World) -> World:
    """The standard world with 20 more providers on the page and three reminder rules."""
    extra = [
        factories.make_provider(world.business, f"Extra{i}", [world.service]) for i in range(20)
    ]
    world.page.providers.add(*extra)
    for minutes in (60, 120):
        ReminderRule.objects.create(business=world.business, minutes_before=minutes)
    return world


#: On SQLite a change's outbox rows are inserted after one read of the dedupe keys that exist
#: (notifications.outbox._insert); PostgreSQL does both in its INSERT … ON CONFLICT.
OUTBOX_READ = 1 if connection.vendor == "sqlite" else 0

# Each availability check under the lock includes one query for the busy times imported from
# the providers' own calendars (docs/calendars.md): the web booking's count had room for it,
# the reschedule's grew from 18 to 19.
# Each create, reschedule and cancel also asks once whether the provider has a calendar that
# receives its bookings (calendars.writes.enqueue, docs/calendars.md): one query more each.
# Each also gives the provider a new availability version (one upsert, docs/architecture.md,
# "Availability cache"), so cached answers never offer the time: 21 → 22.


def test_web_booking_with_a_chosen_provider(crowded: World, django_assert_max_num_queries) -> None:
    start = factories.local(crowded.business, 2030, 6, 3, 10)
    with django_assert_max_num_queries(22 + OUTBOX_READ):
        booking, _ = actions.booking_create_web(
            page=crowded.page,
            service=crowded.service,
            provider=crowded.alex,
            start=start,
            customer=_details(1),
            now=NOW,
        )
    kinds = sorted(Message.objects.filter(booking=booking).values_list("kind", flat=True))
    # Three reminders (24 h, 2 h, 1 h), the confirmation and the staff alerts all written.
    assert kinds.count(Message.Kind.REMINDER) == 3
    assert Message.Kind.CONFIRMATION in kinds
    assert Message.Kind.STAFF_CREATED in kinds


def test_customer_reschedule_and_cancel(crowded: World, django_assert_max_num_queries) -> None:
    start = factories.local(crowded.business, 2030, 6, 3, 10)
    booking, _ = actions.booking_create_web(
        page=crowded.page,
        service=crowded.service,
        provider=crowded.alex,
        start=start,
        customer=_details(2),
        now=NOW,
    )
    actor = Actor.customer("Customer 2")
    # + 1: does anyone wait on the waitlist for the time it frees (docs/waitlist.md);
    # + 1: does the provider have a write calendar (docs/calendars.md)
    with django_assert_max_num_queries(22 + OUTBOX_READ):
        moved = actions.booking_reschedule(
            booking_id=booking.pk, actor=actor, new_start=start + timedelta(hours=2), now=NOW
        )
    assert moved.start == start + timedelta(hours=2)
    reminders = Message.objects.filter(booking=booking, kind=Message.Kind.REMINDER)
    assert {m.due_at for m in reminders} == {
        moved.start - timedelta(minutes=m) for m in (60, 120, 24 * 60)
    }
    with django_assert_max_num_queries(12 + OUTBOX_READ):
        actions.booking_cancel(booking_id=booking.pk, actor=actor, now=NOW, reason="ill")
    assert not reminders.filter(status__in=Message.PENDING).exists()
    assert Provider.objects.filter(business=crowded.business).count() == 22


def test_a_taken_time_is_refused_before_any_lock(crowded: World) -> None:
    """Losers of a race for one time get their answer without waiting for the write lock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.bookings.helpers import refused

    start = factories.local(crowded.business, 2030, 6, 3, 10)
    common = {"page": crowded.page, "service": crowded.service, "start": start, "now": NOW}
    actions.booking_create_web(provider=crowded.alex, customer=_details(3), **common)
    with CaptureQueriesContext(connection) as queries, refused("slot_unavailable"):
        actions.booking_create_web(provider=crowded.alex, customer=_details(4), **common)
    statements = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "FOR UPDATE" not in statements
    assert "BEGIN" not in statements
    assert "INSERT" not in statements
    # Another provider at the same time is still free.
    booking, _ = actions.booking_create_web(provider=crowded.blake, customer=_details(5), **common)
    assert booking.provider == crowded.blake
