"""Reads are scoped to one business."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings import selectors
from slotwise.core import errors
from tests import factories


def make(world, day, hour, provider=None, customer=None):
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=provider or world.alex,
        customer=customer or world.customer,
        start=factories.local(world.business, 2030, 6, day, hour),
    )


def test_lists_never_show_another_business(world, other_world):
    mine = make(world, 4, 10)
    theirs = make(other_world, 4, 10)
    assert list(selectors.booking_list(business=world.business)) == [mine]
    assert list(selectors.booking_list(business=other_world.business)) == [theirs]
    # Filtering by another business's ids finds nothing rather than their rows.
    assert not selectors.booking_list(
        business=world.business, provider_id=other_world.alex.pk
    ).exists()
    assert not selectors.booking_list(business=world.business, search=theirs.reference).exists()
    with pytest.raises(errors.NotFound):
        selectors.booking_get(business=world.business, reference=theirs.reference)
    assert selectors.booking_get(business=world.business, reference=mine.reference.lower()) == mine


def test_list_filters(world):
    a = make(world, 4, 10)
    b = make(world, 5, 10, provider=world.blake)
    dana = factories.make_customer(world.business, "Dana")
    c = make(world, 6, 10, customer=dana)
    assert list(selectors.booking_list(business=world.business, provider_id=world.blake.pk)) == [b]
    assert list(selectors.booking_list(business=world.business, search="dana")) == [c]
    assert list(
        selectors.booking_list(
            business=world.business,
            start_from=factories.local(world.business, 2030, 6, 4, 0),
            start_to=factories.local(world.business, 2030, 6, 5, 0),
        )
    ) == [a]
    assert list(selectors.booking_list(business=world.business, source="web")) == []


def test_slots_exclude_other_bookings_and_ignore_other_businesses(world, other_world):
    make(world, 4, 10)
    make(other_world, 4, 10, provider=other_world.alex)
    day = factories.local(world.business, 2030, 6, 4, 0)
    slots = loaders.slots_for(
        service=world.service,
        provider=world.alex,
        window_start=day,
        window_end=day + timedelta(days=1),
        now=day - timedelta(days=1),
    )
    starts = {s.start.astimezone(world.business.tz).strftime("%H:%M") for s in slots}
    # 10:00-11:00 booked with a 15-minute buffer; 60-minute service with a 15-minute buffer.
    assert "09:00" not in starts and "10:00" not in starts and "11:00" not in starts
    assert "11:15" in starts and "08:45" not in starts and "15:45" in starts
    any_slots = loaders.slots_for(
        service=world.service,
        window_start=day,
        window_end=day + timedelta(days=1),
        now=day - timedelta(days=1),
        page=world.page,
    )
    at_ten = [s for s in any_slots if s.start == factories.local(world.business, 2030, 6, 4, 10)]
    assert at_ten and at_ten[0].provider_ids == (world.blake.pk,)


def test_reschedule_provider_prefers_own_then_any_where_the_page_allows(world):
    from slotwise.bookings import actions

    booking, _ = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=factories.local(world.business, 2030, 6, 4, 10),
        customer=actions.CustomerDetails("Dana", "dana@example.test"),
        now=factories.local(world.business, 2030, 6, 1, 9),
    )
    alex, blake = world.alex.pk, world.blake.pk
    pick = selectors.reschedule_provider
    assert pick(booking=booking, free_provider_ids=(alex, blake)) == world.alex
    assert pick(booking=booking, free_provider_ids=(blake,)) == world.blake
    world.page.any_provider = False
    world.page.save()
    booking.refresh_from_db()
    assert pick(booking=booking, free_provider_ids=(blake,)) == world.alex
