"""Webhook endpoints through the API, queued events, and signed delivery to a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import override_settings

from slotwise.bookings.actions import booking_cancel, booking_reschedule
from slotwise.bookings.actor import Actor
from slotwise.notifications import webhooks
from slotwise.notifications.models import Message, WebhookEndpoint
from slotwise.notifications.webhooks import deliver_webhook, enqueue_booking_event
from slotwise.notifications.worker import UndeliverableMessage, claim, run_once
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

            def do_GET(self) -> None:  # what following a redirect would send
                outer.received.append({"headers": dict(self.headers), "body": b""})
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


# --- abuse: internal targets, limits, redirects, slow receivers -----------------------------


def _resolve_to_loopback(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host == name:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8025/hook", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://localhost:5432/", "loopback"),
        ("http://192.168.0.10/", "private"),
        ("https://inside.example.test/hook", "loopback"),
    ],
)
def test_internal_targets_are_refused(
    api: Api, world: Any, monkeypatch: pytest.MonkeyPatch, url: str, why: str
) -> None:
    _resolve_to_loopback(monkeypatch, "inside.example.test")
    body = assert_error(
        api.post("webhooks", {"url": url, "events": ["booking.created"]}), 422, "invalid_input"
    )
    assert why in body["message"] and "public" in body["message"]
    assert body["details"]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()
    hook = make_endpoint(world, "https://crm.example.test/in", ["booking.created"])
    assert_error(api.patch(f"webhooks/{hook.pk}", {"url": url}), 422, "invalid_input")
    hook.refresh_from_db()
    assert hook.url == "https://crm.example.test/in"


def test_the_allow_setting_accepts_loopback_receivers(api: Api, receiver: Receiver) -> None:
    # tests/conftest.py turns SLOTWISE_ALLOW_PRIVATE_URLS on for every test.
    created = api.post("webhooks", {"url": receiver.url, "events": ["booking.created"]})
    assert created.status_code == 201, created.content


@override_settings(SLOTWISE_ALLOW_PRIVATE_URLS=False)
def test_delivery_to_a_name_now_resolving_inside_is_refused_and_sends_nothing(
    world: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Saved while the name pointed outside (DNS rebinding): the connect-time check refuses.
    message, _ = _queued(world, f"http://rebound.example.test:{receiver.server.server_port}/")
    _resolve_to_loopback(monkeypatch, "rebound.example.test")
    with pytest.raises(RuntimeError, match="loopback"):
        deliver_webhook(message, now=NOW)
    assert receiver.received == []


def test_at_most_ten_endpoints_per_business(api: Api, other_api: Api) -> None:
    for n in range(10):
        made = api.post(
            "webhooks", {"url": f"https://h{n}.example.test/", "events": ["booking.created"]}
        )
        assert made.status_code == 201, made.content
    body = assert_error(
        api.post("webhooks", {"url": "https://h10.example.test/", "events": ["booking.created"]}),
        422,
        "invalid_input",
    )
    assert "at most 10" in body["message"]
    assert WebhookEndpoint.objects.count() == 10
    # Another business has its own ten.
    made = other_api.post(
        "webhooks", {"url": "https://o.example.test/", "events": ["booking.created"]}
    )
    assert made.status_code == 201


def test_secrets_have_at_least_24_characters(api: Api) -> None:
    hook = {"url": "https://crm.example.test/in", "events": ["booking.created"]}
    body = assert_error(api.post("webhooks", {**hook, "secret": "s"}), 422, "invalid_input")
    assert "24" in body["message"] and body["details"]["field"] == "secret"
    assert_error(api.post("webhooks", {**hook, "secret": "x" * 23}), 422, "invalid_input")
    assert not WebhookEndpoint.objects.exists()
    given = api.post("webhooks", {**hook, "secret": "y" * 24})
    assert given.status_code == 201 and given.json()["secret"] == "y" * 24
    generated = api.post("webhooks", hook).json()["secret"]
    assert len(generated) >= 40 and generated.startswith("whsec_")
    # Shown once: never again.
    assert "secret" not in api.get(f"webhooks/{given.json()['id']}").json()


class Redirecting(Receiver):
    """A receiver answering 302 to a second receiver of its own (which must never be asked)."""

    def __init__(self) -> None:
        self.target = Receiver()
        super().__init__()
        self.status = 302
        target = self.target.url
        handler = self.server.RequestHandlerClass

        def do_POST(handler_self: Any) -> None:
            body = handler_self.rfile.read(int(handler_self.headers["Content-Length"]))
            self.received.append({"headers": dict(handler_self.headers), "body": body})
            handler_self.send_response(302)
            handler_self.send_header("Location", target)
            handler_self.send_header("Content-Length", "0")
            handler_self.end_headers()

        handler.do_POST = do_POST  # type: ignore[attr-defined]

    def close(self) -> None:
        super().close()
        self.target.close()


def test_a_redirect_is_one_failed_attempt_and_no_second_request(world: Any) -> None:
    redirecting = Redirecting()
    try:
        message, _ = _queued(world, redirecting.url)
        assert run_once(worker_id="w", now=lambda: NOW, lane="webhooks") == 1
        message.refresh_from_db()
        assert message.status == Message.Status.AWAITING_RETRY
        assert "302" in message.last_error and "redirect" in message.last_error
        assert len(redirecting.received) == 1
        assert redirecting.target.received == []
    finally:
        redirecting.close()


def test_a_trickling_receiver_is_cut_off_at_the_deadline(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte every 0.3 s never trips a per-read timeout; the whole exchange has 1.5 s."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"z" * 1000:
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    monkeypatch.setattr(webhooks, "TIMEOUT", 1.5)
    message, _ = _queued(world, f"http://127.0.0.1:{server.getsockname()[1]}/slow")
    started = time.monotonic()
    try:
        with pytest.raises(RuntimeError, match=r"no complete answer within 1\.5 s"):
            deliver_webhook(message, now=NOW)
    finally:
        stop.set()
        server.close()
    assert time.monotonic() - started < 2.5


def test_lanes_split_webhooks_from_email(world: Any) -> None:
    make_endpoint(world, "https://crm.example.test/in", ["booking.created"])
    a_booking(world)  # its confirmation email and its webhook row
    webhook_rows = set(
        Message.objects.filter(channel=Message.Channel.WEBHOOK).values_list("pk", flat=True)
    )
    email_rows = set(
        Message.objects.exclude(channel=Message.Channel.WEBHOOK).values_list("pk", flat=True)
    )
    assert webhook_rows and email_rows
    now = NOW + timedelta(minutes=1)
    assert set(claim(worker_id="mail", now=now, lane="email")) <= email_rows
    assert set(claim(worker_id="hooks", now=now, lane="webhooks")) == webhook_rows
