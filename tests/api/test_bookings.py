"""Bookings through the API: every action, its sub-resources, idempotency and refusals."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from slotwise.api.models import IdempotencyRecord
from slotwise.bookings.models import Booking, BookingEvent, Payment
from slotwise.catalog.models import Customer
from slotwise.notifications.models import Message
from tests.api.conftest import NOW, Api, assert_error

pytestmark = pytest.mark.django_db

MON_10 = "2030-06-03T10:00:00+02:00"
MON_12 = "2030-06-03T12:00:00+02:00"


def book(api: Api, world: Any, start: str = MON_10, **extra: Any) -> dict[str, Any]:
    body = {
        "customer_id": world.customer.pk,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": start,
        **extra,
    }
    response = api.post("bookings", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_custom_booking_returns_the_booking_with_offsets(api: Api, world: Any) -> None:
    body = book(
        api,
        world,
        self_service={"allow_cancel": True, "change_deadline_minutes": 120},
        notes="Prefers window seat",
        price="35.50",
    )
    assert body["reference"].startswith("SW-")
    assert body["status"] == "confirmed"
    assert body["source"] == "custom"
    assert body["start"] == "2030-06-03T10:00:00+02:00"
    assert body["end"] == "2030-06-03T11:00:00+02:00"
    assert body["change_deadline"] == "2030-06-03T08:00:00+02:00"
    assert body["self_service"] == {
        "allow_cancel": True,
        "allow_reschedule": False,
        "change_deadline_minutes": 120,
        "max_reschedules": None,
    }
    assert body["customer"]["email"] == world.customer.email
    assert body["price"] == "35.50"
    booking = Booking.objects.get(reference=body["reference"])
    event = booking.events.get()
    assert event.actor_kind == BookingEvent.ActorKind.API
    assert "Test integration" in event.actor_label
    # The action's side effects happened: confirmation and reminders queued.
    assert Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).exists()


def test_create_with_inline_customer_reuses_by_email(api: Api, world: Any) -> None:
    body = book(
        api,
        world,
        customer_id=None,
        customer={"name": "Dana", "email": "DANA@example.test", "phone": "+49 1"},
    )
    dana = Customer.objects.get(business=world.business, email="dana@example.test")
    assert body["customer"]["id"] == dana.pk
    again = book(
        api,
        world,
        start=MON_12,
        customer_id=None,
        customer={"name": "Dana B.", "email": "dana@example.test"},
    )
    assert again["customer"]["id"] == dana.pk


def test_refused_booking_leaves_no_new_customer(api: Api, world: Any) -> None:
    book(api, world)
    response = api.post(
        "bookings",
        {
            "customer": {"name": "Eve", "email": "eve@example.test"},
            "service_id": world.service.pk,
            "provider_id": world.alex.pk,
            "start": MON_10,
        },
    )
    assert_error(response, 409, "slot_unavailable")
    assert not Customer.objects.filter(email="eve@example.test").exists()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"start": "2030-06-03T10:00:00"}, 422, "invalid_input"),  # no offset
        ({"start": "not a time"}, 422, "invalid_input"),
        ({"start": "2020-06-03T10:00:00+02:00"}, 422, "invalid_input"),  # past (domain)
        ({"service_id": 999_999}, 404, "not_found"),
        ({"provider_id": 999_999}, 404, "not_found"),
        ({"customer_id": 999_999}, 404, "not_found"),
        ({"customer_id": None}, 422, "invalid_input"),  # neither id nor details
        ({"price": "-1"}, 422, "invalid_input"),
        ({"surprise": 1}, 422, "invalid_input"),  # unknown field
        ({"notes": "a\x00b"}, 422, "invalid_input"),
        ({"start": "2030-06-03T03:00:00+02:00"}, 409, "slot_unavailable"),  # before hours
        ({"self_service": {"change_deadline_minutes": -5}}, 422, "invalid_input"),
    ],
)
def test_create_refusals(
    api: Api, world: Any, change: dict[str, Any], status: int, code: str
) -> None:
    body = {
        "customer_id": world.customer.pk,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": MON_10,
        **change,
    }
    assert_error(api.post("bookings", body), status, code)
    assert not Booking.objects.exists()


def test_malformed_json_is_a_client_error(api: Api) -> None:
    response = api.post("bookings", "{not json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "details"}


def test_idempotency_key_returns_the_same_booking(api: Api, world: Any) -> None:
    body = {
        "customer_id": world.customer.pk,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": MON_10,
    }
    first = api.post("bookings", body, headers={"Idempotency-Key": "order-42"})
    second = api.post("bookings", body, headers={"Idempotency-Key": "order-42"})
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] == second.json()["reference"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    other = api.post("bookings", {**body, "start": MON_12}, headers={"Idempotency-Key": "order-42"})
    assert_error(other, 409, "idempotency_conflict")


def test_idempotency_key_of_a_refused_request_can_be_retried(api: Api, world: Any) -> None:
    body = {
        "customer_id": world.customer.pk,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": "2030-06-03T03:00:00+02:00",
    }
    assert_error(
        api.post("bookings", body, headers={"Idempotency-Key": "k1"}), 409, "slot_unavailable"
    )
    assert not IdempotencyRecord.objects.exists()
    body_ok = {**body, "start": MON_10}
    assert api.post("bookings", body_ok, headers={"Idempotency-Key": "k2"}).status_code == 201


def test_idempotency_keys_are_per_business(
    api: Api, other_api: Api, world: Any, other_world: Any
) -> None:
    mine = book(api, world)
    body = {
        "customer_id": other_world.customer.pk,
        "service_id": other_world.service.pk,
        "provider_id": other_world.alex.pk,
        "start": "2030-06-03T10:00:00-04:00",
    }
    theirs = other_api.post("bookings", body, headers={"Idempotency-Key": "same"})
    api_again = api.post(
        "bookings",
        {
            "customer_id": world.customer.pk,
            "service_id": world.service.pk,
            "provider_id": world.alex.pk,
            "start": MON_12,
        },
        headers={"Idempotency-Key": "same"},
    )
    assert theirs.status_code == api_again.status_code == 201
    assert theirs.json()["reference"] != api_again.json()["reference"] != mine["reference"]


def test_get_and_list_with_filters(api: Api, world: Any) -> None:
    first = book(api, world)
    second = book(api, world, start=MON_12, provider_id=world.blake.pk)
    got = api.get(f"bookings/{first['reference'].lower()}")
    assert got.status_code == 200 and got.json()["reference"] == first["reference"]
    everything = api.get("bookings").json()
    assert everything["count"] == 2
    assert [b["reference"] for b in everything["items"]] == [
        first["reference"],
        second["reference"],
    ]
    by_provider = api.get("bookings", provider_id=world.blake.pk).json()
    assert [b["reference"] for b in by_provider["items"]] == [second["reference"]]
    window = api.get("bookings", **{"from": "2030-06-03T11:00:00+02:00"}).json()
    assert [b["reference"] for b in window["items"]] == [second["reference"]]
    paged = api.get("bookings", limit=1, offset=1).json()
    assert paged["count"] == 2 and [b["reference"] for b in paged["items"]] == [second["reference"]]
    assert api.get("bookings", status="cancelled").json() == {"items": [], "count": 0}
    assert_error(api.get("bookings", status="lost"), 422, "invalid_input")
    assert_error(api.get("bookings", limit=0), 422, "invalid_input")
    assert_error(api.get("bookings/SW-NOPE99"), 404, "not_found")
    assert_error(api.get("bookings/%00"), 404, "not_found")


def test_patch_never_changes_the_policy(api: Api, world: Any) -> None:
    ref = book(api, world)["reference"]
    body = assert_error(
        api.patch(f"bookings/{ref}", {"self_service": {"allow_cancel": True}}),
        409,
        "policy_immutable",
    )
    assert "never" in body["message"]
    assert_error(api.patch(f"bookings/{ref}", {"start": MON_12}), 409, "use_action")
    assert_error(api.patch(f"bookings/{ref}", {"status": "cancelled"}), 409, "use_action")
    assert api.patch(f"bookings/{ref}", {}).json()["self_service"]["allow_cancel"] is False
    assert Booking.objects.get(reference=ref).allow_cancel is False


def test_cancel_then_clone(api: Api, world: Any) -> None:
    ref = book(api, world, notes="VIP")["reference"]
    cancelled = api.post(f"bookings/{ref}/cancel", {"reason": "Ill", "notify_customer": False})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation_reason"] == "Ill"
    assert cancelled.json()["cancelled_by"] == "api"
    assert_error(api.post(f"bookings/{ref}/cancel", {}), 409, "invalid_state")
    clone = api.post(
        f"bookings/{ref}/clone",
        {"start": MON_12, "self_service": {"allow_reschedule": True}},
    )
    assert clone.status_code == 201, clone.content
    body = clone.json()
    assert body["cloned_from"] == ref
    assert body["notes"] == "VIP"
    assert body["self_service"]["allow_reschedule"] is True
    assert_error(
        api.post(f"bookings/{body['reference']}/clone", {"start": MON_12}), 409, "invalid_state"
    )


def test_reschedule_moves_in_place_and_reminders_follow(api: Api, world: Any) -> None:
    ref = book(api, world)["reference"]
    moved = api.post(f"bookings/{ref}/reschedule", {"start": MON_12, "provider_id": world.blake.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["reference"] == ref
    assert moved.json()["start"] == MON_12
    assert moved.json()["provider_id"] == world.blake.pk
    reminders = api.get(f"bookings/{ref}/reminders").json()
    assert reminders["count"] == 1
    assert reminders["items"][0]["send_at"] == "2030-06-02T12:00:00+02:00"
    assert reminders["items"][0]["status"] == "queued"
    assert_error(
        api.post(f"bookings/{ref}/reschedule", {"start": "2030-06-03T03:00:00+02:00"}),
        409,
        "slot_unavailable",
    )
    assert_error(api.post(f"bookings/{ref}/reschedule", {"start": MON_12}), 422, "invalid_input")


def test_complete_and_no_show_after_the_start(api: Api, world: Any) -> None:
    first = book(api, world)["reference"]
    second = book(api, world, start=MON_12)["reference"]
    assert_error(api.post(f"bookings/{first}/complete"), 409, "invalid_state")  # not started
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        done = api.post(f"bookings/{first}/complete")
        assert done.status_code == 200 and done.json()["status"] == "completed"
        missed = api.post(f"bookings/{second}/no-show")
        assert missed.status_code == 200 and missed.json()["status"] == "no_show"
        assert_error(api.post(f"bookings/{first}/no-show"), 409, "invalid_state")


def test_sub_resources(api: Api, world: Any) -> None:
    ref = book(api, world)["reference"]
    api.post(f"bookings/{ref}/reschedule", {"start": MON_12})
    history = api.get(f"bookings/{ref}/history").json()
    assert [h["kind"] for h in history["items"]] == ["created", "rescheduled"]
    assert history["items"][1]["old"]["start"].startswith("2030-06-03T08:00")
    notes = api.get(f"bookings/{ref}/notifications").json()
    kinds = {n["kind"] for n in notes["items"]}
    assert {"confirmation", "rescheduled"} <= kinds
    assert "reminder" not in kinds
    assert all({"recipient", "status"} <= set(n) for n in notes["items"])

    paid = api.post(f"bookings/{ref}/payments", {"amount": "40.00", "method": "card"})
    assert paid.status_code == 201, paid.content
    assert paid.json()["currency"] == "EUR" and paid.json()["status"] == "paid"
    assert_error(
        api.post(f"bookings/{ref}/payments", {"amount": "0", "method": "card"}),
        422,
        "invalid_input",
    )
    assert_error(
        api.post(f"bookings/{ref}/payments", {"amount": "5", "method": "gold"}),
        422,
        "invalid_input",
    )
    payments = api.get(f"bookings/{ref}/payments").json()
    assert payments["count"] == 1 and payments["items"][0]["amount"] == "40.00"
    # Cancelling never touches payments.
    api.post(f"bookings/{ref}/cancel", {})
    assert Payment.objects.get().status == "paid"
    reminders = api.get(f"bookings/{ref}/reminders").json()
    assert {r["status"] for r in reminders["items"]} == {"cancelled"}


def test_tenant_isolation(api: Api, other_api: Api, world: Any, other_world: Any) -> None:
    ref = book(api, world)["reference"]
    for path in (
        f"bookings/{ref}",
        f"bookings/{ref}/history",
        f"bookings/{ref}/reminders",
        f"bookings/{ref}/notifications",
        f"bookings/{ref}/payments",
    ):
        assert_error(other_api.get(path), 404, "not_found")
    for action in ("cancel", "complete", "no-show"):
        assert_error(other_api.post(f"bookings/{ref}/{action}", {}), 404, "not_found")
    assert_error(other_api.post(f"bookings/{ref}/reschedule", {"start": MON_12}), 404, "not_found")
    assert_error(other_api.post(f"bookings/{ref}/clone", {"start": MON_12}), 404, "not_found")
    assert_error(
        other_api.post(f"bookings/{ref}/payments", {"amount": "1", "method": "cash"}),
        404,
        "not_found",
    )
    assert other_api.get("bookings").json()["count"] == 0
    # Their key cannot book with our service, provider or customer.
    body = {
        "customer_id": world.customer.pk,
        "service_id": other_world.service.pk,
        "provider_id": other_world.alex.pk,
        "start": MON_10,
    }
    assert_error(other_api.post("bookings", body), 404, "not_found")
    body = {**body, "customer_id": other_world.customer.pk, "provider_id": world.alex.pk}
    assert_error(other_api.post("bookings", body), 404, "not_found")
    assert Booking.objects.get().status == "confirmed"


def test_availability(api: Api, world: Any) -> None:
    slots = api.get(
        "availability",
        service_id=world.service.pk,
        start="2030-06-03T09:00:00+02:00",
        end="2030-06-03T12:00:00+02:00",
    ).json()
    assert slots["timezone"] == "Europe/Berlin"
    first = slots["slots"][0]
    assert first["start"] == "2030-06-03T09:00:00+02:00"
    assert first["provider_ids"] == sorted([world.alex.pk, world.blake.pk])
    book(api, world)
    alex_only = api.get(
        "availability",
        service_id=world.service.pk,
        provider_id=world.alex.pk,
        start="2030-06-03T09:00:00+02:00",
        end="2030-06-03T12:00:00+02:00",
        timezone="America/New_York",
    ).json()
    starts = [s["start"] for s in alex_only["slots"]]
    assert "2030-06-03T04:00:00-04:00" not in starts  # 10:00 Berlin is taken
    assert alex_only["timezone"] == "America/New_York"
    assert_error(
        api.get("availability", service_id=world.service.pk, timezone="Mars/Base"),
        422,
        "invalid_input",
    )
    assert_error(api.get("availability", service_id=999_999), 404, "not_found")
    assert_error(
        api.get(
            "availability",
            service_id=world.service.pk,
            start="2030-06-03T09:00:00+02:00",
            end="2030-09-03T09:00:00+02:00",
        ),
        422,
        "invalid_input",
    )
    assert_error(api.get("availability"), 422, "invalid_input")


def test_idempotency_key_in_flight_and_abandoned(api: Api, world: Any) -> None:
    body = {
        "customer_id": world.customer.pk,
        "service_id": world.service.pk,
        "provider_id": world.alex.pk,
        "start": MON_10,
    }
    raw = json.dumps(body)
    # Another request holds the key and has not finished yet.
    IdempotencyRecord.objects.create(
        business=world.business,
        key="busy",
        request_hash=hashlib.sha256(raw.encode()).hexdigest(),
        created_at=NOW,
    )
    busy = api.post("bookings", raw, headers={"Idempotency-Key": "busy"})
    assert_error(busy, 409, "idempotency_in_progress")
    # Much later the claim is considered abandoned and a retry goes through, once.
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        retried = api.post("bookings", raw, headers={"Idempotency-Key": "busy"})
        again = api.post("bookings", raw, headers={"Idempotency-Key": "busy"})
    assert retried.status_code == again.status_code == 201
    assert retried.json()["reference"] == again.json()["reference"]
    assert Booking.objects.count() == 1
