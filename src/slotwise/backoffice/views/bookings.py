"""Bookings: the filtered list, one booking's detail, and the staff actions on it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.backoffice.forms import (
    BookingFilterForm,
    CancelForm,
    LanguageForm,
    PaymentForm,
    RescheduleForm,
    add_domain_error,
)
from slotwise.backoffice.staff_forms import NotesForm
from slotwise.backoffice.views._util import _posted
from slotwise.bookings import actions, policy, selectors
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.actions.complete import last_closed_at
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, Payment
from slotwise.catalog.models import Provider
from slotwise.core import errors, i18n, web
from slotwise.core.clock import utcnow
from slotwise.core.models import Business
from slotwise.notifications.models import Message

PAGE_SIZE = 25


def get_booking(request: BusinessRequest, reference: str) -> Booking:
    """The current business's booking; any other business's is a 404."""
    if "\x00" in reference:  # PostgreSQL refuses NUL in text: no booking has one
        raise Http404(_("Booking not found."))
    try:
        return selectors.booking_get(business=request.business, reference=reference)
    except errors.NotFound:
        raise Http404(_("Booking not found.")) from None


#: The tabs of the bookings list, in the order shown; the list opens on "upcoming".
LIST_TABS = ("today", "upcoming", "past", "cancelled", "all")
DEFAULT_TAB = "upcoming"


def _tab_rows(
    tab: str, rows: QuerySet[Booking], *, business: Business, now: datetime, by_status: bool
) -> QuerySet[Booking]:
    """The rows of one tab of the list, in the order that tab reads best.

    Upcoming keeps the appointment in progress (it ends after now): the front desk still
    acts on it. Past and cancelled read back in time, newest first. Upcoming and past leave
    cancelled bookings out, unless the status filter asks for a status (``by_status``):
    "cancelled" on Upcoming then lists the cancelled bookings still to come.
    """
    active = rows if by_status else rows.exclude(status=Booking.Status.CANCELLED)
    if tab == "today":
        start, end = selectors.local_day_bounds(
            business=business, day=now.astimezone(business.tz).date()
        )
        return rows.filter(start__gte=start, start__lt=end).order_by("start", "pk")
    if tab == "upcoming":
        return active.filter(end__gt=now)
    if tab == "past":
        return active.filter(end__lte=now).order_by("-start", "-pk")
    if tab == "cancelled":
        return rows.filter(status=Booking.Status.CANCELLED).order_by("-start", "-pk")
    return rows


@staff_required
def booking_list(request: BusinessRequest) -> HttpResponse:
    """The bookings, one tab at a time (upcoming first), searchable and filtered."""
    business = request.business
    now = utcnow()
    tab = request.GET.get("tab") or DEFAULT_TAB
    if tab not in LIST_TABS:
        tab = DEFAULT_TAB
    form = BookingFilterForm(request.GET or None, business=business)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "search": data["q"] or "",
            "status": data["status"] or None,
            "provider_id": data["provider"].pk if data["provider"] else None,
            "service_id": data["service"].pk if data["service"] else None,
            "source": data["source"] or None,
        }
        if data["date_from"]:
            filters["start_from"] = selectors.local_day_bounds(
                business=business, day=data["date_from"]
            )[0]
        if data["date_to"]:
            filters["start_to"] = selectors.local_day_bounds(
                business=business, day=data["date_to"]
            )[1]
    bookings = selectors.booking_list(business=business, **filters)
    by_status = bool(filters.get("status"))
    rows = _tab_rows(tab, bookings, business=business, now=now, by_status=by_status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {
        "today": _("Today"),
        "upcoming": _("Upcoming"),
        "past": _("Past"),
        "cancelled": _("Cancelled"),
        "all": _("All"),
    }
    tabs = [
        {
            "key": key,
            "label": labels[key],
            "count": _tab_rows(
                key, bookings, business=business, now=now, by_status=by_status
            ).count()
            if key != tab
            else page.paginator.count,
        }
        for key in LIST_TABS
    ]
    return render(
        request,
        "backoffice/bookings/list.html",
        {
            "form": form,
            "page": page,
            "tab": tab,
            "tab_label": labels[tab],
            "tabs": tabs,
            "filtered": any(v for v in filters.values()),
            "now": now,
        },
    )


def _history(booking: Booking) -> list[dict[str, Any]]:
    rows = []
    for event in booking.events.select_related("actor_user").order_by("created_at", "pk"):
        rows.append({"event": event, "old": event.old or {}, "new": event.new or {}})
    return rows


def _payment_totals(payments: list[Payment]) -> dict[str, Decimal]:
    paid = sum((p.amount for p in payments if p.status == Payment.Status.PAID), Decimal(0))
    refunded = sum((p.amount for p in payments if p.status == Payment.Status.REFUNDED), Decimal(0))
    return {"paid": paid, "refunded": refunded, "balance": paid - refunded}


def customer_zone(booking: Booking) -> ZoneInfo:
    """The booker's own zone when known, else the business's."""
    name = booking.contact.timezone
    try:
        return ZoneInfo(name) if name else booking.business.tz
    except (ValueError, ZoneInfoNotFoundError):
        return booking.business.tz


def _detail_context(request: BusinessRequest, booking: Booking, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    all_messages = list(booking.messages.prefetch_related("resends").order_by("created_at", "pk"))
    payments = list(booking.payments.select_related("recorded_by"))
    return {
        "booking": booking,
        "now": now,
        "customer_tz": customer_zone(booking),
        "customer_tz_differs": customer_zone(booking).key != booking.business.timezone,
        "history": _history(booking),
        "notifications": [m for m in all_messages if m.kind != Message.Kind.REMINDER],
        "reminders": [m for m in all_messages if m.kind == Message.Kind.REMINDER],
        "payments": payments,
        "totals": _payment_totals(payments),
        "rating": getattr(booking, "rating", None),
        "clones": list(booking.clones.all()),
        "is_confirmed": booking.status == Booking.Status.CONFIRMED,
        "self_service": selectors.self_service_status(booking, now),
        "can_close": policy.closing_refusal(status=booking.status, end=booking.end, now=now)
        is None,
        "undo_until": _undo_until(booking, now),
        "payment_form": extra.pop("payment_form", None) or PaymentForm(),
        "notes_form": extra.pop("notes_form", None) or NotesForm(initial={"notes": booking.notes}),
        "language_form": LanguageForm(initial={"language": booking.language}),
        "language_in_use": i18n.language_name(
            i18n.first_of(
                booking.language, booking.customer.language, booking.business.default_language
            )
        ),
        **extra,
    }


@staff_required
def booking_detail(request: BusinessRequest, reference: str) -> HttpResponse:
    booking = get_booking(request, reference)
    return render(request, "backoffice/bookings/detail.html", _detail_context(request, booking))


def _default_day(booking: Booking, now_day: date) -> date:
    local = booking.start.astimezone(booking.business.tz).date()
    return max(local, now_day)


@staff_required
@require_POST
def booking_language(request: BusinessRequest, reference: str) -> HttpResponse:
    """Change the language of the customer's messages (this booking's and the customer's)."""
    booking = get_booking(request, reference)
    form = LanguageForm(request.POST)
    if form.is_valid():
        actions.booking_language_set(
            booking_id=booking.pk,
            business_id=request.business.pk,
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("The customer's language was changed."))
    return redirect("backoffice:booking_detail", reference=booking.reference)


@staff_required
def booking_reschedule(request: BusinessRequest, reference: str) -> HttpResponse:
    """Pick a new time (and optionally another provider of the service) for a booking."""
    booking = get_booking(request, reference)
    business = request.business
    now = utcnow()
    providers = loaders.providers_for(service=booking.service)
    if booking.provider not in providers:
        providers.insert(0, booking.provider)
    source = request.POST if request.method == "POST" else request.GET
    provider = _pick_provider(providers, source.get("provider"), booking.provider)
    day = web.parse_day(source.get("day")) or _default_day(
        booking, now.astimezone(business.tz).date()
    )
    form = RescheduleForm(
        _posted(request),
        tz=business.tz,
        initial={"version": booking.version, "provider": provider.pk, "notify_customer": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.booking_reschedule(
                booking_id=booking.pk,
                business_id=business.pk,
                actor=Actor.staff(request.user),
                new_start=data["start"],
                now=now,
                new_provider=provider if provider.pk != booking.provider_id else None,
                notify_customer=data["notify_customer"],
                override_availability=data["override"],
                expected_version=data["version"],
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The booking was moved to the new time."))
            return redirect("backoffice:booking_detail", reference=booking.reference)
    slots = selectors.staff_slots(
        service=booking.service, provider=provider, day=day, now=now, exclude_booking_id=booking.pk
    )
    return render(
        request,
        "backoffice/bookings/reschedule.html",
        {
            "booking": booking,
            "form": form,
            "providers": providers,
            "provider": provider,
            "day": day,
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "slots": slots,
            "chosen_slot": request.POST.get("slot", ""),
        },
    )


def _pick_provider(providers: list[Provider], raw: str | None, default: Provider) -> Provider:
    for p in providers:
        if str(p.pk) == (raw or ""):
            return p
    return default


@staff_required
def booking_cancel(request: BusinessRequest, reference: str) -> HttpResponse:
    booking = get_booking(request, reference)
    form = CancelForm(
        _posted(request), initial={"version": booking.version, "notify_customer": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.booking_cancel(
                booking_id=booking.pk,
                business_id=request.business.pk,
                actor=Actor.staff(request.user),
                now=utcnow(),
                reason=form.cleaned_data["reason"],
                notify_customer=form.cleaned_data["notify_customer"],
                expected_version=form.cleaned_data["version"],
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The booking was cancelled."))
            return redirect("backoffice:booking_detail", reference=booking.reference)
    return render(
        request,
        "backoffice/bookings/cancel.html",
        {"booking": booking, "form": form, "has_payments": booking.payments.exists()},
    )


def _close(request: BusinessRequest, reference: str, *, no_show: bool) -> HttpResponse:
    """The confirmation step (GET) and the close itself (POST): completed or no-show."""
    booking = get_booking(request, reference)
    now = utcnow()
    if request.method == "POST":
        action = actions.booking_mark_no_show if no_show else actions.booking_complete
        try:
            action(
                booking_id=booking.pk,
                business_id=request.business.pk,
                actor=Actor.staff(request.user),
                now=now,
            )
        except errors.DomainError as exc:
            messages.error(request, exc.message)
        else:
            span = policy.describe_minutes(policy.CLOSE_UNDO_MINUTES)
            messages.success(
                request,
                (
                    _("Marked as a no-show. You can undo this for %(span)s.")
                    if no_show
                    else _(
                        "Marked as completed. You can undo this for %(span)s; the customer is "
                        "asked for a rating after that."
                    )
                )
                % {"span": span},
            )
        return redirect("backoffice:booking_detail", reference=booking.reference)
    refusal = policy.closing_refusal(status=booking.status, end=booking.end, now=now)
    return render(
        request,
        "backoffice/bookings/close.html",
        {
            "booking": booking,
            "no_show": no_show,
            "refusal": refusal.message if refusal is not None else "",
            "undo_span": policy.describe_minutes(policy.CLOSE_UNDO_MINUTES),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def booking_complete(request: BusinessRequest, reference: str) -> HttpResponse:
    return _close(request, reference, no_show=False)


@require_http_methods(["GET", "POST"])
@staff_required
def booking_no_show(request: BusinessRequest, reference: str) -> HttpResponse:
    return _close(request, reference, no_show=True)


@require_POST
@staff_required
def booking_close_undo(request: BusinessRequest, reference: str) -> HttpResponse:
    """Put a booking just marked completed or no-show back to confirmed (within the window)."""
    booking = get_booking(request, reference)
    try:
        actions.booking_close_undo(
            booking_id=booking.pk,
            business_id=request.business.pk,
            actor=Actor.staff(request.user),
            now=utcnow(),
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Undone: the booking is confirmed again."))
    return redirect("backoffice:booking_detail", reference=booking.reference)


def _undo_until(booking: Booking, now: datetime) -> datetime | None:
    """Until when closing this booking can still be undone (None: it cannot)."""
    if booking.status not in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
        return None
    closed_at = last_closed_at(booking)
    rated = hasattr(booking, "rating")
    if policy.close_undo_refusal(status=booking.status, closed_at=closed_at, now=now, rated=rated):
        return None
    assert closed_at is not None
    return policy.close_undo_until(closed_at)


@require_POST
@staff_required
def payment_add(request: BusinessRequest, reference: str) -> HttpResponse:
    booking = get_booking(request, reference)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            actions.payment_record(
                booking_id=booking.pk,
                business_id=request.business.pk,
                actor=Actor.staff(request.user),
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                now=utcnow(),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect(booking_url(booking) + "#payments")
    context = _detail_context(request, booking, payment_form=form)
    return render(request, "backoffice/bookings/detail.html", context, status=422)


@require_POST
@staff_required
def booking_notes(request: BusinessRequest, reference: str) -> HttpResponse:
    """Replace the booking's staff notes (the history keeps the old ones)."""
    booking = get_booking(request, reference)
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            actions.booking_notes_edit(
                booking_id=booking.pk,
                business_id=request.business.pk,
                actor=Actor.staff(request.user),
                notes=form.cleaned_data["notes"],
                now=utcnow(),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Notes saved."))
            return redirect(booking_url(booking) + "#notes")
    context = _detail_context(request, booking, notes_form=form)
    return render(request, "backoffice/bookings/detail.html", context, status=422)


def booking_url(booking: Booking) -> str:
    return reverse("backoffice:booking_detail", args=[booking.reference])
