"""The self-service story through the API alone: set up, web booking, reschedule and cancel by
link, reminders moved then cancelled — as an integration would do it."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.conftest import Api, key_for
from tests.factories import make_business

pytestmark = pytest.mark.django_db


def test_story(frozen_now: datetime) -> None:
    business = make_business("story", "Europe/Berlin")
    staff = Api(key_for(business))
    assert (
        staff.put(
            "settings/reminders", [{"minutes_before": 1440}, {"minutes_before": 120}]
        ).status_code
        == 200
    )
    service = staff.post("services", {"name": "Massage", "duration_minutes": 45, "price": "60"})
    sid = service.json()["id"]
    hours = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    provider = staff.post(
        "providers", {"name": "Robin", "working_hours": hours, "service_ids": [sid]}
    )
    pid = provider.json()["id"]
    page = staff.post(
        "booking-pages",
        {
            "slug": "massage",
            "title": "Book a massage",
            "service_ids": [sid],
            "provider_ids": [pid],
            "min_notice_minutes": 60,
            "self_service": {
                "allow_cancel": True,
                "allow_reschedule": True,
                "change_deadline_minutes": 720,
                "max_reschedules": 1,
            },
        },
    )
    assert page.status_code == 201, page.content

    customer = Api()
    base = "/api/v1/public/story/pages/massage"
    info = customer.get(base).json()
    assert [s["name"] for s in info["services"]] == ["Massage"]
    slots = customer.get(
        f"{base}/availability",
        service_id=sid,
        start="2030-06-03T00:00:00+02:00",
        end="2030-06-04T00:00:00+02:00",
    ).json()["slots"]
    first = slots[0]["start"]
    assert first == "2030-06-03T09:00:00+02:00"
    made = customer.post(
        f"{base}/bookings",
        {
            "service_id": sid,
            "start": first,
            "customer": {"name": "Kim", "email": "kim@example.test"},
        },
    ).json()
    reference = made["booking"]["reference"]
    token = made["manage_url"].rstrip("/").rsplit("/", 1)[1]
    reminders = staff.get(f"bookings/{reference}/reminders").json()["items"]
    assert [r["send_at"] for r in reminders] == [
        "2030-06-02T09:00:00+02:00",
        "2030-06-03T07:00:00+02:00",
    ]

    assert customer.get(f"/api/v1/manage/{token}").json()["allowed_actions"] == [
        "cancel",
        "reschedule",
    ]
    moved = customer.post(
        f"/api/v1/manage/{token}/reschedule", {"start": "2030-06-04T15:00:00+02:00"}
    )
    assert moved.status_code == 200, moved.content
    # The cap of one reschedule is reached; cancelling is still possible.
    after = moved.json()
    assert after["allowed_actions"] == ["cancel"]
    assert after["refusals"]["reschedule"]["code"] == "reschedule_limit_reached"
    reminders = staff.get(f"bookings/{reference}/reminders").json()["items"]
    assert sorted(r["send_at"] for r in reminders if r["status"] == "queued") == [
        "2030-06-03T15:00:00+02:00",
        "2030-06-04T13:00:00+02:00",
    ]

    assert customer.post(f"/api/v1/manage/{token}/cancel", {"reason": "Sorry"}).status_code == 200
    booking = staff.get(f"bookings/{reference}").json()
    assert (booking["status"], booking["cancelled_by"], booking["cancellation_reason"]) == (
        "cancelled",
        "customer",
        "Sorry",
    )
    reminders = staff.get(f"bookings/{reference}/reminders").json()["items"]
    assert {r["status"] for r in reminders} == {"cancelled"}
    history = staff.get(f"bookings/{reference}/history").json()["items"]
    assert [(h["kind"], h["actor_kind"]) for h in history] == [
        ("created", "customer"),
        ("rescheduled", "customer"),
        ("cancelled", "customer"),
    ]
    kinds = [n["kind"] for n in staff.get(f"bookings/{reference}/notifications").json()["items"]]
    assert {"confirmation", "rescheduled", "cancelled"} <= set(kinds)
