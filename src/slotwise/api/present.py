"""Rows to response bodies. Times go out in the business's time zone, with the offset."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.fields.files import FieldFile

from slotwise.bookings.models import Booking, BookingEvent, BookingPage, Payment
from slotwise.bookings.outward import booking_outward
from slotwise.bookings.selectors import SelfServiceStatus
from slotwise.catalog.models import Customer, Provider, Service, TimeOff
from slotwise.core.models import Business
from slotwise.notifications.models import Message, NotificationSettings, WebhookEndpoint
from slotwise.notifications.render import format_instant

_END_OF_DAY = time(23, 59, 59, 999999)


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz) if value is not None else None


def money(value: Decimal) -> str:
    """A decimal string with two places ('40.00'), however the value was written."""
    return f"{Decimal(value):.2f}"


def clock(value: time) -> str:
    return "24:00" if value >= _END_OF_DAY else value.strftime("%H:%M")


def parse_clock(value: str) -> time:
    """'HH:MM' to a time; '24:00' is the end of the day."""
    if value == "24:00":
        return _END_OF_DAY
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def service(s: Service) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "description": s.description,
        "duration_minutes": s.duration_minutes,
        "price": money(s.price),
        "currency": s.currency,
        "buffer_before_minutes": s.buffer_before_minutes,
        "buffer_after_minutes": s.buffer_after_minutes,
        "active": s.active,
    }


def provider(p: Provider) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "email": p.email,
        "phone": p.phone,
        "working_hours": [
            {"weekday": wh.weekday, "start": clock(wh.start), "end": clock(wh.end)}
            for wh in p.working_hours.all()
        ],
        "service_ids": sorted(s.pk for s in p.services.all()),
        "active": p.active,
        "receives_notifications": p.receives_notifications,
    }


def time_off(off: TimeOff, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": off.pk,
        "start": _local(off.start, tz),
        "end": _local(off.end, tz),
        "reason": off.reason,
    }


def customer(c: Customer) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "timezone": c.timezone,
        "language": c.language,
        "created_at": c.created_at,
    }


def self_service_status(status: SelfServiceStatus, tz: ZoneInfo) -> dict[str, Any]:
    """The manage answer's self-service part, straight from the one selector."""
    return {
        "allowed_actions": status.allowed_codes,
        "change_deadline": status.deadline.astimezone(tz),
        "refusals": {r.action: {"code": r.code, "message": r.message} for r in status.refusals},
        "reschedules_left": status.reschedules_left,
        "reschedule_provider_id": status.provider_scope,
        "message": status.promise(format_instant(status.deadline, tz)),
    }


def self_service(row: Booking | BookingPage) -> dict[str, Any]:
    return {
        "allow_cancel": row.allow_cancel,
        "allow_reschedule": row.allow_reschedule,
        "change_deadline_minutes": row.change_deadline_minutes,
        "max_reschedules": row.max_reschedules,
    }


def booking_page(page: BookingPage) -> dict[str, Any]:
    return {
        "id": page.pk,
        "slug": page.slug,
        "title": page.title,
        "intro": page.intro,
        "service_ids": sorted(s.pk for s in page.services.all()),
        "provider_ids": sorted(p.pk for p in page.providers.all()),
        "any_provider": page.any_provider,
        "min_notice_minutes": page.min_notice_minutes,
        "max_days_ahead": page.max_days_ahead,
        "slot_step_minutes": page.slot_step_minutes,
        "self_service": self_service(page),
        "active": page.active,
        "waitlist": page.waitlist,
    }


def notification_settings(found: NotificationSettings) -> dict[str, bool]:
    return {
        field: getattr(found, field)
        for field in (
            "provider_on_created",
            "provider_on_rescheduled",
            "provider_on_cancelled",
            "business_on_created",
            "business_on_rescheduled",
            "business_on_cancelled",
        )
    }


def booking(b: Booking) -> dict[str, Any]:
    """The staff API's booking body: the outward facts (``bookings/outward.py``) and the
    booking's staff-only fields."""
    tz = b.business.tz
    facts = booking_outward(b)
    return {
        "reference": facts["reference"],
        "status": facts["status"],
        "source": facts["source"],
        "start": facts["start"],
        "end": facts["end"],
        "service_id": facts["service"]["id"],
        "service_name": facts["service"]["name"],
        "provider_id": facts["provider"]["id"],
        "provider_name": facts["provider"]["name"],
        "customer": facts["customer"],
        "contact": facts["contact"],
        "self_service": self_service(b),
        "change_deadline": _local(b.change_deadline, tz),
        "reschedule_count": b.reschedule_count,
        "price": money(facts["price"]),
        "currency": facts["currency"],
        "notes": b.notes,
        "booking_page_id": b.booking_page_id,
        "cloned_from": b.cloned_from.reference if b.cloned_from_id and b.cloned_from else None,
        "cancelled_at": _local(b.cancelled_at, tz),
        "cancelled_by": b.cancelled_by,
        "cancellation_reason": b.cancellation_reason,
        "version": facts["version"],
        "created_at": _local(b.created_at, tz),
    }


def public_booking(b: Booking) -> dict[str, Any]:
    """What the customer may see of their booking: the outward facts without the stored
    customer record, and no staff notes."""
    tz = b.business.tz
    facts = booking_outward(b)
    return {
        "reference": facts["reference"],
        "status": facts["status"],
        "start": facts["start"],
        "end": facts["end"],
        "timezone": facts["timezone"],
        "service_id": facts["service"]["id"],
        "service_name": facts["service"]["name"],
        "provider_id": facts["provider"]["id"],
        "provider_name": facts["provider"]["name"],
        # What the booker typed: the stored customer record is never shown to them.
        "customer_name": b.contact.name,
        # Matched without regard to case: the stored spelling would tell a booker who typed
        # another one that the address is already a customer of the business.
        "customer_email": facts["customer"]["email"].lower(),
        "price": money(facts["price"]),
        "currency": facts["currency"],
        "self_service": self_service(b),
        "change_deadline": _local(b.change_deadline, tz),
        "cancellation_reason": b.cancellation_reason,
    }


def public_business(business: Business) -> dict[str, Any]:
    return {
        "name": business.name,
        "slug": business.slug,
        "timezone": business.timezone,
        "contact_email": business.contact_email,
        "phone": business.phone,
        "address": business.address,
        "description": business.description,
        "logo_url": file_url(business.logo),
        "cover_image_url": file_url(business.cover_image),
        "accent_color": business.accent_color or None,
    }


def file_url(field: FieldFile) -> str | None:
    """An uploaded file's absolute URL (API clients are on other sites), or None."""
    if not field:
        return None
    url = field.url
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL.rstrip('/')}{url}"


def history(event: BookingEvent, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "actor_kind": event.actor_kind,
        "actor_label": event.actor_label,
        "old": event.old,
        "new": event.new,
        "created_at": _local(event.created_at, tz),
    }


def reminder(m: Message, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": m.pk,
        "minutes_before": m.reminder_minutes,
        "send_at": _local(m.due_at, tz),
        "status": m.status,
        "sent_at": _local(m.sent_at, tz),
    }


def message(m: Message, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "channel": m.channel,
        "audience": m.audience,
        "recipient": m.recipient,
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "due_at": _local(m.due_at, tz),
        "sent_at": _local(m.sent_at, tz),
        "created_at": _local(m.created_at, tz),
    }


def payment(p: Payment, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": p.pk,
        "amount": money(p.amount),
        "currency": p.currency,
        "method": p.method,
        "status": p.status,
        "note": p.note,
        "created_at": _local(p.created_at, tz),
    }


def webhook(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "created_at": endpoint.created_at,
    }
    if with_secret:
        body["secret"] = endpoint.secret
    return body


def delivery(m: Message, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": m.pk,
        "event": str(m.context.get("event", "")),
        "booking_reference": m.booking.reference if m.booking_id and m.booking else None,
        "status": m.status,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "next_attempt_at": _local(m.next_attempt_at, tz),
        "sent_at": _local(m.sent_at, tz),
        "created_at": _local(m.created_at, tz),
    }


def manage_url(token: str) -> str:
    return f"{settings.SITE_URL}/manage/{token}/"
