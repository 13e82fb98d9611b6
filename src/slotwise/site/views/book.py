"""The public booking page: service → provider → day → time → details → confirmed.

Every step is a plain GET link or form (the page works without JavaScript); htmx only swaps
the calendar and the times in place. The confirm is one POST to ``booking_create_web``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from slotwise.bookings import actions, idempotency, selectors, usecases
from slotwise.bookings import availability_queries as loaders
from slotwise.bookings.models import Booking, BookingPage, BookingToken
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors, i18n, ratelimit, web
from slotwise.site import language
from slotwise.site import picker as picker_mod
from slotwise.site.forms import DetailsForm
from slotwise.site.views import common
from slotwise.site.views import reviews as site_reviews

ANY = "any"


@dataclass
class Choices:
    """What the customer has chosen so far, read from the query (or the POST)."""

    page: BookingPage
    services: list[Service]
    service: Service | None = None
    providers: list[Provider] = field(default_factory=list)
    provider: Provider | None = None
    any_provider: bool = False
    start: datetime | None = None
    #: The providers' availability versions, read with them (``loaders.offering``).
    versions: dict[int, int] = field(default_factory=dict)

    @property
    def chosen_versions(self) -> list[tuple[int, int]] | None:
        """``(provider id, version)`` of whom the times are for, as read with the providers
        (None before they are read): a cached answer then needs no query of its own."""
        if not self.versions:
            return None
        if self.provider is not None:
            return [(self.provider.pk, self.versions[self.provider.pk])]
        return sorted(self.versions.items())

    @property
    def offers_any(self) -> bool:
        return self.page.any_provider and len(self.providers) > 1

    @property
    def provider_param(self) -> str:
        if self.provider is not None:
            return str(self.provider.pk)
        return ANY if self.any_provider else ""

    @property
    def provider_done(self) -> bool:
        return self.provider is not None or self.any_provider

    @property
    def step(self) -> str:
        if self.service is None:
            return "service"
        if not self.provider_done:
            return "provider"
        if self.start is None:
            return "time"
        return "details"


def read_choices(page: BookingPage, data: QueryDict) -> Choices:
    """Parse the choices; anything unknown is simply treated as not chosen yet."""
    services = selectors.page_services(page=page)
    choices = Choices(page=page, services=services)
    wanted = web.parse_int(data.get("service"))
    choices.service = next((s for s in services if s.pk == wanted), None)
    if choices.service is None and len(services) == 1:
        choices.service = services[0]
    if choices.service is None:
        return choices
    offered = loaders.offering(choices.service, page)
    choices.providers = [provider for provider, _version in offered]
    choices.versions = {provider.pk: version for provider, version in offered}
    raw = data.get("provider", "")
    if len(choices.providers) == 1:
        choices.provider = choices.providers[0]
    elif raw == ANY and choices.offers_any:
        choices.any_provider = True
    else:
        wanted = web.parse_int(raw)
        choices.provider = next((p for p in choices.providers if p.pk == wanted), None)
    if choices.provider_done:
        choices.start = web.parse_start(data.get("start"))
    return choices


def _page_or_404(business_slug: str, page_slug: str) -> BookingPage:
    try:
        return selectors.public_page_get(business_slug=business_slug, page_slug=page_slug)
    except errors.NotFound:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, business_slug: str, page_slug: str) -> HttpResponse:
    """The booking page; GET walks through the steps, POST confirms the booking."""
    page = _page_or_404(business_slug, page_slug)
    language.use_language(request, default=page.business.default_language)
    if request.method == "GET":
        # Every step may ask for a month of free times: counted per address (429 past it).
        looking = ratelimit.take("availability", ratelimit.client_key(request))
        if not looking.allowed:
            return _slow_down(request, looking.retry_after)
    data = request.POST if request.method == "POST" else request.GET
    choices = read_choices(page, data)
    zone = common.reader_zone(request, fallback=page.business.tz)
    if request.method == "POST":
        return _limited_confirm(request, page, choices, zone)
    form = DetailsForm(offers_changes=page.policy.allow_cancel or page.policy.allow_reschedule)
    return _render(request, page, choices, zone, form=form)


def _slow_down(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(
        request, "site/slow_down.html", {"minutes": _minutes(retry_after)}, status=429
    )
    response["Retry-After"] = str(retry_after)
    return response


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def _limited_confirm(
    request: HttpRequest, page: BookingPage, choices: Choices, zone: common.ReaderZone
) -> HttpResponse:
    """Confirm, within the booking limits per address and per mailbox (docs/deployment.md).

    Both are counted before the booking is tried, so parallel posts cannot all pass; anything
    but a made booking (the redirect) is given back to the mailbox's count.
    """
    by_address = ratelimit.take("booking", ratelimit.client_key(request))
    by_email = ratelimit.Decision(True)
    if by_address.allowed:
        by_email = ratelimit.take(
            "booking_email", ratelimit.email_key(request.POST.get("email", ""))
        )
    if not (by_address.allowed and by_email.allowed):
        form = DetailsForm(request.POST)
        form.is_valid()
        if not by_address.allowed:
            message = ngettext(
                "There have been too many booking attempts from your network. "
                "Please try again in %(n)d minute.",
                "There have been too many booking attempts from your network. "
                "Please try again in %(n)d minutes.",
                _minutes(by_address.retry_after),
            )
            form.add_error(None, message % {"n": _minutes(by_address.retry_after)})
        else:
            message = ngettext(
                "Several bookings were made with this email address recently. "
                "Please try again in %(n)d minute, or contact the business.",
                "Several bookings were made with this email address recently. "
                "Please try again in %(n)d minutes, or contact the business.",
                _minutes(by_email.retry_after),
            )
            form.add_error("email", message % {"n": _minutes(by_email.retry_after)})
        response = _render(request, page, choices, zone, form=form)
        response.status_code = 429
        response["Retry-After"] = str(
            by_address.retry_after if not by_address.allowed else by_email.retry_after
        )
        return response
    response = _confirm(request, page, choices, zone)
    if not response.get("Location", "").endswith("?new=1"):  # no booking made
        ratelimit.give_back(by_email)
    return response


def _confirm(
    request: HttpRequest, page: BookingPage, choices: Choices, zone: common.ReaderZone
) -> HttpResponse:
    form = DetailsForm(
        request.POST, offers_changes=page.policy.allow_cancel or page.policy.allow_reschedule
    )
    retry_day = web.parse_day(request.POST.get("retry_day"))
    if choices.step == "time" and retry_day is not None:
        # "Confirm" after a taken time without picking a new one: ask again, details kept.
        form.is_valid()
        return _render(
            request, page, choices, zone, form=form, slot_taken=_("Please choose a new time.")
        )
    if choices.step != "details" or choices.service is None:
        # The form was tampered with or the page changed; start again from what is known.
        return redirect(_url(page, choices, zone, {"start": None}))
    if not form.is_valid():
        return _render(request, page, choices, zone, form=form)
    assert choices.start is not None
    data = form.cleaned_data
    now = common.now()
    # The form's one-time key makes a double submit (or a retry after a lost answer) show the
    # booking the first submit made, instead of "this time was just taken" by the customer.
    key = _posted_key(request)
    try:
        placed = usecases.web_booking_place(
            page=page,
            service_id=choices.service.pk,
            provider_id=None if choices.provider is None else choices.provider.pk,
            start=choices.start,
            customer=actions.CustomerDetails(
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                timezone=zone.name,
                # The language this page is read in: every message about the booking uses it.
                language=i18n.active_tag(),
            ),
            now=now,
            notes=data["notes"],
            idempotency_key=usecases.IdempotencyKey(
                key=_scoped_key(page, key), request_hash=_request_hash(choices, data)
            )
            if key
            else None,
        )
    except idempotency.IdempotencyConflict:
        form.add_error(
            None,
            _(
                "This form was already used for a booking with other details. "
                "Check the details and confirm again."
            ),
        )
        return _render(request, page, choices, zone, form=form, new_key=True)
    except idempotency.IdempotencyInProgress:
        earlier = _wait_for_booking(page, key)
        if earlier is None:
            form.add_error(
                None,
                _("Your booking is still being confirmed. Please wait a moment and reload."),
            )
            return _render(request, page, choices, zone, form=form)
        token = actions.token_issue(booking=earlier, purpose=BookingToken.Purpose.MANAGE, now=now)
        return redirect(reverse("site:manage", args=[token]) + "?new=1")
    except errors.DomainError as exc:
        if isinstance(exc, errors.SlotUnavailable):
            return _render(request, page, choices, zone, form=form, slot_taken=exc.message)
        target = exc.details.get("field") if isinstance(exc, errors.InvalidInput) else None
        form.add_error(target if target in form.fields else None, exc.message)
        return _render(request, page, choices, zone, form=form)
    return redirect(reverse("site:manage", args=[placed.token]) + "?new=1")


def _posted_key(request: HttpRequest) -> str:
    """The form's one-time key, when it looks like one we made (else none: no replay)."""
    key = request.POST.get("booking_key", "")
    return key if 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum() else ""


def _scoped_key(page: BookingPage, key: str) -> str:
    # Hashed with the page, so a form key never meets an API client's key.
    return "site:" + hashlib.sha256(f"{page.pk}:{key}".encode()).hexdigest()


def _request_hash(choices: Choices, data: dict[str, Any]) -> str:
    assert choices.start is not None
    facts = {
        "service": choices.service.pk if choices.service else None,
        "provider": choices.provider_param,
        "start": common.start_param(choices.start),
        **{k: data[k] for k in ("name", "email", "phone", "notes")},
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _wait_for_booking(page: BookingPage, key: str) -> Booking | None:
    """The booking a concurrent submit of the same form is making, once it has committed."""
    return idempotency.idempotency_wait(business=page.business, key=_scoped_key(page, key))


def _url(
    page: BookingPage,
    choices: Choices,
    zone: common.ReaderZone,
    overrides: dict[str, Any],
    *,
    anchor: str = "",
) -> str:
    params: dict[str, Any] = {
        "service": choices.service.pk if choices.service else None,
        "provider": choices.provider_param,
        # A zone only guessed from the business is left out, so the browser can still say.
        "tz": "" if zone.guessed else zone.name,
    }
    params.update(overrides)
    path = _page_path(get_script_prefix(), page.business.slug, page.slug)
    return common.with_query(path, params, anchor=anchor)


@functools.lru_cache(maxsize=4096)
def _page_path(_prefix: str, business_slug: str, page_slug: str) -> str:
    """The booking page's path (the script prefix is part of the key): a day's times link to
    it a dozen times, and resolving it each time cost more than the rest of a link."""
    return reverse("site:book", args=[business_slug, page_slug])


def _render(
    request: HttpRequest,
    page: BookingPage,
    choices: Choices,
    zone: common.ReaderZone,
    *,
    form: DetailsForm,
    slot_taken: str = "",
    new_key: bool = False,
) -> HttpResponse:
    now = common.now()
    tz = zone.tz
    # The versions read with the providers serve a GET. After a POST tried to book, another
    # booking may have committed since they were read (that is why a time can be taken):
    # the times shown then are read with fresh versions.
    versions = choices.chosen_versions if request.method == "GET" else None
    context: dict[str, Any] = {
        "booking_key": (not new_key and _posted_key(request)) or secrets.token_urlsafe(24),
        "page": page,
        "business": page.business,
        "choices": choices,
        "zone": zone,
        "zone_label": zone.label(choices.start or now),
        "zone_names": common.zone_names(),
        "form": form,
        "slot_taken": slot_taken,
        "step": choices.step,
        "page_changes": selectors.page_self_service_summary(page),
        # A fragment htmx swaps in (the picker) shows no ratings: not read for it.
        "reviews": None
        if web.htmx_fragment(request)
        else site_reviews.booking_page_reviews(request, page.business),
        "urls": {
            "change_service": _url(page, choices, zone, {"service": None, "provider": None}),
            "change_provider": _url(page, choices, zone, {"provider": None}),
            "self": _url(page, choices, zone, {}),
        },
    }
    service = choices.service
    retry_day = web.parse_day(request.POST.get("retry_day"))
    if slot_taken and choices.step == "time" and retry_day is not None and service is not None:
        # Still choosing a new time after a taken one: the details step, without a time.
        context["step"] = "details"
        context["slot_days"] = _free_days(page, choices, zone, retry_day, now)
        context["tz_hidden"] = {"service": service.pk, "provider": choices.provider_param}
        return render(request, "site/book/page.html", context)
    if service is not None and choices.step in ("time", "details"):
        notice = ""
        start = choices.start
        if choices.step == "details" and start is not None:
            day = start.astimezone(tz).date()
            picker = picker_mod.picker_for(
                versions=versions,
                service=service,
                page=page,
                provider=choices.provider,
                tz=tz,
                now=now,
                month=None,
                day=day,
                selected_start=start,
                url_for=lambda p: _url(page, choices, zone, p, anchor="times"),
            )
            if not any(t.selected for t in picker.times):
                # The time was taken (or is no longer offered) since the link was made.
                if request.method == "GET":
                    notice = str(errors.SlotUnavailable.default_message)
                    context["step"] = "time"
                elif not slot_taken:
                    slot_taken = str(errors.SlotUnavailable.default_message)
                    context["slot_taken"] = slot_taken
            end = start + timedelta(minutes=service.duration_minutes)
            context["when"] = common.when(start, end, tz)
            context["self_service"] = preview = selectors.self_service_preview(
                page, start, now, provider_id=choices.provider.pk if choices.provider else None
            )
            context["promise"] = preview.promise(common.instant(preview.deadline, tz))
            if not preview.any_allowed:
                # No change links will come for this time: the email field says so too.
                form.fields["email"].help_text = DetailsForm.base_fields["email"].help_text
            context["start_value"] = common.start_param(start)
            context["change_time_url"] = _url(
                page, choices, zone, {"day": day.isoformat()}, anchor="times"
            )
        else:
            day_asked = web.parse_day(request.GET.get("day"))
            times_only = day_asked is not None and _wants_times_only(request)
            picker = picker_mod.picker_for(
                versions=versions,
                service=service,
                page=page,
                provider=choices.provider,
                tz=tz,
                now=now,
                month=web.parse_month(request.GET.get("month")),
                day=day_asked,
                selected_start=None,
                url_for=lambda p: _url(
                    page, choices, zone, p, anchor="times" if "day" in p else ""
                ),
                times_only=times_only,
            )
            if times_only:
                if picker.day is not None:
                    context["picker"] = picker
                    return render(request, "site/_times.html", context)
                # The day has no free time left since the calendar was drawn: draw it again,
                # whole, in place of the one on the page.
                picker = picker_mod.picker_for(
                    versions=versions,
                    service=service,
                    page=page,
                    provider=choices.provider,
                    tz=tz,
                    now=now,
                    month=day_asked.replace(day=1) if day_asked else None,
                    day=None,
                    selected_start=None,
                    url_for=lambda p: _url(
                        page, choices, zone, p, anchor="times" if "day" in p else ""
                    ),
                )
                context["picker"] = picker
                context["notice"] = _("This day has no free times left. Please choose another.")
                context["tz_hidden"] = {"service": service.pk, "provider": choices.provider_param}
                response = render(request, "site/_picker.html", context)
                response["HX-Retarget"] = "#picker"
                response["HX-Reselect"] = "#picker"
                response["HX-Reswap"] = "outerHTML"
                return response
        context["picker"] = picker
        context["notice"] = notice
        context["tz_hidden"] = {
            "service": service.pk,
            "provider": choices.provider_param,
            "month": request.GET.get("month", ""),
            "day": picker.day.isoformat() if picker.day else "",
        }
        if context["step"] == "details" and slot_taken:
            taken_day = start.astimezone(tz).date() if start is not None else picker.day
            context["slot_days"] = _free_days(page, choices, zone, taken_day or now.date(), now)
    if web.htmx_fragment(request) and "picker" in context:
        return render(request, "site/_picker.html", context)
    return render(request, "site/book/page.html", context)


def _wants_times_only(request: HttpRequest) -> bool:
    """A day click from the calendar (htmx aiming at the times): answer that day's times only."""
    details = getattr(request, "htmx", None)  # set by django-htmx's middleware
    return web.htmx_fragment(request) and details is not None and details.target == "times"


#: After a taken time: how many days of free times to offer, and how far to look for them.
TAKEN_DAYS_SHOWN = 3
TAKEN_LOOKAHEAD_DAYS = 14


@dataclass
class FreeDay:
    day: date
    label: str
    times: list[tuple[str, str]]  # (start parameter, '09:30')


def _free_days(
    page: BookingPage, choices: Choices, zone: common.ReaderZone, day: date, now: datetime
) -> list[FreeDay]:
    """The remaining free times from ``day`` on (a few days of them), so a customer whose time
    was just taken picks another one on the same form, their details kept."""
    assert choices.service is not None
    tz = zone.tz
    window_start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    slots = loaders.slots_for(
        service=choices.service,
        window_start=window_start,
        window_end=window_start + timedelta(days=TAKEN_LOOKAHEAD_DAYS),
        now=now,
        page=page,
        provider=choices.provider,
    )
    days = picker_mod.by_day(slots, tz)
    return [
        FreeDay(
            day=d,
            label=common.long_day(d),
            times=[(common.start_param(x.start), common.clock_time(x.start, tz)) for x in found],
        )
        for d, found in sorted(days.items())[:TAKEN_DAYS_SHOWN]
    ]
