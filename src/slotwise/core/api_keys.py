"""API keys of a business: created and revoked by its managers (backoffice, command line),
checked on every API request.

Only a SHA-256 hash of a key is stored; the key itself is shown once, when it is made.
The ``ApiKey`` rows keep their table ``api_apikey``; the service is here so that the
backoffice manages keys without importing the API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from slotwise.core import errors
from slotwise.core.models import ApiKey, Business

_KEY_PREFIX = "sw"
#: A key is only written back as "used" this often, so reads do not each cost a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, business: Business, name: str, now: datetime) -> tuple[ApiKey, str]:
    """Create a key for ``business``; returns the row and the key itself (shown only once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise errors.InvalidInput(_("A key needs a name of at most 100 characters."), field="name")
    prefix = secrets.token_hex(4)
    raw = f"{_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        business=business, name=name, prefix=prefix, key_hash=_hash_key(raw), created_at=now
    )
    return key, raw


def api_keys_of(*, business: Business) -> list[ApiKey]:
    """The keys of ``business``, newest first, revoked ones included."""
    return list(ApiKey.objects.filter(business=business))


def api_key_get(*, business: Business, key_id: int) -> ApiKey:
    """The key ``key_id`` of ``business``; NotFound for another business's key."""
    key = ApiKey.objects.filter(business=business, pk=key_id).first()
    if key is None:
        raise errors.NotFound(_("API key not found."))
    return key


def api_key_revoke(*, business: Business, key_id: int, now: datetime) -> ApiKey:
    """Revoke a key of ``business``; requests with it fail from now on. Revoking twice is fine."""
    key = api_key_get(business=business, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw: str, now: datetime) -> ApiKey | None:
    """The active key matching ``raw`` (with its business loaded), or None."""
    raw = raw.strip()
    if not raw.startswith(f"{_KEY_PREFIX}_") or len(raw) > 200 or not raw.isascii():
        return None
    digest = _hash_key(raw)
    key = (
        ApiKey.objects.select_related("business")
        .filter(key_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
