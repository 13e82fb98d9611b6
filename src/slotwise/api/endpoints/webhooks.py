"""Webhook endpoints of the business and their delivery attempts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from slotwise.api import present, services
from slotwise.api.auth import business_of
from slotwise.api.endpoints._common import PageQuery, PathId, paginate, responses
from slotwise.api.schemas import (
    DeliveryList,
    WebhookCreatedOut,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)
from slotwise.core.clock import utcnow
from slotwise.core.records import record_get
from slotwise.notifications.models import Message, WebhookEndpoint

router = Router(tags=["webhooks"])


@router.get("/webhooks", response=responses(WebhookList))
def list_webhooks(request: HttpRequest, page: PageQuery) -> dict[str, Any]:
    qs = WebhookEndpoint.objects.filter(business=business_of(request)).order_by("created_at", "pk")
    return paginate(qs, page, present.webhook)


@router.post("/webhooks", response=responses(WebhookCreatedOut, 201))
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status[dict[str, Any]]:
    """Register a URL for booking events. The response carries the signing secret — the only
    time it is shown."""
    endpoint = services.webhook_endpoint_create(
        business=business_of(request),
        url=payload.url,
        events=payload.events,
        secret=payload.secret,
        active=payload.active,
        now=utcnow(),
    )
    return Status(201, present.webhook(endpoint, with_secret=True))


@router.get("/webhooks/{webhook_id}", response=responses(WebhookOut))
def get_webhook(request: HttpRequest, webhook_id: PathId) -> dict[str, Any]:
    return present.webhook(
        record_get(WebhookEndpoint, business=business_of(request), pk=webhook_id, label="Webhook")
    )


@router.patch("/webhooks/{webhook_id}", response=responses(WebhookOut))
def update_webhook(
    request: HttpRequest, webhook_id: PathId, payload: WebhookPatch
) -> dict[str, Any]:
    endpoint = services.webhook_endpoint_update(
        business=business_of(request),
        endpoint_id=webhook_id,
        changes=payload.model_dump(exclude_unset=True),
    )
    return present.webhook(endpoint)


@router.delete("/webhooks/{webhook_id}", response=responses(None, 204))
def delete_webhook(request: HttpRequest, webhook_id: PathId) -> Status[None]:
    """Remove the endpoint; deliveries still queued for it fail instead of being sent."""
    services.webhook_endpoint_delete(business=business_of(request), endpoint_id=webhook_id)
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response=responses(DeliveryList))
def list_deliveries(request: HttpRequest, webhook_id: PathId, page: PageQuery) -> dict[str, Any]:
    """Delivery attempts to this endpoint, newest first: status, attempts, last error."""
    business = business_of(request)
    endpoint = record_get(WebhookEndpoint, business=business, pk=webhook_id, label="Webhook")
    qs = (
        Message.objects.filter(
            business=business,
            channel=Message.Channel.WEBHOOK,
            context__endpoint_id=endpoint.pk,
        )
        .select_related("booking")
        .order_by("-created_at", "-pk")
    )
    return paginate(qs, page, lambda m: present.delivery(m, business.tz))
