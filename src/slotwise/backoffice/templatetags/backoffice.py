"""Template filters for times (always with their zone), money and small labels."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils import dateformat
from django.utils.translation import gettext as _

from slotwise.bookings.policy import describe_minutes
from slotwise.core.clock import utcnow
from slotwise.notifications.render import format_instant, format_range, zone_label

register = template.Library()


def _tz(zone: Any) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    if hasattr(zone, "tz"):
        return zone.tz  # a Business
    try:
        return ZoneInfo(str(zone)) if zone else ZoneInfo("UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


@register.filter
def when(booking: Any, zone: Any) -> str:
    """'Tuesday, 4 June 2030, 10:00 – 11:00 (Europe/Berlin, CEST)'."""
    return format_range(booking.start, booking.end, _tz(zone))


@register.filter
def at(value: datetime | None, zone: Any) -> str:
    """'Monday, 3 June 2030, 10:00 (Europe/Berlin, CEST)'."""
    if not value:
        return ""
    return format_instant(value, _tz(zone))


@register.filter
def short(value: datetime | None, zone: Any) -> str:
    """'Mon 3 Jun, 10:00 CEST' — compact, still with the zone."""
    if not value:
        return ""
    local = value.astimezone(_tz(zone))
    day, clock_ = dateformat.format(local, "D j M"), dateformat.format(local, "H:i")
    return f"{day}, {clock_} {local.tzname()}"


@register.filter
def clock(value: datetime | None, zone: Any) -> str:
    """'10:00' in the zone."""
    if not value:
        return ""
    return dateformat.format(value.astimezone(_tz(zone)), "H:i")


@register.filter
def zonename(zone: Any, value: datetime | None = None) -> str:
    """'Europe/Berlin, CEST' at ``value`` (or now)."""
    return zone_label((value or utcnow()).astimezone(_tz(zone)))


@register.filter
def iso_instant(value: Any) -> str:
    """An ISO timestamp string from a history row as a datetime (or '' when missing)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value or "")


@register.filter
def parse_instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@register.filter
def deadline_words(minutes: int) -> str:
    """'until 24 hours before the appointment', in the one wording of durations."""
    if minutes == 0:
        return _("until the appointment starts")
    return _("until %(time)s before the appointment") % {"time": describe_minutes(minutes)}


@register.filter
def money(amount: Any, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return f"{value:,.2f} {currency}".strip()


@register.filter
def stars(value: Any) -> str:
    try:
        n = round(float(value))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def widget_kind(bound_field: Any) -> str:
    """'check' (one checkbox), 'choices' (checkbox or radio list), or 'input'."""
    from django import forms

    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "check"
    return "input"
