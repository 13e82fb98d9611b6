"""Reads of the waitlist, always scoped to one business (staff pages, the API, the dashboard)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet

from slotwise.bookings.models import BookingPage, WaitlistEntry, WaitlistOffer
from slotwise.core.models import Business

#: The dashboard's period for "freed times re-booked from the waitlist".
REBOOKED_PERIOD = timedelta(days=30)


def waitlist_entries(
    *,
    business: Business,
    page_id: int | None = None,
    day: date | None = None,
    status: str | None = None,
) -> QuerySet[WaitlistEntry]:
    """The business's entries in join order, with their offers (newest last).

    ``day``: entries whose windows cover that local day or that were offered a time on it.
    """
    qs = WaitlistEntry.objects.filter(business=business).select_related(
        "page", "service", "provider", "booking"
    )
    if page_id is not None:
        qs = qs.filter(page_id=page_id)
    if status is not None:
        qs = qs.filter(status=status)
    qs = qs.prefetch_related(
        Prefetch(
            "offers",
            queryset=WaitlistOffer.objects.select_related("provider", "booking").order_by(
                "created_at", "id"
            ),
        )
    )
    if day is not None:
        tz = business.tz
        lo = datetime.combine(day, time(0), tzinfo=tz)
        hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        offered = WaitlistOffer.objects.filter(business=business, start__lt=hi, end__gt=lo).values(
            "entry_id"
        )
        ids = [e.pk for e in qs if _covers(e, day)]
        qs = qs.filter(Q(pk__in=ids) | Q(pk__in=offered))
    return qs.order_by("created_at", "id")


def _covers(entry: WaitlistEntry, day: date) -> bool:
    iso = day.isoformat()
    return any(w["first_day"] <= iso <= w["last_day"] for w in entry.windows)


def waitlist_pages(*, business: Business) -> QuerySet[BookingPage]:
    """The business's pages, for the staff waitlist's page filter."""
    return BookingPage.objects.filter(business=business).order_by("title", "pk")


def waitlist_rebooked_count(*, business: Business, now: datetime) -> int:
    """Freed times re-booked from the waitlist (offers accepted) in the last 30 days."""
    return WaitlistOffer.objects.filter(
        business=business,
        status=WaitlistOffer.Status.ACCEPTED,
        closed_at__gt=now - REBOOKED_PERIOD,
        closed_at__lte=now,
    ).count()
