"""Public endpoints (no key): page facts, slots, web booking, and manage-by-link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings

from slotwise.bookings.models import Booking
from slotwise.core import ratelimit
from slotwise.notifications.models import Message
from tests.api.conftest import NOW, Api, assert_error

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/acme/pages/book"
MON_10 = "2030-06-03T10:00:00+02:00"
MON_12 = "2030-06-03T12:00:00+02:00"


def web_book(anon: Api, world: Any, start: str = MON_10, **extra: Any) -> dict[str, Any]:
    body = {
        "service_id": world.service.pk,
        "start": start,
        "customer": {
            "name": "Casey",
            "email": "casey@example.test",
            "timezone": "America/New_York",
        },
        **extra,
    }
    response = anon.post(f"{PAGE}/bookings", body)
    assert response.status_code == 201, response.content
    return response.json()


def token_of(created: dict[str, Any]) -> str:
    url = created["manage_url"]
    assert url.startswith(f"{settings.SITE_URL}/manage/") and url.endswith("/")
    return url.rstrip("/").rsplit("/", 1)[1]


def test_page_info(anon: Api, world: Any) -> None:
    body = anon.get(PAGE).json()
    assert body["business"]["name"] == world.business.name
    assert body["business"]["timezone"] == "Europe/Berlin"
    assert [s["id"] for s in body["services"]] == [world.service.pk]
    assert {p["name"] for p in body["providers"]} == {"Alex", "Blake"}
    assert all(p["service_ids"] == [world.service.pk] for p in body["providers"])
    assert body["self_service"]["allow_cancel"] is True
    assert_error(anon.get("/api/v1/public/acme/pages/nope"), 404, "not_found")
    assert_error(anon.get("/api/v1/public/globex/pages/book"), 404, "not_found")
    assert_error(anon.get("/api/v1/public/ACME%00/pages/book"), 404, "not_found")
    world.page.active = False
    world.page.save()
    assert_error(anon.get(PAGE), 404, "not_found")


def test_page_availability(anon: Api, world: Any) -> None:
    slots = anon.get(
        f"{PAGE}/availability",
        service_id=world.service.pk,
        start="2030-06-03T09:00:00+02:00",
        end="2030-06-03T11:00:00+02:00",
    ).json()
    # 30-minute steps from the page; both providers free.
    assert [s["start"] for s in slots["slots"]][:3] == [
        "2030-06-03T09:00:00+02:00",
        "2030-06-03T09:30:00+02:00",
        "2030-06-03T10:00:00+02:00",
    ]
    assert_error(anon.get(f"{PAGE}/availability", service_id=999_999), 404, "not_found")
    assert_error(
        anon.get(f"{PAGE}/availability", service_id=world.service.pk, provider_id=999_999),
        404,
        "not_found",
    )
    assert_error(
        anon.get(f"{PAGE}/availability", service_id=world.service.pk, start="tomorrow"),
        422,
        "invalid_input",
    )


def test_page_availability_of_one_provider(anon: Api, world: Any) -> None:
    window = {"start": "2030-06-03T09:00:00+02:00", "end": "2030-06-03T11:00:00+02:00"}
    ask = {"service_id": world.service.pk, **window}
    alex = anon.get(f"{PAGE}/availability", provider_id=world.alex.pk, **ask).json()
    assert {tuple(s["provider_ids"]) for s in alex["slots"]} == {(world.alex.pk,)}
    assert len(alex["slots"]) == 4
    # On the page but not offering the service: no slots (not an error).
    world.blake.services.clear()
    blake = anon.get(f"{PAGE}/availability", provider_id=world.blake.pk, **ask).json()
    assert blake["slots"] == []
    # A provider of the business who is not on the page: as unknown as any other id.
    world.page.providers.remove(world.blake)
    assert_error(
        anon.get(f"{PAGE}/availability", provider_id=world.blake.pk, **ask), 404, "not_found"
    )
    # A page without "any provider" asks for one.
    world.page.any_provider = False
    world.page.save()
    assert_error(anon.get(f"{PAGE}/availability", **ask), 422, "invalid_input")


def test_web_booking_and_the_whole_self_service_story(anon: Api, world: Any) -> None:
    created = web_book(anon, world)
    assert created["booking"]["status"] == "confirmed"
    assert created["booking"]["start"] == MON_10
    assert created["booking"]["self_service"]["allow_reschedule"] is True
    token = token_of(created)
    booking = Booking.objects.get(reference=created["booking"]["reference"])
    assert booking.source == "web"
    assert booking.customer.timezone == "America/New_York"

    seen = anon.get(f"/api/v1/manage/{token}").json()
    assert seen["allowed_actions"] == ["cancel", "reschedule"]
    assert seen["change_deadline"] == "2030-06-02T10:00:00+02:00"
    assert seen["refusals"] == {}
    assert "notes" not in seen["booking"]

    slots = anon.get(
        f"/api/v1/manage/{token}/availability",
        start="2030-06-03T09:00:00+02:00",
        end="2030-06-03T13:00:00+02:00",
    ).json()
    assert MON_12 in [s["start"] for s in slots["slots"]]

    moved = anon.post(f"/api/v1/manage/{token}/reschedule", {"start": MON_12})
    assert moved.status_code == 200, moved.content
    assert moved.json()["booking"]["start"] == MON_12
    booking.refresh_from_db()
    assert booking.reschedule_count == 1
    reminder = Message.objects.get(booking=booking, kind=Message.Kind.REMINDER)
    assert reminder.due_at == booking.start - timedelta(days=1)

    cancelled = anon.post(f"/api/v1/manage/{token}/cancel", {"reason": "Travelling"})
    assert cancelled.status_code == 200
    assert cancelled.json()["booking"]["status"] == "cancelled"
    assert cancelled.json()["allowed_actions"] == []
    assert cancelled.json()["refusals"]["cancel"]["code"] == "invalid_state"
    booking.refresh_from_db()
    assert booking.cancelled_by == "customer"
    reminder.refresh_from_db()
    assert reminder.status == Message.Status.CANCELLED
    assert_error(anon.post(f"/api/v1/manage/{token}/cancel", {}), 409, "invalid_state")


def test_manage_respects_the_policy_and_the_deadline(anon: Api, world: Any) -> None:
    world.page.allow_reschedule = False
    world.page.save()
    token = token_of(web_book(anon, world))
    seen = anon.get(f"/api/v1/manage/{token}").json()
    assert seen["allowed_actions"] == ["cancel"]
    assert seen["refusals"]["reschedule"]["code"] == "not_allowed"
    assert_error(
        anon.post(f"/api/v1/manage/{token}/reschedule", {"start": MON_12}), 403, "not_allowed"
    )
    assert_error(anon.get(f"/api/v1/manage/{token}/availability"), 403, "not_allowed")
    # One hour after the 24-hour deadline passed.
    with time_machine.travel(NOW + timedelta(days=6, hours=1, minutes=1), tick=False):
        late = anon.get(f"/api/v1/manage/{token}").json()
        assert late["allowed_actions"] == []
        assert late["refusals"]["cancel"]["code"] == "change_window_closed"
        assert_error(anon.post(f"/api/v1/manage/{token}/cancel", {}), 409, "change_window_closed")


def test_customer_cannot_move_to_a_taken_slot_or_another_business_provider(
    anon: Api, world: Any, other_world: Any
) -> None:
    token = token_of(web_book(anon, world))
    web_book(anon, world, start=MON_12, provider_id=world.alex.pk)
    other = web_book(anon, world, start=MON_12, provider_id=world.blake.pk)
    assert other["booking"]["provider_id"] == world.blake.pk
    assert_error(
        anon.post(f"/api/v1/manage/{token}/reschedule", {"start": MON_12}), 409, "slot_unavailable"
    )
    assert_error(
        anon.post(
            f"/api/v1/manage/{token}/reschedule",
            {"start": MON_12, "provider_id": other_world.alex.pk},
        ),
        404,
        "not_found",
    )


def test_web_booking_refusals(anon: Api, world: Any) -> None:
    web_book(anon, world, provider_id=world.alex.pk)
    body = {
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": MON_10,
        "customer": {"name": "Dana", "email": "dana@example.test"},
    }
    assert_error(anon.post(f"{PAGE}/bookings", body), 409, "slot_unavailable")
    assert_error(
        anon.post(f"{PAGE}/bookings", {**body, "start": "2030-06-03T10:05:00+02:00"}),
        409,
        "slot_unavailable",
    )
    assert_error(
        anon.post(f"{PAGE}/bookings", {**body, "customer": {"name": "D", "email": "nope"}}),
        422,
        "invalid_input",
    )
    assert_error(
        anon.post(
            f"{PAGE}/bookings",
            {**body, "customer": {"name": "D", "email": "d@x.test", "timezone": "Nowhere"}},
        ),
        422,
        "invalid_input",
    )
    assert_error(anon.post(f"{PAGE}/bookings", {**body, "service_id": 999_999}), 404, "not_found")
    world.page.any_provider = False
    world.page.save()
    no_provider = {**body, "start": MON_12}
    no_provider.pop("provider_id")
    assert_error(anon.post(f"{PAGE}/bookings", no_provider), 422, "invalid_input")


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 101, "bad%20token", "%00"])
def test_bad_tokens_all_get_the_same_404(anon: Api, world: Any, token: str) -> None:
    body = assert_error(anon.get(f"/api/v1/manage/{token}"), 404, "not_found")
    assert body == {
        "code": "not_found",
        "message": "This link is not valid. Please contact the business.",
        "details": {},
    }


def test_expired_token_is_the_same_404(anon: Api, world: Any) -> None:
    token = token_of(web_book(anon, world))
    with time_machine.travel(NOW + timedelta(days=80), tick=False):
        expired = anon.get(f"/api/v1/manage/{token}")
    unknown = anon.get("/api/v1/manage/" + "A" * 43)
    assert expired.status_code == unknown.status_code == 404
    assert expired.json() == unknown.json()


def test_repeated_bad_tokens_are_rate_limited(anon: Api, world: Any) -> None:
    token = token_of(web_book(anon, world))
    for i in range(ratelimit.BAD_TOKEN_LIMIT):
        assert_error(anon.get(f"/api/v1/manage/guess{i}"), 404, "not_found")
    assert_error(anon.get("/api/v1/manage/guess-more"), 429, "rate_limited")
    # Even the right token waits: the limit is per client, checked first.
    assert_error(anon.get(f"/api/v1/manage/{token}"), 429, "rate_limited")
    assert_error(anon.post(f"/api/v1/manage/{token}/cancel", {}), 429, "rate_limited")
    # Another client is not affected.
    elsewhere = Api(remote_addr="10.0.0.7")
    assert elsewhere.get(f"/api/v1/manage/{token}").status_code == 200


def test_get_never_changes_anything(anon: Api, world: Any) -> None:
    token = token_of(web_book(anon, world))
    booking = Booking.objects.get()
    for _ in range(3):
        anon.get(f"/api/v1/manage/{token}")
        anon.get(f"/api/v1/manage/{token}/availability")
    fresh = Booking.objects.get()
    assert (fresh.version, fresh.status, fresh.start) == (
        booking.version,
        booking.status,
        booking.start,
    )


def test_manage_link_availability_is_cached_and_never_stale(anon: Api, world: Any) -> None:
    """The manage link's times come from the availability cache (a repeat is a hit) and a
    time taken meanwhile is never offered; the booking's own time stays free to move within."""
    from slotwise.bookings import availability_cache

    token = token_of(web_book(anon, world))
    ask = {"start": "2030-06-03T09:00:00+02:00", "end": "2030-06-03T13:00:00+02:00"}
    url = f"/api/v1/manage/{token}/availability"
    availability_cache.clear_local()
    availability_cache.stats.clear()
    first = [s["start"] for s in anon.get(url, **ask).json()["slots"]]
    assert MON_10 in first and MON_12 in first  # its own time is free for itself
    assert [s["start"] for s in anon.get(url, **ask).json()["slots"]] == first
    assert availability_cache.stats == {"miss": 1, "hit": 1}
    # Another customer takes 12:00 with both providers (any provider twice).
    for name in ("Dana", "Eli"):
        body = {"service_id": world.service.pk, "start": MON_12}
        body["customer"] = {"name": name, "email": f"{name.lower()}@example.test"}
        assert anon.post(f"{PAGE}/bookings", body).status_code == 201
    after = [s["start"] for s in anon.get(url, **ask).json()["slots"]]
    assert MON_12 not in after and MON_10 in after
    assert availability_cache.stats["miss"] == 2
