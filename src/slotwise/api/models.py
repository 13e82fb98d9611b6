"""Names the API still imports from here: every model it uses lives in its own area.

``ApiKey`` is in ``core.models``, ``IdempotencyRecord`` in ``bookings.models`` and
``WebhookEndpoint`` in ``notifications.models``; their tables keep their ``api_`` names.
"""

from __future__ import annotations

from slotwise.bookings.models import IdempotencyRecord
from slotwise.core.models import ApiKey
from slotwise.notifications.models import WEBHOOK_EVENTS, WebhookEndpoint

__all__ = ["WEBHOOK_EVENTS", "ApiKey", "IdempotencyRecord", "WebhookEndpoint"]
