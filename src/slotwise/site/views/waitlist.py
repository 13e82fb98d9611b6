"""The waitlist's customer pages: join from a booking page, ask for an earlier time from the
manage page, see and leave an entry, see and accept an offer.

Opening any link (GET) changes nothing — mail scanners open links; joining, leaving and
accepting are POSTs with CSRF protection. Rules live in ``bookings/actions/waitlist.py``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from slotwise.bookings import actions, selectors
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.models import Booking, BookingPage, WaitlistEntry, WaitlistToken
from slotwise.bookings.tokens import waitlist_token_verify
from slotwise.core import errors, i18n, ratelimit, web
from slotwise.site.forms import WaitlistJoinForm, WaitlistWindowsForm
from slotwise.site.views import common


def _page_or_404(business_slug: str, page_slug: str) -> BookingPage:
    try:
        page = selectors.public_page_get(business_slug=business_slug, page_slug=page_slug)
    except errors.NotFound:
        raise Http404 from None
    if not page.waitlist:
        raise Http404
    return page


def _field_error(form: Any, exc: errors.DomainError) -> None:
    field = exc.details.get("field")
    if field == "windows":
        field = "first_day"
    form.add_error(field if field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest, business_slug: str, page_slug: str) -> HttpResponse:
    """Join the page's waitlist for a service (and a provider, if one was chosen)."""
    page = _page_or_404(business_slug, page_slug)
    services = selectors.page_services(page=page)
    providers = selectors.page_providers(page=page)
    data = request.POST if request.method == "POST" else request.GET
    service_id = web.parse_int(data.get("service"))
    service = next((s for s in services if s.pk == service_id), services[0] if services else None)
    provider_id = web.parse_int(data.get("provider"))
    provider = next((p for p in providers if p.pk == provider_id), None)
    if provider is None and not page.any_provider and providers:
        provider = providers[0]
    zone = common.reader_zone(request, fallback=page.business.tz)
    form = WaitlistJoinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and service is not None and form.is_valid():
        decision = ratelimit.take("booking", ratelimit.client_key(request))
        if not decision.allowed:
            return render(request, "site/too_many.html", status=429)
        try:
            joined = wl.waitlist_join(
                page=page,
                service_id=service.pk,
                provider_id=provider.pk if provider else None,
                windows=form.windows(),
                customer=actions.CustomerDetails(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data.get("phone") or "",
                    timezone=zone.name if not zone.guessed else "",
                    language=i18n.active_tag(),
                ),
                now=common.now(),
            )
        except errors.DomainError as exc:
            _field_error(form, exc)
        else:
            return redirect(reverse("site:waitlist_entry", args=[joined.token]) + "?new=1")
    return render(
        request,
        "site/waitlist/join.html",
        {
            "page": page,
            "business": page.business,
            "form": form,
            "services": services,
            "service": service,
            "providers": [p for p in providers if service is None or service in p.services.all()],
            "provider": provider,
            "zone_name": page.business.timezone,
            "back_url": reverse("site:book", args=[page.business.slug, page.slug]),
        },
    )


def _entry_by_token(request: HttpRequest, token: str, purpose: str) -> WaitlistToken | None:
    return web.token_lookup(
        request, lambda: waitlist_token_verify(raw=token, purpose=purpose, now=common.now())
    )


def _windows_words(entry: WaitlistEntry) -> list[str]:
    from slotwise.notifications.render import window_words

    return [window_words(w, entry.business.tz) for w in entry.windows]


@require_http_methods(["GET", "POST"])
def waitlist_entry(request: HttpRequest, token: str) -> HttpResponse:
    """The entry (GET) and leaving it (POST)."""
    try:
        found = _entry_by_token(request, token, WaitlistToken.Purpose.ENTRY)
    except web.TooManyBadTokens:
        return common.too_many_attempts(request)
    if found is None:
        return common.link_invalid(request)
    entry = found.entry
    left = False
    if request.method == "POST":
        entry = wl.waitlist_leave(raw_token=token, now=common.now())
        left = True
    return render(
        request,
        "site/waitlist/entry.html",
        {
            "entry": entry,
            "business": entry.business,
            "windows": _windows_words(entry),
            "new": request.GET.get("new") == "1",
            "left": left,
            "zone_name": entry.business.timezone,
        },
    )


@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """The offered time (GET, changes nothing) and accepting it (POST)."""
    now = common.now()
    try:
        found = web.token_lookup(request, lambda: wl.offer_from_token(raw_token=token, now=now))
    except web.TooManyBadTokens:
        return common.too_many_attempts(request)
    if found is None:
        return common.link_invalid(request)
    entry = found.entry
    zone = common.reader_zone(request, known=entry.timezone, fallback=entry.business.tz)
    problem = ""
    if request.method == "POST":
        try:
            accepted = wl.offer_accept(raw_token=token, now=now)
        except errors.SlotUnavailable:
            problem = _(
                "Sorry, someone booked this time a moment ago. You are still on the waitlist: "
                "we will email you when another time frees up."
            )
        except errors.OfferExpired as exc:
            problem = exc.message
        else:
            return redirect(reverse("site:manage", args=[accepted.token]) + "?new=1")
        found = wl.offer_from_token(raw_token=token, now=now) or found
    held: Booking | None = entry.booking
    return render(
        request,
        "site/waitlist/offer.html",
        {
            "offer": found,
            "entry": entry,
            "business": entry.business,
            "is_open": wl.offer_is_open(found, now) and not problem,
            "problem": problem,
            "when": common.when(found.start, found.end, zone.tz),
            "expires": common.instant(found.expires_at, zone.tz),
            "held_when": common.when(held.start, held.end, zone.tz) if held else "",
            "zone": zone,
        },
    )


@require_http_methods(["GET", "POST"])
@common.token_view("manage")
def manage_earlier(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    """From the manage page: be told if an earlier time frees up (only where the booking's
    policy lets the customer reschedule now and its page has a waitlist)."""
    now = common.now()
    status = selectors.self_service_status(booking, now)
    page = booking.booking_page
    offered = status.can_reschedule and page is not None and page.active and page.waitlist
    tz = booking.business.tz
    form = WaitlistWindowsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "first_day": now.astimezone(tz).date(),
            "last_day": booking.start.astimezone(tz).date(),
        },
    )
    if request.method == "POST" and offered and form.is_valid():
        try:
            joined = wl.waitlist_join_earlier(booking=booking, windows=form.windows(), now=now)
        except errors.DomainError as exc:
            _field_error(form, exc)
        else:
            return redirect(reverse("site:waitlist_entry", args=[joined.token]) + "?new=1")
    return render(
        request,
        "site/waitlist/earlier.html",
        {
            "booking": booking,
            "business": booking.business,
            "form": form,
            "offered": offered,
            "refusal": status.reschedule_refusal,
            "when": common.when(booking.start, booking.end, tz),
            "zone_name": booking.business.timezone,
            "manage_url": reverse("site:manage", args=[token]),
        },
    )
