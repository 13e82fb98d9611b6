"""The waitlist: joining (public and by manage link), offers by link, staff reads and settings.

Rules live in ``bookings/actions/waitlist.py``; this module parses, calls and presents.
See docs/api.md, "Waitlist".
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from slotwise.api import present
from slotwise.api.auth import business_of
from slotwise.api.endpoints._common import PageQuery, PathId, paginate, responses
from slotwise.api.endpoints.public import (
    _booking_by_token,
    _customer_zone,
    _page,
    _rate_limit,
)
from slotwise.api.errors import RateLimited
from slotwise.api.schemas import (
    OfferAcceptOut,
    OfferByHandIn,
    OfferOut,
    WaitlistEarlierIn,
    WaitlistEntryList,
    WaitlistJoinIn,
    WaitlistJoinOut,
    WaitlistOfferOut,
    WaitlistSettingsIn,
    WaitlistSettingsOut,
)
from slotwise.bookings import actions
from slotwise.bookings import waitlist_selectors as reads
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import WaitlistEntry, WaitlistOffer
from slotwise.core import errors, ratelimit, web
from slotwise.core.clock import utcnow

public = Router(auth=None, tags=["waitlist"])
staff = Router(tags=["waitlist"])


def waitlist_url(token: str) -> str:
    return f"{settings.SITE_URL}/waitlist/{token}/"


def _windows(items: list[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(by_alias=True) for item in items]


def _joined(joined: wl.Joined) -> dict[str, Any]:
    return {
        "reference": joined.entry.reference,
        "status": joined.entry.status,
        "manage_url": waitlist_url(joined.token),
    }


@public.post("/public/{business}/pages/{page}/waitlist", response=responses(WaitlistJoinOut, 201))
def join_waitlist(
    request: HttpRequest, business: str, page: str, payload: WaitlistJoinIn
) -> Status[dict[str, Any]]:
    """Join the page's waitlist (only where the page has one: else 404). ``manage_url`` is the
    customer's link to see and leave the entry; every waitlist email carries one too."""
    _rate_limit("booking", ratelimit.client_key(request))
    _rate_limit("booking_email", ratelimit.email_key(payload.customer.email))
    joined = wl.waitlist_join(
        page=_page(business, page),
        service_id=payload.service_id,
        provider_id=payload.provider_id,
        windows=_windows(payload.windows),
        customer=actions.CustomerDetails(
            name=payload.customer.name,
            email=payload.customer.email,
            phone=payload.customer.phone,
            timezone=_customer_zone(payload.customer.timezone),
            language=payload.customer.language,
        ),
        now=utcnow(),
    )
    return Status(201, _joined(joined))


@public.post("/manage/{token}/waitlist", response=responses(WaitlistJoinOut, 201))
def join_waitlist_earlier(
    request: HttpRequest, token: str, payload: WaitlistEarlierIn
) -> Status[dict[str, Any]]:
    """Ask to be told if an earlier time frees up for this booking (only where its policy
    lets the customer reschedule now and its page has a waitlist). Accepting an offer then
    moves the booking."""
    now = utcnow()
    booking = _booking_by_token(request, token, now)
    joined = wl.waitlist_join_earlier(booking=booking, windows=_windows(payload.windows), now=now)
    return Status(201, _joined(joined))


def _offer(request: HttpRequest, token: str, now: Any) -> WaitlistOffer:
    try:
        found = web.token_lookup(request, lambda: wl.offer_from_token(raw_token=token, now=now))
    except web.TooManyBadTokens:
        raise RateLimited() from None
    if found is None:
        raise errors.NotFound(_("This offer link is not valid."))
    return found


def offer_status(offer: WaitlistOffer, now: Any) -> str:
    """The offer's status as the customer sees it: an open offer past its hold is expired."""
    if offer.status == WaitlistOffer.Status.OPEN and not wl.offer_is_open(offer, now):
        return WaitlistOffer.Status.EXPIRED
    return offer.status


@public.get("/offers/{token}", response=responses(OfferOut))
def get_offer(request: HttpRequest, token: str) -> dict[str, Any]:
    """The time offered, and until when. Reading changes nothing; accepting is a POST."""
    now = utcnow()
    offer = _offer(request, token, now)
    entry = offer.entry
    return {
        "status": offer_status(offer, now),
        "start": offer.start,
        "end": offer.end,
        "provider_id": offer.provider_id,
        "provider_name": offer.provider.name,
        "service_id": entry.service_id,
        "service_name": entry.service.name,
        "timezone": entry.business.timezone,
        "expires_at": offer.expires_at,
        "reschedules_booking": entry.booking.reference if entry.booking else None,
    }


@public.post("/offers/{token}/accept", response=responses(OfferAcceptOut, 201))
def accept_offer(request: HttpRequest, token: str) -> Status[dict[str, Any]]:
    """Take the offered time: 201 with the booking (new, or the held booking moved); 409
    ``offer_expired`` when the offer lapsed or was used, 409 ``slot_unavailable`` when the
    time was booked meanwhile (the customer stays on the waitlist)."""
    now = utcnow()
    _offer(request, token, now)
    accepted = wl.offer_accept(raw_token=token, now=now)
    return Status(
        201,
        {
            "booking": present.public_booking(accepted.booking),
            "manage_url": present.manage_url(accepted.token),
        },
    )


# --- staff ----------------------------------------------------------------------------------


class WaitlistQuery(Schema):
    page_id: int | None = Field(None, ge=1, le=2**53, description="One booking page's entries.")
    day: date | None = Field(
        None, description="Entries whose windows cover this day or offered a time on it."
    )
    status: Literal["waiting", "booked", "left"] | None = None


def _offer_out(o: WaitlistOffer) -> dict[str, Any]:
    return {
        "id": o.pk,
        "status": o.status,
        "provider_id": o.provider_id,
        "start": o.start,
        "end": o.end,
        "offered_by": o.offered_by,
        "created_at": o.created_at,
        "expires_at": o.expires_at,
        "closed_at": o.closed_at,
        "booking_reference": o.booking.reference if o.booking else None,
    }


def _entry_out(e: WaitlistEntry) -> dict[str, Any]:
    return {
        "reference": e.reference,
        "status": e.status,
        "page_id": e.page_id,
        "service_id": e.service_id,
        "provider_id": e.provider_id,
        "booking_reference": e.booking.reference if e.booking else None,
        "name": e.name,
        "email": e.email,
        "windows": e.windows,
        "created_at": e.created_at,
        "offers": [_offer_out(o) for o in e.offers.all()],
    }


@staff.get("/waitlist", response=responses(WaitlistEntryList))
def list_waitlist(
    request: HttpRequest, query: Query[WaitlistQuery], page: PageQuery
) -> dict[str, Any]:
    """The waitlist in join order, with who was offered what and when."""
    qs = reads.waitlist_entries(
        business=business_of(request), page_id=query.page_id, day=query.day, status=query.status
    )
    return paginate(qs, page, _entry_out)


@staff.post("/waitlist/{entry}/offers", response=responses(WaitlistOfferOut, 201))
def offer_by_hand(
    request: HttpRequest, entry: str, payload: OfferByHandIn
) -> Status[dict[str, Any]]:
    """Offer a waiting customer (``entry``: the entry's reference, WL-…) a time by hand: one
    the page would let them book."""
    business = business_of(request)
    found = WaitlistEntry.objects.filter(business=business, reference=entry[:20]).first()
    if found is None:
        raise errors.NotFound(_("Waitlist entry not found."))
    offer = wl.waitlist_offer_by_hand(
        business=business,
        entry_id=found.pk,
        provider_id=payload.provider_id,
        start=payload.start,
        actor=Actor.api("API"),
        now=utcnow(),
    )
    return Status(201, _offer_out(offer))


@staff.get("/settings/waitlist", response=responses(WaitlistSettingsOut), tags=["settings"])
def get_waitlist_settings(request: HttpRequest) -> dict[str, Any]:
    found = wl.waitlist_settings_of(business_of(request))
    return {"mode": found.mode, "hold_minutes": found.hold_minutes}


@staff.put("/settings/waitlist", response=responses(WaitlistSettingsOut), tags=["settings"])
def put_waitlist_settings(request: HttpRequest, payload: WaitlistSettingsIn) -> dict[str, Any]:
    """How freed time is offered: ``one_at_a_time`` (in join order, each held for
    ``hold_minutes``) or ``notify_all`` (everyone who matches; the first to accept wins)."""
    found = wl.waitlist_settings_set(
        business=business_of(request), mode=payload.mode, hold_minutes=payload.hold_minutes
    )
    return {"mode": found.mode, "hold_minutes": found.hold_minutes}


__all__ = ["PathId", "public", "staff"]
