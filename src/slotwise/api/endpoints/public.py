"""No key needed: a booking page's facts and slots, web bookings, and manage-by-link.

A manage token is the customer's proof; unknown, malformed and expired tokens all get the same
404, and a client that keeps sending bad tokens is answered 429 for a while.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from slotwise.api import present
from slotwise.api.endpoints._common import check_slug, responses, zone
from slotwise.api.endpoints.bookings import window
from slotwise.api.errors import RateLimited, TooMuchWork
from slotwise.api.schemas import (
    AvailabilityOut,
    Id,
    Instant,
    ManageCancelIn,
    ManageOut,
    ManageRescheduleIn,
    PublicPageOut,
    WebBookingIn,
    WebBookingOut,
)
from slotwise.bookings import actions, availability_cache, policy, selectors, usecases
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage, BookingToken
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors, ratelimit, web
from slotwise.core.clock import utcnow

router = Router(auth=None)
UTC_ZONE = ZoneInfo("UTC")


# --- abuse limits (docs/api.md, "Limits") ---------------------------------------------------


def _rate_limit(name: str, key: str) -> ratelimit.Decision:
    """Count one request against the limit ``name``; 429 with Retry-After past it."""
    decision = ratelimit.take(name, key)
    if not decision.allowed:
        raise RateLimited(retry_after=decision.retry_after)
    return decision


def _work_cap(work: int) -> None:
    """Refuse an availability question whose work is above the configured cap."""
    cap = settings.SLOTWISE_AVAILABILITY_MAX_WORK
    if work > cap:
        raise TooMuchWork(work=work, max_work=cap)


def _booking_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limit bookings per client address, and bookings made per mailbox (normalised email).

    Both are counted before the booking is tried, so parallel requests cannot all pass; a
    booking that is refused (slot taken, bad input) is given back to the mailbox's count.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _rate_limit("booking", ratelimit.client_key(request))
        email = kwargs["payload"].customer.email
        per_email = _rate_limit("booking_email", ratelimit.email_key(email))
        try:
            return view(request, *args, **kwargs)
        except errors.DomainError:
            ratelimit.give_back(per_email)
            raise

    return wrapper


# --- booking pages ----------------------------------------------------------------------------


def _page(business: str, page: str) -> BookingPage:
    return selectors.public_page_get(
        business_slug=check_slug(business, "Booking page"),
        page_slug=check_slug(page, "Booking page"),
    )


def _page_service(page: BookingPage, pk: int) -> Service:
    found = selectors.page_service(page=page, service_id=pk)
    if found is None:
        raise errors.NotFound(_("This service is not offered on this page."))
    return found


def _page_provider(page: BookingPage, pk: int | None) -> Provider | None:
    if pk is None:
        return None
    found = selectors.page_provider(page=page, provider_id=pk)
    if found is None:
        raise errors.NotFound(_("This provider is not offered on this page."))
    return found


@router.get("/public/{business}/pages/{page}", response=responses(PublicPageOut), tags=["public"])
def public_page(request: HttpRequest, business: str, page: str) -> dict[str, Any]:
    """What a booking widget shows: the page, its services and providers, its self-service."""
    found = _page(business, page)
    offered = selectors.page_services(page=found)
    offered_ids = {s.pk for s in offered}
    return {
        "business": present.public_business(found.business),
        "slug": found.slug,
        "title": found.title,
        "intro": found.intro,
        "any_provider": found.any_provider,
        "services": [
            {
                "id": s.pk,
                "name": s.name,
                "description": s.description,
                "duration_minutes": s.duration_minutes,
                "price": present.money(s.price),
                "currency": s.currency,
                "photo_url": present.file_url(s.photo),
            }
            for s in offered
        ],
        "providers": [
            {
                "id": p.pk,
                "name": p.name,
                "service_ids": sorted(s.pk for s in p.services.all() if s.pk in offered_ids),
                "photo_url": present.file_url(p.photo),
            }
            for p in selectors.page_providers(page=found)
        ],
        "self_service": present.self_service(found),
    }


#: How many local days one availability question may cover (as many as a start-end window).
MAX_DAYS = 62


class PageAvailabilityQuery(Schema):
    service_id: Id
    provider_id: Id | None = Field(None, description="Empty: any provider (if the page allows).")
    start: Instant | None = Field(None, description="Default: now.")
    end: Instant | None = Field(None, description="Default: start + 7 days; at most 62 days.")
    date: dt.date | None = Field(
        None,
        description="Instead of start and end: the first local day (YYYY-MM-DD), in the "
        "timezone given or the business's.",
    )
    days: int | None = Field(
        None, ge=1, le=MAX_DAYS, description="With date: how many local days. Default: 1."
    )
    timezone: str | None = Field(None, max_length=64, description="Default: the business's.")


def local_days_window(first: dt.date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From the local midnight starting ``first`` to the one ending its ``days``-th day.

    Midnight in a gap or repeated by a clock change is its first instant (fold 0), as for the
    booking page's months, so consecutive days share their boundaries.
    """
    start = datetime.combine(first, dt.time(0), tzinfo=tz)
    end = datetime.combine(first + dt.timedelta(days=days), dt.time(0), tzinfo=tz)
    return start.astimezone(UTC_ZONE), end.astimezone(UTC_ZONE)


def _question_window(
    query: PageAvailabilityQuery, tz: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    if query.date is None:
        if query.days is not None:
            raise errors.InvalidInput(_("days needs a date."), field="days")
        return window(query.start, query.end, now)
    if query.start is not None or query.end is not None:
        raise errors.InvalidInput(_("Ask by date and days, or by start and end."), field="date")
    try:
        return local_days_window(query.date, query.days or 1, tz)
    except OverflowError:
        raise errors.InvalidInput(_("This date is out of range."), field="date") from None


@router.get(
    "/public/{business}/pages/{page}/availability",
    response=responses(AvailabilityOut),
    tags=["public"],
)
def public_page_availability(
    request: HttpRequest, business: str, page: str, query: Query[PageAvailabilityQuery]
) -> HttpResponse:
    """Free start times on this page (its notice, step and days-ahead rules), for a window
    (``start``/``end``) or for local days (``date``/``days``)."""
    _rate_limit("availability", ratelimit.client_key(request))
    # The page, its business and the service in one statement.
    found, service = selectors.public_page_service(
        business_slug=check_slug(business, "Booking page"),
        page_slug=check_slug(page, "Booking page"),
        service_id=query.service_id,
    )
    now = utcnow()
    tz = zone(query.timezone, found.business.tz)
    start, end = _question_window(query, tz, now)
    if service is None:
        raise errors.NotFound(_("This service is not offered on this page."))
    if query.provider_id is not None:
        # The usual case in one query: on the page, active, offering the service, and the
        # provider's availability version.
        versions = availability_cache.offering_versions(
            service=service, page=found, provider_ids=[query.provider_id]
        )
        if not versions:
            _page_provider(found, query.provider_id)  # 404 unless the page offers them at all
            return slots_response([], tz)
    elif not found.any_provider:
        raise errors.InvalidInput(_("Please choose a provider."), field="provider_id")
    else:
        versions = availability_cache.offering_versions(service=service, page=found)
    # The business came with the page: the service's is the same and is not read again.
    question = availability_cache.Question(
        service=service, business=found.business, page=found, window_start=start, window_end=end
    )
    _work_cap(availability_cache.work_of(question, provider_count=len(versions), now=now))
    return slots_response(availability_cache.free_slots(question, versions=versions, now=now), tz)


def _instant_text(value: datetime, tz: ZoneInfo) -> str:
    # As the API's JSON encoder writes instants (milliseconds at most, "Z" for UTC).
    text = value.astimezone(tz).isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text


#: Each slot as its JSON text, by zone and slot: a cached answer's slots are the same from one
#: request to the next, so each is written once. Bounded: emptied when it grows past this.
_SLOT_TEXT: dict[tuple[str, Any], str] = {}
_SLOT_TEXT_SIZE = 50_000


def _slot_text(slot: Any, tz: ZoneInfo) -> str:
    key = (tz.key, slot)
    text = _SLOT_TEXT.get(key)
    if text is None:
        text = json.dumps(
            {
                "start": _instant_text(slot.start, tz),
                "end": _instant_text(slot.end, tz),
                "provider_ids": list(slot.provider_ids),
            }
        )
        if len(_SLOT_TEXT) >= _SLOT_TEXT_SIZE:
            _SLOT_TEXT.clear()
        _SLOT_TEXT[key] = text
    return text


def slots_response(slots: list[Any], tz: ZoneInfo) -> HttpResponse:
    """``AvailabilityOut`` as JSON, written directly.

    A month of "any provider" is a thousand instants; through the schema each one is checked,
    converted and encoded in Python, which cost more than finding the slots (a cached answer
    is served in a fraction of that). Each slot's text is kept (``_slot_text``), so a cached
    answer is mostly joined, not written. The body is the one ``slots_body`` gives.
    """
    items = ", ".join([_slot_text(s, tz) for s in slots])
    body = f'{{"timezone": {json.dumps(str(tz.key))}, "slots": [{items}]}}'
    return HttpResponse(body, content_type="application/json")


@router.post(
    "/public/{business}/pages/{page}/bookings",
    response=responses(WebBookingOut, 201),
    tags=["public"],
)
@_booking_limits
def public_page_book(
    request: HttpRequest,
    business: str,
    page: str,
    payload: WebBookingIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=200,
        description="A random key of 16 to 200 characters (a UUID, say). A retry with the same "
        "key and body returns the booking the first request made, with a fresh manage_url.",
    ),
) -> Status[dict[str, Any]]:
    """Book on the page as the customer. The page's self-service settings are copied onto the
    booking; ``manage_url`` is the customer's link to cancel or reschedule."""
    found, service = selectors.public_page_service(
        business_slug=check_slug(business, "Booking page"),
        page_slug=check_slug(page, "Booking page"),
        service_id=payload.service_id,
    )
    placed = usecases.web_booking_place(
        page=found,
        service=service,
        service_id=payload.service_id,
        provider_id=payload.provider_id,
        start=payload.start,
        customer=actions.CustomerDetails(
            name=payload.customer.name,
            email=payload.customer.email,
            phone=payload.customer.phone,
            timezone=_customer_zone(payload.customer.timezone),
            language=payload.customer.language,
        ),
        now=utcnow(),
        notes=payload.notes,
        idempotency_key=None
        if idempotency_key is None
        else web_idempotency_key(page=found, key=idempotency_key, body=request.body),
    )
    if placed.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, _web_booking_body(placed.booking, placed.token))


def _web_booking_body(booking: Booking, token: str) -> dict[str, Any]:
    return {"booking": present.public_booking(booking), "manage_url": present.manage_url(token)}


#: A public key is the customer's proof on a retry, so it must be hard to guess.
PUBLIC_KEY_MIN_LENGTH = 16


def web_idempotency_key(*, page: BookingPage, key: str, body: bytes) -> usecases.IdempotencyKey:
    """A web booking's ``Idempotency-Key`` as it is claimed.

    Stored hashed with the page, so it never meets a staff API key of the business nor a key
    of another page. The body's hash must match the first request's, as for the staff API.
    """
    key = key.strip()
    if len(key) < PUBLIC_KEY_MIN_LENGTH or len(key) > 200 or not key.isprintable():
        raise errors.InvalidInput(
            _("The Idempotency-Key must be 16 to 200 printable characters."),
            field="Idempotency-Key",
        )
    scoped = "web:" + hashlib.sha256(f"{page.pk}:{key}".encode()).hexdigest()
    return usecases.IdempotencyKey(key=scoped, request_hash=hashlib.sha256(body).hexdigest())


def _customer_zone(name: str) -> str:
    """The customer's own zone (an IANA name), so emails show their local time."""
    return zone(name, UTC_ZONE).key if name else ""


# --- manage by link ---------------------------------------------------------------------------


def _booking_by_token(request: HttpRequest, token: str, now: datetime) -> Booking:
    try:
        booking = web.token_lookup(
            request,
            lambda: actions.token_verify(raw=token, purpose=BookingToken.Purpose.MANAGE, now=now),
        )
    except web.TooManyBadTokens:
        raise RateLimited() from None
    if booking is None:
        raise errors.NotFound(_("This link is not valid. Please contact the business."))
    return booking


def _manage_body(booking: Booking, now: datetime) -> dict[str, Any]:
    status = selectors.self_service_status(booking, now)
    return {
        "booking": present.public_booking(booking),
        "business": present.public_business(booking.business),
        **present.self_service_status(status, booking.business.tz),
    }


@router.get("/manage/{token}", response=responses(ManageOut), tags=["manage"])
def manage(request: HttpRequest, token: str) -> dict[str, Any]:
    """The booking behind a manage link, what its customer may do now and until when.
    Reading never changes anything."""
    now = utcnow()
    return _manage_body(_booking_by_token(request, token, now), now)


class ManageAvailabilityQuery(Schema):
    provider_id: Id | None = Field(
        None,
        description="Another provider's times (only where the page offers any provider). "
        "Default: the booking's provider, or every provider of the page for a booking made "
        "for any provider.",
    )
    start: Instant | None = Field(None, description="Default: now.")
    end: Instant | None = Field(None, description="Default: start + 7 days; at most 62 days.")
    timezone: str | None = Field(None, max_length=64, description="Default: the business's.")


@router.get("/manage/{token}/availability", response=responses(AvailabilityOut), tags=["manage"])
def manage_availability(
    request: HttpRequest, token: str, query: Query[ManageAvailabilityQuery]
) -> HttpResponse:
    """Times the booking can be moved to: its own provider's, unless it was booked for "any
    provider" (then every provider's, pooled; each slot lists who is free) or another provider
    is asked for where the page allows it."""
    _rate_limit("availability", ratelimit.client_key(request))
    now = utcnow()
    booking = _booking_by_token(request, token, now)
    status = selectors.self_service_status(booking, now)
    refusal = status.refusal(policy.Action.RESCHEDULE)
    if refusal is not None:
        raise refusal.error
    tz = zone(query.timezone, booking.business.tz)
    start, end = window(query.start, query.end, now)
    page = booking.booking_page
    scope = selectors.reschedule_scope(booking, chosen_provider_id=query.provider_id)
    provider: Provider | None = booking.provider
    if scope is None:
        provider = None
    elif scope != booking.provider_id:
        found = loaders.providers_for(service=booking.service, page=page, provider_ids=[scope])
        if not found:
            raise errors.NotFound(_("This provider is not offered for this booking."))
        provider = found[0]
    question: dict[str, Any] = {
        "service": booking.service,
        "window_start": start,
        "window_end": end,
        "now": now,
        "page": page,
        "provider": provider,
    }
    _work_cap(loaders.work_for(**question))
    # Through the same cache as the booking page: keyed by the booking left out, and never
    # stale (the providers' versions; bookings/availability_cache.py).
    slots = availability_cache.slots(
        **question, business=booking.business, exclude_booking_id=booking.pk
    )
    return slots_response(slots, tz)


@router.post("/manage/{token}/cancel", response=responses(ManageOut), tags=["manage"])
def manage_cancel(request: HttpRequest, token: str, payload: ManageCancelIn) -> dict[str, Any]:
    """Cancel as the customer, if the booking's policy allows it now."""
    now = utcnow()
    booking = _booking_by_token(request, token, now)
    cancelled = actions.booking_cancel(
        booking_id=booking.pk,
        business_id=booking.business_id,
        actor=Actor.customer(booking.contact.name),
        now=now,
        reason=payload.reason,
    )
    return _manage_body(cancelled, now)


@router.post("/manage/{token}/reschedule", response=responses(ManageOut), tags=["manage"])
def manage_reschedule(
    request: HttpRequest, token: str, payload: ManageRescheduleIn
) -> dict[str, Any]:
    """Move the booking as the customer, if its policy allows it now and the slot is free.
    Without ``provider_id`` the booking keeps its provider; another provider only where the
    page offers any provider (else 403 ``not_allowed``)."""
    now = utcnow()
    booking = _booking_by_token(request, token, now)
    new_provider = None
    if payload.provider_id is not None:
        new_provider = Provider.objects.filter(
            business_id=booking.business_id, pk=payload.provider_id
        ).first()
        if new_provider is None:
            raise errors.not_found("Provider")
    moved = actions.booking_reschedule(
        booking_id=booking.pk,
        business_id=booking.business_id,
        actor=Actor.customer(booking.contact.name),
        new_start=payload.start,
        new_provider=new_provider,
        now=now,
    )
    return _manage_body(moved, now)
