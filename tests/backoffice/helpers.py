"""Driving the booking wizard through its steps with the test client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from slotwise.bookings.models import Booking
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email


def step(name: str) -> str:
    return reverse("backoffice:wizard_step", args=[name])


def post_ok(client: Client, url: str, data: dict[str, Any]) -> Any:
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def run_wizard(
    client: Client,
    *,
    customer_id: int,
    service_id: int,
    provider_id: int,
    start: datetime,
    selfservice: dict[str, Any],
    price: str = "55.00",
    notes: str = "Prefers the window seat",
    override: bool = False,
    notify: bool = True,
) -> Booking:
    client.get(reverse("backoffice:wizard_start"))
    post_ok(client, step("customer"), {"action": "pick", "customer": customer_id})
    post_ok(client, step("service"), {"service": service_id, "provider": provider_id})
    if override:
        local = start
        time_data = {
            "override": "on",
            "override_date": local.date().isoformat(),
            "override_time": local.strftime("%H:%M"),
        }
    else:
        time_data = {"slot": start.isoformat()}
    post_ok(client, step("time"), time_data)
    post_ok(client, step("details"), {"price": price, "notes": notes})
    post_ok(client, step("selfservice"), selfservice)
    response = post_ok(client, step("review"), {"notify_customer": "on"} if notify else {})
    reference = response["Location"].rstrip("/").split("/")[-1]
    return Booking.objects.get(reference=reference)


def confirmation_text(booking: Booking, now: datetime) -> str:
    message = Message.objects.get(booking=booking, kind=Message.Kind.CONFIRMATION)
    email = build_email(message, now=now)
    html = email.alternatives[0].content if email.alternatives else ""
    return email.body + "\n" + str(html)
