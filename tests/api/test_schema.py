"""Schemathesis over the whole API v1 schema, in process through WSGI.

Positive and negative (invalid) inputs, with a valid key and a populated business: no response
may be a 5xx, and every response must be documented (status code, content type, body schema).
About half of the generated ids, references and tokens are swapped for real ones of the
business, so the success paths are exercised too and not only "not found". Bounded to a few
examples per operation so it runs in the normal test suite.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from slotwise.api.services import webhook_endpoint_create
from slotwise.bookings.actions import CustomerDetails, booking_create_web
from slotwise.catalog.services import time_off_create
from slotwise.wsgi import application
from tests.api.conftest import key_for
from tests.factories import MONDAY, custom_booking

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
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any, real: dict[str, Any]) -> None:
    cache.clear()  # rate limits would otherwise answer every later manage request with 429
    _aim(case, real)
    case.call_and_validate(headers=real["headers"], checks=CHECKS)
