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

from slotwise.bookings import booking_rows
from slotwise.bookings.models import (
    Booking,
    BookingToken,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)

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
    found = booking_rows.by_token(digest, purpose)
    if found is None or not hmac.compare_digest(found[1], digest):
        return None
    booking = found[0]
    if now > booking.end + TOKEN_LIFETIME_AFTER_END:
        return None
    return booking


# --- waitlist links --------------------------------------------------------------------------

#: A waitlist link keeps working this long after it was made (an entry's windows are at most
#: a year ahead; an offer is usable only until it lapses anyway).
WAITLIST_TOKEN_LIFETIME = timedelta(days=400)


def waitlist_token_issue(
    *, entry: WaitlistEntry, purpose: str, now: datetime, offer: WaitlistOffer | None = None
) -> str:
    """A new link token for a waitlist entry (leave the list) or one of its offers (accept)."""
    raw = secrets.token_urlsafe(_TOKEN_BYTES)
    WaitlistToken.objects.create(
        entry=entry, offer=offer, purpose=purpose, token_hash=hash_token(raw), created_at=now
    )
    return raw


def waitlist_token_verify(*, raw: str, purpose: str, now: datetime) -> WaitlistToken | None:
    """The token row a waitlist link opens (with its entry and offer), or None."""
    if not raw or len(raw) > 100 or not raw.replace("-", "").replace("_", "").isalnum():
        return None
    digest = hash_token(raw)
    row = (
        WaitlistToken.objects.select_related(
            "entry__business",
            "entry__page",
            "entry__service",
            "entry__provider",
            "entry__booking",
            "offer__provider",
        )
        .filter(token_hash=digest, purpose=purpose)
        .first()
    )
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if now > row.created_at + WAITLIST_TOKEN_LIFETIME:
        return None
    return row
