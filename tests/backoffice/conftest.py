"""Backoffice fixtures: signed-in clients for an owner and a front-desk staff member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from slotwise.bookings.models import Booking
from slotwise.core.clock import utcnow
from slotwise.core.models import Membership
from tests import factories
from tests.conftest import World


@pytest.fixture
def owner(world: World):
    return get_user_model().objects.get(username="owner@acme.test")


@pytest.fixture
def staff_user(world: World):
    user = get_user_model().objects.create_user(
        username="desk@acme.test", email="desk@acme.test", password="another-long-password"
    )
    Membership.objects.create(business=world.business, user=user, role=Membership.Role.STAFF)
    return user


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def future_monday(world: World):
    """A Monday 10:00 in the business's zone, at least two weeks ahead of the real clock."""
    today = utcnow().astimezone(world.business.tz).date()
    day = today + timedelta(days=14 + (7 - today.weekday()) % 7)
    return factories.local(world.business, day.year, day.month, day.day, 10)


@pytest.fixture
def booking(world: World) -> Booking:
    """A confirmed custom booking two weeks ahead, self-service off."""
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=future_monday(world),
        now=utcnow(),
    )


@pytest.fixture
def past_booking(world: World) -> Booking:
    """A confirmed booking that ended an hour ago (so it can be completed)."""
    start = (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.blake,
        customer=world.customer,
        start=start,
        now=start - timedelta(days=1),
        override_availability=True,
    )
