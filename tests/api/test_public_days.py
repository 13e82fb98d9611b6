"""Public availability by local day (``date``/``days``), and its cost (docs/api.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.bookings import availability_cache
from tests import factories
from tests.api.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/acme/pages/book"


def _instant(day: date, tz: ZoneInfo) -> str:
    return datetime.combine(day, time(0), tzinfo=tz).isoformat()


def test_days_in_the_business_zone_and_in_another(anon: Api, world: Any) -> None:
    asked = anon.get(f"{PAGE}/availability", service_id=world.service.pk, date="2030-06-03")
    assert asked.status_code == 200, asked.content
    body = asked.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["slots"]
    assert {s["start"][:10] for s in body["slots"]} == {"2030-06-03"}
    week = anon.get(
        f"{PAGE}/availability",
        service_id=world.service.pk,
        date="2030-06-03",
        days=7,
        timezone="America/New_York",
    ).json()
    assert week["timezone"] == "America/New_York"
    local_days = {s["start"][:10] for s in week["slots"]}
    assert min(local_days) >= "2030-06-03" and max(local_days) <= "2030-06-09"


@pytest.mark.parametrize(
    "extra",
    [
        {"date": "2030-13-01"},
        {"date": "2030-06-03", "days": 0},
        {"date": "2030-06-03", "days": 63},
        {"days": 3},
        {"date": "2030-06-03", "start": "2030-06-03T00:00:00+02:00"},
        {"date": "2030-06-03", "timezone": "Mars/Olympus"},
        {"date": "9999-12-31", "days": 2},
    ],
)
def test_bad_days_are_refused_with_a_stable_code(anon: Api, world: Any, extra: dict) -> None:
    response = anon.get(f"{PAGE}/availability", service_id=world.service.pk, **extra)
    assert_error(response, 422, "invalid_input")


def test_a_week_of_days_has_the_same_work_cap(anon: Api, world: Any, settings: Any) -> None:
    settings.SLOTWISE_AVAILABILITY_MAX_WORK = 10
    response = anon.get(
        f"{PAGE}/availability", service_id=world.service.pk, date="2030-06-03", days=7
    )
    assert_error(response, 422, "too_much_work")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.dates(min_value=date(2030, 5, 20), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=1, max_value=14),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "UTC"]),
    one=st.booleans(),
)
def test_days_answer_the_same_slots_as_the_equivalent_range(
    anon: Api, world: Any, first: date, days: int, zone: str, one: bool
) -> None:
    tz = ZoneInfo(zone)
    ask: dict[str, Any] = {"service_id": world.service.pk, "timezone": zone}
    if one:
        ask["provider_id"] = world.alex.pk
    by_days = anon.get(f"{PAGE}/availability", date=first.isoformat(), days=days, **ask)
    by_range = anon.get(
        f"{PAGE}/availability",
        start=_instant(first, tz),
        end=_instant(first + timedelta(days=days), tz),
        **ask,
    )
    assert by_days.status_code == by_range.status_code == 200
    assert by_days.json() == by_range.json()


def test_any_of_fifty_providers_costs_the_same_queries_as_two(anon: Api, world: Any) -> None:
    ask = {"service_id": world.service.pk, "date": "2030-06-03", "days": 7}

    def ours(read: CaptureQueriesContext) -> int:
        # The rate-limit count is one statement of its own, whatever the question.
        counts = [q for q in read.captured_queries if "core_ratecounter" in q["sql"]]
        assert len(counts) == 1, counts
        return len(read.captured_queries) - 1

    def cost() -> tuple[int, int]:
        availability_cache.clear_local()
        with CaptureQueriesContext(connection) as miss:
            assert anon.get(f"{PAGE}/availability", **ask).status_code == 200
        with CaptureQueriesContext(connection) as hit:
            assert anon.get(f"{PAGE}/availability", **ask).status_code == 200
        return ours(miss), ours(hit)

    two = cost()
    for n in range(48):
        provider = factories.make_provider(world.business, f"P{n}", [world.service])
        world.page.providers.add(provider)
    fifty = cost()
    # A miss: the page with its service, the providers with their versions, then hours, time
    # off, calendar busy times and bookings; a hit: the first two.
    assert fifty == two == (6, 2)
    body = anon.get(f"{PAGE}/availability", **ask).json()
    assert max(len(s["provider_ids"]) for s in body["slots"]) == 50


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kathmandu"])
def test_the_written_body_is_the_schemas(zone: str) -> None:
    import json
    from datetime import UTC

    from ninja.responses import NinjaJSONEncoder

    from slotwise.api.endpoints.bookings import slots_body
    from slotwise.api.endpoints.public import slots_response
    from slotwise.scheduling.availability import Slot

    tz = ZoneInfo(zone)
    start = datetime(2030, 6, 3, 7, 0, tzinfo=UTC)
    slots = [
        Slot(start, start + timedelta(minutes=30), (1,)),
        Slot(start + timedelta(microseconds=123456), start + timedelta(hours=1), (1, 2)),
    ]
    written = json.loads(slots_response(slots, tz).content)
    through_schema = json.loads(json.dumps(slots_body(slots, tz), cls=NinjaJSONEncoder))
    assert written == through_schema


def test_each_slots_text_is_kept_by_zone() -> None:
    """A slot written once is reused, and the same slot in another zone is its own text."""
    import json
    from datetime import UTC

    from slotwise.api.endpoints import public
    from slotwise.scheduling.availability import Slot

    start = datetime(2030, 6, 3, 7, 0, tzinfo=UTC)
    slot = Slot(start, start + timedelta(minutes=30), (4,))
    public._SLOT_TEXT.clear()
    berlin = json.loads(public.slots_response([slot], ZoneInfo("Europe/Berlin")).content)
    utc = json.loads(public.slots_response([slot], ZoneInfo("UTC")).content)
    again = json.loads(public.slots_response([slot], ZoneInfo("Europe/Berlin")).content)
    assert berlin["slots"][0]["start"] == "2030-06-03T09:00:00+02:00"
    assert utc["slots"][0]["start"] == "2030-06-03T07:00:00Z"
    assert again == berlin and len(public._SLOT_TEXT) == 2
    public._SLOT_TEXT_SIZE, size = 2, public._SLOT_TEXT_SIZE
    try:  # full: emptied, then the new text kept
        public.slots_response([slot], ZoneInfo("Asia/Kathmandu"))
        assert list(public._SLOT_TEXT) == [("Asia/Kathmandu", slot)]
    finally:
        public._SLOT_TEXT_SIZE = size
