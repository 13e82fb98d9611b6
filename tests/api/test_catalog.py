"""Services, providers, time off, customers, booking pages and settings through the API."""

from __future__ import annotations

from typing import Any

import pytest

from slotwise.bookings.models import Booking
from slotwise.catalog.models import Provider, Service, WorkingHours
from slotwise.notifications.models import ReminderRule
from tests.api.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_services(api: Api, world: Any) -> None:
    created = api.post(
        "services",
        {"name": "Colour", "duration_minutes": 90, "price": "75.5", "buffer_after_minutes": 10},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["price"] == "75.50" and body["currency"] == "EUR" and body["active"] is True
    sid = body["id"]
    assert api.get(f"services/{sid}").json()["name"] == "Colour"
    listed = api.get("services").json()
    assert listed["count"] == 2 and [s["name"] for s in listed["items"]] == ["Colour", "Haircut"]
    changed = api.patch(f"services/{sid}", {"price": "80", "currency": "usd"}).json()
    assert (changed["price"], changed["currency"], changed["duration_minutes"]) == (
        "80.00",
        "USD",
        90,
    )
    assert api.post(f"services/{sid}/deactivate").json()["active"] is False
    assert_error(
        api.post("services", {"name": "Haircut", "duration_minutes": 30}), 422, "invalid_input"
    )
    assert_error(api.post("services", {"name": "X", "duration_minutes": 2}), 422, "invalid_input")
    assert_error(api.post("services", {"name": "", "duration_minutes": 30}), 422, "invalid_input")
    assert_error(api.patch(f"services/{sid}", {"name": None}), 422, "invalid_input")
    assert_error(api.patch(f"services/{sid}", {"price": "1e30"}), 422, "invalid_input")
    assert_error(api.get("services/999999"), 404, "not_found")
    assert_error(api.get("services/abc"), 422, "invalid_input")


def test_providers_with_hours_and_time_off(api: Api, world: Any) -> None:
    created = api.post(
        "providers",
        {
            "name": "Cam",
            "email": "cam@acme.test",
            "working_hours": [
                {"weekday": 0, "start": "09:00", "end": "12:30"},
                {"weekday": 0, "start": "13:30", "end": "24:00"},
            ],
            "service_ids": [world.service.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["working_hours"] == [
        {"weekday": 0, "start": "09:00", "end": "12:30"},
        {"weekday": 0, "start": "13:30", "end": "24:00"},
    ]
    assert body["service_ids"] == [world.service.pk]
    pid = body["id"]
    changed = api.patch(
        f"providers/{pid}", {"working_hours": [{"weekday": 6, "start": "10:00", "end": "14:00"}]}
    ).json()
    assert changed["working_hours"] == [{"weekday": 6, "start": "10:00", "end": "14:00"}]
    assert changed["service_ids"] == [world.service.pk]  # untouched
    assert WorkingHours.objects.filter(provider_id=pid).count() == 1
    assert_error(
        api.patch(
            f"providers/{pid}",
            {"working_hours": [{"weekday": 1, "start": "14:00", "end": "10:00"}]},
        ),
        422,
        "invalid_input",
    )
    assert_error(
        api.patch(
            f"providers/{pid}",
            {"working_hours": [{"weekday": 7, "start": "09:00", "end": "10:00"}]},
        ),
        422,
        "invalid_input",
    )
    assert_error(api.patch(f"providers/{pid}", {"email": "not-an-email"}), 422, "invalid_input")
    assert WorkingHours.objects.filter(provider_id=pid).count() == 1  # a refusal changes nothing

    off = api.post(
        f"providers/{pid}/time-off",
        {
            "start": "2030-06-09T10:00:00+02:00",
            "end": "2030-06-09T12:00:00+02:00",
            "reason": "Dentist",
        },
    )
    assert off.status_code == 201, off.content
    assert off.json()["start"] == "2030-06-09T10:00:00+02:00"
    assert api.get(f"providers/{pid}/time-off").json()["count"] == 1
    assert_error(
        api.post(
            f"providers/{pid}/time-off",
            {"start": "2030-06-09T12:00:00+02:00", "end": "2030-06-09T10:00:00+02:00"},
        ),
        422,
        "invalid_input",
    )
    # Time off hides the provider's slots.
    slots = api.get(
        "availability",
        service_id=world.service.pk,
        provider_id=pid,
        start="2030-06-09T09:00:00+02:00",
        end="2030-06-09T14:00:00+02:00",
    ).json()["slots"]
    assert [s["start"] for s in slots] == [
        "2030-06-09T12:00:00+02:00",
        "2030-06-09T12:15:00+02:00",
        "2030-06-09T12:30:00+02:00",
        "2030-06-09T12:45:00+02:00",
        "2030-06-09T13:00:00+02:00",
    ]
    assert api.delete(f"providers/{pid}/time-off/{off.json()['id']}").status_code == 204
    assert_error(api.delete(f"providers/{pid}/time-off/{off.json()['id']}"), 404, "not_found")
    assert api.post(f"providers/{pid}/deactivate").json()["active"] is False


def test_customers(api: Api, world: Any) -> None:
    created = api.post(
        "customers", {"name": "Dana", "email": "Dana@Example.test", "timezone": "Asia/Tokyo"}
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert created.json()["email"] == "dana@example.test"
    assert api.patch(f"customers/{cid}", {"phone": "+81 3"}).json()["phone"] == "+81 3"
    assert api.get("customers", search="dana").json()["count"] == 1
    assert api.get("customers").json()["count"] == 2
    assert_error(api.post("customers", {"name": "X", "email": "nope"}), 422, "invalid_input")
    assert_error(api.patch(f"customers/{cid}", {"timezone": "Mars/Base"}), 422, "invalid_input")


def test_booking_pages_and_policy_snapshots(api: Api, world: Any) -> None:
    created = api.post(
        "booking-pages",
        {
            "slug": "walk-ins",
            "title": "Walk-ins",
            "service_ids": [world.service.pk],
            "provider_ids": [world.alex.pk],
            "min_notice_minutes": 0,
            "self_service": {"allow_cancel": True, "change_deadline_minutes": 60},
        },
    )
    assert created.status_code == 201, created.content
    page = created.json()
    assert page["self_service"] == {
        "allow_cancel": True,
        "allow_reschedule": False,
        "change_deadline_minutes": 60,
        "max_reschedules": None,
    }
    anon = Api()
    made = anon.post(
        "/api/v1/public/acme/pages/walk-ins/bookings",
        {
            "service_id": world.service.pk,
            "start": "2030-06-03T10:00:00+02:00",
            "customer": {"name": "Eve", "email": "eve@example.test"},
        },
    )
    assert made.status_code == 201, made.content
    changed = api.patch(
        f"booking-pages/{page['id']}",
        {"self_service": {"allow_reschedule": True, "max_reschedules": 1}},
    ).json()
    assert changed["self_service"] == {
        "allow_cancel": True,  # not sent, so unchanged
        "allow_reschedule": True,
        "change_deadline_minutes": 60,
        "max_reschedules": 1,
    }
    # The booking made before keeps the policy it was made under.
    earlier = Booking.objects.get(reference=made.json()["booking"]["reference"])
    assert (earlier.allow_reschedule, earlier.max_reschedules) == (False, None)
    assert_error(
        api.post("booking-pages", {"slug": "walk-ins", "title": "Again"}), 422, "invalid_input"
    )
    assert_error(
        api.post("booking-pages", {"slug": "Bad Slug", "title": "X"}), 422, "invalid_input"
    )
    assert_error(
        api.patch(f"booking-pages/{page['id']}", {"max_days_ahead": 0}), 422, "invalid_input"
    )
    assert api.post(f"booking-pages/{page['id']}/deactivate").json()["active"] is False
    assert_error(anon.get("/api/v1/public/acme/pages/walk-ins"), 404, "not_found")


def test_settings(api: Api, world: Any) -> None:
    found = api.get("settings/notifications").json()
    assert found["business_on_created"] is False
    changed = api.patch("settings/notifications", {"business_on_created": True}).json()
    assert changed["business_on_created"] is True and changed["provider_on_created"] is True
    assert api.get("settings/reminders").json() == {"items": [{"minutes_before": 1440}], "count": 1}
    replaced = api.put("settings/reminders", [{"minutes_before": 120}, {"minutes_before": 2880}])
    assert replaced.status_code == 200, replaced.content
    assert [r["minutes_before"] for r in replaced.json()["items"]] == [2880, 120]
    assert_error(api.put("settings/reminders", [{"minutes_before": 0}]), 422, "invalid_input")
    assert_error(api.put("settings/reminders", {"minutes_before": 5}), 422, "invalid_input")
    assert list(ReminderRule.objects.values_list("minutes_before", flat=True)) == [2880, 120]
    assert api.put("settings/reminders", []).json()["count"] == 0


def test_catalog_tenant_isolation(api: Api, other_api: Api, world: Any, other_world: Any) -> None:
    for path in (
        f"services/{world.service.pk}",
        f"providers/{world.alex.pk}",
        f"providers/{world.alex.pk}/time-off",
        f"customers/{world.customer.pk}",
        f"booking-pages/{world.page.pk}",
    ):
        assert_error(other_api.get(path), 404, "not_found")
        assert_error(
            other_api.patch(path, {}), 404, "not_found"
        ) if "time-off" not in path else None
    for path in (
        f"services/{world.service.pk}",
        f"providers/{world.alex.pk}",
        f"booking-pages/{world.page.pk}",
    ):
        assert_error(other_api.post(f"{path}/deactivate"), 404, "not_found")
    # Their page cannot list our service or provider.
    assert_error(
        other_api.post(
            "booking-pages", {"slug": "steal", "title": "X", "service_ids": [world.service.pk]}
        ),
        404,
        "not_found",
    )
    assert_error(
        other_api.post("providers", {"name": "Y", "service_ids": [world.service.pk]}),
        404,
        "not_found",
    )
    lists = ("services", "providers", "customers", "booking-pages")
    theirs = {p: {i["id"] for i in other_api.get(p).json()["items"]} for p in lists}
    assert world.service.pk not in theirs["services"]
    assert world.alex.pk not in theirs["providers"]
    assert world.customer.pk not in theirs["customers"]
    assert world.page.pk not in theirs["booking-pages"]
    assert (
        Service.objects.get(pk=world.service.pk).active
        and Provider.objects.get(pk=world.alex.pk).active
    )
