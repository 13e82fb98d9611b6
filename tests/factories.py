"""Small builders for test data; each returns saved rows of one business."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from slotwise.bookings.actions import booking_create_custom
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage, Rating
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import Customer, Provider, Service, WorkingHours
from slotwise.core.models import Business
from slotwise.core.services import business_create

#: A Monday far enough ahead for every rule; tests move the clock with ``now`` arguments.
MONDAY = datetime(2030, 6, 3, tzinfo=UTC)


def make_business(slug: str = "acme", tz: str = "Europe/Berlin", **kw: object) -> Business:
    business, _ = business_create(
        slug=slug,
        name=kw.pop("name", slug.title() + " Studio"),  # type: ignore[arg-type]
        timezone=tz,
        owner_email=f"owner@{slug}.test",
        owner_password="a-long-test-password",
        contact_email=f"desk@{slug}.test",
    )
    return business


def make_service(
    business: Business, name: str = "Haircut", minutes: int = 60, **kw: object
) -> Service:
    return Service.objects.create(
        business=business,
        name=name,
        duration_minutes=minutes,
        price=kw.pop("price", Decimal("40.00")),
        currency=business.currency,
        **kw,  # type: ignore[arg-type]
    )


def make_provider(
    business: Business,
    name: str = "Alex",
    services: list[Service] | tuple[Service, ...] = (),
    hours: tuple[tuple[time, time], ...] = ((time(9), time(17)),),
    weekdays: range = range(7),
    email: str | None = None,
) -> Provider:
    provider = Provider.objects.create(
        business=business,
        name=name,
        email=email if email is not None else f"{name.lower()}@{business.slug}.test",
    )
    provider.services.set(services)
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=provider, weekday=d, start=s, end=e)
        for d in weekdays
        for s, e in hours
    )
    return provider


def make_customer(business: Business, name: str = "Casey", email: str | None = None) -> Customer:
    return Customer.objects.create(
        business=business,
        name=name,
        email=email or f"{name.lower()}@example.test",
        timezone="America/New_York",
    )


def make_page(
    business: Business,
    services: list[Service],
    providers: list[Provider],
    slug: str = "book",
    **kw: object,
) -> BookingPage:
    page = BookingPage.objects.create(
        business=business,
        slug=slug,
        title="Book with us",
        min_notice_minutes=0,
        **kw,  # type: ignore[arg-type]
    )
    page.services.set(services)
    page.providers.set(providers)
    return page


def local(business: Business, y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A wall-clock time in the business's zone, as an aware datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=business.tz)


def custom_booking(
    business: Business,
    *,
    service: Service,
    provider: Provider,
    customer: Customer,
    start: datetime,
    policy: SelfServicePolicy | None = None,
    now: datetime | None = None,
    **kw: object,
) -> Booking:
    return booking_create_custom(
        business=business,
        actor=Actor.system("test"),
        customer=customer,
        service=service,
        provider=provider,
        start=start,
        policy=policy or SelfServicePolicy.off(),
        now=now or (start - timedelta(days=7)),
        **kw,  # type: ignore[arg-type]
    )


def rated_booking(
    business: Business,
    *,
    service: Service,
    provider: Provider,
    customer: Customer,
    start: datetime,
    stars: int,
    comment: str = "",
) -> Rating:
    """A booking at ``start`` (in the past of the test's clock is not needed: every step is
    given its own instant), completed when it ends and rated an hour later."""
    from slotwise.bookings.actions import booking_complete, booking_rate

    booking = custom_booking(
        business, service=service, provider=provider, customer=customer, start=start
    )
    booking_complete(booking_id=booking.pk, actor=Actor.system("test"), now=booking.end)
    return booking_rate(
        booking_id=booking.pk, stars=stars, comment=comment, now=booking.end + timedelta(hours=1)
    )
