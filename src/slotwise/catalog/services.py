"""Writes to the catalog: services, providers with their weekly hours and time off, customers.

One function per operation, called by the backoffice and the API alike. They are plain record
edits (no booking rule lives here), each scoped to the business it is given, validated with the
model's own rules, and they raise a DomainError that changed nothing when input is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from slotwise.catalog.models import Customer, Provider, Service, TimeOff, WorkingHours
from slotwise.core import errors, events, i18n, validators
from slotwise.core.clock import utcnow
from slotwise.core.models import Business
from slotwise.core.records import record_apply, record_or_new, record_save, records_get

# --- photos -----------------------------------------------------------------------------------


def photo_set(
    *, business: Business, model: type[Service] | type[Provider], pk: int, photo: File | None
) -> Service | Provider:
    """Give a service or provider of ``business`` a new, already checked photo (stored under
    a random name), or remove it (``photo`` None). Another business's row is not found. The
    old file is deleted once the change is committed."""
    with transaction.atomic():
        item: Service | Provider | None = (
            model.objects.select_for_update().filter(business=business, pk=pk).first()
        )
        if item is None:
            raise errors.not_found(model.__name__)
        old = item.photo.name
        if photo is None:
            item.photo = ""  # type: ignore[assignment]
            item.save(update_fields=["photo"])
        else:
            item.photo.save(photo.name or "photo", photo, save=False)
            try:
                item.save(update_fields=["photo"])
            except BaseException:
                default_storage.delete(item.photo.name or "")
                raise
        if old and old != item.photo.name:
            transaction.on_commit(lambda: default_storage.delete(old))
    return item


# --- services ---------------------------------------------------------------------------------


def service_save(
    *, business: Business, changes: Mapping[str, Any], service: Service | None = None
) -> Service:
    """Create a service (``service`` None) or change the given fields of one.

    A new service is priced in the business's currency unless ``changes`` names another.
    """
    service = record_or_new(
        Service, business=business, instance=service, label="Service", currency=business.currency
    )
    changes = dict(changes)
    if changes.get("currency"):
        changes["currency"] = changes["currency"].strip().upper()
    record_apply(service, changes)
    return record_save(service)


# --- providers --------------------------------------------------------------------------------


def provider_save(
    *,
    business: Business,
    changes: Mapping[str, Any],
    provider: Provider | None = None,
    service_ids: Iterable[int] | None = None,
    working_hours: Iterable[tuple[int, time, time]] | None = None,
) -> Provider:
    """Create or change a provider; ``service_ids`` and ``working_hours`` replace when given."""
    provider = record_or_new(Provider, business=business, instance=provider, label="Provider")
    record_apply(provider, changes)
    services = (
        None
        if service_ids is None
        else records_get(Service, business=business, ids=service_ids, label="Service")
    )
    hours = None if working_hours is None else _checked_hours(working_hours)
    with transaction.atomic():
        record_save(provider)
        if services is not None:
            provider.services.set(services)
        if hours is not None:
            _replace_hours(provider, hours)
    return provider


#: Longer working hours may free time this far ahead (no booking page looks further).
HOURS_FREED_AHEAD = timedelta(days=731)


def _hours_grew(before: set[tuple[int, time, time]], after: list[tuple[int, time, time]]) -> bool:
    """Whether some minute of the week is worked after the change that was not before."""

    def covered(weekday: int, start: time, end: time) -> bool:
        return any(d == weekday and s <= start and e >= end for d, s, e in before)

    return any(not covered(d, s, e) for d, s, e in after)


def working_hours_set(
    *, business: Business, provider: Provider, intervals: Iterable[tuple[int, time, time]]
) -> list[WorkingHours]:
    """Replace the provider's weekly hours; a day may have several intervals, not overlapping."""
    if provider.business_id != business.pk:
        raise errors.not_found("Provider")
    hours = _checked_hours(intervals)
    with transaction.atomic():
        return _replace_hours(provider, hours)


def _checked_hours(intervals: Iterable[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    """Valid weekly intervals, sorted; an identical interval sent twice counts once."""
    rows = sorted(set(intervals))
    previous: tuple[int, time, time] | None = None
    for weekday, start, end in rows:
        if not 0 <= weekday <= 6:
            raise errors.InvalidInput(
                _("The weekday must be 0 (Monday) to 6 (Sunday)."), field="working_hours"
            )
        if end <= start:
            raise errors.InvalidInput(
                _("Working hours must end after they start (no crossing midnight)."),
                field="working_hours",
            )
        if previous is not None and previous[0] == weekday and previous[2] > start:
            day = WorkingHours.Weekday(weekday).label
            raise errors.InvalidInput(
                _("Intervals on the same day must not overlap (%(day)s).") % {"day": day},
                field="working_hours",
            )
        previous = (weekday, start, end)
    return rows


def _replace_hours(provider: Provider, hours: list[tuple[int, time, time]]) -> list[WorkingHours]:
    before = set(
        WorkingHours.objects.filter(provider=provider).values_list("weekday", "start", "end")
    )
    WorkingHours.objects.filter(provider=provider).delete()
    rows = WorkingHours.objects.bulk_create(
        WorkingHours(provider=provider, weekday=d, start=s, end=e) for d, s, e in hours
    )
    events.emit(events.ScheduleChanged(provider_ids=(provider.pk,), reason="hours"))
    if _hours_grew(before, hours):
        # Written in this transaction by the listeners (the waitlist's freed-time row).
        now = utcnow()
        events.emit(
            events.TimeFreed(
                business_id=provider.business_id,
                provider_id=provider.pk,
                start=now,
                end=now + HOURS_FREED_AHEAD,
                reason="hours",
            )
        )
    return rows


def time_off_create(
    *, business: Business, provider: Provider, start: datetime, end: datetime, reason: str = ""
) -> TimeOff:
    """Block ``provider`` from ``start`` to ``end`` (existing bookings stay; staff move them)."""
    if provider.business_id != business.pk:
        raise errors.not_found("Provider")
    if end <= start:
        raise errors.InvalidInput(_("Time off must end after it starts."), field="end")
    off = TimeOff(
        provider=provider,
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        reason=reason.strip(),
    )
    with transaction.atomic():
        record_save(off)
        events.emit(events.ScheduleChanged(provider_ids=(provider.pk,), reason="time_off"))
    return off


def time_off_delete(*, business: Business, provider_id: int, time_off_id: int) -> None:
    """Remove one time off of a provider of ``business``; an unknown one is not found.

    The time it covered may be bookable again: ``TimeFreed`` is emitted in the same
    transaction (the waitlist writes its freed-time row there).
    """
    with transaction.atomic():
        off = (
            TimeOff.objects.select_for_update()
            .filter(pk=time_off_id, provider_id=provider_id, provider__business=business)
            .first()
        )
        if off is None:
            raise errors.not_found("Time off")
        off.delete()
        events.emit(events.ScheduleChanged(provider_ids=(provider_id,), reason="time_off"))
        if off.end > utcnow():
            events.emit(
                events.TimeFreed(
                    business_id=business.pk,
                    provider_id=provider_id,
                    start=off.start,
                    end=off.end,
                    reason="time_off",
                )
            )


# --- customers --------------------------------------------------------------------------------


def customer_save(
    *, business: Business, changes: Mapping[str, Any], customer: Customer | None = None
) -> Customer:
    """Create a customer (``customer`` None) or change the given fields of one.

    The email address and the one-line fields follow core/validators.py, whoever calls.
    """
    customer = record_or_new(Customer, business=business, instance=customer, label="Customer")
    changes = customer_details_checked(changes)
    record_apply(customer, changes)
    return record_save(customer)


def _language(value: str) -> str:
    """A shipped language tag, "" for none; anything else is refused."""
    if not value:
        return ""
    tag = i18n.language_tag(value)
    if tag is None:
        raise ValidationError(i18n.validate_language_message(value), code="language")
    return tag


def customer_details_checked(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` with the address cleaned (one address, lower case) and the one-line fields
    checked (core/validators.py); a refusal is an ``InvalidInput`` naming the field."""
    checked = dict(changes)
    rules = {
        "email": lambda v: validators.validate_email_address(v).lower(),
        "name": validators.validate_line,
        "phone": validators.validate_line,
        "timezone": validators.validate_line,
        "language": _language,
    }
    for field, rule in rules.items():
        if not isinstance(checked.get(field), str):
            continue
        try:
            checked[field] = rule(checked[field])
        except ValidationError as exc:
            raise errors.InvalidInput(" ".join(exc.messages), field=field) from None
    return checked


def customer_get_or_create(
    *,
    business: Business,
    name: str,
    email: str,
    phone: str = "",
    timezone: str = "",
    language: str = "",
) -> tuple[Customer, bool]:
    """The business's customer with this email, exactly as stored, or a new one from the rest.

    This is the one rule for who a booking belongs to, for staff and for anonymous bookers
    alike: a matching customer is linked but never changed (nothing typed by someone who merely
    knows an address may alter or reveal the stored record; staff edit customers explicitly
    with :func:`customer_save`). What a web booker typed is kept on the booking instead (see
    ``Booking.contact``). Returns ``(customer, created)``.
    """
    checked = customer_details_checked(
        {"name": name, "email": email, "phone": phone, "timezone": timezone, "language": language}
    )
    existing = Customer.objects.filter(business=business, email__iexact=checked["email"]).first()
    if existing is not None:
        # Not even the language: the booker's own is kept on the booking (Booking.language).
        return existing, False
    customer = Customer(business=business)
    record_apply(customer, checked)
    # The fields' own rules (lengths, a known zone) without record_save's extra round trips:
    # a web booking runs this under its write lock, where every query counts.
    try:
        customer.clean_fields(exclude=["business"])
    except ValidationError as exc:
        fields = {f: " ".join(m) for f, m in exc.message_dict.items()}
        raise errors.InvalidInput(" ".join(fields.values()), field=next(iter(fields))) from None
    customer.save()
    return customer, True
