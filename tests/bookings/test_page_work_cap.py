"""A booking page is refused at save when its own month question ("any provider", a whole
month of free times) would be above the public work cap (``SLOTWISE_AVAILABILITY_MAX_WORK``,
docs/deployment.md): providers x 31 days x slots a day. Before, the page was saved and the
booking page then asked questions the public API refuses as too much work.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from slotwise.bookings.models import BookingPage
from slotwise.bookings.pages import page_month_work
from slotwise.catalog.models import Provider
from tests.api.conftest import Api, assert_error, key_for
from tests.backoffice.test_settings import page_data

pytestmark = pytest.mark.django_db

# The world's page: two providers (Alex, Blake) on one service, any provider offered.
AT_STEP_5 = 2 * 31 * (24 * 60 // 5)  # 17,856
AT_STEP_10 = 2 * 31 * (24 * 60 // 10)  # 8,928


@pytest.fixture
def owner_client(world: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="owner@acme.test"))
    return client


@pytest.fixture
def cap_between(settings: Any) -> int:
    """A cap that a 10-minute step fits under and a 5-minute step does not."""
    settings.SLOTWISE_AVAILABILITY_MAX_WORK = AT_STEP_5 - 1
    return AT_STEP_5 - 1


def test_the_month_work_is_providers_times_31_days_times_slots_a_day(world: Any) -> None:
    world.page.slot_step_minutes = 5
    world.page.save()
    assert page_month_work(world.page) == (AT_STEP_5, 2)
    world.page.any_provider = False  # each question is for one provider
    world.page.save()
    assert page_month_work(world.page) == (AT_STEP_5 // 2, 1)


def test_backoffice_refuses_a_page_above_the_cap_with_advice(
    owner_client: Client, world: Any, cap_between: int
) -> None:
    url = reverse("backoffice:settings_page_edit", args=[world.page.pk])
    page = owner_client.post(url, page_data(world, slot_step_minutes=5, title="Changed"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Raise the time slot step" in text and "split the providers" in text
    world.page.refresh_from_db()
    assert world.page.title != "Changed" and world.page.slot_step_minutes != 5
    # A 10-minute step fits; so does a 5-minute one without "any provider".
    assert owner_client.post(url, page_data(world, slot_step_minutes=10)).status_code == 302
    no_any = page_data(world, slot_step_minutes=5, any_provider=None)
    assert owner_client.post(url, no_any).status_code == 302
    world.page.refresh_from_db()
    assert (world.page.slot_step_minutes, world.page.any_provider) == (5, False)


def test_backoffice_new_page_above_the_cap_is_not_created(
    owner_client: Client, world: Any, cap_between: int
) -> None:
    data = page_data(world, slug="second", title="Second", slot_step_minutes=5)
    page = owner_client.post(reverse("backoffice:settings_page_new"), data)
    assert page.status_code == 200 and "Raise the time slot step" in page.content.decode()
    assert not BookingPage.objects.filter(slug="second").exists()


def test_api_refuses_a_page_above_the_cap_on_create_and_update(
    world: Any, cap_between: int
) -> None:
    api = Api(key_for(world.business))
    body = {
        "slug": "second",
        "title": "Second",
        "service_ids": [world.service.pk],
        "provider_ids": [world.alex.pk, world.blake.pk],
        "slot_step_minutes": 5,
    }
    refused = assert_error(api.post("/api/v1/booking-pages", body), 422, "invalid_input")
    assert "Raise the time slot step" in refused["message"]
    assert not BookingPage.objects.filter(slug="second").exists()
    ok = api.post("/api/v1/booking-pages", {**body, "slot_step_minutes": 10})
    assert ok.status_code == 201, ok.content
    created = ok.json()["id"]

    patch = api.patch(f"/api/v1/booking-pages/{created}", {"slot_step_minutes": 5})
    assert_error(patch, 422, "invalid_input")
    assert BookingPage.objects.get(pk=created).slot_step_minutes == 10


def test_api_refuses_adding_providers_past_the_default_cap(world: Any) -> None:
    """With the default cap, about 57 providers at a 5-minute step are too many for one page."""
    api = Api(key_for(world.business))
    made = Provider.objects.bulk_create(
        Provider(business=world.business, name=f"P{i:03}") for i in range(60)
    )
    world.service.providers.add(*made)
    world.page.slot_step_minutes = 5
    world.page.save()
    ids = [world.alex.pk, world.blake.pk, *(p.pk for p in made)]
    response = api.patch(f"/api/v1/booking-pages/{world.page.pk}", {"provider_ids": ids})
    body = assert_error(response, 422, "invalid_input")
    assert "62 providers" in body["message"]
    assert world.page.providers.count() == 2
    # At a 15-minute step the same 62 providers fit.
    fine = api.patch(
        f"/api/v1/booking-pages/{world.page.pk}", {"provider_ids": ids, "slot_step_minutes": 15}
    )
    assert fine.status_code == 200, fine.content
    assert world.page.providers.count() == 62


def test_providers_on_the_page_count_even_before_they_offer_its_service(
    world: Any, cap_between: int
) -> None:
    """Otherwise a provider taking on the service later (a provider form, not a page save)
    would push the page over the cap unchecked."""
    api = Api(key_for(world.business))
    world.service.providers.remove(world.blake)
    world.blake.active = False
    world.blake.save()
    response = api.patch(f"/api/v1/booking-pages/{world.page.pk}", {"slot_step_minutes": 5})
    assert_error(response, 422, "invalid_input")
