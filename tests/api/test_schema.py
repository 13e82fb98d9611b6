"""Schemathesis over the whole API v1 schema, in process through WSGI.

Positive and negative (invalid) inputs, with a valid key and a populated business: no response
may be a 5xx, and every response must be documented (status code, content type, body schema).
About half of the generated ids, references and tokens are swapped for real ones of the
business, so the success paths are exercised too and not only "not found". Bounded to a few
examples per operation so it runs in the normal test suite.

The same operations are then called without a valid key: with no Authorization header, with
a made-up key, with a revoked key and with another business's key. Every answer must still
be documented and never a 5xx; each keyed operation answers 401 to the first three; and the
other business's key, aimed at this business's ids, changes none of its rows and reads none
of them back.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from slotwise.api.models import ApiKey
from slotwise.api.services import webhook_endpoint_create
from slotwise.bookings.actions import CustomerDetails, booking_create_web
from slotwise.bookings.models import Booking, BookingPage, Rating
from slotwise.calendars.models import CalendarConnection, RemoteCalendar
from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.catalog.services import time_off_create
from slotwise.core.api_keys import api_key_create, api_key_revoke
from slotwise.core.models import Business
from slotwise.notifications.models import NotificationSettings, ReminderRule, WebhookEndpoint
from slotwise.wsgi import application
from tests.api.conftest import NOW, key_for
from tests.conftest import build_world
from tests.factories import MONDAY, custom_booking, local, rated_booking
from tests.support.limits import forget_limits

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Loading the schema only renders openapi.json (no database), so it can happen at collection.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """Django's own test client does this: a WSGI request must not close the connection that
    holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real(world: Any, frozen_now: datetime, _keep_test_connection: None) -> dict[str, Any]:
    """Real values of the business to aim generated requests at, and the key's header."""
    booking = custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY.replace(hour=9),
        now=frozen_now,
    )
    _, token = booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.blake,
        start=MONDAY.replace(hour=12),
        customer=CustomerDetails(name="Web Customer", email="web@example.test"),
        now=frozen_now,
    )
    hook = webhook_endpoint_create(
        business=world.business,
        url="http://127.0.0.1:9/hook",
        events=["booking.created"],
        now=frozen_now,
    )
    off = time_off_create(
        business=world.business,
        provider=world.alex,
        start=MONDAY.replace(hour=14),
        end=MONDAY.replace(hour=15),
    )
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    rating = rated_booking(
        world.business,
        service=world.service,
        provider=world.blake,
        customer=world.customer,
        start=local(world.business, 2030, 5, 20, 10),
        stars=2,
        comment="Too slow",
    )
    # The public reviews answer with the business's reviews, not only "not shown".
    Business.objects.filter(pk=world.business.pk).update(show_ratings_on_pages=True)
    # Made directly (connecting asks the server); "sync now" meets a closed port at once.
    connection = CalendarConnection.objects.create(
        business=world.business,
        provider=world.alex,
        kind=CalendarConnection.Kind.ICS,
        url="http://127.0.0.1:9/calendar.ics",
    )
    RemoteCalendar.objects.create(
        connection=connection, provider=world.alex, url=connection.url, name="Private"
    )
    return {
        "headers": {"Authorization": f"Bearer {key_for(world.business)}"},
        "reference": booking.reference,
        "token": token,
        "business": world.business.slug,
        "page": world.page.slug,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "customer_id": world.customer.pk,
        "page_id": world.page.pk,
        "webhook_id": hook.pk,
        "time_off_id": off.pk,
        "rating_id": rating.pk,
        "connection_id": connection.pk,
    }


def _heads(value: Any) -> bool:
    return zlib.crc32(repr(value).encode()) % 2 == 0


def _aim(case: Any, real: dict[str, Any]) -> None:
    for params in (case.path_parameters, case.query):
        for name, value in list((params or {}).items()):
            if name in real and _heads(value):
                params[name] = real[name]
    if isinstance(case.body, dict):
        for name in ("service_id", "provider_id", "customer_id"):
            if name in case.body and _heads(case.body[name]):
                case.body[name] = real[name]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any, real: dict[str, Any]) -> None:
    forget_limits()  # rate limits would otherwise answer every later manage request with 429
    _aim(case, real)
    case.call_and_validate(headers=real["headers"], checks=CHECKS)


# --- without a valid key -------------------------------------------------------------------


def _revoked_key(business: Business) -> str:
    key, raw = api_key_create(business=business, name="Old integration", now=NOW)
    api_key_revoke(business=business, key_id=key.pk, now=NOW)
    return raw


@pytest.fixture
def strangers(real: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Authorization headers that must not open the business's data, by name."""
    business = Business.objects.get(slug=real["business"])
    other = build_world("globex", "America/New_York").business
    return {
        "no key": {},
        "made-up key": {"Authorization": "Bearer sw_live_" + "x" * 40},
        "revoked key": {"Authorization": f"Bearer {_revoked_key(business)}"},
        "other business": {"Authorization": f"Bearer {key_for(other)}"},
    }


def _rows_of(slug: str) -> str:
    """Every row the business owns, as one string: compared before and after a request."""
    business = Business.objects.get(slug=slug)
    scoped = [
        Service.objects.filter(business=business),
        Provider.objects.filter(business=business),
        Customer.objects.filter(business=business),
        BookingPage.objects.filter(business=business),
        Booking.objects.filter(business=business),
        WebhookEndpoint.objects.filter(business=business),
        ApiKey.objects.filter(business=business),
        ReminderRule.objects.filter(business=business),
        NotificationSettings.objects.filter(business=business),
        TimeOff.objects.filter(provider__business=business),
        Rating.objects.filter(business=business),
        WorkingHours.objects.filter(provider__business=business),
    ]
    return repr([list(rows.order_by("pk").values_list()) for rows in scoped])


def _secrets_of(real: dict[str, Any]) -> list[str]:
    # The other business has a customer of the same name and email; these are this one's only.
    return [real["reference"], "web@example.test", "Web Customer"]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=1,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
    derandomize=True,
)
def test_api_without_a_valid_key(
    case: Any, real: dict[str, Any], strangers: dict[str, dict[str, str]]
) -> None:
    # Probes with a method the operation does not have (TRACE, …) are answered 405 first.
    keyed = bool(case.operation.definition.raw.get("security")) and (
        case.method.upper() == case.operation.method.upper()
    )
    _aim(case, real)
    for name, headers in strangers.items():
        forget_limits()
        before = _rows_of(real["business"]) if keyed else ""
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        if not keyed:
            continue
        if name != "other business":
            assert response.status_code == 401, (
                name,
                case.method,
                case.formatted_path,
                response.status_code,
            )
            assert response.json()["code"] == "unauthorized"
            continue
        # Another business's key: its own (empty) lists, or "not found" for these ids.
        assert _rows_of(real["business"]) == before, (case.method, case.path)
        if response.status_code < 300:
            leaked = [s for s in _secrets_of(real) if s in response.text]
            assert not leaked, (case.method, case.formatted_path, leaked, response.text[:500])
