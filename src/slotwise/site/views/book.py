"""The public booking page: service → provider → day → time → details → confirmed.

Every step is a plain GET link or form (the page works without JavaScript); htmx only swaps
the calendar and the times in place. The confirm is one POST to ``booking_create_web``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from slotwise.bookings import actions, selectors
from slotwise.bookings.models import BookingPage
from slotwise.catalog.models import Provider, Service
from slotwise.core import errors
from slotwise.scheduling import loaders
from slotwise.site import picker as picker_mod
from slotwise.site.forms import DetailsForm
from slotwise.site.views import common

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
    wanted = common.parse_int(data.get("service"))
    choices.service = next((s for s in services if s.pk == wanted), None)
    if choices.service is None and len(services) == 1:
        choices.service = services[0]
    if choices.service is None:
        return choices
    choices.providers = loaders.providers_for(service=choices.service, page=page)
    raw = data.get("provider", "")
    if len(choices.providers) == 1:
        choices.provider = choices.providers[0]
    elif raw == ANY and choices.offers_any:
        choices.any_provider = True
    else:
        wanted = common.parse_int(raw)
        choices.provider = next((p for p in choices.providers if p.pk == wanted), None)
    if choices.provider_done:
        choices.start = common.parse_start(data.get("start"))
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
    data = request.POST if request.method == "POST" else request.GET
    choices = read_choices(page, data)
    zone = common.reader_zone(request, fallback=page.business.tz)
    if request.method == "POST":
        return _confirm(request, page, choices, zone)
    form = DetailsForm(offers_changes=page.policy.allow_cancel or page.policy.allow_reschedule)
    return _render(request, page, choices, zone, form=form)


def _confirm(
    request: HttpRequest, page: BookingPage, choices: Choices, zone: common.ReaderZone
) -> HttpResponse:
    form = DetailsForm(
        request.POST, offers_changes=page.policy.allow_cancel or page.policy.allow_reschedule
    )
    if choices.step != "details" or choices.service is None:
        # The form was tampered with or the page changed; start again from what is known.
        return redirect(_url(page, choices, zone, {"start": None}))
    if not form.is_valid():
        return _render(request, page, choices, zone, form=form)
    assert choices.start is not None
    data = form.cleaned_data
    try:
        _booking, token = actions.booking_create_web(
            page=page,
            service=choices.service,
            provider=choices.provider,
            start=choices.start,
            customer=actions.CustomerDetails(
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                timezone=zone.name,
            ),
            now=common.now(),
            notes=data["notes"],
        )
    except errors.SlotUnavailable as exc:
        return _render(request, page, choices, zone, form=form, slot_taken=exc.message)
    except errors.InvalidInput as exc:
        target = exc.details.get("field")
        form.add_error(target if target in form.fields else None, exc.message)
        return _render(request, page, choices, zone, form=form)
    except errors.DomainError as exc:
        form.add_error(None, exc.message)
        return _render(request, page, choices, zone, form=form)
    return redirect(reverse("site:manage", args=[token]) + "?new=1")


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
    path = reverse("site:book", args=[page.business.slug, page.slug])
    return common.with_query(path, params, anchor=anchor)


def _render(
    request: HttpRequest,
    page: BookingPage,
    choices: Choices,
    zone: common.ReaderZone,
    *,
    form: DetailsForm,
    slot_taken: str = "",
) -> HttpResponse:
    now = common.now()
    tz = zone.tz
    context: dict[str, Any] = {
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
        "urls": {
            "change_service": _url(page, choices, zone, {"service": None, "provider": None}),
            "change_provider": _url(page, choices, zone, {"provider": None}),
            "self": _url(page, choices, zone, {}),
        },
    }
    service = choices.service
    if service is not None and choices.step in ("time", "details"):
        notice = ""
        start = choices.start
        if choices.step == "details" and start is not None:
            day = start.astimezone(tz).date()
            picker = picker_mod.picker_for(
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
            picker = picker_mod.picker_for(
                service=service,
                page=page,
                provider=choices.provider,
                tz=tz,
                now=now,
                month=common.parse_month(request.GET.get("month")),
                day=common.parse_day(request.GET.get("day")),
                selected_start=None,
                url_for=lambda p: _url(
                    page, choices, zone, p, anchor="times" if "day" in p else ""
                ),
            )
        context["picker"] = picker
        context["notice"] = notice
        context["tz_hidden"] = {
            "service": service.pk,
            "provider": choices.provider_param,
            "month": request.GET.get("month", ""),
            "day": picker.day.isoformat() if picker.day else "",
        }
        if context["step"] == "details" and slot_taken:
            context["slot_choices"] = picker.times
    if request.htmx and not request.htmx.history_restore_request and "picker" in context:
        return render(request, "site/_picker.html", context)
    return render(request, "site/book/page.html", context)
