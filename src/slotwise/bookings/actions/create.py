"""Create bookings: custom ones by staff (or the API), web ones by customers on a booking page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actions import _common
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent, BookingPage, BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.bookings.tokens import token_issue
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.catalog.services import customer_details_checked, customer_get_or_create
from slotwise.core import errors, validators
from slotwise.core.models import Business
from slotwise.scheduling import availability


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    name: str
    email: str
    phone: str = ""
    timezone: str = ""
    #: The language the customer reads (a shipped tag, or "" for unknown).
    language: str = ""


def customer_details_of(customer: CustomerDetails) -> CustomerDetails:
    """What a customer typed on a public page or sent to the public API, checked by the one
    rule every form and the API share (a name, one address, one-line fields, a shipped
    language); a refusal is an ``InvalidInput`` naming the field."""
    name = customer.name.strip()
    if not name:
        raise errors.InvalidInput(_("Please give your name."), field="name")
    return CustomerDetails(
        **customer_details_checked(
            {
                "name": name,
                "email": customer.email,
                "phone": customer.phone.strip(),
                "timezone": customer.timezone,
                "language": customer.language,
            }
        )
    )


def booking_create_custom(
    *,
    business: Business,
    actor: Actor,
    customer: Customer,
    service: Service,
    provider: Provider,
    start: datetime,
    policy: SelfServicePolicy,
    now: datetime,
    price: Decimal | None = None,
    notes: str = "",
    override_availability: bool = False,
    notify_customer: bool = True,
    cloned_from: Booking | None = None,
    also: Callable[[Booking], object] | None = None,
) -> Booking:
    """Staff book on a customer's behalf; the self-service policy chosen here is final.

    ``override_availability`` lets staff book outside working hours or notice rules (the page
    warns them), but never over another booking of the provider. ``also`` runs inside the
    booking's transaction (e.g. the API marks its idempotency key done), so both commit or
    neither does.
    """
    with _common.write_transaction():
        return booking_create_custom_in_transaction(
            business=business,
            actor=actor,
            customer=customer,
            service=service,
            provider=provider,
            start=start,
            policy=policy,
            now=now,
            price=price,
            notes=notes,
            override_availability=override_availability,
            notify_customer=notify_customer,
            cloned_from=cloned_from,
            also=also,
        )


def booking_create_custom_in_transaction(
    *,
    business: Business,
    actor: Actor,
    customer: Customer,
    service: Service,
    provider: Provider,
    start: datetime,
    policy: SelfServicePolicy,
    now: datetime,
    price: Decimal | None = None,
    notes: str = "",
    override_availability: bool = False,
    notify_customer: bool = True,
    cloned_from: Booking | None = None,
    also: Callable[[Booking], object] | None = None,
) -> Booking:
    """``booking_create_custom`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    start = _common.require_aware(start, "start")
    if customer.business_id != business.pk:
        raise errors.not_found("Customer")
    _common.validate_service_provider(business_id=business.pk, service=service, provider=provider)
    if start < now:
        raise errors.InvalidInput(_("The appointment cannot start in the past."), field="start")
    if price is not None and price < 0:
        raise errors.InvalidInput(_("The price cannot be negative."), field="price")
    _common.hold_provider(provider)
    if not override_availability:
        _common.ensure_bookable(
            provider=provider,
            service=service,
            start=start,
            now=now,
            page=None,
            customer_rules=False,
            business=business,
        )
    booking = _insert(
        overlap_checked=not override_availability,
        business=business,
        source=Booking.Source.CUSTOM,
        service=service,
        provider=provider,
        customer=customer,
        start=start,
        policy=policy,
        price=service.price if price is None else price,
        notes=notes,
        cloned_from=cloned_from,
    )
    _common.record(
        booking,
        kind=BookingEvent.Kind.CREATED,
        actor=actor,
        now=now,
        new={
            **_common.snapshot(booking),
            "source": booking.source,
            "override_availability": override_availability,
            **({"cloned_from": cloned_from.reference} if cloned_from else {}),
        },
        notify_customer=notify_customer,
    )
    if also is not None:
        also(booking)
    return booking


def booking_create_web(
    *,
    page: BookingPage,
    service: Service,
    provider: Provider | None,
    start: datetime,
    customer: CustomerDetails,
    now: datetime,
    notes: str = "",
    also: Callable[[Booking, str], object] | None = None,
) -> tuple[Booking, str]:
    """A customer books on a page; the page's current self-service settings are copied.

    ``provider=None`` means "any available provider" (only where the page allows it). Returns
    the booking and a fresh manage-link token for the confirmation page. ``also`` runs inside
    the booking's transaction with the booking and its token (the idempotency key of a web
    booking is marked done there), so both commit or neither does.
    """
    checked = _web_checked(
        page=page,
        service=service,
        provider=provider,
        start=start,
        customer=customer,
        notes=notes,
    )
    with _common.write_transaction():
        return _web_locked(checked, now=now, also=also)


def booking_create_web_in_transaction(
    *,
    page: BookingPage,
    service: Service,
    provider: Provider | None,
    start: datetime,
    customer: CustomerDetails,
    now: datetime,
    notes: str = "",
    also: Callable[[Booking, str], object] | None = None,
) -> tuple[Booking, str]:
    """``booking_create_web`` in the caller's transaction (see ``write_transaction``)."""
    _common.require_transaction()
    checked = _web_checked(
        page=page,
        service=service,
        provider=provider,
        start=start,
        customer=customer,
        notes=notes,
    )
    return _web_locked(checked, now=now, also=also)


def booking_web_checked(
    *,
    page: BookingPage,
    service: Service,
    provider: Provider | None,
    start: datetime,
    customer: CustomerDetails,
    notes: str = "",
) -> WebBooking:
    """Check a web booking's input before any transaction (no lock is held meanwhile); a use
    case then calls ``booking_create_web_checked_in_transaction`` inside its transaction."""
    return _web_checked(
        page=page, service=service, provider=provider, start=start, customer=customer, notes=notes
    )


def booking_create_web_checked_in_transaction(
    checked: WebBooking, *, now: datetime
) -> tuple[Booking, str]:
    """``booking_create_web`` of input already checked by ``booking_web_checked``, in the
    caller's transaction; the rules that depend on other bookings are checked here, locked."""
    _common.require_transaction()
    return _web_locked(checked, now=now, also=None)


@dataclass(frozen=True, slots=True)
class WebBooking:
    """A web booking's input, checked before any lock is taken."""

    page: BookingPage
    service: Service
    provider: Provider | None
    start: datetime
    name: str  # as typed (stripped): the actor of the booking's history row
    details: dict[str, str]
    contact: CustomerDetails
    notes: str
    #: A reference checked free with the input (None: find one when inserting).
    reference: str | None = None


def _web_checked(
    *,
    page: BookingPage,
    service: Service,
    provider: Provider | None,
    start: datetime,
    customer: CustomerDetails,
    notes: str,
) -> WebBooking:
    start = _common.require_aware(start, "start")
    business = page.business
    if not page.active:
        raise errors.NotFound(_("This booking page is not available."))
    if provider is None and not page.any_provider:
        raise errors.InvalidInput(_("Please choose a provider."), field="provider")
    # Checked before any lock is taken: the same rule as every form and the API.
    contact = customer_details_of(customer)
    name, details = contact.name, asdict(contact)
    try:
        notes = validators.validate_text(notes.strip())
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages), field="notes") from None
    reference = None
    if provider is not None:
        # When many customers race for one time, nearly all of them lose to a booking that is
        # already committed: tell them before taking the write lock (SQLite) or queueing for
        # the provider's row lock (PostgreSQL). Only a shortcut: the check under the lock
        # decides. It is asked in the statement that checks the pairings, with whether a fresh
        # reference is free: one round trip for the three.
        _end, blocked_start, blocked_end = _common.blocked_range(start, service)
        reference = _common.random_reference()
        if not _common.validate_service_provider(
            business_id=business.pk,
            service=service,
            provider=provider,
            page=page,
            free_between=(blocked_start, blocked_end),
            reference=reference,
        ):
            reference = None
    elif service.business_id != business.pk or not page.services.filter(pk=service.pk).exists():
        raise errors.InvalidInput(_("This service is not offered on this page."), field="service")
    return WebBooking(
        page=page,
        service=service,
        provider=provider,
        start=start,
        name=name,
        details=details,
        contact=contact,
        notes=notes,
        reference=reference,
    )


def _web_locked(
    checked: WebBooking, *, now: datetime, also: Callable[[Booking, str], object] | None
) -> tuple[Booking, str]:
    page, service, provider, start = checked.page, checked.service, checked.provider, checked.start
    business, details, notes = page.business, checked.details, checked.notes
    name = checked.name
    booked_any_provider = provider is None
    if provider is None:
        candidates = loaders.providers_for(service=service, page=page)
        # Lock every candidate (in id order, so concurrent requests cannot deadlock) before
        # looking for a free one; otherwise two requests pick the same provider and the
        # loser is refused although another provider is free.
        _common.lock_providers([p.pk for p in candidates])
        provider = _choose_free_provider(
            page=page, service=service, start=start, now=now, candidates=candidates
        )
    else:
        _common.hold_provider(provider)
    # The provider object was read before the transaction (the page's); what the rules need
    # of it under the lock is its bookings, which the check below reads fresh.
    provider.business = business
    _common.ensure_bookable(
        provider=provider,
        service=service,
        start=start,
        now=now,
        page=page,
        customer_rules=True,
        business=business,
    )
    # An existing customer with this address is linked, never changed or shown: what the
    # booker typed is the booking's own contact (only a new customer is made from it).
    cust, _created = customer_get_or_create(business=business, **details)
    booking = _insert(
        business=business,
        source=Booking.Source.WEB,
        service=service,
        provider=provider,
        customer=cust,
        start=start,
        policy=page.policy,
        price=service.price,
        notes=notes,
        page=page,
        booked_any_provider=booked_any_provider,
        contact=checked.contact,
        reference=checked.reference,
        overlap_checked=True,
    )
    token = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=now)
    _common.record(
        booking,
        kind=BookingEvent.Kind.CREATED,
        actor=Actor.customer(name),
        now=now,
        new={**_common.snapshot(booking), "source": booking.source, "page": page.slug},
    )
    if also is not None:
        also(booking, token)
    return booking, token


def _insert(
    *,
    overlap_checked: bool,
    business: Business,
    source: str,
    service: Service,
    provider: Provider,
    customer: Customer,
    start: datetime,
    policy: SelfServicePolicy,
    price: Decimal,
    notes: str,
    page: BookingPage | None = None,
    cloned_from: Booking | None = None,
    booked_any_provider: bool = False,
    contact: CustomerDetails | None = None,
    reference: str | None = None,
) -> Booking:
    """Write the booking row, with its policy snapshot, once nothing overlaps it.

    ``overlap_checked``: the caller ran ``ensure_bookable`` under the provider's lock, which
    refuses an overlap by the same rule (see there); else ``ensure_no_overlap`` runs here.
    ``contact`` is what a web booker typed; without it (staff) the customer record is copied.
    ``reference`` was checked free before the lock (else one is found here).
    """
    if contact is None:
        contact = CustomerDetails(
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            timezone=customer.timezone,
            language=customer.language,
        )
    end, blocked_start, blocked_end = _common.blocked_range(start, service)
    if not overlap_checked:
        _common.ensure_no_overlap(
            provider=provider, blocked_start=blocked_start, blocked_end=blocked_end
        )
    return Booking.objects.create(
        business=business,
        reference=reference or _common.new_reference(),
        source=source,
        booking_page=page,
        service=service,
        provider=provider,
        customer=customer,
        contact_name=contact.name,
        contact_phone=contact.phone,
        contact_timezone=contact.timezone,
        language=contact.language or customer.language,
        start=start,
        end=end,
        blocked_start=blocked_start,
        blocked_end=blocked_end,
        allow_cancel=policy.allow_cancel,
        allow_reschedule=policy.allow_reschedule,
        change_deadline_minutes=policy.change_deadline_minutes,
        max_reschedules=policy.max_reschedules,
        price=price,
        currency=service.currency,
        notes=notes,
        cloned_from=cloned_from,
        booked_any_provider=booked_any_provider,
    )


def _choose_free_provider(
    *,
    page: BookingPage,
    service: Service,
    start: datetime,
    now: datetime,
    candidates: list[Provider],
) -> Provider:
    """For "any provider": among those free at ``start``, the one with the least booked that day."""
    rules = loaders.rules_for(service=service, business=page.business, page=page)
    schedules = loaders.provider_schedules(
        providers=candidates, window_start=start, window_end=start + rules.duration
    )
    tz = page.business.tz
    free = [
        p
        for p, s in zip(candidates, schedules, strict=True)
        if availability.is_slot_free(provider=s, rules=rules, tz=tz, start=start, now=now)
    ]
    if not free:
        raise errors.SlotUnavailable()
    local_day = start.astimezone(tz).date()
    day_start = datetime.combine(local_day, time(0), tzinfo=tz)
    day_end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=tz)
    # One query for everyone's load that day, not one per free provider.
    load = dict(
        Booking.objects.filter(
            provider__in=free,
            status=Booking.Status.CONFIRMED,
            start__gte=day_start,
            start__lt=day_end,
        )
        .values_list("provider_id")
        .annotate(n=Count("pk"))
    )
    return min(free, key=lambda p: (load.get(p.pk, 0), p.pk))
