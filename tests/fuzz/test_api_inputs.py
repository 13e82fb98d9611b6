"""Hostile path segments and query values on the API: NUL bytes, huge numbers, far-away dates.

The schema fuzzing (tests/api/test_schema.py) draws values from the OpenAPI description; these
are the values a description never suggests but a hostile client sends: a NUL byte inside a
reference or a search (PostgreSQL refuses NUL in text), ids beyond 64 bits, year 9999.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, key_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: Any) -> Api:
    return Api(key_for(world.business))


NASTY = ["%00", "a%00b", "9" * 30, "-1", "x" * 3000, "%F0%9F%98%80", "%ED%A0%80", "..%2F.."]


def _paths(world: Any) -> list[str]:
    ref = "SW-AAAAAA"
    return [
        "bookings/{v}",
        "bookings/{v}/history",
        "bookings/{v}/reminders",
        "bookings/{v}/notifications",
        "bookings/{v}/payments",
        "bookings?q={v}",
        "bookings?status={v}",
        "bookings?provider_id={v}",
        "bookings?start_from={v}",
        "bookings?start_from=9999-12-31T23:59:59-12:00",
        "customers?q={v}",
        "customers/{v}",
        "services/{v}",
        "providers/{v}/time-off",
        "webhooks/{v}/deliveries",
        f"availability?service_id={world.service.pk}&start={{v}}&end={{v}}",
        f"availability?service_id={world.service.pk}&provider_id={{v}}"
        "&start=2030-06-03T00:00Z&end=2030-06-04T00:00Z",
        "public/{v}/pages/book",
        "public/acme/pages/{v}",
        "public/acme/pages/book/availability?start={v}&end={v}",
        "public/acme/pages/book/availability?service_id={v}",
        "manage/{v}",
        "manage/{v}/availability",
        f"bookings/{ref}?x={{v}}",
    ]


@pytest.mark.parametrize("value", NASTY)
def test_hostile_paths_and_queries_get_a_4xx(api: Api, world: Any, value: str) -> None:
    for template in _paths(world):
        path = "/api/v1/" + template.format(v=value)
        response = api.client.get(path, headers=api._headers(None))
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code >= 400 and response["Content-Type"] == "application/json":
            body = response.json()
            assert body["code"] and body["message"], path


@pytest.mark.parametrize("value", NASTY)
def test_hostile_paths_on_writes_get_a_4xx(api: Api, world: Any, value: str) -> None:
    for template in ("bookings/{v}/cancel", "bookings/{v}/complete", "manage/{v}/cancel"):
        path = "/api/v1/" + template.format(v=value)
        response = api.client.post(
            path, "{}", content_type="application/json", headers=api._headers(None)
        )
        assert response.status_code < 500, (path, response.status_code)
