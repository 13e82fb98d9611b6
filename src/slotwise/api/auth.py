"""``Authorization: Bearer <key>``: a business's API key; every query is scoped to its business."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from slotwise.api.models import ApiKey
from slotwise.core.api_keys import api_key_authenticate
from slotwise.core.clock import utcnow
from slotwise.core.models import Business


class ApiKeyAuth(HttpBearer):
    """Accepts an active (not revoked) key; ``request.auth`` becomes the ApiKey row."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return api_key_authenticate(raw=token, now=utcnow())


class KeyRequest(HttpRequest):
    """A request ``ApiKeyAuth`` let through: django-ninja sets ``auth`` to what
    ``authenticate`` returned. Never instantiated; ``key_of`` narrows to it."""

    auth: ApiKey


def key_of(request: HttpRequest) -> ApiKey:
    """The key that made this request (endpoints behind ``ApiKeyAuth`` only)."""
    return cast(KeyRequest, request).auth


def business_of(request: HttpRequest) -> Business:
    """The business whose key made this request."""
    return key_of(request).business
