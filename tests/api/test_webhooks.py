"""Webhook endpoints through the API, queued events, and signed delivery to a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from slotwise.api.models import WebhookEndpoint
from slotwise.bookings.actions import booking_cancel, booking_reschedule
from slotwise.bookings.actor import Actor
from slotwise.notifications.models import Message
from slotwise.notifications.webhooks import deliver_webhook, enqueue_booking_event
from slotwise.notifications.worker import UndeliverableMessage
from tests.api.conftest import NOW, Api, assert_error
from tests.factories import MONDAY, custom_booking

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it receives and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/slotwise"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (the recipe in docs/api.md)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


def make_endpoint(world: Any, url: str, events: list[str], **kw: Any) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        business=world.business,
        url=url,
        events=events,
        secret=kw.pop("secret", "s3cret-for-tests"),
        created_at=NOW,
        **kw,
    )


def a_booking(world: Any) -> Any:
    return custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY.replace(hour=9),
        now=NOW,
    )


# --- CRUD through the API -----------------------------------------------------------------------


def test_webhook_crud(api: Api, world: Any) -> None:
    created = api.post(
        "webhooks",
        {"url": "https://crm.example.test/in", "events": ["booking.created", "booking.cancelled"]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    hook_id = body["id"]
    shown = api.get(f"webhooks/{hook_id}").json()
    assert "secret" not in shown
    assert shown["events"] == ["booking.created", "booking.cancelled"]
    assert api.get("webhooks").json()["count"] == 1
    changed = api.patch(f"webhooks/{hook_id}", {"active": False, "events": ["booking.completed"]})
    assert changed.json()["active"] is False and changed.json()["events"] == ["booking.completed"]
    assert api.delete(f"webhooks/{hook_id}").status_code == 204
    assert_error(api.get(f"webhooks/{hook_id}"), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.test/x", "events": ["booking.created"]},
        {"url": "not a url at all", "events": ["booking.created"]},
        {"url": "https://example.test/x", "events": []},
        {"url": "https://example.test/x", "events": ["booking.exploded"]},
    ],
)
def test_webhook_refusals(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post("webhooks", body), 422, "invalid_input")
    assert not WebhookEndpoint.objects.exists()


def test_webhooks_are_per_business(api: Api, other_api: Api, world: Any) -> None:
    hook = make_endpoint(world, "https://example.test/x", ["booking.created"])
    for call in (
        other_api.get(f"webhooks/{hook.pk}"),
        other_api.get(f"webhooks/{hook.pk}/deliveries"),
        other_api.patch(f"webhooks/{hook.pk}", {"active": False}),
        other_api.delete(f"webhooks/{hook.pk}"),
    ):
        assert_error(call, 404, "not_found")
    assert other_api.get("webhooks").json()["count"] == 0
    assert WebhookEndpoint.objects.get().active


# --- enqueue ------------------------------------------------------------------------------------


def test_enqueue_only_for_active_subscribed_endpoints(world: Any, other_world: Any) -> None:
    wanted = make_endpoint(world, "https://a.example.test/", ["booking.created"])
    make_endpoint(world, "https://b.example.test/", ["booking.cancelled"])
    make_endpoint(world, "https://c.example.test/", ["booking.created"], active=False)
    WebhookEndpoint.objects.create(
        business=other_world.business,
        url="https://other.example.test/",
        events=["booking.created"],
        secret="x",
        created_at=NOW,
    )
    booking = a_booking(world)
    Message.objects.filter(channel=Message.Channel.WEBHOOK).delete()  # in case outbox is wired
    enqueue_booking_event(booking, event="booking.created", now=NOW, data={})
    enqueue_booking_event(booking, event="booking.created", now=NOW, data={})  # no duplicate
    row = Message.objects.get(channel=Message.Channel.WEBHOOK)
    assert row.recipient == wanted.url
    assert row.kind == Message.Kind.WEBHOOK
    assert row.audience == "webhook"
    assert row.context["event"] == "booking.created"
    assert row.context["endpoint_id"] == wanted.pk
    assert row.due_at == NOW and row.status == Message.Status.QUEUED
    payload = row.context["payload"]
    assert payload["event"] == "booking.created"
    assert payload["data"]["booking"]["reference"] == booking.reference
    assert payload["data"]["booking"]["start"] == "2030-06-03T11:00:00+02:00"


def test_rescheduled_and_cancelled_events_carry_their_facts(world: Any) -> None:
    make_endpoint(world, "https://a.example.test/", ["booking.rescheduled", "booking.cancelled"])
    booking = a_booking(world)
    old_start = booking.start
    booking = booking_reschedule(
        booking_id=booking.pk, actor=Actor.system("t"), new_start=MONDAY.replace(hour=12), now=NOW
    )
    enqueue_booking_event(
        booking,
        event="booking.rescheduled",
        now=NOW,
        data={"old_start": old_start.isoformat(), "old_provider_id": world.alex.pk},
    )
    booking = booking_cancel(booking_id=booking.pk, actor=Actor.api("k"), now=NOW, reason="Ill")
    enqueue_booking_event(
        booking,
        event="booking.cancelled",
        now=NOW,
        data={"cancelled_by": "api", "reason": booking.cancellation_reason},
    )
    rows = {
        m.context["event"]: m.context["payload"]["data"]
        for m in Message.objects.filter(channel=Message.Channel.WEBHOOK)
    }
    assert rows["booking.rescheduled"]["old_start"] == old_start.isoformat()
    assert rows["booking.rescheduled"]["booking"]["start"] == "2030-06-03T14:00:00+02:00"
    assert rows["booking.cancelled"]["reason"] == "Ill"
    assert rows["booking.cancelled"]["booking"]["status"] == "cancelled"


# --- delivery -----------------------------------------------------------------------------------


def _queued(world: Any, url: str, secret: str = "s3cret-for-tests") -> tuple[Message, Any]:
    make_endpoint(world, url, ["booking.created"], secret=secret)
    booking = a_booking(world)
    Message.objects.filter(channel=Message.Channel.WEBHOOK).delete()
    enqueue_booking_event(booking, event="booking.created", now=NOW, data={})
    return Message.objects.get(channel=Message.Channel.WEBHOOK), booking


def test_delivery_is_signed_and_verifiable(world: Any, receiver: Receiver) -> None:
    message, booking = _queued(world, receiver.url)
    now = datetime.fromtimestamp(time.time()).astimezone()
    deliver_webhook(message, now=now)
    (got,) = receiver.received
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["slotwise-event"] == "booking.created"
    assert verify("s3cret-for-tests", headers["slotwise-signature"], got["body"])
    assert not verify("another-secret", headers["slotwise-signature"], got["body"])
    assert not verify("s3cret-for-tests", headers["slotwise-signature"], got["body"] + b" ")
    body = json.loads(got["body"])
    assert body["event"] == "booking.created"
    assert body["data"]["booking"]["reference"] == booking.reference


def test_delivery_raises_on_failure_so_the_worker_retries(world: Any, receiver: Receiver) -> None:
    message, _ = _queued(world, receiver.url)
    receiver.status = 500
    with pytest.raises(RuntimeError, match="500"):
        deliver_webhook(message, now=NOW)
    receiver.close()
    with pytest.raises(RuntimeError, match="could not reach"):
        deliver_webhook(message, now=NOW)


def test_delivery_to_a_deleted_endpoint_is_undeliverable(world: Any) -> None:
    message, _ = _queued(world, "http://127.0.0.1:9/none")
    WebhookEndpoint.objects.all().delete()
    with pytest.raises(UndeliverableMessage):
        deliver_webhook(message, now=NOW)


def test_deliveries_are_listed_with_their_attempts(api: Api, world: Any) -> None:
    message, booking = _queued(world, "https://example.test/in")
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.AWAITING_RETRY, attempts=2, last_error="RuntimeError: HTTP 503"
    )
    hook = WebhookEndpoint.objects.get()
    listed = api.get(f"webhooks/{hook.pk}/deliveries").json()
    assert listed["count"] == 1
    (row,) = listed["items"]
    assert row["event"] == "booking.created"
    assert row["booking_reference"] == booking.reference
    assert (row["status"], row["attempts"]) == ("awaiting_retry", 2)
    assert "503" in row["last_error"]
    # Webhook rows are not customer notifications.
    notes = api.get(f"bookings/{booking.reference}/notifications").json()
    assert all(n["channel"] == "email" for n in notes["items"])
