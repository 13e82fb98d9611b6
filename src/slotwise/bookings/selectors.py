"""Reads of booking data. Every function takes the business and never looks beyond it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from slotwise.bookings.models import Booking
from slotwise.core import errors
from slotwise.core.models import Business


def booking_list(
    *,
    business: Business,
    status: str | None = None,
    provider_id: int | None = None,
    service_id: int | None = None,
    customer_id: int | None = None,
    source: str | None = None,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    search: str = "",
) -> QuerySet[Booking]:
    """The business's bookings, filtered, with what a list needs loaded in the same query."""
    qs = Booking.objects.filter(business=business).select_related("service", "provider", "customer")
    if status:
        qs = qs.filter(status=status)
    if provider_id:
        qs = qs.filter(provider_id=provider_id)
    if service_id:
        qs = qs.filter(service_id=service_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if source:
        qs = qs.filter(source=source)
    if start_from:
        qs = qs.filter(start__gte=start_from)
    if start_to:
        qs = qs.filter(start__lt=start_to)
    if search.strip():
        term = search.strip()
        qs = qs.filter(
            Q(reference__iexact=term)
            | Q(customer__name__icontains=term)
            | Q(customer__email__icontains=term)
            | Q(customer__phone__icontains=term)
        )
    return qs.order_by("start", "pk")


def booking_get(*, business: Business, reference: str) -> Booking:
    """One booking of the business by its reference; another business's is simply not found."""
    booking = (
        Booking.objects.filter(business=business, reference=reference.strip().upper())
        .select_related("service", "provider", "customer", "booking_page", "business")
        .first()
    )
    if booking is None:
        raise errors.NotFound("Booking not found.")
    return booking
