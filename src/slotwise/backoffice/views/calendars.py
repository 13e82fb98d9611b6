"""A provider's own calendars: connect, choose, sync now, remove (docs/calendars.md).

The rules live in ``calendars.services``; these views parse the forms, call a service and
turn its refusal into a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slotwise.backoffice.access import BusinessRequest, manager_required
from slotwise.backoffice.calendar_forms import CalendarConnectForm
from slotwise.backoffice.forms import add_domain_error
from slotwise.backoffice.views._util import confirm_page
from slotwise.calendars import services as calendars
from slotwise.calendars.models import CalendarConnection
from slotwise.catalog.models import Provider
from slotwise.core import errors
from slotwise.core.clock import utcnow


def _provider(request: BusinessRequest, pk: int) -> Provider:
    return get_object_or_404(Provider, business=request.business, pk=pk)


def _connection(request: BusinessRequest, provider: Provider, pk: int) -> CalendarConnection:
    try:
        return calendars.access_connection(request.business, pk, provider=provider)
    except errors.NotFound:
        raise Http404 from None


def _page(
    request: BusinessRequest,
    provider: Provider,
    form: CalendarConnectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "provider": provider,
        "connections": calendars.connections_of(provider),
        "form": form or CalendarConnectForm(),
    }
    return render(request, "backoffice/settings/provider_calendars.html", context, status=status)


@manager_required
def provider_calendars(request: BusinessRequest, pk: int) -> HttpResponse:
    return _page(request, _provider(request, pk))


@require_POST
@manager_required
def calendar_connect(request: BusinessRequest, pk: int) -> HttpResponse:
    provider = _provider(request, pk)
    form = CalendarConnectForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            connection = calendars.connection_create(
                business=request.business,
                provider=provider,
                kind=d["kind"],
                url=d["url"],
                username=d["username"],
                password=d["password"],
                now=utcnow(),
            )
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            count = connection.calendars.count()
            messages.success(
                request,
                _("Connected. %(count)s calendar(s) found; choose below which ones count.")
                % {"count": count},
            )
            return redirect("backoffice:settings_provider_calendars", pk=provider.pk)
    return _page(request, provider, form, status=422)


@require_POST
@manager_required
def calendar_choose(request: BusinessRequest, pk: int, connection_id: int) -> HttpResponse:
    provider = _provider(request, pk)
    connection = _connection(request, provider, connection_id)
    write = request.POST.get("write", "")
    choices = [
        calendars.CalendarChoice(
            c.pk, busy=f"busy-{c.pk}" in request.POST, write=write == str(c.pk)
        )
        for c in connection.calendars.all()
    ]
    try:
        calendars.connection_choose_calendars(
            business=request.business, connection=connection, choices=choices, now=utcnow()
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Calendar choices saved."))
    return redirect("backoffice:settings_provider_calendars", pk=provider.pk)


@require_POST
@manager_required
def calendar_sync(request: BusinessRequest, pk: int, connection_id: int) -> HttpResponse:
    provider = _provider(request, pk)
    connection = calendars.connection_sync_now(
        business=request.business,
        connection=_connection(request, provider, connection_id),
        now=utcnow(),
    )
    if connection.status == CalendarConnection.Status.OK:
        messages.success(request, _("Calendar synced."))
    else:
        messages.error(
            request,
            _("The calendar could not be synced: %(reason)s") % {"reason": connection.last_error},
        )
    return redirect("backoffice:settings_provider_calendars", pk=provider.pk)


@require_http_methods(["GET", "POST"])
@manager_required
def calendar_delete(request: BusinessRequest, pk: int, connection_id: int) -> HttpResponse:
    """Ask first (GET), then remove the calendar connection (POST)."""
    provider = _provider(request, pk)
    connection = _connection(request, provider, connection_id)
    if request.method == "GET":
        return confirm_page(
            request,
            title=_("Remove this calendar connection?"),
            question=_("Remove the %(kind)s calendar connection of %(provider)s?")
            % {"kind": connection.get_kind_display(), "provider": provider.name},
            consequence=_("Its busy times stop blocking bookings; bookings are not changed."),
            button=_("Remove connection"),
            back=reverse("backoffice:settings_provider_calendars", args=[provider.pk]),
        )
    calendars.connection_delete(business=request.business, connection=connection)
    messages.success(request, _("Calendar connection removed. Bookings were not changed."))
    return redirect("backoffice:settings_provider_calendars", pk=provider.pk)
