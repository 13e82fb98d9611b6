"""Use cases own the transaction: each action has a twin that joins the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications.models import Message
from tests import factories
from tests.bookings.helpers import refused

STAFF = Actor.system("front desk")


def test_an_inner_action_never_opens_a_transaction_of_its_own():
    with pytest.raises(RuntimeError, match="write_transaction"):
        actions.booking_cancel_in_transaction(
            booking_id=1, actor=STAFF, now=datetime(2030, 1, 1, tzinfo=UTC)
        )


def test_changes_made_in_one_use_case_commit_together_or_not_at_all(world):
    start = factories.local(world.business, 2030, 6, 6, 10)
    now = start - timedelta(days=5)
    bookings, messages = Booking.objects.count(), Message.objects.count()
    with refused("invalid_input"), actions.write_transaction():
        booking = actions.booking_create_custom_in_transaction(
            business=world.business,
            actor=STAFF,
            customer=world.customer,
            service=world.service,
            provider=world.alex,
            start=start,
            policy=SelfServicePolicy.off(),
            now=now,
        )
        # The second change of the use case is refused: the first must not stay behind.
        actions.booking_reschedule_in_transaction(
            booking_id=booking.pk, actor=STAFF, new_start=start, now=now
        )
    assert (Booking.objects.count(), Message.objects.count()) == (bookings, messages)
