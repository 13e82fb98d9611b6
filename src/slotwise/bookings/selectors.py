"""Reads of booking data. Every function takes the business and never looks beyond it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from slotwise.bookings.models import Booking, BookingEvent, BookingPage, Rating
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.scheduling import availability, loaders


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


# --- reads for the staff backoffice (appended; the functions above are unchanged) -----------


def local_day_bounds(*, business: Business, day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` and of the next day in the business's zone (DST-safe)."""
    tz = business.tz
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def staff_slots(
    *,
    service: Service,
    provider: Provider,
    day: date,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> list[availability.Slot]:
    """Free start times for staff on one local day: inside working hours, on the business's
    slot step, any notice (not in the past), never over another booking or time off."""
    from dataclasses import replace

    business = service.business
    window_start, window_end = local_day_bounds(business=business, day=day)
    rules = replace(
        loaders.staff_rules_for(service=service),
        step=timedelta(minutes=business.slot_step_minutes or 15),
    )
    return availability.free_slots(
        providers=loaders.provider_schedules(
            providers=[provider],
            window_start=window_start,
            window_end=window_end,
            exclude_booking_id=exclude_booking_id,
        ),
        rules=rules,
        tz=business.tz,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )


def calendar_bookings(
    *, business: Business, start: datetime, end: datetime, provider_ids: list[int] | None = None
) -> QuerySet[Booking]:
    """Bookings that hold time (not cancelled) starting in [start, end), for calendar views."""
    qs = (
        Booking.objects.filter(business=business, start__gte=start, start__lt=end)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("service", "provider", "customer")
    )
    if provider_ids is not None:
        qs = qs.filter(provider_id__in=provider_ids)
    return qs.order_by("start", "pk")


def customer_changes(
    *, business: Business, since: datetime, limit: int = 20
) -> QuerySet[BookingEvent]:
    """Recent cancellations and reschedules made by customers themselves, newest first."""
    return (
        BookingEvent.objects.filter(
            business=business,
            actor_kind=BookingEvent.ActorKind.CUSTOMER,
            kind__in=(BookingEvent.Kind.CANCELLED, BookingEvent.Kind.RESCHEDULED),
            created_at__gte=since,
        )
        .select_related("booking", "booking__customer", "booking__service")
        .order_by("-created_at", "-pk")[:limit]
    )


def failed_messages(*, business: Business, limit: int = 20) -> QuerySet[Any]:
    """Notifications that gave up (status failed) and need a person's attention."""
    from slotwise.notifications.models import Message

    return (
        Message.objects.filter(business=business, status=Message.Status.FAILED)
        .select_related("booking")
        .order_by("-created_at", "-pk")[:limit]
    )


def customer_search(*, business: Business, term: str, limit: int = 20) -> QuerySet[Customer]:
    """The business's customers whose name, email or phone contains ``term``."""
    qs = Customer.objects.filter(business=business)
    term = term.strip()
    if term:
        qs = qs.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(phone__icontains=term)
        )
    return qs.order_by("name", "pk")[:limit]


def rating_summary(*, business: Business) -> dict[str, Any]:
    """Average stars and counts per provider and per service, and the latest ratings."""
    ratings = Rating.objects.filter(business=business)
    by_provider = list(
        ratings.values("booking__provider_id", "booking__provider__name")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("booking__provider__name")
    )
    by_service = list(
        ratings.values("booking__service_id", "booking__service__name")
        .annotate(average=Avg("stars"), count=Count("pk"))
        .order_by("booking__service__name")
    )
    overall = ratings.aggregate(average=Avg("stars"), count=Count("pk"))
    latest = ratings.select_related(
        "booking", "booking__customer", "booking__provider", "booking__service"
    ).order_by("-created_at", "-pk")[:20]
    return {
        "overall": overall,
        "by_provider": by_provider,
        "by_service": by_service,
        "latest": list(latest),
    }


def public_page_get(*, business_slug: str, page_slug: str) -> BookingPage:
    """An active booking page by its business's slug and its own, for the public site."""
    page = (
        BookingPage.objects.filter(business__slug=business_slug, slug=page_slug, active=True)
        .select_related("business")
        .first()
    )
    if page is None:
        raise errors.NotFound("This booking page is not available.")
    return page


def page_services(*, page: BookingPage) -> list[Service]:
    """The active services a booking page offers, in name order."""
    return list(
        page.services.filter(business_id=page.business_id, active=True).order_by("name", "pk")
    )


def booking_rating(*, booking: Booking) -> Rating | None:
    """The customer's rating of ``booking``, if given."""
    return Rating.objects.filter(business_id=booking.business_id, booking=booking).first()


# --- reads for the JSON API (appended; the functions above are unchanged) -------------------


def booking_history(*, booking: Booking) -> QuerySet[BookingEvent]:
    """The booking's history, oldest first."""
    return BookingEvent.objects.filter(business_id=booking.business_id, booking=booking).order_by(
        "created_at", "pk"
    )


def booking_reminders(*, booking: Booking) -> QuerySet[Any]:
    """The booking's reminder rows (scheduled, sent or cancelled), by due time."""
    from slotwise.notifications.models import Message

    return Message.objects.filter(
        business_id=booking.business_id, booking=booking, kind=Message.Kind.REMINDER
    ).order_by("due_at", "pk")


def booking_notifications(*, booking: Booking) -> QuerySet[Any]:
    """The booking's emails other than reminders (confirmation, changes, staff alerts)."""
    from slotwise.notifications.models import Message

    return (
        Message.objects.filter(business_id=booking.business_id, booking=booking)
        .exclude(kind=Message.Kind.REMINDER)
        .exclude(channel=Message.Channel.WEBHOOK)
        .order_by("created_at", "pk")
    )


def booking_payments(*, booking: Booking) -> QuerySet[Any]:
    """Payments and refunds recorded against the booking, oldest first."""
    from slotwise.bookings.models import Payment

    return Payment.objects.filter(business_id=booking.business_id, booking=booking).order_by(
        "created_at", "pk"
    )


def page_providers(*, page: BookingPage) -> list[Provider]:
    """The active providers a booking page offers, in name order."""
    return list(
        page.providers.filter(business_id=page.business_id, active=True)
        .prefetch_related("services")
        .order_by("name", "pk")
    )


def page_service(*, page: BookingPage, service_id: int) -> Service | None:
    """One of ``page_services`` by id (one query), or None when the page does not offer it."""
    return page.services.filter(business_id=page.business_id, active=True, pk=service_id).first()


def page_provider(*, page: BookingPage, provider_id: int) -> Provider | None:
    """One of ``page_providers`` by id (one query), or None when the page does not offer it."""
    return page.providers.filter(business_id=page.business_id, active=True, pk=provider_id).first()


def reschedule_provider(*, booking: Booking, free_provider_ids: tuple[int, ...]) -> Provider:
    """Who takes a new time the customer picked: their own provider when free at it, else
    (where the booking page offers any provider) the first of the page's free providers."""
    page = booking.booking_page
    if booking.provider_id in free_provider_ids or not free_provider_ids:
        return booking.provider
    if page is None or not page.any_provider:
        return booking.provider
    found = loaders.providers_for(
        service=booking.service, page=page, provider_ids=free_provider_ids
    )
    return found[0] if found else booking.provider
