"""What the waitlist's events queue: the customer's emails and the ``waitlist.*`` webhooks.

Subscribed in ``NotificationsConfig.ready``; runs inside the waitlist action's transaction,
so an offer and its email commit together. The emails are rendered by ``render.py`` like
every other (``build_email``), with their links issued when they are rendered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slotwise.bookings.events import WaitlistAccepted, WaitlistJoined, WaitlistOffered
from slotwise.bookings.models import WaitlistEntry, WaitlistOffer
from slotwise.notifications.models import Message
from slotwise.notifications.webhooks import booking_payload, enqueue_event


def _email(entry: WaitlistEntry, *, kind: str, key: str, now: datetime, context: dict) -> None:
    Message.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "business_id": entry.business_id,
            "kind": kind,
            "recipient": entry.email,
            "recipient_name": entry.name,
            "audience": "customer",
            "context": {"entry_id": entry.pk, **context},
            "due_at": now,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def offer_facts(offer: WaitlistOffer) -> dict[str, Any]:
    """The offer as webhooks and the API show it."""
    entry = offer.entry
    return {
        "offer_id": offer.pk,
        "entry": entry.reference,
        "page": entry.page.slug,
        "service_id": entry.service_id,
        "provider_id": offer.provider_id,
        "start": offer.start.isoformat(),
        "end": offer.end.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
        "mode": offer.mode,
        "offered_by": offer.offered_by,
        "earlier_than_booking": entry.booking.reference if entry.booking is not None else None,
    }


def on_waitlist_joined(event: WaitlistJoined) -> None:
    entry = event.entry
    _email(
        entry,
        kind=Message.Kind.WAITLIST_JOINED,
        key=f"waitlist_joined:{entry.pk}",
        now=event.now,
        context={},
    )


def on_waitlist_offered(event: WaitlistOffered) -> None:
    offer = event.offer
    entry = offer.entry
    _email(
        entry,
        kind=Message.Kind.WAITLIST_OFFER,
        key=f"waitlist_offer:{offer.pk}",
        now=event.now,
        context={
            "offer_id": offer.pk,
            "start": offer.start.isoformat(),
            "end": offer.end.isoformat(),
            "expires_at": offer.expires_at.isoformat(),
            "provider_name": offer.provider.name,
            "service_name": entry.service.name,
        },
    )
    enqueue_event(
        business_id=offer.business_id,
        business_slug=entry.business.slug,
        event="waitlist.offered",
        key=f"offer:{offer.pk}",
        data=offer_facts(offer),
        now=event.now,
    )


def on_waitlist_accepted(event: WaitlistAccepted) -> None:
    offer = event.offer
    enqueue_event(
        business_id=offer.business_id,
        business_slug=offer.entry.business.slug,
        event="waitlist.accepted",
        key=f"offer:{offer.pk}",
        data={**offer_facts(offer), "booking": booking_payload(event.booking)},
        now=event.now,
    )
