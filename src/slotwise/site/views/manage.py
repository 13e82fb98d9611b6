"""Manage a booking by link: see it, cancel it, reschedule it, add it to a calendar.

Opening any of these pages (GET) changes nothing: mail scanners open links. Each change is
a POST with CSRF protection that carries the booking version the customer saw, so a double
submit or a stale page acts once and then shows the current state with a friendly note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from slotwise.bookings import actions, policy, selectors
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage
from slotwise.catalog.models import Provider
from slotwise.core import errors, web
from slotwise.notifications import ics
from slotwise.site import picker as picker_mod
from slotwise.site.forms import CancelForm
from slotwise.site.views import common

MANAGE = "manage"


def _zone(request: HttpRequest, booking: Booking) -> common.ReaderZone:
    return common.reader_zone(request, known=booking.contact.timezone, fallback=booking.business.tz)


def _manage_url(request: HttpRequest, token: str, name: str = "site:manage", **extra: Any) -> str:
    """A manage URL that keeps the zone the customer chose (``?tz=``)."""
    tz = request.GET.get("tz") or request.POST.get("tz") or ""
    params = {"tz": tz if common.parse_zone(tz) else "", **extra}
    return common.with_query(reverse(name, args=[token]), params)


def _booking_context(
    request: HttpRequest, booking: Booking, token: str, zone: common.ReaderZone, now: datetime
) -> dict[str, Any]:
    """What every manage page shows about the booking and what the customer may do now."""
    tz = zone.tz
    status = selectors.self_service_status(booking, now)
    deadline = common.instant(status.deadline, tz) if status.deadline else ""
    page = booking.booking_page
    return {
        "booking": booking,
        "business": booking.business,
        "token": token,
        "zone": zone,
        "zone_label": zone.label(booking.start),
        "zone_names": common.zone_names(),
        "tz_hidden": {},
        "when": common.when(booking.start, booking.end, tz),
        "status": common.status_word(booking),
        "is_confirmed": booking.status == Booking.Status.CONFIRMED,
        "self_service": status,
        "promise": status.promise(deadline) if status.any_allowed else "",
        "can_cancel": status.can_cancel,
        "can_reschedule": status.can_reschedule,
        "any_allowed": status.any_allowed,
        "reasons": status.reasons,
        "deadline": deadline,
        "contact": common.contact_of(booking),
        "cancelled_when": common.instant(booking.cancelled_at, tz) if booking.cancelled_at else "",
        "urls": {
            "manage": _manage_url(request, token),
            "cancel": _manage_url(request, token, "site:manage_cancel"),
            "reschedule": _manage_url(request, token, "site:manage_reschedule"),
            "calendar": reverse("site:manage_calendar", args=[token]),
            "book_again": reverse("site:book", args=[booking.business.slug, page.slug])
            if page is not None and page.active
            else "",
        },
    }


@require_GET
@common.token_view(MANAGE)
def manage(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    """The booking, in the customer's zone, with exactly the options its policy allows now."""
    zone = _zone(request, booking)
    context = _booking_context(request, booking, token, zone, common.now())
    context["new"] = request.GET.get("new") == "1"
    status = context["self_service"]
    if context["new"] and not status.any_allowed:
        # Right after booking, say what the details step said before confirming: changes
        # were never possible for this time, or (when the page offers none) nothing at all.
        promise = replace(status, prospective=True).promise(context["deadline"])
        context["reasons"] = [promise] if promise else []
    return render(request, "site/manage/page.html", context)


def _refused(request: HttpRequest, booking: Booking, action: policy.Action) -> str:
    refusal = selectors.self_service_status(booking, common.now()).refusal(action)
    return refusal.message if refusal is not None else ""


def _friendly(booking: Booking, exc: errors.DomainError) -> str:
    """A note for a change that did not happen, in terms of the booking's current state."""
    if isinstance(exc, errors.StaleBooking):
        current = selectors.booking_get(business=booking.business, reference=booking.reference)
        if current.status == Booking.Status.CANCELLED:
            return _("This booking has already been cancelled.")
        return _("This booking was changed in the meantime. Here is how it stands now.")
    return exc.message


def _version(request: HttpRequest) -> int:
    # A missing or garbled version can only come from an old or altered page: treat as stale.
    return web.parse_int(request.POST.get("version")) or 0


@require_http_methods(["GET", "POST"])
@common.token_view(MANAGE)
def manage_cancel(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    """Confirmation step (GET) and the cancel itself (POST)."""
    zone = _zone(request, booking)
    if request.method == "POST":
        form = CancelForm(request.POST)
        if not form.is_valid():
            # An unusable reason (too long, NUL bytes) must not be dropped silently: the
            # customer sees why and decides again; nothing is cancelled meanwhile.
            context = _booking_context(request, booking, token, zone, common.now())
            context["form"] = form
            return render(request, "site/manage/cancel.html", context)
        reason = form.cleaned_data["reason"]
        try:
            actions.booking_cancel(
                booking_id=booking.pk,
                business_id=booking.business_id,
                actor=Actor.customer(booking.contact.name),
                now=common.now(),
                reason=reason,
                expected_version=_version(request),
            )
        except errors.DomainError as exc:
            messages.warning(request, _friendly(booking, exc))
        else:
            messages.success(
                request,
                _("Your booking is cancelled. We have sent you an email to confirm it."),
            )
        return redirect(_manage_url(request, token))

    refusal = _refused(request, booking, policy.Action.CANCEL)
    if refusal:
        messages.warning(request, refusal)
        return redirect(_manage_url(request, token))
    context = _booking_context(request, booking, token, zone, common.now())
    context["form"] = CancelForm()
    return render(request, "site/manage/cancel.html", context)


ANY = "any"


@dataclass
class RescheduleScope:
    """Whose times the reschedule page shows, and the provider choice it offers."""

    page: BookingPage | None
    provider: Provider | None  # None: every provider of the page, pooled
    param: str  # the customer's explicit choice as a link parameter ("", "any" or an id)
    options: list[Provider]  # whom the customer may choose ([] when there is no choice)


def _reschedule_scope(booking: Booking, raw: str) -> RescheduleScope:
    """The booking's provider, unless it was booked for "any provider" or the customer chose
    another provider (or "any") that the page offers; the rule is ``policy``'s."""
    page = booking.booking_page
    page_any = page is not None and page.any_provider
    options = loaders.providers_for(service=booking.service, page=page) if page_any else []
    chose_any = raw == ANY
    chosen = web.parse_id(raw) if not chose_any else None
    if chosen not in (None, booking.provider_id) and not any(p.pk == chosen for p in options):
        chosen = None  # not offered (any more): show the default scope
    try:
        scope = selectors.reschedule_scope(booking, chosen_provider_id=chosen, chose_any=chose_any)
    except errors.NotAllowed:
        scope, chose_any, chosen = booking.provider_id, False, None
    provider = (
        None
        if scope is None
        else booking.provider
        if scope == booking.provider_id
        else next(p for p in options if p.pk == scope)
    )
    param = ANY if chose_any else str(chosen) if chosen is not None else ""
    return RescheduleScope(
        page=page, provider=provider, param=param, options=options if len(options) > 1 else []
    )


def _with_names(picker: picker_mod.Picker, booking: Booking, pool: list[Provider]) -> None:
    """Pooled times: each says who it would be with (the customer's own provider when free)."""
    for choice in picker.times:
        ids = choice.provider_ids
        if booking.provider_id in ids:
            choice.provider_name = booking.provider.name
        else:
            choice.provider_name = next((p.name for p in pool if p.pk in ids), "")


@require_http_methods(["GET", "POST"])
@common.token_view(MANAGE)
def manage_reschedule(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    """Pick a new day and time (GET), confirm old → new (GET with start), move it (POST)."""
    if request.method == "POST":
        return _reschedule_post(request, booking, token)
    refusal = _refused(request, booking, policy.Action.RESCHEDULE)
    if refusal:
        messages.warning(request, refusal)
        return redirect(_manage_url(request, token))

    now = common.now()
    zone = _zone(request, booking)
    tz = zone.tz
    scope = _reschedule_scope(booking, request.GET.get("provider", ""))
    page, provider = scope.page, scope.provider
    start = web.parse_start(request.GET.get("start"))
    day = web.parse_day(request.GET.get("day"))
    if start is not None:
        day = start.astimezone(tz).date()
    base = reverse("site:manage_reschedule", args=[token])

    def url_for(params: dict[str, Any]) -> str:
        return common.with_query(
            base,
            {"tz": zone.name, "provider": scope.param, **params},
            anchor="times" if "day" in params else "",
        )

    picker = picker_mod.picker_for(
        service=booking.service,
        page=page,
        provider=provider,
        tz=tz,
        now=now,
        month=web.parse_month(request.GET.get("month")),
        day=day,
        selected_start=start,
        url_for=url_for,
        exclude_booking_id=booking.pk,
    )
    current = common.start_param(booking.start)
    for choice in picker.times:
        # The booking's own time is "current" only with its own provider.
        choice.current = choice.value == current and (
            provider is None or provider.pk == booking.provider_id
        )
    pool = loaders.providers_for(service=booking.service, page=page) if provider is None else []
    if provider is None:
        _with_names(picker, booking, pool)
    context = _booking_context(request, booking, token, zone, now)
    context.update(
        picker=picker,
        notice="",
        scope=scope,
        provider_options=scope.options,
        tz_hidden={
            "month": request.GET.get("month", ""),
            "day": day.isoformat() if day else "",
            "provider": scope.param,
        },
    )
    chosen = next((t for t in picker.times if t.selected), None)
    if start is not None and chosen is None:
        context["notice"] = str(errors.SlotUnavailable.default_message)
    if chosen is not None and start is not None:
        new_provider = (
            provider
            if provider is not None
            else selectors.reschedule_provider(
                booking=booking, free_provider_ids=chosen.provider_ids
            )
        )
        end = start + (booking.end - booking.start)
        context.update(
            new_when=common.when(start, end, tz),
            new_provider=new_provider,
            provider_changes=new_provider.pk != booking.provider_id,
            start_value=chosen.value,
            change_time_url=url_for({"day": day.isoformat() if day else ""}),
            booked_any=booking.booked_any_provider,
        )
        return render(request, "site/manage/reschedule_confirm.html", context)
    if web.htmx_fragment(request):
        return render(request, "site/_picker.html", context)
    return render(request, "site/manage/reschedule.html", context)


def _reschedule_post(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    start = web.parse_start(request.POST.get("start"))
    if start is None:
        messages.warning(request, str(errors.SlotUnavailable.default_message))
        return redirect(_manage_url(request, token, "site:manage_reschedule"))
    page = booking.booking_page
    provider_id = web.parse_id(request.POST.get("provider"))
    new_provider = None
    if provider_id is not None and provider_id != booking.provider_id:
        found = loaders.providers_for(
            service=booking.service, page=page, provider_ids=[provider_id]
        )
        if not found:
            # Never fall back to the booking's provider quietly: the customer chose someone.
            messages.warning(request, _("This provider is not available for this booking."))
            return redirect(_manage_url(request, token, "site:manage_reschedule"))
        new_provider = found[0]
    zone = _zone(request, booking)
    try:
        moved = actions.booking_reschedule(
            booking_id=booking.pk,
            business_id=booking.business_id,
            actor=Actor.customer(booking.contact.name),
            new_start=start,
            now=common.now(),
            new_provider=new_provider,
            expected_version=_version(request),
        )
    except (errors.SlotUnavailable, errors.InvalidInput) as exc:
        messages.warning(request, exc.message)
        day = start.astimezone(zone.tz).date().isoformat()
        return redirect(_manage_url(request, token, "site:manage_reschedule", day=day))
    except errors.DomainError as exc:
        messages.warning(request, _friendly(booking, exc))
        return redirect(_manage_url(request, token))
    messages.success(
        request,
        _("Your booking is moved to %(when)s. We have sent you an updated confirmation.")
        % {"when": common.when(moved.start, moved.end, zone.tz)},
    )
    return redirect(_manage_url(request, token))


@require_GET
@common.token_view(MANAGE)
def manage_calendar(request: HttpRequest, booking: Booking, token: str) -> HttpResponse:
    """The booking as an .ics file to add to a calendar (METHOD:PUBLISH)."""
    if booking.status != Booking.Status.CONFIRMED:
        return render(
            request,
            "site/manage/no_calendar.html",
            {"booking": booking, "business": booking.business, "token": token},
            status=404,
        )
    body = ics.booking_calendar(
        booking,
        method="PUBLISH",
        start=booking.start,
        end=booking.end,
        sequence=booking.version,
        now=common.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    response["Cache-Control"] = "no-store"
    return response
