"""A provider's secret ICS feed: made, read and revoked.

The address holds a random token; only its SHA-256 is stored, so the database alone cannot
give a feed away, and the token is shown once, when the feed is made. A new feed revokes the
provider's previous one; a revoked or unknown token is "not found" (answered 404, and counted
against the client like any guessed link).

The feed lists the provider's bookings from ``DAYS_BACK`` days ago to ``DAYS_AHEAD`` days
ahead. Cancelled bookings are left out (a subscribed calendar removes an event that is no
longer in the feed); completed and no-show ones stay, as they happened.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from slotwise.bookings.models import Booking
from slotwise.calendars import ical
from slotwise.calendars.models_out import ProviderFeed
from slotwise.catalog.models import Provider
from slotwise.core.errors import NotFound, not_found
from slotwise.core.models import Business

DAYS_BACK = 30
DAYS_AHEAD = 366
#: What the feed asks subscribers to wait between reads (Google and Outlook choose their own
#: pace anyway, typically hours; Apple honours it).
REFRESH = timedelta(hours=1)
#: The token's length in random bytes (43 characters, URL-safe).
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    """The full address of the feed with ``token`` (the one time it can be built)."""
    return settings.SITE_URL + reverse("site:feed", kwargs={"token": token})


def access_provider(business: Business, provider_id: int) -> Provider:
    provider = Provider.objects.filter(business=business, pk=provider_id).first()
    if provider is None:
        raise not_found("Provider")
    return provider


def live_feed(provider: Provider) -> ProviderFeed | None:
    """The provider's feed that works now, if any."""
    return ProviderFeed.objects.filter(provider=provider, revoked_at=None).first()


@dataclass(frozen=True)
class NewFeed:
    feed: ProviderFeed
    token: str

    @property
    def url(self) -> str:
        return feed_url(self.token)


def feed_create(
    *,
    business: Business,
    provider_id: int,
    now: datetime,
    include_customer_contact: bool = False,
) -> NewFeed:
    """A new secret feed for the provider; the previous one stops working."""
    with transaction.atomic(durable=True):
        provider = access_provider(business, provider_id)
        # Lock the provider so two "new address" clicks cannot both leave a live feed.
        Provider.objects.select_for_update().filter(pk=provider.pk).first()
        ProviderFeed.objects.filter(provider=provider, revoked_at=None).update(revoked_at=now)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        feed = ProviderFeed.objects.create(
            business=business,
            provider=provider,
            token_hash=token_hash(token),
            include_customer_contact=include_customer_contact,
            created_at=now,
        )
    return NewFeed(feed, token)


def feed_revoke(*, business: Business, provider_id: int, now: datetime) -> bool:
    """Stop the provider's feed; True when there was one."""
    provider = access_provider(business, provider_id)
    return bool(
        ProviderFeed.objects.filter(provider=provider, revoked_at=None).update(revoked_at=now)
    )


def feed_set_contact(
    *, business: Business, provider_id: int, include_customer_contact: bool
) -> ProviderFeed:
    """Show (or stop showing) customers' email and phone in the live feed."""
    provider = access_provider(business, provider_id)
    feed = live_feed(provider)
    if feed is None:
        raise NotFound(_("This provider has no calendar feed."))
    feed.include_customer_contact = include_customer_contact
    feed.save(update_fields=["include_customer_contact"])
    return feed


def feed_for_token(token: str) -> ProviderFeed | None:
    """The live feed with ``token``, or None (unknown, revoked, malformed)."""
    if not token or len(token) > 100:
        return None
    return (
        ProviderFeed.objects.select_related("provider", "business")
        .filter(token_hash=token_hash(token), revoked_at=None)
        .first()
    )


@dataclass(frozen=True)
class FeedBody:
    body: bytes
    etag: str
    last_modified: datetime | None


def feed_body(feed: ProviderFeed, *, now: datetime) -> FeedBody:
    """The feed's calendar now, with an ETag over what it shows (not over DTSTAMP)."""
    bookings = list(
        Booking.objects.select_related("business", "service", "customer")
        .filter(
            business_id=feed.business_id,
            provider_id=feed.provider_id,
            status__in=Booking.ACTIVE_STATUSES,
            end__gte=now - timedelta(days=DAYS_BACK),
            start__lte=now + timedelta(days=DAYS_AHEAD),
        )
        .order_by("start", "pk")
    )
    last_modified = max((b.updated_at for b in bookings), default=None)
    # DTSTAMP is the time of the latest change, not of this read: an unchanged feed gives the
    # same bytes (and ETag) on every read, which lets subscribers' conditional reads get 304.
    stamp = last_modified or feed.created_at
    name = _("%(provider)s – %(business)s") % {
        "provider": feed.provider.name,
        "business": feed.business.name,
    }
    body = ical.feed_calendar(
        bookings,
        name=name,
        now=stamp,
        include_contact=feed.include_customer_contact,
        refresh=REFRESH,
    )
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return FeedBody(body, etag, last_modified)
