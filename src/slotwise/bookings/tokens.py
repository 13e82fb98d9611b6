"""Customer link tokens: 256 random bits in the link, only a SHA-256 hash in the database.

The domain's offer to every face and email that links to a booking: ``token_issue`` makes a
link, ``token_verify`` opens one. Issuing a token is not a booking change (no history, no
event), so rendering an email may call it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from slotwise.bookings.models import Booking, BookingToken

#: A link keeps working this long after the appointment ends (for "rate" and to see history).
TOKEN_LIFETIME_AFTER_END = timedelta(days=60)
_TOKEN_BYTES = 32


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, booking: Booking, purpose: str, now: datetime) -> str:
    """Create a new link token for ``booking`` and return it; it is never stored in clear."""
    raw = secrets.token_urlsafe(_TOKEN_BYTES)
    BookingToken.objects.create(
        booking=booking, purpose=purpose, token_hash=hash_token(raw), created_at=now
    )
    return raw


def token_verify(*, raw: str, purpose: str, now: datetime) -> Booking | None:
    """The booking a token opens, or None for unknown, malformed, wrong-purpose or expired ones.

    The lookup is by hash, so timing reveals nothing about the secret; the final comparison is
    constant-time anyway. Every failure looks the same to the caller.
    """
    if not raw or len(raw) > 100 or not raw.replace("-", "").replace("_", "").isalnum():
        return None
    digest = hash_token(raw)
    row = (
        BookingToken.objects.select_related(
            "booking__business",
            "booking__service",
            "booking__provider",
            "booking__customer",
            "booking__booking_page",
        )
        .filter(token_hash=digest, purpose=purpose)
        .first()
    )
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if now > row.booking.end + TOKEN_LIFETIME_AFTER_END:
        return None
    return row.booking
