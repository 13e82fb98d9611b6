"""Simple writes the backoffice makes outside bookings: customers, catalog, pages, settings.

No booking rules live here (those are in ``bookings/``): these are plain model edits with
Django's model validation, each scoped to the business it is given. Errors are raised as
``InvalidInput`` so pages show them like any other domain error.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.core import errors
from slotwise.core.models import Business, Membership
from slotwise.notifications.models import NotificationSettings, ReminderRule


def _validated(obj: Any, *, exclude: Iterable[str] = ()) -> Any:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages)) from None
    return obj


def _apply(obj: Any, fields: dict[str, Any]) -> Any:
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def _own(business: Business, rows: Iterable[Any], what: str) -> list[Any]:
    rows = list(rows)
    if any(r.business_id != business.pk for r in rows):
        raise errors.NotFound(f"{what} not found.")
    return rows


# --- customers ---------------------------------------------------------------------------


def customer_create(
    *, business: Business, name: str, email: str, phone: str = "", timezone: str = ""
) -> Customer:
    """A new customer of the business; an existing one with this email is reused as is."""
    email = email.strip().lower()
    existing = Customer.objects.filter(business=business, email__iexact=email).first()
    if existing is not None:
        return existing
    customer = Customer(
        business=business, name=name.strip(), email=email, phone=phone.strip(), timezone=timezone
    )
    _validated(customer)
    customer.save()
    return customer


# --- catalog -----------------------------------------------------------------------------


def service_save(*, business: Business, service: Service | None, fields: dict[str, Any]) -> Service:
    """Create or update a service of the business (its currency is the business's)."""
    service = service or Service(business=business)
    if service.business_id != business.pk:
        raise errors.NotFound("Service not found.")
    _apply(service, fields)
    service.currency = business.currency
    _validated(service)
    service.save()
    return service


def provider_save(
    *,
    business: Business,
    provider: Provider | None,
    fields: dict[str, Any],
    services: Iterable[Service],
) -> Provider:
    provider = provider or Provider(business=business)
    if provider.business_id != business.pk:
        raise errors.NotFound("Provider not found.")
    offered = _own(business, services, "Service")
    _apply(provider, fields)
    _validated(provider)
    with transaction.atomic():
        provider.save()
        provider.services.set(offered)
    return provider


def working_hours_set(
    *, provider: Provider, intervals: Iterable[tuple[int, time, time]]
) -> list[WorkingHours]:
    """Replace the provider's weekly hours; a day may have several intervals."""
    rows = []
    for weekday, start, end in intervals:
        if end <= start:
            raise errors.InvalidInput("Each interval must end after it starts.", field="end")
        rows.append(WorkingHours(provider=provider, weekday=weekday, start=start, end=end))
    by_day: dict[int, list[WorkingHours]] = {}
    for row in sorted(rows, key=lambda r: (r.weekday, r.start)):
        same_day = by_day.setdefault(row.weekday, [])
        if same_day and same_day[-1].end > row.start:
            raise errors.InvalidInput(
                f"Intervals on the same day must not overlap ({row.get_weekday_display()})."
            )
        same_day.append(row)
    with transaction.atomic():
        WorkingHours.objects.filter(provider=provider).delete()
        return WorkingHours.objects.bulk_create(rows)


def time_off_add(*, provider: Provider, start: datetime, end: datetime, reason: str) -> TimeOff:
    if end <= start:
        raise errors.InvalidInput("Time off must end after it starts.", field="end")
    row = TimeOff(provider=provider, start=start, end=end, reason=reason.strip())
    _validated(row)
    row.save()
    return row


def time_off_delete(*, provider: Provider, time_off_id: int) -> None:
    TimeOff.objects.filter(provider=provider, pk=time_off_id).delete()


# --- booking pages -----------------------------------------------------------------------


def booking_page_save(
    *,
    business: Business,
    page: BookingPage | None,
    fields: dict[str, Any],
    services: Iterable[Service],
    providers: Iterable[Provider],
) -> BookingPage:
    """Create or update a booking page. Its self-service settings are copied onto each booking
    when it is made, so a change here applies to bookings made from now on only."""
    page = page or BookingPage(business=business)
    if page.business_id != business.pk:
        raise errors.NotFound("Booking page not found.")
    offered = _own(business, services, "Service")
    staffed = _own(business, providers, "Provider")
    if not offered:
        raise errors.InvalidInput("Choose at least one service.", field="services")
    if not staffed:
        raise errors.InvalidInput("Choose at least one provider.", field="providers")
    _apply(page, fields)
    _validated(page)
    with transaction.atomic():
        page.save()
        page.services.set(offered)
        page.providers.set(staffed)
    return page


# --- notifications and reminders ---------------------------------------------------------


def notification_settings_save(
    *, business: Business, fields: dict[str, bool], provider_opt_in: dict[int, bool]
) -> NotificationSettings:
    """Who is told of new, rescheduled and cancelled bookings; per-provider opt-outs."""
    settings, _ = NotificationSettings.objects.get_or_create(business=business)
    _apply(settings, fields)
    with transaction.atomic():
        settings.save()
        for provider in Provider.objects.filter(business=business, pk__in=provider_opt_in):
            wanted = provider_opt_in[provider.pk]
            if provider.receives_notifications != wanted:
                provider.receives_notifications = wanted
                provider.save(update_fields=["receives_notifications"])
    return settings


def reminder_rule_add(*, business: Business, minutes_before: int) -> ReminderRule:
    """A reminder this long before each appointment, for bookings made from now on."""
    if minutes_before < 5:
        raise errors.InvalidInput("A reminder must be at least 5 minutes before.")
    if ReminderRule.objects.filter(business=business, minutes_before=minutes_before).exists():
        raise errors.InvalidInput("There is already a reminder at that time.")
    return ReminderRule.objects.create(business=business, minutes_before=minutes_before)


def reminder_rule_delete(*, business: Business, rule_id: int) -> None:
    ReminderRule.objects.filter(business=business, pk=rule_id).delete()


# --- team and business -------------------------------------------------------------------


def member_add(
    *, business: Business, email: str, role: str, name: str = ""
) -> tuple[Membership, str | None]:
    """Give a person access with a role. A new account gets a generated password (returned
    once, to hand over); an existing account keeps its own."""
    if role not in Membership.Role.values:
        raise errors.InvalidInput("Unknown role.", field="role")
    email = email.strip().lower()
    users = get_user_model()
    generated = None
    with transaction.atomic():
        user = users.objects.filter(username__iexact=email).first()
        if user is None:
            generated = secrets.token_urlsafe(12)
            first, _, last = name.strip().partition(" ")
            user = users.objects.create_user(
                username=email, email=email, password=generated, first_name=first, last_name=last
            )
        if Membership.objects.filter(business=business, user=user).exists():
            raise errors.InvalidInput("This person is already in the team.", field="email")
        membership = Membership.objects.create(business=business, user=user, role=role)
    return membership, generated


def _ensure_an_owner_remains(business: Business, changing: Membership) -> None:
    if (
        changing.role == Membership.Role.OWNER
        and not Membership.objects.filter(business=business, role=Membership.Role.OWNER)
        .exclude(pk=changing.pk)
        .exists()
    ):
        raise errors.InvalidInput("A business needs at least one owner.")


def member_role_set(*, business: Business, membership_id: int, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise errors.InvalidInput("Unknown role.", field="role")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(business=business, pk=membership_id)
        if role != Membership.Role.OWNER:
            _ensure_an_owner_remains(business, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_remove(*, business: Business, membership_id: int) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(business=business, pk=membership_id)
        _ensure_an_owner_remains(business, membership)
        membership.delete()


def business_profile_save(*, business: Business, fields: dict[str, Any]) -> Business:
    _apply(business, fields)
    _validated(business)
    business.save()
    return business
