"""How a change's outbox rows are stored: existing dedupe keys are skipped, broken rows are not.

SQLite's INSERT OR IGNORE would also drop a row that breaks a CHECK or NOT NULL constraint;
a message must never vanish that way, so such a row fails the change instead, on both
databases.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from slotwise.notifications import outbox
from slotwise.notifications.models import Message
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _booking(world: World):  # type: ignore[no-untyped-def]
    start = factories.local(world.business, 2030, 6, 3, 10)
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=start - timedelta(days=10),
    )


def test_existing_keys_are_skipped_and_new_ones_stored(world: World) -> None:
    booking = _booking(world)
    now = booking.start - timedelta(days=9)
    before = Message.objects.filter(booking=booking).count()
    existing = outbox._build(booking, kind=Message.Kind.CONFIRMATION, recipient="c@x.test", now=now)
    fresh = outbox._build(booking, kind=Message.Kind.CONFIRMATION, recipient="d@x.test", now=now)
    outbox._insert([existing, None, fresh])
    outbox._insert([existing, fresh, fresh])  # again, and one named twice: nothing new
    assert Message.objects.filter(booking=booking).count() == before + 2


def test_a_row_breaking_a_constraint_fails_the_change(world: World) -> None:
    booking = _booking(world)
    now = booking.start - timedelta(days=9)
    broken = outbox._build(
        booking, kind=Message.Kind.REMINDER, recipient="c@x.test", now=now, reminder_minutes=-5
    )
    before = Message.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox._insert([broken])
    assert Message.objects.count() == before
