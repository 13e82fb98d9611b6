"""A slot step of 0 (or other nonsense scheduling numbers) is refused everywhere it can be set.

Before: a business step of 0 was accepted, and every reschedule page of its custom bookings
then crashed with a 500, an HTML one even under /api/.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client

from slotwise.bookings.actions import token_issue
from slotwise.bookings.models import BookingPage, BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.core.models import Business
from tests import factories
from tests.api.conftest import Api, assert_error, key_for

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
MONDAY_9 = datetime(2030, 6, 3, 7, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _staff(world: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="owner@acme.test"))
    return client


def _business_form(business: Business, **changes: Any) -> dict[str, Any]:
    form = {
        "name": business.name,
        "timezone": business.timezone,
        "contact_email": business.contact_email,
        "phone": "",
        "address": "",
        "currency": business.currency,
        "slot_step_minutes": business.slot_step_minutes,
        "min_notice_minutes": business.min_notice_minutes,
        "max_days_ahead": business.max_days_ahead,
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("field", "value"),
    [("slot_step_minutes", 0), ("slot_step_minutes", 4), ("max_days_ahead", 0)],
)
def test_backoffice_refuses_a_business_step_or_horizon_below_the_minimum(world, field, value):
    before = getattr(world.business, field)
    response = _staff(world).post(
        "/backoffice/settings/business/", _business_form(world.business, **{field: value})
    )
    assert response.status_code == 200  # the form again, with its error
    assert "Ensure this value is greater than or equal to" in response.text
    world.business.refresh_from_db()
    assert getattr(world.business, field) == before


def test_backoffice_still_saves_a_five_minute_step(world):
    response = _staff(world).post(
        "/backoffice/settings/business/", _business_form(world.business, slot_step_minutes=5)
    )
    assert response.status_code == 302
    world.business.refresh_from_db()
    assert world.business.slot_step_minutes == 5


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (Business, "slot_step_minutes", 0),
        (Business, "slot_step_minutes", 4),
        (Business, "max_days_ahead", 0),
        (BookingPage, "slot_step_minutes", 0),
        (BookingPage, "slot_step_minutes", 4),
        (BookingPage, "max_days_ahead", 0),
    ],
)
def test_database_refuses_a_step_or_horizon_below_the_minimum(world, model, field, value):
    row = world.business if model is Business else world.page
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: value})


def test_api_refuses_a_page_step_of_zero(world, frozen):
    api = Api(key_for(world.business))
    response = api.patch(f"/api/v1/booking-pages/{world.page.pk}", {"slot_step_minutes": 0})
    assert_error(response, 422, "invalid_input")
    world.page.refresh_from_db()
    assert world.page.slot_step_minutes != 0


def test_unhandled_error_under_api_answers_json(world, frozen, monkeypatch):
    """Whatever goes wrong unexpectedly, an API client gets the API's error shape."""
    from slotwise.bookings import availability_cache
    from slotwise.bookings import availability_queries as loaders

    def broken(**_: Any) -> None:
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(availability_cache, "slots", broken)
    monkeypatch.setattr(loaders, "work_for", lambda **_: 0, raising=False)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY_9 + timedelta(days=7),
        policy=SelfServicePolicy(allow_cancel=True, allow_reschedule=True),
        now=NOW,
    )
    token = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=NOW)
    response = Client(raise_request_exception=False).get(f"/api/v1/manage/{token}/availability")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "server_error" and body["details"] == {}
    assert "something unexpected" not in response.text


def test_a_step_of_zero_never_reaches_the_reschedule_pages(world, frozen):
    """The finding end to end: staff type 0, then a customer opens a reschedule page."""
    _staff(world).post(
        "/backoffice/settings/business/", _business_form(world.business, slot_step_minutes=0)
    )
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY_9 + timedelta(days=7),
        policy=SelfServicePolicy(allow_cancel=True, allow_reschedule=True),
        now=NOW,
    )
    token = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=NOW)
    customer = Client(raise_request_exception=False)
    assert customer.get(f"/manage/{token}/reschedule/").status_code == 200
    api = customer.get(f"/api/v1/manage/{token}/availability")
    assert api.status_code == 200 and api["Content-Type"].startswith("application/json")
