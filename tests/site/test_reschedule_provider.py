"""A reschedule keeps the customer's provider: pooled times only for a booking made for "any
provider" (each time then says who it is with), another provider only when chosen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from slotwise.bookings import actions, policy
from slotwise.bookings.actor import Actor
from slotwise.core import errors
from tests import factories
from tests.site.conftest import NOW

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2030, 6, 3, 7, 0, tzinfo=UTC)  # 09:00 in Berlin
TUESDAY_10 = datetime(2030, 6, 4, 8, 0, tzinfo=UTC)  # 10:00 in Berlin


def _web(world, provider):
    booking, token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=provider,
        start=MONDAY_9,
        customer=actions.CustomerDetails(name="Dana Doe", email="dana@example.test"),
        now=NOW,
    )
    return booking, f"/manage/{token}/"


def _busy(world, provider, start):
    factories.custom_booking(
        world.business,
        service=world.service,
        provider=provider,
        customer=world.customer,
        start=start,
        now=NOW,
    )


def _times(html: str) -> list[str]:
    times = html.split('id="times"')[1]
    return re.findall(r'class="time[^"]*" href="[^"]*"[^>]*>([^<]+)', times)


@pytest.mark.parametrize(
    ("booked_any", "page_any", "chosen", "chose_any", "expected"),
    [
        (False, True, None, False, 1),  # picked Anna: keeps Anna although the page pools
        (False, False, None, False, 1),
        (True, True, None, False, None),  # booked "any": pooled
        (True, False, None, False, 1),  # the page no longer offers "any": keeps the provider
        (False, True, 2, False, 2),  # explicitly chose Ben
        (False, True, 1, False, 1),  # chose their own provider
        (True, True, 1, False, 1),  # booked any, then chose Anna
        (False, True, None, True, None),  # explicitly chose "any"
    ],
)
def test_reschedule_provider_scope(booked_any, page_any, chosen, chose_any, expected):
    scope = policy.reschedule_provider_scope(
        booking_provider_id=1,
        booked_any_provider=booked_any,
        page_any_provider=page_any,
        chosen_provider_id=chosen,
        chose_any=chose_any,
    )
    assert scope == expected


@pytest.mark.parametrize(("chosen", "chose_any"), [(2, False), (None, True)])
def test_reschedule_provider_scope_refuses_a_choice_the_page_does_not_offer(chosen, chose_any):
    with pytest.raises(errors.NotAllowed):
        policy.reschedule_provider_scope(
            booking_provider_id=1,
            booked_any_provider=False,
            page_any_provider=False,
            chosen_provider_id=chosen,
            chose_any=chose_any,
        )


def test_web_booking_records_any_provider(world):
    chosen, _ = _web(world, world.alex)
    pooled, _ = _web(world, None)
    assert chosen.booked_any_provider is False
    assert pooled.booked_any_provider is True


def test_customer_who_picked_a_provider_sees_only_their_times(client, world):
    _booking, url = _web(world, world.alex)
    _busy(world, world.alex, TUESDAY_10)  # Alex busy at 10:00, Blake free
    page = client.get(url + "reschedule/?day=2030-06-04").text
    times = _times(page)
    assert times and "10:00" not in times
    assert "Blake" not in page.split('id="times"')[1]
    # Asking for 10:00 anyway never moves them to Blake.
    confirm = client.get(url + "reschedule/?start=2030-06-04T08:00Z")
    assert "That time is no longer available" in confirm.text
    assert "different person" not in confirm.text
    # The page offers the choice of another provider, clearly labelled.
    assert '<label for="reschedule-provider">With</label>' in page
    assert "Alex (as now)" in page


def test_pooled_times_say_who_they_are_with(client, world):
    booking, url = _web(world, None)
    assert booking.provider == world.alex  # the least busy, lowest id
    _busy(world, world.alex, TUESDAY_10)
    page = client.get(url + "reschedule/?day=2030-06-04").text
    times = page.split('id="times"')[1]
    assert re.search(
        r">10:00<span class=\"time-with\"><span class=\"sr-only\"> with </span>Blake<", times
    )
    assert re.search(
        r">14:00<span class=\"time-with\"><span class=\"sr-only\"> with </span>Alex<", times
    )
    confirm = client.get(url + "reschedule/?start=2030-06-04T08:00Z")
    assert "different person" in confirm.text


def test_customer_can_choose_another_provider_and_is_moved_only_then(client, world):
    booking, url = _web(world, world.alex)
    _busy(world, world.alex, TUESDAY_10)
    confirm = client.get(url + f"reschedule/?provider={world.blake.pk}&start=2030-06-04T08:00Z")
    assert "different person" in confirm.text
    form = {"version": "1", "start": "2030-06-04T08:00Z", "provider": str(world.blake.pk)}
    client.post(url + "reschedule/", form)
    booking.refresh_from_db()
    assert booking.provider == world.blake and booking.start == TUESDAY_10


def test_action_refuses_another_provider_where_the_page_does_not_offer_any(world):
    world.page.any_provider = False
    world.page.save()
    booking, _ = _web(world, world.alex)
    with pytest.raises(errors.NotAllowed):
        actions.booking_reschedule(
            booking_id=booking.pk,
            actor=Actor.customer("Dana"),
            new_start=TUESDAY_10,
            new_provider=world.blake,
            now=NOW,
        )


def test_manage_api_availability_keeps_the_provider(client, world):
    _booking, url = _web(world, world.alex)
    token = url.split("/")[2]
    _busy(world, world.alex, TUESDAY_10)
    query = {"start": "2030-06-04T00:00:00+02:00", "end": "2030-06-05T00:00:00+02:00"}
    mine = client.get(f"/api/v1/manage/{token}/availability", query).json()
    assert all(s["provider_ids"] == [world.alex.pk] for s in mine["slots"])
    assert "2030-06-04T10:00:00+02:00" not in [s["start"] for s in mine["slots"]]
    blake = client.get(
        f"/api/v1/manage/{token}/availability", {**query, "provider_id": world.blake.pk}
    ).json()
    assert "2030-06-04T10:00:00+02:00" in [s["start"] for s in blake["slots"]]
    # Without a provider the reschedule keeps Alex (busy at 10:00), so the time is refused.
    moved = client.post(
        f"/api/v1/manage/{token}/reschedule",
        {"start": "2030-06-04T10:00:00+02:00"},
        content_type="application/json",
    )
    assert moved.status_code == 409 and moved.json()["code"] == "slot_unavailable"


def test_manage_api_availability_pools_for_an_any_provider_booking(client, world):
    _booking, url = _web(world, None)
    token = url.split("/")[2]
    query = {"start": "2030-06-04T00:00:00+02:00", "end": "2030-06-05T00:00:00+02:00"}
    pooled = client.get(f"/api/v1/manage/{token}/availability", query).json()
    assert any(len(s["provider_ids"]) == 2 for s in pooled["slots"])
