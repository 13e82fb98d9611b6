"""Writes only the API has: webhook endpoints.

Every function is keyword-only, scoped to one business, validates with the model's own rules
(``full_clean``) and raises a DomainError (nothing changed) when the input is not acceptable.
Catalog and settings writes are the domain's, shared with the backoffice:
``catalog/services.py``, ``bookings/pages.py`` and ``notifications/settings.py``; API keys
are ``core/api_keys.py`` and Idempotency-Keys ``bookings/idempotency.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from slotwise.core import errors, outbound
from slotwise.core.models import Business
from slotwise.core.records import record_apply, record_get, record_save
from slotwise.notifications.models import WEBHOOK_EVENTS, WebhookEndpoint

# --- webhooks ---------------------------------------------------------------------------------


def _webhook_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in WEBHOOK_EVENTS]
    if unknown or not chosen:
        raise errors.InvalidInput(
            _("Choose one or more of: %(events)s.") % {"events": ", ".join(WEBHOOK_EVENTS)},
            field="events",
        )
    return chosen


#: Endpoints a business may register; each one is a request per booking event.
MAX_WEBHOOK_ENDPOINTS = 10
#: A signing secret shorter than this is guessable; none given gets a generated one.
MIN_WEBHOOK_SECRET = 24


def webhook_endpoint_create(
    *,
    business: Business,
    url: str,
    events: Iterable[str],
    now: datetime,
    secret: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """Register a URL for the given events; the secret signs every delivery.

    The URL must reach the public internet (see core/outbound.py); a business has at most
    ``MAX_WEBHOOK_ENDPOINTS``; a secret given must have at least ``MIN_WEBHOOK_SECRET``
    characters, and one is generated when none is given.
    """
    secret = secret.strip()
    if secret and len(secret) < MIN_WEBHOOK_SECRET:
        raise errors.InvalidInput(
            _(
                "The secret must have at least %(count)s characters; leave it empty to have "
                "one generated."
            )
            % {"count": MIN_WEBHOOK_SECRET},
            field="secret",
        )
    endpoint = WebhookEndpoint(
        business=business,
        url=url.strip(),
        events=_webhook_events(events),
        secret=secret or "whsec_" + secrets.token_urlsafe(32),
        active=active,
        created_at=now,
    )
    _check_url(endpoint.url)
    with transaction.atomic():
        # The business row's lock makes "count, then insert" one step for concurrent creates.
        list(Business.objects.select_for_update().filter(pk=business.pk).values_list("pk"))
        if WebhookEndpoint.objects.filter(business=business).count() >= MAX_WEBHOOK_ENDPOINTS:
            raise errors.InvalidInput(
                _("A business can have at most %(count)s webhook endpoints; delete one first.")
                % {"count": MAX_WEBHOOK_ENDPOINTS},
                field="url",
            )
        return record_save(endpoint)


def webhook_endpoint_update(
    *, business: Business, endpoint_id: int, changes: Mapping[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint's URL, events or active flag (the URL is checked as on create)."""
    endpoint = record_get(WebhookEndpoint, business=business, pk=endpoint_id, label="Webhook")
    changes = dict(changes)
    if "events" in changes:
        changes["events"] = _webhook_events(changes["events"] or [])
    record_apply(endpoint, changes)
    _check_url(endpoint.url)
    return record_save(endpoint)


def webhook_endpoint_delete(*, business: Business, endpoint_id: int) -> None:
    record_get(WebhookEndpoint, business=business, pk=endpoint_id, label="Webhook").delete()


def _check_url(url: str) -> None:
    """Refuse a URL Slotwise must not post to: not http(s), or aimed at an internal address."""
    outbound.check_url(url)
