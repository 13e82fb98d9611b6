"""Calendar conflicts on the dashboard and a booking's page (read through calendars.writes)."""

from __future__ import annotations

from typing import Any

from django import template

from slotwise.calendars import writes

register = template.Library()


@register.inclusion_tag("backoffice/calendars/_conflicts.html", takes_context=True)
def dashboard_conflicts(context: dict[str, Any]) -> dict[str, Any]:
    """The business's open conflicts (nothing shown when there is none)."""
    request = context["request"]
    return {
        "request": request,
        "conflicts": writes.open_conflicts(request.business.pk),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
        "with_booking": True,
    }


@register.inclusion_tag("backoffice/calendars/_conflicts.html", takes_context=True)
def booking_conflict(context: dict[str, Any], booking: Any) -> dict[str, Any]:
    """The booking's open conflict, if any."""
    request = context["request"]
    conflict = writes.booking_conflict(booking)
    return {
        "request": request,
        "conflicts": [conflict] if conflict is not None else [],
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
        "with_booking": False,
    }
