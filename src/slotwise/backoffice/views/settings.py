"""Settings for owners and admins: booking pages, services, providers (hours, time off),
notifications, reminders, team and the business profile. Writes go through the domain's
services (the same ones the API calls); every object is looked up within the current
business."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slotwise.backoffice.access import BusinessRequest, manager_required
from slotwise.backoffice.forms import (
    ApiKeyForm,
    BookingPageForm,
    BusinessForm,
    MemberAddForm,
    NotificationSettingsForm,
    ProviderForm,
    ReminderRuleForm,
    ServiceForm,
    add_domain_error,
)
from slotwise.backoffice.staff_forms import TimeOffRangeForm, WeekHoursForm, edit_week
from slotwise.backoffice.views._util import _posted, confirm_page
from slotwise.bookings.models import BookingPage
from slotwise.bookings.pages import booking_page_save
from slotwise.bookings.policy import describe_minutes
from slotwise.catalog import services as catalog
from slotwise.catalog.models import Provider, Service, TimeOff
from slotwise.core import api_keys as key_service
from slotwise.core import errors
from slotwise.core import services as core
from slotwise.core.clock import utcnow
from slotwise.core.models import Invitation, Membership
from slotwise.notifications import settings as notify
from slotwise.notifications.models import ReminderRule
from slotwise.notifications.render import format_instant


def _fields(form: BaseForm, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k not in skip}


def _ids(form: BaseForm, name: str) -> list[int]:
    return [row.pk for row in form.cleaned_data[name]]


@manager_required
def settings_index(request: BusinessRequest) -> HttpResponse:
    return render(request, "backoffice/settings/index.html")


# --- booking pages -----------------------------------------------------------------------


@manager_required
def page_list(request: BusinessRequest) -> HttpResponse:
    pages = BookingPage.objects.filter(business=request.business).prefetch_related(
        "services", "providers"
    )
    return render(request, "backoffice/settings/pages.html", {"pages": pages})


@manager_required
def page_edit(request: BusinessRequest, pk: int | None = None) -> HttpResponse:
    business = request.business
    page = get_object_or_404(BookingPage, business=business, pk=pk) if pk else None
    form = BookingPageForm(_posted(request), instance=page, business=business)
    if request.method == "POST" and form.is_valid():
        try:
            saved = booking_page_save(
                business=business,
                page=page,
                changes=_fields(form, skip=("services", "providers")),
                service_ids=_ids(form, "services"),
                provider_ids=_ids(form, "providers"),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Booking page “%(title)s” saved. The changes apply to bookings made from now on.")
                % {"title": saved.title},
            )
            return redirect("backoffice:settings_pages")
    return render(request, "backoffice/settings/page_form.html", {"form": form, "page": page})


# --- services ----------------------------------------------------------------------------


@manager_required
def service_list(request: BusinessRequest) -> HttpResponse:
    rows = Service.objects.filter(business=request.business)
    return render(request, "backoffice/settings/services.html", {"services": rows})


@manager_required
def service_edit(request: BusinessRequest, pk: int | None = None) -> HttpResponse:
    business = request.business
    service = get_object_or_404(Service, business=business, pk=pk) if pk else None
    form = ServiceForm(_posted(request), instance=service, business=business)
    if request.method == "POST" and form.is_valid():
        try:
            # The backoffice offers no currency of its own: services follow the business's.
            catalog.service_save(
                business=business,
                service=service,
                changes={**_fields(form), "currency": business.currency},
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Service saved."))
            return redirect("backoffice:settings_services")
    return render(
        request, "backoffice/settings/service_form.html", {"form": form, "service": service}
    )


# --- providers ---------------------------------------------------------------------------


@manager_required
def provider_list(request: BusinessRequest) -> HttpResponse:
    rows = Provider.objects.filter(business=request.business).prefetch_related(
        "services", "working_hours"
    )
    return render(request, "backoffice/settings/providers.html", {"providers": rows})


@manager_required
def provider_edit(request: BusinessRequest, pk: int | None = None) -> HttpResponse:
    business = request.business
    provider = get_object_or_404(Provider, business=business, pk=pk) if pk else None
    form = ProviderForm(_posted(request), instance=provider, business=business)
    if request.method == "POST" and form.is_valid():
        try:
            saved = catalog.provider_save(
                business=business,
                provider=provider,
                changes=_fields(form, skip=("services",)),
                service_ids=_ids(form, "services"),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Provider saved."))
            return redirect("backoffice:settings_provider_edit", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "provider": provider}
    if provider is not None:
        context.update(_provider_extras(request, provider))
    return render(request, "backoffice/settings/provider_form.html", context)


def _provider_extras(request: BusinessRequest, provider: Provider) -> dict[str, Any]:
    connections = list(provider.calendar_connections.all())
    return {
        "calendar_count": len(connections),
        "calendars_stale": [c for c in connections if c.status != "ok"],
        "week": WeekHoursForm(hours=_hours_of(provider)).days(),
        "time_off": provider.time_off.filter(end__gte=utcnow()).order_by("start"),
    }


def _hours_of(provider: Provider) -> list[tuple[Any, Any, Any]]:
    return list(provider.working_hours.values_list("weekday", "start", "end"))


def _hours_page(
    request: BusinessRequest,
    provider: Provider,
    *,
    week: WeekHoursForm | None = None,
    time_off_form: TimeOffRangeForm | None = None,
    status: int = 200,
    unsaved: bool = False,
) -> HttpResponse:
    business = request.business
    week = week or WeekHoursForm(hours=_hours_of(provider))
    return render(
        request,
        "backoffice/settings/provider_hours.html",
        {
            "provider": provider,
            "week": week,
            "days": week.days(),
            "unsaved": unsaved,
            "time_off_form": time_off_form or TimeOffRangeForm(tz=business.tz, now=utcnow()),
            "time_off": provider.time_off.filter(end__gte=utcnow()).order_by("start"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@manager_required
def provider_hours(request: BusinessRequest, pk: int) -> HttpResponse:
    """A provider's week on one form: each weekday's ranges, saved at once.

    The add, remove and copy-Monday buttons post the form back unsaved with the change made,
    so they work without JavaScript; only "Save working hours" writes.
    """
    business = request.business
    provider = get_object_or_404(Provider, business=business, pk=pk)
    if request.method == "GET":
        return _hours_page(request, provider)
    edited = edit_week(request.POST, request.POST.get("action", "save"))
    if edited is not None:
        return _hours_page(request, provider, week=WeekHoursForm(edited), unsaved=True)
    week = WeekHoursForm(request.POST)
    if week.is_valid():
        try:
            catalog.working_hours_set(
                business=business, provider=provider, intervals=week.intervals
            )
        except errors.DomainError as exc:
            week.add_error(None, exc.message)
        else:
            messages.success(request, _("Working hours saved."))
            return redirect("backoffice:settings_provider_hours", pk=provider.pk)
    return _hours_page(request, provider, week=week, status=422, unsaved=True)


@require_POST
@manager_required
def provider_time_off(request: BusinessRequest, pk: int) -> HttpResponse:
    business = request.business
    provider = get_object_or_404(Provider, business=business, pk=pk)
    form = TimeOffRangeForm(request.POST, tz=business.tz, now=utcnow())
    if form.is_valid():
        d = form.cleaned_data
        try:
            catalog.time_off_create(
                business=business,
                provider=provider,
                start=d["start"],
                end=d["end"],
                reason=d["reason"],
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Time off added."))
            return redirect(
                reverse("backoffice:settings_provider_hours", args=[provider.pk]) + "#time-off"
            )
    return _hours_page(request, provider, time_off_form=form, status=422)


@require_http_methods(["GET", "POST"])
@manager_required
def provider_time_off_delete(request: BusinessRequest, pk: int, time_off_id: int) -> HttpResponse:
    """Ask first (GET), then remove the time off (POST)."""
    business = request.business
    provider = get_object_or_404(Provider, business=business, pk=pk)
    off = get_object_or_404(TimeOff, provider=provider, pk=time_off_id)
    back = reverse("backoffice:settings_provider_hours", args=[provider.pk]) + "#time-off"
    if request.method == "GET":
        tz = business.tz
        return confirm_page(
            request,
            title=_("Remove this time off?"),
            question=_("Remove %(provider)s's time off from %(start)s until %(end)s?")
            % {
                "provider": provider.name,
                "start": format_instant(off.start, tz),
                "end": format_instant(off.end, tz),
            },
            consequence=_("The time becomes bookable again at once."),
            button=_("Remove time off"),
            back=back,
        )
    try:
        catalog.time_off_delete(business=business, provider_id=provider.pk, time_off_id=off.pk)
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Time off removed."))
    return redirect(back)


# --- notifications and reminders ---------------------------------------------------------


@manager_required
def notification_settings(request: BusinessRequest) -> HttpResponse:
    business = request.business
    current = notify.notification_settings_get(business=business)
    providers = list(Provider.objects.filter(business=business).order_by("name"))
    form = NotificationSettingsForm(_posted(request), instance=current)
    if request.method == "POST" and form.is_valid():
        opt_in = {p.pk: f"provider-{p.pk}" in request.POST for p in providers}
        try:
            notify.notification_settings_update(
                business=business, changes=_fields(form), provider_opt_in=opt_in
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("backoffice:settings_notifications")
    return render(
        request,
        "backoffice/settings/notifications.html",
        {"form": form, "providers": providers},
    )


@manager_required
def reminder_rules(request: BusinessRequest) -> HttpResponse:
    business = request.business
    form = ReminderRuleForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            notify.reminder_rule_add(
                business=business,
                minutes_before=form.cleaned_data["amount"] * form.cleaned_data["unit"],
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Reminder added. It applies to bookings made from now on."))
            return redirect("backoffice:settings_reminders")
    rules = list(ReminderRule.objects.filter(business=business))
    for rule in rules:
        rule.label = describe_minutes(rule.minutes_before)  # type: ignore[attr-defined]
    return render(request, "backoffice/settings/reminders.html", {"form": form, "rules": rules})


@require_http_methods(["GET", "POST"])
@manager_required
def reminder_rule_delete(request: BusinessRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then remove the reminder rule (POST)."""
    rule = get_object_or_404(ReminderRule, business=request.business, pk=pk)
    if request.method == "GET":
        return confirm_page(
            request,
            title=_("Remove this reminder?"),
            question=_("Stop sending the reminder %(when)s before the appointment?")
            % {"when": describe_minutes(rule.minutes_before)},
            consequence=_(
                "Bookings made from now on get no such reminder; earlier ones keep theirs."
            ),
            button=_("Remove reminder"),
            back=reverse("backoffice:settings_reminders"),
        )
    try:
        notify.reminder_rule_delete(
            business=request.business,
            rule_id=pk,
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Reminder removed. Bookings made earlier keep their reminders.")
        )
    return redirect("backoffice:settings_reminders")


# --- team and business -------------------------------------------------------------------


def _invitation_link(raw: str) -> str:
    return settings.SITE_URL + reverse("backoffice:invitation", args=[raw])


def _deliver(request: BusinessRequest, invitation: Invitation, raw: str) -> None:
    """Email the link now; say plainly on the page whether it went."""
    try:
        core.invitation_deliver(invitation=invitation, link=_invitation_link(raw), now=utcnow())
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        # The same words whether or not the address already has an account.
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})


@manager_required
def team(request: BusinessRequest) -> HttpResponse:
    """The team, its open invitations, and a form to invite someone (no password is ever set
    or shown here: the invitee chooses their own)."""
    business = request.business
    me: Membership = request.membership
    is_owner = me.role == Membership.Role.OWNER
    form = MemberAddForm(_posted(request), grant_owner=is_owner)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, raw = core.invitation_create(
                business=business,
                actor=me,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                now=utcnow(),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            _deliver(request, invitation, raw)
            return redirect("backoffice:settings_team")
    members = list(
        Membership.objects.filter(business=business).select_related("user").order_by("user__email")
    )
    for m in members:
        # What this page lets the current person do to each member (the service decides).
        m.may_change = is_owner or m.role != Membership.Role.OWNER  # type: ignore[attr-defined]
    now = utcnow()
    invitations = list(
        Invitation.objects.filter(business=business, accepted_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("email")
    )
    for i in invitations:
        i.expired = not i.is_usable(now)  # type: ignore[attr-defined]
        i.may_resend = is_owner or i.role != Membership.Role.OWNER  # type: ignore[attr-defined]
    roles = [(v, label) for v, label in Membership.Role.choices if is_owner or v != "owner"]
    return render(
        request,
        "backoffice/settings/team.html",
        {
            "form": form,
            "members": members,
            "invitations": invitations,
            "roles": roles,
            "all_roles": Membership.Role.choices,
            "is_owner": is_owner,
        },
    )


@require_POST
@manager_required
def member_role(request: BusinessRequest, pk: int) -> HttpResponse:
    get_object_or_404(Membership, business=request.business, pk=pk)
    try:
        core.member_role_set(
            business=request.business,
            actor=request.membership,
            membership_id=pk,
            role=request.POST.get("role", ""),
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role changed."))
    return redirect("backoffice:settings_team")


@require_http_methods(["GET", "POST"])
@manager_required
def member_remove(request: BusinessRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then remove the member from the team (POST)."""
    member = get_object_or_404(Membership, business=request.business, pk=pk)
    if request.method == "GET":
        return confirm_page(
            request,
            title=_("Remove from the team?"),
            question=_("Remove %(who)s from %(business)s?")
            % {"who": member.user.email, "business": request.business.name},
            consequence=_(
                "They can no longer sign in to this business;"
                " to come back they need a new invitation."
            ),
            button=_("Remove from the team"),
            back=reverse("backoffice:settings_team"),
        )
    try:
        core.member_remove(
            business=request.business,
            actor=request.membership,
            membership_id=pk,
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the team."))
    return redirect("backoffice:settings_team")


@require_POST
@manager_required
def invitation_resend(request: BusinessRequest, pk: int) -> HttpResponse:
    """A new link for an open invitation (a new week); the previous link stops working."""
    get_object_or_404(Invitation, business=request.business, pk=pk)
    try:
        invitation, raw = core.invitation_renew(
            business=request.business,
            actor=request.membership,
            invitation_id=pk,
            now=utcnow(),
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        _deliver(request, invitation, raw)
    return redirect("backoffice:settings_team")


@require_http_methods(["GET", "POST"])
@manager_required
def invitation_revoke(request: BusinessRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then withdraw the invitation (POST)."""
    pending = get_object_or_404(Invitation, business=request.business, pk=pk)
    if request.method == "GET":
        return confirm_page(
            request,
            title=_("Withdraw this invitation?"),
            question=_("Withdraw the invitation to %(email)s?") % {"email": pending.email},
            consequence=_("Its link stops working at once."),
            button=_("Withdraw invitation"),
            back=reverse("backoffice:settings_team"),
        )
    try:
        invitation = core.invitation_revoke(
            business=request.business,
            invitation_id=pk,
            now=utcnow(),
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Invitation of %(email)s withdrawn: its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("backoffice:settings_team")


@manager_required
def business_profile(request: BusinessRequest) -> HttpResponse:
    business = request.business
    form = BusinessForm(_posted(request), instance=business)
    if request.method == "POST" and form.is_valid():
        try:
            core.business_profile_save(business=business, changes=_fields(form))
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Business profile saved."))
            return redirect("backoffice:settings_business")
    return render(request, "backoffice/settings/business.html", {"form": form})


# --- API keys ----------------------------------------------------------------------------

_NEW_KEY_SESSION = "backoffice_new_api_key"


@manager_required
def api_keys(request: BusinessRequest) -> HttpResponse:
    """List the business's API keys; create one (its secret is shown once, right after)."""
    business = request.business
    form = ApiKeyForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = key_service.api_key_create(
                business=business, name=form.cleaned_data["name"], now=utcnow()
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            # Kept server-side for one page view only, never in a cookie or a URL.
            request.session[_NEW_KEY_SESSION] = {"id": key.pk, "raw": raw}
            return redirect("backoffice:settings_api_keys")
    new_key = request.session.pop(_NEW_KEY_SESSION, None)
    keys = key_service.api_keys_of(business=business)
    return render(
        request,
        "backoffice/settings/api_keys.html",
        {"form": form, "keys": keys, "new_key": new_key},
    )


@require_http_methods(["GET", "POST"])
@manager_required
def api_key_revoke(request: BusinessRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then revoke the key (POST)."""
    try:
        found = key_service.api_key_get(business=request.business, key_id=pk)
    except errors.NotFound:
        raise Http404 from None
    if request.method == "GET":
        return confirm_page(
            request,
            title=_("Revoke this API key?"),
            question=_("Revoke the key “%(name)s”?") % {"name": found.name},
            consequence=_(
                "Every program using it is refused from now on;"
                " a revoked key cannot be turned back on."
            ),
            button=_("Revoke key"),
            back=reverse("backoffice:settings_api_keys"),
        )
    try:
        key = key_service.api_key_revoke(
            business=request.business,
            key_id=pk,
            now=utcnow(),
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Key “%(name)s” revoked. Requests using it are refused.") % {"name": key.name},
        )
    return redirect("backoffice:settings_api_keys")
