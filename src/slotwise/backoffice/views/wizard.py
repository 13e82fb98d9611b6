"""The custom booking wizard: customer, service and provider, time, details, self-service,
review. Its state lives in the session, so it works without JavaScript; "Clone" starts it
pre-filled from a cancelled booking."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slotwise.backoffice.access import BusinessRequest, staff_required
from slotwise.backoffice.forms import (
    CustomerCreateForm,
    CustomerPickForm,
    DetailsForm,
    ReviewForm,
    SelfServiceForm,
    ServiceProviderForm,
    SlotForm,
    add_domain_error,
    local_datetime,
)
from slotwise.backoffice.templatetags.backoffice import short
from slotwise.backoffice.views._util import _posted
from slotwise.backoffice.views.bookings import get_booking
from slotwise.bookings import actions, day_reasons, selectors
from slotwise.bookings import policy as policy_rules
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import CHANGE_DEADLINE_CHOICES
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.catalog.services import customer_get_or_create
from slotwise.core import errors, web
from slotwise.core.clock import utcnow

SESSION_KEY = "backoffice_wizard"
STEPS = [
    ("customer", gettext_lazy("Customer")),
    ("service", gettext_lazy("Service")),
    ("time", gettext_lazy("Day and time")),
    ("details", gettext_lazy("Notes and price")),
    ("selfservice", gettext_lazy("Self-service")),
    ("review", gettext_lazy("Review")),
]
STEP_NAMES = [name for name, _label in STEPS]
#: What each step stores; a step can be opened once every earlier step has its data.
REQUIRES = {
    "customer": ("customer_id",),
    "service": ("service_id", "provider_id"),
    "time": ("start",),
    "details": ("price",),
    "selfservice": ("policy",),
}


# --- state ------------------------------------------------------------------------------


def _state(request: BusinessRequest) -> dict[str, Any]:
    state = request.session.get(SESSION_KEY) or {}
    if state.get("business_id") != request.business.pk:
        state = {"business_id": request.business.pk}
    return dict(state)


def _save(request: BusinessRequest, state: dict[str, Any]) -> None:
    request.session[SESSION_KEY] = state


def _first_missing(state: dict[str, Any]) -> str | None:
    for step, keys in REQUIRES.items():
        if any(k not in state for k in keys):
            return step
    return None


def _go(step: str) -> HttpResponse:
    return redirect("backoffice:wizard_step", step=step)


def _next(step: str) -> HttpResponse:
    return _go(STEP_NAMES[STEP_NAMES.index(step) + 1])


def _objects(request: BusinessRequest, state: dict[str, Any]) -> dict[str, Any]:
    """The rows the state points at, looked up within the current business only."""
    business = request.business
    found: dict[str, Any] = {}
    if "customer_id" in state:
        found["customer"] = Customer.objects.filter(
            business=business, pk=state["customer_id"]
        ).first()
    if "service_id" in state:
        found["service"] = Service.objects.filter(business=business, pk=state["service_id"]).first()
    if "provider_id" in state:
        found["provider"] = Provider.objects.filter(
            business=business, pk=state["provider_id"]
        ).first()
    if "start" in state:
        found["start"] = datetime.fromisoformat(state["start"])
        if found.get("service"):
            found["end"] = found["start"] + timedelta(minutes=found["service"].duration_minutes)
    return found


def _context(
    request: BusinessRequest, state: dict[str, Any], step: str, **extra: Any
) -> dict[str, Any]:
    missing = _first_missing(state)
    reachable = STEP_NAMES.index(missing) if missing else len(STEP_NAMES) - 1
    return {
        "state": state,
        "step": step,
        "steps": [
            {
                "name": name,
                "label": label,
                "number": i + 1,
                "current": name == step,
                "done": i < reachable and name != step,
                "reachable": i <= reachable,
            }
            for i, (name, label) in enumerate(STEPS)
        ],
        "step_number": STEP_NAMES.index(step) + 1,
        "step_count": len(STEPS),
        "step_label": dict(STEPS)[step],
        "cloning": bool(state.get("cloned_from")),
        **_objects(request, state),
        **extra,
    }


# --- entry points -----------------------------------------------------------------------


@staff_required
def wizard_start(request: BusinessRequest) -> HttpResponse:
    """A fresh custom booking (any unfinished one in this session is discarded).

    From the calendar (``?provider=ID&start=YYYY-MM-DDTHH:MM``, the business's wall-clock
    time) the provider and time come pre-filled, and the service too when the provider
    offers only one: after the customer, the wizard goes straight to the review.
    """
    state: dict[str, Any] = {"business_id": request.business.pk}
    state.update(_calendar_prefill(request))
    _save(request, state)
    return _go("customer")


def _calendar_prefill(request: BusinessRequest) -> dict[str, Any]:
    business = request.business
    found: dict[str, Any] = {}
    raw_start = request.GET.get("start") or ""
    raw_provider = request.GET.get("provider") or ""
    if raw_provider.isdigit():
        provider = Provider.objects.filter(
            business=business, pk=int(raw_provider), active=True
        ).first()
        if provider is not None:
            found["provider_id"] = provider.pk
            services = list(provider.services.all()[:2])
            if len(services) == 1:
                found["service_id"] = services[0].pk
    try:
        wall = datetime.fromisoformat(raw_start[:16])
        start = local_datetime(wall.date(), wall.time(), business.tz)
    except (ValueError, forms.ValidationError):
        start = None
    if start is not None and start.year in web.YEARS and start >= utcnow() - timedelta(hours=1):
        found["start"] = start.isoformat()
    if found:
        found["from_calendar"] = True
    return found


def _calendar_defaults(request: BusinessRequest, state: dict[str, Any]) -> None:
    """A booking started on the calendar skips the optional steps: the service's price, no
    notes, no self-service (each can still be changed from the review)."""
    if "price" not in state and state.get("service_id"):
        service = Service.objects.filter(business=request.business, pk=state["service_id"]).first()
        if service is not None:
            state["price"] = str(service.price)
            state.setdefault("notes", "")
    state.setdefault(
        "policy",
        {
            "allow_cancel": False,
            "allow_reschedule": False,
            "change_deadline_minutes": 1440,
            "max_reschedules": None,
        },
    )


def _advance(request: BusinessRequest, state: dict[str, Any], step: str) -> HttpResponse:
    """The next step; from the calendar, the first one still missing (or the review)."""
    if not state.get("from_calendar"):
        return _next(step)
    _calendar_defaults(request, state)
    _save(request, state)
    return _go(_first_missing(state) or "review")


@staff_required
def wizard_clone(request: BusinessRequest, reference: str) -> HttpResponse:
    """Start the wizard from a cancelled booking: customer, service, provider, notes, price."""
    booking = get_booking(request, reference)
    try:
        prefill = actions.clone_prefill(booking)
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:booking_detail", reference=booking.reference)
    _save(
        request,
        {
            "business_id": request.business.pk,
            "customer_id": prefill["customer_id"],
            "service_id": prefill["service_id"],
            "provider_id": prefill["provider_id"],
            "notes": prefill["notes"],
            "price": str(prefill["price"]),
            "cloned_from": prefill["cloned_from"],
        },
    )
    messages.info(
        request,
        _("Cloning %(ref)s: choose the new time and the self-service options.")
        % {"ref": prefill["cloned_from"]},
    )
    return _go("time")


@staff_required
def wizard_step(request: BusinessRequest, step: str) -> HttpResponse:
    if step not in STEP_NAMES:
        raise Http404
    state = _state(request)
    missing = _first_missing(state)
    if missing and STEP_NAMES.index(step) > STEP_NAMES.index(missing):
        return _go(missing)
    handler = {
        "customer": _customer_step,
        "service": _service_step,
        "time": _time_step,
        "details": _details_step,
        "selfservice": _selfservice_step,
        "review": _review_step,
    }[step]
    return handler(request, state)


# --- steps ------------------------------------------------------------------------------


def _customer_step(request: BusinessRequest, state: dict[str, Any]) -> HttpResponse:
    business = request.business
    if state.get("cloned_from"):
        context = _context(request, state, "customer")
        return render(request, "backoffice/wizard/customer.html", context)
    query = request.GET.get("q", "").strip()
    pick = CustomerPickForm(
        request.POST if request.POST.get("action") == "pick" else None,
        business=business,
        initial={"customer": state.get("customer_id")},
    )
    create = CustomerCreateForm(request.POST if request.POST.get("action") == "create" else None)
    if request.method == "POST":
        customer = None
        if request.POST.get("action") == "pick" and pick.is_valid():
            customer = pick.cleaned_data["customer"]
        elif request.POST.get("action") == "create" and create.is_valid():
            try:
                customer, _created = customer_get_or_create(
                    business=business, **create.cleaned_data
                )
            except errors.DomainError as exc:
                add_domain_error(create, exc)
        if customer is not None:
            state["customer_id"] = customer.pk
            _save(request, state)
            return _advance(request, state, "customer")
        if request.POST.get("action") == "pick":
            # The list may not be on the page again (no search was posted): say it on top.
            messages.error(request, _("Choose a customer from the list."))
    results = list(selectors.customer_search(business=business, term=query)) if query else []
    if not query and state.get("customer_id"):
        results = list(Customer.objects.filter(business=business, pk=state["customer_id"]))
    return render(
        request,
        "backoffice/wizard/customer.html",
        _context(
            request, state, "customer", pick=pick, create=create, query=query, results=results
        ),
    )


def _service_step(request: BusinessRequest, state: dict[str, Any]) -> HttpResponse:
    business = request.business
    cloning = bool(state.get("cloned_from"))
    form = ServiceProviderForm(
        _posted(request),
        business=business,
        service_fixed=cloning,
        initial={"service": state.get("service_id"), "provider": state.get("provider_id")},
    )
    if request.method == "POST" and form.is_valid():
        service, provider = form.cleaned_data["service"], form.cleaned_data["provider"]
        if state.get("service_id") != service.pk:
            state.pop("price", None)  # the price follows the newly chosen service
        kept = state.get("from_calendar") and state.get("provider_id") == provider.pk
        if not kept and (state.get("service_id"), state.get("provider_id")) != (
            service.pk,
            provider.pk,
        ):
            state.pop("start", None)  # a time free for one provider may not be for another
        state["service_id"], state["provider_id"] = service.pk, provider.pk
        _save(request, state)
        return _advance(request, state, "service")
    services_offered = {
        p.pk: [s.name for s in p.services.all()]
        for p in Provider.objects.filter(business=business, active=True).prefetch_related(
            "services"
        )
    }
    providers = Provider.objects.filter(business=business, active=True)
    return render(
        request,
        "backoffice/wizard/service.html",
        _context(
            request,
            state,
            "service",
            form=form,
            provider_services=[(p, services_offered.get(p.pk, [])) for p in providers],
        ),
    )


def _time_step(request: BusinessRequest, state: dict[str, Any]) -> HttpResponse:
    """A week of free times for every provider of the service (the chosen one first); a day
    without any says why. Picking another provider's time switches the provider."""
    business = request.business
    found = _objects(request, state)
    service, provider = found.get("service"), found.get("provider")
    if service is None or provider is None:
        return _go("service")
    now = utcnow()
    today = now.astimezone(business.tz).date()
    source = request.POST if request.method == "POST" else request.GET
    day = web.parse_day(source.get("day"))
    if day is None:
        day = found["start"].astimezone(business.tz).date() if "start" in found else today
    data = _posted(request)
    chosen_provider = provider
    if data is not None:
        data = data.copy()
        # A slot is "<provider id>@<ISO start>": one radio group across every provider's week.
        picked = data.get("slot", "")
        raw_provider, sep, iso = picked.partition("@")
        if sep:
            data["slot"] = iso
            other = Provider.objects.filter(
                business=business, pk=int(raw_provider) if raw_provider.isdigit() else 0
            ).first()
            if other is not None and other.services.filter(pk=service.pk).exists():
                chosen_provider = other
    form = SlotForm(data, tz=business.tz, initial={"override": state.get("override", False)})
    if request.method == "POST" and form.is_valid():
        start = form.cleaned_data["start"]
        if start < now:
            form.add_error(None, _("This time is in the past. Choose a later one."))
        else:
            state["start"] = start.isoformat()
            state["override"] = bool(form.cleaned_data["override"])
            state["provider_id"] = chosen_provider.pk
            _save(request, state)
            return _advance(request, state, "time")
    others = [
        p
        for p in Provider.objects.filter(business=business, active=True, services=service)
        if p.pk != provider.pk
    ]
    weeks = day_reasons.free_week(
        business=business, service=service, providers=[provider, *others], first_day=day, now=now
    )
    chosen = request.POST.get("slot") or (f"{provider.pk}@{_iso_utc(state.get('start', ''))}")
    return render(
        request,
        "backoffice/wizard/time.html",
        _context(
            request,
            state,
            "time",
            form=form,
            day=day,
            last_day=day + timedelta(days=6),
            prev_day=day - timedelta(days=7),
            next_day=day + timedelta(days=7),
            weeks=weeks,
            chosen_slot=chosen,
        ),
    )


def _iso_utc(value: str) -> str:
    from datetime import UTC

    try:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return ""


def _details_step(request: BusinessRequest, state: dict[str, Any]) -> HttpResponse:
    found = _objects(request, state)
    service = found.get("service")
    default_price = state.get("price") or (service.price if service else Decimal(0))
    form = DetailsForm(
        _posted(request), initial={"price": default_price, "notes": state.get("notes", "")}
    )
    if request.method == "POST" and form.is_valid():
        state["price"] = str(form.cleaned_data["price"])
        state["notes"] = form.cleaned_data["notes"]
        _save(request, state)
        return _next("details")
    context = _context(request, state, "details", form=form)
    return render(request, "backoffice/wizard/details.html", context)


def _selfservice_step(request: BusinessRequest, state: dict[str, Any]) -> HttpResponse:
    policy = state.get("policy")
    initial: dict[str, Any] = {"allowed": "no", "allow_cancel": True, "allow_reschedule": True}
    if policy:
        enabled = policy["allow_cancel"] or policy["allow_reschedule"]
        initial = {
            "allowed": "yes" if enabled else "no",
            "allow_cancel": policy["allow_cancel"] if enabled else True,
            "allow_reschedule": policy["allow_reschedule"] if enabled else True,
            "change_deadline_minutes": policy["change_deadline_minutes"],
            "max_reschedules": policy["max_reschedules"],
        }
    form = SelfServiceForm(_posted(request), initial=initial)
    start = datetime.fromisoformat(state["start"])
    now = utcnow()
    tz = request.business.tz
    # Each choice with the date it means for this appointment; a passed one says so.
    deadline = cast(forms.ChoiceField, form.fields["change_deadline_minutes"])
    deadline.choices = [
        (minutes, _deadline_label(label, policy_rules.deadline_for(start, minutes), now, tz))
        for minutes, label in CHANGE_DEADLINE_CHOICES
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        on = data["allowed"] == "yes"
        state["policy"] = {
            "allow_cancel": on and bool(data["allow_cancel"]),
            "allow_reschedule": on and bool(data["allow_reschedule"]),
            "change_deadline_minutes": data["change_deadline_minutes"],
            "max_reschedules": data["max_reschedules"] if on else None,
        }
        refusal = policy_rules.new_policy_refusal(_policy(state), start=start, now=now)
        if refusal is None:
            _save(request, state)
            return _next("selfservice")
        add_domain_error(form, refusal)
    return render(
        request,
        "backoffice/wizard/selfservice.html",
        _context(request, state, "selfservice", form=form),
    )


def _deadline_label(label: Any, deadline: datetime, now: datetime, tz: Any) -> str:
    when = short(deadline, tz)
    if deadline < now:
        return _("%(choice)s — passed: %(when)s") % {"choice": label, "when": when}
    return _("%(choice)s — until %(when)s") % {"choice": label, "when": when}


def _policy(state: dict[str, Any]) -> SelfServicePolicy:
    p = state["policy"]
    return SelfServicePolicy(
        allow_cancel=p["allow_cancel"],
        allow_reschedule=p["allow_reschedule"],
        change_deadline_minutes=p["change_deadline_minutes"],
        max_reschedules=p["max_reschedules"],
    )


def _review_step(request: BusinessRequest, state: dict[str, Any]) -> HttpResponse:
    business = request.business
    found = _objects(request, state)
    if not all(found.get(k) for k in ("customer", "service", "provider")):
        messages.error(request, _("Something was removed meanwhile. Please choose again."))
        return _go("customer")
    form = ReviewForm(_posted(request), initial={"notify_customer": True})
    start = found["start"]
    deadline = policy_rules.deadline_for(start, state["policy"]["change_deadline_minutes"])
    if request.method == "POST" and form.is_valid():
        actor = Actor.staff(request.user)
        common: dict[str, Any] = {
            "actor": actor,
            "start": found["start"],
            "policy": _policy(state),
            "now": utcnow(),
            "price": Decimal(state["price"]),
            "notes": state.get("notes", ""),
            "override_availability": bool(state.get("override")),
            "notify_customer": form.cleaned_data["notify_customer"],
        }
        try:
            # Time may have passed since the self-service step: never promise a passed date.
            refusal = policy_rules.new_policy_refusal(_policy(state), start=start, now=utcnow())
            if refusal is not None:
                raise refusal
            if state.get("cloned_from"):
                source = get_booking(request, state["cloned_from"])
                booking = actions.booking_clone(
                    booking_id=source.pk,
                    business_id=business.pk,
                    provider=found["provider"],
                    **common,
                )
            else:
                booking = actions.booking_create_custom(
                    business=business,
                    customer=found["customer"],
                    service=found["service"],
                    provider=found["provider"],
                    **common,
                )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, _("Booking %(ref)s created.") % {"ref": booking.reference})
            return redirect("backoffice:booking_detail", reference=booking.reference)
    return render(
        request,
        "backoffice/wizard/review.html",
        _context(
            request,
            state,
            "review",
            form=form,
            policy=state["policy"],
            deadline=deadline,
            price=Decimal(state["price"]),
        ),
    )
