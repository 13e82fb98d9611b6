"""Calendar invites (iCalendar, RFC 5545 / iTIP RFC 5546) for a booking.

One booking is one calendar event for its whole life: the UID never changes, and every
change sends the same UID with a higher SEQUENCE (the booking's version), so calendar apps
update or remove the event they already have instead of adding a second one.
"""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import MIMEPart
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import STATUS, Calendar, Event, vCalAddress

from slotwise.bookings.models import Booking
from slotwise.core import i18n


class CachedHeaderRegistry(HeaderRegistry):
    """The standard header registry, building each header class once instead of per header.

    The stdlib registry creates a new class with ``type()`` every time a header is set or
    parsed, a large part of the cost of building and serializing an email; the classes it
    creates for one header name are all alike, so reusing the first gives the same result.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


#: ``email.policy.default`` with cached header classes, for the MIME parts built here.
PART_POLICY = email.policy.default.clone(header_factory=CachedHeaderRegistry())

#: iTIP methods this module writes. PUBLISH is for a plain "add to calendar" download.
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
PRODID = "-//Slotwise//Bookings//EN"
FILENAME = "invite.ics"


def site_host() -> str:
    """The host name of ``settings.SITE_URL`` (used in UIDs and Message-IDs)."""
    return urlsplit(settings.SITE_URL).hostname or "slotwise.localhost"


def booking_uid(booking: Booking) -> str:
    """The calendar UID of a booking: the same in every invite, update and cancellation."""
    return f"booking-{booking.pk}@{site_host()}"


def booking_calendar(
    booking: Booking,
    *,
    method: str,
    start: datetime,
    end: datetime,
    sequence: int,
    now: datetime,
    description: str | None = None,
) -> bytes:
    """The .ics bytes for ``booking`` at ``start``–``end`` (aware datetimes, written in UTC).

    ``method`` is REQUEST (new or changed appointment), CANCEL (cancelled; STATUS:CANCELLED)
    or PUBLISH (a download without scheduling semantics). ``sequence`` must grow with each
    change of the same booking; pass the booking's version at the time of the change.
    ``booking`` needs ``business``, ``service``, ``provider`` and ``customer`` loaded.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"unsupported calendar method {method!r}")
    for value, name in ((start, "start"), (end, "end"), (now, "now")):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")

    business = booking.business
    if description is None:
        description = (
            _("%(service)s with %(provider)s")
            % {
                "service": i18n.localized(booking.service, "name"),
                "provider": booking.provider.name,
            }
            + "\n"
            + _("Reference: %(reference)s") % {"reference": booking.reference}
        )
    event = Event.new(
        uid=booking_uid(booking),
        sequence=sequence,
        stamp=now.astimezone(UTC),
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        summary=_("%(service)s at %(business)s")
        % {"service": i18n.localized(booking.service, "name"), "business": business.name},
        description=description,
        location=business.address or None,
        status=STATUS.CANCELLED if method == "CANCEL" else STATUS.CONFIRMED,
        organizer=(
            vCalAddress.new(business.contact_email, cn=business.name)
            if business.contact_email
            else None
        ),
    )
    if method != "PUBLISH":
        # iTIP: the invitee; already accepted, and no reply is wanted.
        event.attendees = [
            vCalAddress.new(
                booking.customer.email,
                cn=booking.contact.name,
                role="REQ-PARTICIPANT",
                partstat="ACCEPTED",
                rsvp=False,
            )
        ]
    calendar = Calendar.new(method=method, prodid=PRODID, subcomponents=[event])
    # Calendar.new() adds a random calendar-level UID (RFC 7986); leave it out so that the
    # same facts always give the same bytes and no client mistakes it for the event's UID.
    del calendar["UID"]
    return calendar.to_ical()


def calendar_mime_part(ics: bytes, *, method: str, filename: str = FILENAME) -> MIMEPart:
    """A ``text/calendar; method=...`` attachment; the parameter matches the calendar METHOD.

    Django's ``attach(filename, content, mimetype)`` cannot carry MIME parameters, so the
    part is built here and attached as it is.
    """
    text = ics.decode()
    part = MIMEPart(policy=PART_POLICY)
    part.set_content(
        text,
        subtype="calendar",
        charset="utf-8",
        # Names with accents would otherwise go out as raw 8-bit, which a server that does not
        # announce 8BITMIME may refuse or mangle; iCalendar lines are short, so ASCII is 7bit.
        cte="7bit" if text.isascii() else "quoted-printable",
        params={"method": method.upper(), "name": filename},
        disposition="attachment",
        filename=filename,
    )
    return part
