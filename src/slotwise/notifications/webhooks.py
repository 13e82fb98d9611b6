"""Signed webhooks for booking events, delivered through the outbox like every email.

``enqueue_booking_event`` runs inside the booking action's transaction (via outbox.on_*), so
a change and its webhook rows commit together; ``deliver_webhook`` is the worker's sender for
rows of channel "webhook" and raises on any failure, so the worker retries with backoff.

Each delivery is a POST of a JSON body with::

    Content-Type: application/json
    Slotwise-Event: booking.rescheduled
    Slotwise-Signature: t=1780000000,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

The receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
constant time, and rejects old timestamps (replays).

Only public addresses are posted to (``core/outbound.py`` checks the URL on save and again,
after resolving the name, at connect time), redirects are never followed, and every attempt
has one overall deadline of ``TIMEOUT`` seconds. The worker delivers webhooks on a lane of
their own (see ``worker.LANES``), so a slow receiver never holds up an email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from slotwise.bookings.models import Booking
from slotwise.bookings.outward import booking_outward
from slotwise.core import outbound
from slotwise.notifications.errors import UndeliverableMessage
from slotwise.notifications.models import Message, WebhookEndpoint

#: Seconds for the whole exchange (lookup, connect, send, status and headers) before the
#: attempt counts as failed: a deadline, not a per-read timeout (see core/outbound.py).
TIMEOUT = 10
USER_AGENT = "Slotwise-Webhooks/1"


def booking_payload(booking: Booking) -> dict[str, Any]:
    """The booking as a webhook shows it (``bookings/outward.py``), frozen at the event."""
    facts = booking_outward(booking)
    return {
        **facts,
        "start": facts["start"].isoformat(),
        "end": facts["end"].isoformat(),
        "price": str(facts["price"]),
    }


def enqueue_booking_event(
    booking: Booking, *, event: str, now: datetime, data: dict, due_at: datetime | None = None
) -> None:
    """Queue one delivery of ``event`` to every active endpoint of the business subscribed to it.

    ``data`` adds event facts to the body (old times of a reschedule, who cancelled and why).
    Calling it twice for the same booking version and event queues nothing new. ``due_at``
    holds the delivery back (a completion waits until it can no longer be undone).
    """
    for message in webhook_messages(booking, event=event, now=now, data=data, due_at=due_at):
        defaults = {
            f.attname: getattr(message, f.attname)
            for f in Message._meta.concrete_fields
            if not f.primary_key and f.attname != "dedupe_key"
        }
        Message.objects.get_or_create(dedupe_key=message.dedupe_key, defaults=defaults)


def webhook_messages(
    booking: Booking,
    *,
    event: str,
    now: datetime,
    data: dict,
    due_at: datetime | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[Message]:
    """The unsaved rows ``enqueue_booking_event`` would queue, for a caller that inserts them
    with its other messages in one statement (``outbox._insert``, which skips dedupe keys
    that exist, as ``enqueue_booking_event`` does).

    ``endpoints`` are the business's active endpoints when the caller has read them already
    (none: no query at all).
    """
    if endpoints is None:
        endpoints = list(
            WebhookEndpoint.objects.filter(business_id=booking.business_id, active=True)
        )
    endpoints = [e for e in endpoints if event in (e.events or [])]
    if not endpoints:
        return []
    event_data = {"booking": booking_payload(booking), **data}
    rows = []
    for endpoint in endpoints:
        dedupe = f"webhook:{endpoint.pk}:{event}:{booking.pk}:v{booking.version}"
        payload = {
            "id": hashlib.sha256(dedupe.encode()).hexdigest()[:32],
            "event": event,
            "created_at": now.isoformat(),
            "business": booking.business.slug,
            "data": event_data,
        }
        rows.append(
            Message(
                dedupe_key=dedupe,
                business_id=booking.business_id,
                booking=booking,
                channel=Message.Channel.WEBHOOK,
                kind=Message.Kind.WEBHOOK,
                recipient=endpoint.url,
                recipient_name="",
                audience="webhook",
                context={"event": event, "endpoint_id": endpoint.pk, "payload": payload},
                due_at=due_at or now,
                next_attempt_at=due_at or now,
                created_at=now,
            )
        )
    return rows


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Slotwise-Signature`` header value for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(message: Message) -> bytes:
    """The exact bytes POSTed (and signed) for a webhook row."""
    return json.dumps(
        message.context.get("payload", {}), separators=(",", ":"), sort_keys=True
    ).encode()


def deliver_webhook(message: Message, *, now: datetime) -> None:
    """POST the row's body to its endpoint; raise unless the receiver answers 2xx.

    An endpoint deleted since the row was queued makes the row undeliverable (no retry); a
    deactivated one still gets what was queued while it was active.
    """
    endpoint = WebhookEndpoint.objects.filter(
        pk=message.context.get("endpoint_id"), business_id=message.business_id
    ).first()
    if endpoint is None:
        raise UndeliverableMessage("the webhook endpoint was deleted")
    body = body_of(message)
    event = str(message.context.get("event", ""))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Slotwise-Event": event,
        "Slotwise-Delivery": str(message.pk),
        "Slotwise-Signature": sign(endpoint.secret, int(now.timestamp()), body),
    }
    try:
        answer = outbound.post(
            message.recipient, body=body, headers=headers, deadline_seconds=TIMEOUT
        )
    except outbound.UnsafeURL as exc:
        # Checked on save too; this catches a name whose DNS now points inside.
        raise RuntimeError(exc.message) from None
    except outbound.OutboundError as exc:
        raise RuntimeError(f"could not reach the receiver: {exc}") from None
    if 300 <= answer.status < 400:
        raise RuntimeError(
            f"the receiver answered HTTP {answer.status} (redirects are not followed)"
        )
    if not 200 <= answer.status < 300:
        raise RuntimeError(f"the receiver answered HTTP {answer.status}")


def enqueue_event(
    *, business_id: int, event: str, key: str, data: dict, now: datetime, business_slug: str
) -> None:
    """Queue one delivery of an event that is not a booking change (``waitlist.offered``)
    to every active endpoint of the business subscribed to it; ``key`` makes it unique."""
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(business_id=business_id, active=True)
        if event in (e.events or [])
    ]
    for endpoint in endpoints:
        dedupe = f"webhook:{endpoint.pk}:{event}:{key}"
        payload = {
            "id": hashlib.sha256(dedupe.encode()).hexdigest()[:32],
            "event": event,
            "created_at": now.isoformat(),
            "business": business_slug,
            "data": data,
        }
        Message.objects.get_or_create(
            dedupe_key=dedupe,
            defaults={
                "business_id": business_id,
                "channel": Message.Channel.WEBHOOK,
                "kind": Message.Kind.WEBHOOK,
                "recipient": endpoint.url,
                "recipient_name": "",
                "audience": "webhook",
                "context": {"event": event, "endpoint_id": endpoint.pk, "payload": payload},
                "due_at": now,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
