"""A provider's secret calendar feed: make a new address (shown once) or stop it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from slotwise.api.auth import business_of
from slotwise.api.endpoints._common import PathId, responses
from slotwise.calendars import feeds
from slotwise.core.clock import utcnow

router = Router(tags=["calendar feeds"])


class FeedIn(Schema):
    include_customer_contact: bool = Field(
        False, description="Show customers' email and phone in the events (off unless asked)."
    )


class FeedCreatedOut(Schema):
    url: str = Field(description="The feed's secret address. Shown only now: keep it.")
    include_customer_contact: bool
    created_at: datetime


@router.post("/providers/{provider_id}/feed", response=responses(FeedCreatedOut, 201))
def create_feed(
    request: HttpRequest, provider_id: PathId, payload: FeedIn | None = None
) -> Status[dict[str, Any]]:
    """A new secret ICS address for the provider's bookings; the previous address stops
    working. The response carries the address — the only time it is shown."""
    new = feeds.feed_create(
        business=business_of(request),
        provider_id=provider_id,
        now=utcnow(),
        include_customer_contact=bool(payload and payload.include_customer_contact),
    )
    return Status(
        201,
        {
            "url": new.url,
            "include_customer_contact": new.feed.include_customer_contact,
            "created_at": new.feed.created_at,
        },
    )


@router.delete("/providers/{provider_id}/feed", response=responses(None, 204))
def delete_feed(request: HttpRequest, provider_id: PathId) -> Status[None]:
    """Stop the provider's feed: its address answers 404 from now on (204 also when there was
    none)."""
    feeds.feed_revoke(business=business_of(request), provider_id=provider_id, now=utcnow())
    return Status(204, None)
