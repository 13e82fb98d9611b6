"""Availability and bookings for the business whose key is used.

Every change calls the same action the backoffice uses, as ``Actor.api(<key name>)`` and scoped
with ``business_id``; a rule's refusal comes back as its DomainError code.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from slotwise.api import present
from slotwise.api.auth import business_of, key_of
from slotwise.api.endpoints._common import (
    PageQuery,
    booking_for,
    paginate,
    responses,
    zone,
)
from slotwise.api.errors import PolicyImmutable, UseAction
from slotwise.api.schemas import (
    AvailabilityOut,
    BookingIn,
    BookingList,
    BookingOut,
    BookingPatchIn,
    BookingStatus,
    CancelIn,
    CloneIn,
    HistoryList,
    Id,
    Instant,
    MessageList,
    PaymentIn,
    PaymentList,
    PaymentOut,
    ReminderList,
    RescheduleIn,
    SelfServiceIn,
)
from slotwise.bookings import actions, selectors, usecases
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.core.models import Business
from slotwise.core.records import record_get
from slotwise.notifications import selectors as outbox_selectors

router = Router()

#: The longest window one availability request may ask for.
MAX_WINDOW = timedelta(days=62)
DEFAULT_WINDOW = timedelta(days=7)


def window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The asked window (default: the next 7 days), refused when inverted or too long."""
    start = start or now
    end = end or start + DEFAULT_WINDOW
    if end <= start:
        raise errors.InvalidInput(_("end must be after start."), field="end")
    if end - start > MAX_WINDOW:
        raise errors.InvalidInput(_("Ask for at most 62 days at a time."), field="end")
    return start, end


def slots_body(slots: list[Any], tz: Any) -> dict[str, Any]:
    return {
        "timezone": str(tz.key),
        "slots": [
            {
                "start": s.start.astimezone(tz),
                "end": s.end.astimezone(tz),
                "provider_ids": list(s.provider_ids),
            }
            for s in slots
        ],
    }


def _actor(request: HttpRequest) -> Actor:
    return Actor.api(key_of(request).name)


def _policy(data: SelfServiceIn) -> SelfServicePolicy:
    return SelfServicePolicy(
        allow_cancel=data.allow_cancel,
        allow_reschedule=data.allow_reschedule,
        change_deadline_minutes=data.change_deadline_minutes,
        max_reschedules=data.max_reschedules,
    )


def _provider(business: Business, pk: int | None) -> Provider | None:
    if pk is None:
        return None
    return record_get(Provider, business=business, pk=pk, label="Provider")


def _out(booking: Booking) -> dict[str, Any]:
    return present.booking(
        Booking.objects.select_related(
            "business", "service", "provider", "customer", "cloned_from"
        ).get(pk=booking.pk)
    )


# --- availability -----------------------------------------------------------------------------


class AvailabilityQuery(Schema):
    service_id: Id
    provider_id: Id | None = Field(None, description="Empty: any provider of the service.")
    start: Instant | None = Field(None, description="Default: now.")
    end: Instant | None = Field(None, description="Default: start + 7 days; at most 62 days.")
    timezone: str | None = Field(None, max_length=64, description="Default: the business's.")


@router.get("/availability", response=responses(AvailabilityOut), tags=["availability"])
def availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> dict[str, Any]:
    """Free start times of a service, with one provider or any, under the business's rules
    (slot step, minimum notice, days ahead) — what a customer of a custom booking is offered."""
    business = business_of(request)
    now = utcnow()
    tz = zone(query.timezone, business.tz)
    start, end = window(query.start, query.end, now)
    service = record_get(Service, business=business, pk=query.service_id, label="Service")
    provider = _provider(business, query.provider_id)
    if provider is not None:
        offered = loaders.providers_for(service=service, provider_ids=[provider.pk])
        if not offered:
            return slots_body([], tz)
    slots = loaders.slots_for(
        service=service, window_start=start, window_end=end, now=now, provider=provider
    )
    return slots_body(slots, tz)


# --- bookings ---------------------------------------------------------------------------------


class BookingFilters(Schema):
    status: BookingStatus | None = None
    provider_id: Id | None = None
    customer_id: Id | None = None
    service_id: Id | None = None
    source: str | None = Field(None, pattern="^(custom|web)$")
    start_from: Instant | None = Field(None, alias="from", description="Starts at or after.")
    start_to: Instant | None = Field(None, alias="to", description="Starts before.")


@router.get("/bookings", response=responses(BookingList), tags=["bookings"])
def list_bookings(
    request: HttpRequest, page: PageQuery, filters: Query[BookingFilters]
) -> dict[str, Any]:
    """Bookings by start time, filtered."""
    business = business_of(request)
    qs = selectors.booking_list(
        business=business,
        status=filters.status,
        provider_id=filters.provider_id,
        customer_id=filters.customer_id,
        service_id=filters.service_id,
        source=filters.source,
        start_from=filters.start_from,
        start_to=filters.start_to,
    ).select_related("business", "cloned_from")
    return paginate(qs, page, present.booking)


@router.post("/bookings", response=responses(BookingOut, 201), tags=["bookings"])
def create_booking(
    request: HttpRequest,
    payload: BookingIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=200,
        description="A retry with the same key returns the booking the first request made.",
    ),
) -> Status[dict[str, Any]]:
    """A custom booking (made by the business, not the customer): its self-service policy is
    chosen here and can never be changed afterwards."""
    key = None
    if idempotency_key is not None:
        key = usecases.IdempotencyKey(
            key=idempotency_key, request_hash=hashlib.sha256(request.body).hexdigest()
        )
    contact = payload.customer
    placed = usecases.staff_booking_place(
        business=business_of(request),
        actor=_actor(request),
        service_id=payload.service_id,
        provider_id=payload.provider_id,
        customer_id=payload.customer_id,
        customer=None
        if contact is None
        else actions.CustomerDetails(
            name=contact.name, email=contact.email, phone=contact.phone, language=contact.language
        ),
        start=payload.start,
        policy=_policy(payload.self_service),
        now=utcnow(),
        price=payload.price,
        notes=payload.notes.strip(),
        override_availability=payload.override_availability,
        notify_customer=payload.notify_customer,
        idempotency_key=key,
    )
    if placed.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, _out(placed.booking))


@router.get("/bookings/{reference}", response=responses(BookingOut), tags=["bookings"])
def get_booking(request: HttpRequest, reference: str) -> dict[str, Any]:
    return _out(booking_for(business_of(request), reference))


@router.patch("/bookings/{reference}", response=responses(BookingOut), tags=["bookings"])
def update_booking(request: HttpRequest, reference: str, payload: BookingPatchIn) -> dict[str, Any]:
    """Nothing of a booking is changed by PATCH: its self-service policy never changes
    (``policy_immutable``), and time, provider and status have their own actions
    (``use_action``). An empty PATCH returns the booking."""
    booking = booking_for(business_of(request), reference)
    sent = payload.model_dump(exclude_unset=True)
    if "self_service" in sent:
        raise PolicyImmutable()
    if "start" in sent or "provider_id" in sent:
        raise UseAction(_("Use POST …/reschedule to move a booking."), action="reschedule")
    if "status" in sent:
        raise UseAction(
            _("Use POST …/cancel, …/complete or …/no-show to change the status."),
            action="status",
        )
    return _out(booking)


@router.post("/bookings/{reference}/cancel", response=responses(BookingOut), tags=["bookings"])
def cancel_booking(request: HttpRequest, reference: str, payload: CancelIn) -> dict[str, Any]:
    """Cancel: the slot is free again, reminders are cancelled, payments stay as they are."""
    business = business_of(request)
    booking = actions.booking_cancel(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        now=utcnow(),
        reason=payload.reason,
        notify_customer=payload.notify_customer,
    )
    return _out(booking)


@router.post("/bookings/{reference}/reschedule", response=responses(BookingOut), tags=["bookings"])
def reschedule_booking(
    request: HttpRequest, reference: str, payload: RescheduleIn
) -> dict[str, Any]:
    """Move the booking in place (same reference and links); reminders move with it."""
    business = business_of(request)
    booking = actions.booking_reschedule(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        new_start=payload.start,
        new_provider=_provider(business, payload.provider_id),
        now=utcnow(),
        notify_customer=payload.notify_customer,
        override_availability=payload.override_availability,
    )
    return _out(booking)


@router.post("/bookings/{reference}/complete", response=responses(BookingOut), tags=["bookings"])
def complete_booking(request: HttpRequest, reference: str) -> dict[str, Any]:
    """The appointment took place: only once it has ended (before: 409 ``invalid_state``).
    The customer is asked for a rating when the undo window has passed."""
    business = business_of(request)
    booking = actions.booking_complete(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        now=utcnow(),
    )
    return _out(booking)


@router.post("/bookings/{reference}/no-show", response=responses(BookingOut), tags=["bookings"])
def no_show_booking(request: HttpRequest, reference: str) -> dict[str, Any]:
    """The customer did not come: only once the appointment has ended (before: 409
    ``invalid_state``)."""
    business = business_of(request)
    booking = actions.booking_mark_no_show(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        now=utcnow(),
    )
    return _out(booking)


@router.post("/bookings/{reference}/undo-close", response=responses(BookingOut), tags=["bookings"])
def undo_close_booking(request: HttpRequest, reference: str) -> dict[str, Any]:
    """Put a booking marked completed or no-show back to confirmed, within 10 minutes of
    closing it; the waiting rating request is withdrawn. Later: 409 ``invalid_state``."""
    business = business_of(request)
    booking = actions.booking_close_undo(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        now=utcnow(),
    )
    return _out(booking)


@router.post("/bookings/{reference}/clone", response=responses(BookingOut, 201), tags=["bookings"])
def clone_booking(request: HttpRequest, reference: str, payload: CloneIn) -> Status[dict[str, Any]]:
    """A new custom booking from a cancelled one, at a new time with a fresh policy."""
    business = business_of(request)
    booking = actions.booking_clone(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        start=payload.start,
        policy=_policy(payload.self_service),
        now=utcnow(),
        provider=_provider(business, payload.provider_id),
        price=payload.price,
        notes=payload.notes,
        override_availability=payload.override_availability,
        notify_customer=payload.notify_customer,
    )
    return Status(201, _out(booking))


@router.get("/bookings/{reference}/history", response=responses(HistoryList), tags=["bookings"])
def booking_history(request: HttpRequest, reference: str, page: PageQuery) -> dict[str, Any]:
    """Every change, oldest first, with who made it and the values before and after."""
    business = business_of(request)
    qs = selectors.booking_history(booking=booking_for(business, reference))
    return paginate(qs, page, lambda e: present.history(e, business.tz))


@router.get("/bookings/{reference}/reminders", response=responses(ReminderList), tags=["bookings"])
def booking_reminders(request: HttpRequest, reference: str, page: PageQuery) -> dict[str, Any]:
    """Scheduled reminders with their send time and status (queued, sent, cancelled…)."""
    business = business_of(request)
    qs = outbox_selectors.booking_reminders(booking=booking_for(business, reference))
    return paginate(qs, page, lambda m: present.reminder(m, business.tz))


@router.get(
    "/bookings/{reference}/notifications", response=responses(MessageList), tags=["bookings"]
)
def booking_notifications(request: HttpRequest, reference: str, page: PageQuery) -> dict[str, Any]:
    """Emails caused by the booking's changes (reminders are under …/reminders)."""
    business = business_of(request)
    qs = outbox_selectors.booking_notifications(booking=booking_for(business, reference))
    return paginate(qs, page, lambda m: present.message(m, business.tz))


@router.get("/bookings/{reference}/payments", response=responses(PaymentList), tags=["bookings"])
def booking_payments(request: HttpRequest, reference: str, page: PageQuery) -> dict[str, Any]:
    business = business_of(request)
    qs = selectors.booking_payments(booking=booking_for(business, reference))
    return paginate(qs, page, lambda p: present.payment(p, business.tz))


@router.post(
    "/bookings/{reference}/payments", response=responses(PaymentOut, 201), tags=["bookings"]
)
def record_payment(
    request: HttpRequest, reference: str, payload: PaymentIn
) -> Status[dict[str, Any]]:
    """Record a payment or (status ``refunded``) a refund. Cancelling never touches these."""
    business = business_of(request)
    payment = actions.payment_record(
        booking_id=booking_for(business, reference).pk,
        business_id=business.pk,
        actor=_actor(request),
        amount=payload.amount,
        method=payload.method,
        status=payload.status,
        currency=payload.currency,
        note=payload.note,
        now=utcnow(),
    )
    return Status(201, present.payment(payment, business.tz))
