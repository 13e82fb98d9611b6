"""The calendars app's refusals, each with a stable ``code``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from slotwise.core.errors import DomainError, InvalidInput


class CalendarUnreachable(DomainError):
    """The address or the login is wrong, or the server is down; the message says why."""

    code = "calendar_unreachable"
    http_status = 422
    default_message = _("The calendar could not be reached.")


class OneWriteCalendar(InvalidInput):
    code = "one_write_calendar"
    default_message = _("Choose at most one calendar to write bookings into.")
