"""Turn an outbox row into the email to send: subject, plain text, HTML and calendar invite.

Everything the email says about the appointment comes from the row's ``context`` (the facts
at the time of the change), so a message sent late still tells what happened then. Only
what does not change (business, customer, reference, policy snapshot) is read from the
booking. Rendering a message that offers a link issues a fresh token for that link.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from slotwise.bookings.models import (
    Booking,
    BookingToken,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)
from slotwise.bookings.selectors import self_service_status
from slotwise.bookings.tokens import token_issue, waitlist_token_issue
from slotwise.core import branding, i18n
from slotwise.core.models import Business
from slotwise.core.services import staff_language
from slotwise.notifications import ics
from slotwise.notifications.models import Message

K = Message.Kind

CUSTOMER_KINDS = frozenset(
    {K.CONFIRMATION, K.RESCHEDULED, K.CANCELLED, K.REMINDER, K.RATING_REQUEST}
)
STAFF_KINDS = frozenset(
    {K.STAFF_CREATED, K.STAFF_RESCHEDULED, K.STAFF_CANCELLED, K.STAFF_REASSIGNED_AWAY}
)
#: Customer emails that say what may be changed online (every customer email links to the
#: booking itself).
SELF_SERVICE_KINDS = frozenset({K.CONFIRMATION, K.RESCHEDULED, K.REMINDER})
#: Customer emails that carry a calendar invite, and its iTIP method.
CALENDAR_METHODS: dict[str, str] = {
    K.CONFIRMATION: "REQUEST",
    K.RESCHEDULED: "REQUEST",
    K.CANCELLED: "CANCEL",
}

#: Waitlist emails: addressed to an entry, not a booking (see ``_waitlist_email``).
WAITLIST_KINDS = frozenset({K.WAITLIST_JOINED, K.WAITLIST_OFFER})

TEMPLATE_DIR = "notifications/email"
PLATFORM_NAME = "Slotwise"


def build_email(
    message: Message, *, now: datetime, connection: Any = None
) -> EmailMultiAlternatives:
    """The email for an outbox row of channel email, ready to send.

    ``now`` is used for the self-service wording (is the change window still open?), for
    the tokens issued and as the invite's DTSTAMP. ``connection`` is handed to the email
    (deprecated in Django 6.1: prefer ``connection.send_messages([email])``).
    """
    if message.channel != Message.Channel.EMAIL:
        raise ValueError(f"message {message.pk} is not an email ({message.channel})")
    if message.kind in WAITLIST_KINDS:
        return _waitlist_email(message, now=now)
    if message.kind not in CUSTOMER_KINDS | STAFF_KINDS:
        raise ValueError(f"message {message.pk} has an unknown kind {message.kind!r}")
    if message.booking_id is None:
        raise ValueError(f"message {message.pk} has no booking")
    booking = _booking_of(message)

    # The reader's language, whoever caused the message (docs/translating.md, "Whose language").
    with translation.override(i18n.to_django(reader_language(message, booking))):
        context = _template_context(message, booking, now=now)
        subject = _one_line(_subject(message.kind, context))
        context["subject"] = subject
        from_email = _from_address(booking.business.name)
        text = _tidy_text(render_to_string(f"{TEMPLATE_DIR}/{message.kind}.txt", context))
        html = render_to_string(f"{TEMPLATE_DIR}/{message.kind}.html", context)
        method = CALENDAR_METHODS.get(message.kind, "") if message.audience == "customer" else ""
        invite = (
            ics.booking_calendar(
                booking,
                method=method,
                start=context["start"],
                end=context["end"],
                sequence=context["version"],
                now=now,
                description=_calendar_description(context),
            )
            if method
            else None
        )

    email = _email(
        message, booking.business, subject, text, html, from_email, connection=connection
    )

    if invite is not None:
        email.attach(ics.calendar_mime_part(invite, method=method))
    return email


def _waitlist_email(message: Message, *, now: datetime) -> EmailMultiAlternatives:
    """A waitlist email (joined, or a time offered), rendered like the booking emails: the
    same templates' base, the same language selection, links issued as it is rendered.
    Every one carries the link to leave the waitlist."""
    facts = message.context or {}
    entry = (
        WaitlistEntry.objects.select_related("business", "page", "service", "provider", "booking")
        .filter(pk=int(facts.get("entry_id") or 0), business_id=message.business_id)
        .first()
    )
    if entry is None:
        raise ValueError(f"message {message.pk} names no waitlist entry")
    business = entry.business
    site = settings.SITE_URL.rstrip("/")
    tz = _zone_named(entry.timezone, business.tz)
    # The language the customer read the page in (or their booking's, for an earlier time).
    language = i18n.first_of(
        entry.language,
        entry.booking.language if entry.booking else None,
        business.default_language,
    )
    with translation.override(i18n.to_django(language)):
        leave = waitlist_token_issue(entry=entry, purpose=WaitlistToken.Purpose.ENTRY, now=now)
        context: dict[str, Any] = {
            "kind": message.kind,
            "audience": "customer",
            "is_customer": True,
            "language_code": translation.get_language() or settings.LANGUAGE_CODE,
            "business": business,
            "entry": entry,
            "reference": entry.reference,
            "greeting_name": entry.name,
            "service_name": facts.get("service_name") or entry.service.name,
            "provider_name": entry.provider.name if entry.provider else "",
            "windows": [window_words(w, business.tz) for w in entry.windows],
            "earlier_than": (
                format_range(entry.booking.start, entry.booking.end, tz) if entry.booking else ""
            ),
            "zone_name": getattr(tz, "key", str(tz)),
            "leave_url": f"{site}/waitlist/{leave}/",
            "site_url": site,
            "brand": email_brand(business, site=site),
        }
        if message.kind == K.WAITLIST_OFFER:
            offer_id = int(facts.get("offer_id") or 0)
            offer = WaitlistOffer.objects.filter(pk=offer_id, entry=entry).first()
            if offer is None:
                raise ValueError(f"message {message.pk} names no offer of its entry")
            token = waitlist_token_issue(
                entry=entry, offer=offer, purpose=WaitlistToken.Purpose.OFFER, now=now
            )
            start = _instant(facts.get("start")) or offer.start
            end = _instant(facts.get("end")) or offer.end
            expires = _instant(facts.get("expires_at")) or offer.expires_at
            context.update(
                {
                    "provider_name": facts.get("provider_name") or offer.provider.name,
                    "start": start,
                    "end": end,
                    "when": format_range(start, end, tz),
                    "when_short": format_short(start, tz),
                    "expires": format_instant(expires, tz),
                    "offer_url": f"{site}/offers/{token}/",
                    "one_at_a_time": offer.mode == "one_at_a_time",
                }
            )
            subject = _("A time is free: %(service)s on %(when)s") % {
                "service": context["service_name"],
                "when": context["when_short"],
            }
            context["preheader"] = _("Accept before %(expires)s.") % {"expires": context["expires"]}
        else:
            subject = _("You are on the waitlist: %(service)s at %(business)s") % {
                "service": context["service_name"],
                "business": business.name,
            }
            context["preheader"] = _("We will email you when a time that suits you is free.")
        subject = _one_line(subject)
        context["subject"] = subject
        from_email = _from_address(business.name)
        text = _tidy_text(render_to_string(f"{TEMPLATE_DIR}/{message.kind}.txt", context))
        html = render_to_string(f"{TEMPLATE_DIR}/{message.kind}.html", context)
    return _email(
        message,
        business,
        subject,
        text,
        html,
        from_email,
        headers={"List-Unsubscribe": f"<{context['leave_url']}>"},
    )


def _email(
    message: Message,
    business: Business,
    subject: str,
    text: str,
    html: str,
    from_email: str,
    *,
    headers: dict[str, str] | None = None,
    connection: Any = None,
) -> EmailMultiAlternatives:
    """The email every kind is sent as: text with an HTML alternative, replies to the
    business's contact address, our own Message-ID and the auto-generated mark."""
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[message.recipient],
        reply_to=[_address(business.name, business.contact_email)]
        if business.contact_email
        else None,
        headers={
            "Message-ID": message_id(message),
            "Auto-Submitted": "auto-generated",
            **(headers or {}),
        },
        **({"connection": connection} if connection is not None else {}),
    )
    email.attach_alternative(html, "text/html")
    return email


def email_brand(business: Business, *, site: str) -> dict[str, Any]:
    """The logo (an absolute URL: mail programs have no page to resolve a path against) and
    the accent colour of the HTML emails, or the Slotwise look when the business set none."""
    colour = branding.normalise_hex(business.accent_color or "")
    logo = business.logo.url if business.logo else ""
    if logo and not logo.startswith(("http://", "https://")):
        logo = f"{site}{logo}"
    return {
        "logo_url": logo,
        "accent": colour or branding.DEFAULT_EMAIL_ACCENT,
        # A business's own colour also draws a band across the top of the email.
        "own_accent": bool(colour),
    }


def window_words(window: dict[str, Any], tz: ZoneInfo) -> str:
    """'3 June 2030 – 7 June 2030, 09:00 – 12:00' — a waitlist window as people read it."""
    first = date.fromisoformat(window["first_day"])
    last = date.fromisoformat(window["last_day"])
    days = (
        i18n.format_day(first)
        if first == last
        else _("%(first)s – %(last)s")
        % {"first": i18n.format_short_day(first), "last": i18n.format_short_day(last)}
    )
    start, until = window.get("from"), window.get("until")
    if start and until:
        return _("%(days)s, %(from)s – %(until)s") % {"days": days, "from": start, "until": until}
    if start:
        return _("%(days)s, from %(from)s") % {"days": days, "from": start}
    if until:
        return _("%(days)s, until %(until)s") % {"days": days, "until": until}
    return _("%(days)s, any time") % {"days": days}


def _zone_named(name: str, default: ZoneInfo) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def reader_language(message: Message, booking: Booking) -> str:
    """The language tag ``message`` is written in.

    Customer emails use the booking's language (copied from the customer when booked), then
    the customer's, then the business's default; a provider's alert uses the language the
    staff account with that address chose, else the business's default; the business
    address always gets the business's default.
    """
    business = booking.business
    if message.audience == "customer":
        return i18n.first_of(booking.language, booking.customer.language, business.default_language)
    if message.audience == "provider":
        return i18n.first_of(
            staff_language(business_id=business.pk, email=message.recipient),
            business.default_language,
        )
    return i18n.first_of(business.default_language)


def _booking_of(message: Message) -> Booking:
    """The row's booking with what rendering reads; the worker loads it with the batch."""
    if Message.booking.is_cached(message):  # type: ignore[attr-defined]
        booking = message.booking
        assert booking is not None
        if all(Booking._meta.get_field(name).is_cached(booking) for name in _BOOKING_RELATED):  # type: ignore[union-attr]
            return booking
    assert message.booking_id is not None  # rows without a booking are refused before this
    return Booking.objects.select_related(*_BOOKING_RELATED).get(pk=message.booking_id)


_BOOKING_RELATED = ("business", "service", "provider", "customer", "booking_page")


def message_id(message: Message) -> str:
    """A Message-ID that is the same each time this outbox row is (re)sent."""
    return f"<slotwise.message.{message.pk}@{ics.site_host()}>"


# --- the template context --------------------------------------------------------------


def _template_context(message: Message, booking: Booking, *, now: datetime) -> dict[str, Any]:
    business, customer = booking.business, booking.customer
    facts = message.context or {}
    is_customer = message.audience == "customer"
    tz = _customer_zone(booking) if is_customer else business.tz

    start = _instant(facts.get("start")) or booking.start
    end = _instant(facts.get("end")) or booking.end
    old_start = _instant(facts.get("old_start"))
    old_end = _instant(facts.get("old_end"))
    provider_name = facts.get("provider_name") or booking.provider.name
    old_provider_name = facts.get("old_provider_name") or ""
    site = settings.SITE_URL.rstrip("/")

    context: dict[str, Any] = {
        "brand": email_brand(business, site=site),
        "kind": message.kind,
        "audience": message.audience,
        "is_customer": is_customer,
        "language_code": translation.get_language() or settings.LANGUAGE_CODE,
        "business": business,
        # What the booker gave (a web booking never changes the stored customer); staff emails
        # also name the record when it differs.
        "customer": booking.contact,
        "customer_record": customer if _record_differs(booking) else None,
        "booking": booking,
        "reference": booking.reference,
        "recipient_name": message.recipient_name,
        "greeting_name": booking.contact.name if is_customer else message.recipient_name,
        "service_name": _service_name(facts.get("service_name"), booking),
        "provider_name": provider_name,
        "old_provider_name": old_provider_name,
        "provider_changed": bool(old_provider_name) and old_provider_name != provider_name,
        "version": int(facts.get("version") or booking.version),
        "start": start,
        "end": end,
        "when": format_range(start, end, tz),
        "when_short": format_short(start, tz),
        "old_when": format_range(old_start, old_end, tz) if old_start and old_end else "",
        "old_when_short": format_short(old_start, tz) if old_start else "",
        "zone_name": getattr(tz, "key", str(tz)),
        "price": booking.price if booking.price else None,
        "currency": booking.currency,
        "price_text": i18n.format_price(booking.price, booking.currency) if booking.price else "",
        # The business's own words on cancelling, in the reader's language where entered.
        "cancellation_policy": i18n.localized(business, "cancellation_policy"),
        "actor": facts.get("actor", ""),
        "actor_label": _actor_label(facts.get("actor", "")),
        "cancelled_by_customer": facts.get("actor") == "customer",
        "reason": (facts.get("reason") or "").strip(),
        "reassigned": bool(facts.get("reassigned")),
        "site_url": site,
    }
    if is_customer:
        # Every customer email links to the booking; the change options only where they fit.
        context["self_service"] = _self_service(booking, start=start, tz=tz, now=now, site=site)
        context["self_service"]["show_changes"] = message.kind in SELF_SERVICE_KINDS
        if message.kind == K.CANCELLED:
            page = booking.booking_page
            if page is not None and page.active:
                context["book_again_url"] = f"{site}/book/{business.slug}/{page.slug}/"
        if message.kind == K.RATING_REQUEST:
            token = token_issue(booking=booking, purpose=BookingToken.Purpose.RATE, now=now)
            context["rate_url"] = f"{site}/rate/{token}/"
    else:
        context["backoffice_url"] = f"{site}/backoffice/bookings/{booking.reference}/"
        context["notes"] = booking.notes
        context["has_payments"] = message.kind == K.STAFF_CANCELLED and booking.payments.exists()
    context["preheader"] = _preheader(message.kind, context)
    return context


def _self_service(
    booking: Booking, *, start: datetime, tz: ZoneInfo, now: datetime, site: str
) -> dict[str, Any]:
    """What the self-service section shows: always a link to the booking ("View booking"),
    and the cancel and reschedule buttons only when the one selector allows them now (judged
    at the appointment time this message tells), each to its own page."""
    status = self_service_status(booking, now, start=start)
    token = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=now)
    manage_url = f"{site}/manage/{token}/"
    deadline = format_instant(status.deadline, tz)
    return {
        "status": status,
        "offered": status.is_offered,
        "open": status.any_allowed,
        "can_cancel": status.can_cancel,
        "can_reschedule": status.can_reschedule,
        "deadline": deadline,
        "promise": status.promise(deadline),
        "manage_url": manage_url,
        "cancel_url": f"{manage_url}cancel/",
        "reschedule_url": f"{manage_url}reschedule/",
    }


def _subject(kind: str, c: dict[str, Any]) -> str:
    values = {
        "service": c["service_name"],
        "business": c["business"].name,
        "when": c["when_short"],
        "old_when": c["old_when_short"],
        "customer": c["customer"].name,
        "provider": c["provider_name"],
    }
    subjects: dict[str, str] = {
        K.CONFIRMATION: _("Booking confirmed: %(service)s on %(when)s"),
        K.RESCHEDULED: _("Booking rescheduled: %(service)s, now on %(when)s"),
        K.CANCELLED: _("Booking cancelled: %(service)s on %(when)s"),
        K.REMINDER: _("Reminder: %(service)s on %(when)s"),
        K.RATING_REQUEST: _("How was your %(service)s at %(business)s?"),
        K.STAFF_CREATED: (
            _("Booking moved to you: %(customer)s, %(service)s on %(when)s")
            if c["reassigned"]
            else _("New booking: %(customer)s, %(service)s on %(when)s")
        ),
        K.STAFF_RESCHEDULED: _("Booking rescheduled: %(customer)s, %(service)s, now on %(when)s"),
        K.STAFF_CANCELLED: _("Booking cancelled: %(customer)s, %(service)s on %(when)s"),
        K.STAFF_REASSIGNED_AWAY: _(
            "Booking moved to %(provider)s: %(customer)s, %(service)s on %(old_when)s"
        ),
    }
    return subjects[kind] % values


def _preheader(kind: str, c: dict[str, Any]) -> str:
    """The line mail apps show after the subject in the inbox list."""
    if kind == K.RATING_REQUEST:
        return _("It takes a few seconds: rate your visit from 1 to 5 stars.")
    if kind == K.STAFF_REASSIGNED_AWAY:
        return _("This appointment is no longer yours.")
    return c["when"]


def _calendar_description(c: dict[str, Any]) -> str:
    lines = [
        _("%(service)s with %(provider)s")
        % {"service": c["service_name"], "provider": c["provider_name"]},
        _("Reference: %(reference)s") % {"reference": c["reference"]},
    ]
    business = c["business"]
    contact = " · ".join(x for x in (business.phone, business.contact_email) if x)
    if contact:
        lines.append(
            _("Contact %(business)s: %(contact)s") % {"business": business.name, "contact": contact}
        )
    return "\n".join(lines)


def _service_name(frozen: str | None, booking: Booking) -> str:
    """The service's name in the reader's language: the name at the change, translated when
    the business entered a translation and the service has not been renamed since."""
    service = booking.service
    if not frozen or frozen == service.name:
        return i18n.localized(service, "name")
    return frozen


def _record_differs(booking: Booking) -> bool:
    contact, customer = booking.contact, booking.customer
    return (contact.name, contact.phone) != (customer.name, customer.phone)


def _actor_label(actor: str) -> str:
    return {
        "customer": _("the customer"),
        "staff": _("a staff member"),
        "system": _("the system"),
        "api": _("an integration (API)"),
    }.get(actor, actor)


# --- times ------------------------------------------------------------------------------


def _customer_zone(booking: Booking) -> ZoneInfo:
    """The booker's own zone when known and valid, else the business's."""
    name = booking.contact.timezone
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return booking.business.tz


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def zone_label(local: datetime) -> str:
    """'America/New_York, EDT' — the IANA name and, when it has one, the abbreviation."""
    key = getattr(local.tzinfo, "key", None) or "UTC"
    abbreviation = local.tzname() or ""
    if not abbreviation.isalpha():
        # Zones without a letter abbreviation report "+04" or similar: spell out the offset.
        minutes = int((local.utcoffset() or timedelta(0)).total_seconds()) // 60
        hours, rest = divmod(abs(minutes), 60)
        abbreviation = f"UTC{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"
    if abbreviation == key:
        return key
    return f"{key}, {abbreviation}"


def _day(local: datetime) -> str:
    return i18n.format_day(local)


def _clock(local: datetime) -> str:
    return i18n.format_clock(local)


def format_range(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """'Tuesday, 4 June 2030, 10:00 – 11:00 (America/New_York, EDT)'.

    When the clocks change between start and end, each end names its own zone abbreviation:
    'Sunday, 27 October 2030, 01:00 (Europe/Berlin, CEST) – 03:00 (Europe/Berlin, CET)'.
    """
    s, e = start.astimezone(tz), end.astimezone(tz)
    same_day = s.date() == e.date()
    values = {
        "day": _day(s),
        "start": _clock(s),
        "end_day": _day(e),
        "end": _clock(e),
        "zone": zone_label(s),
        "end_zone": zone_label(e),
    }
    if values["zone"] != values["end_zone"]:
        if same_day:
            return _("%(day)s, %(start)s (%(zone)s) – %(end)s (%(end_zone)s)") % values
        return _("%(day)s, %(start)s (%(zone)s) – %(end_day)s, %(end)s (%(end_zone)s)") % values
    if same_day:
        return _("%(day)s, %(start)s – %(end)s (%(zone)s)") % values
    return _("%(day)s, %(start)s – %(end_day)s, %(end)s (%(zone)s)") % values


def format_instant(value: datetime, tz: ZoneInfo) -> str:
    """'Monday, 3 June 2030, 10:00 (America/New_York, EDT)'."""
    local = value.astimezone(tz)
    return _("%(day)s, %(time)s (%(zone)s)") % {
        "day": _day(local),
        "time": _clock(local),
        "zone": zone_label(local),
    }


def format_short(value: datetime, tz: ZoneInfo) -> str:
    """'Tue, 4 Jun 2030, 10:00' — for subjects, where the zone is left to the body."""
    local = value.astimezone(tz)
    return _("%(day)s, %(time)s") % {
        "day": i18n.format_short_day(local),
        "time": _clock(local),
    }


# --- addresses and text -----------------------------------------------------------------


def _one_line(value: str) -> str:
    """Headers may not contain line breaks; runs of whitespace become one space."""
    return " ".join(str(value).split())


def _address(name: str, addr: str) -> str:
    try:
        return str(Address(display_name=_one_line(name), addr_spec=addr))
    except (ValueError, IndexError):
        return addr


def _from_address(business_name: str) -> str:
    """'"Acme Studio via Slotwise" <bookings@…>': the platform's address, the business's name."""
    platform, addr = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if not addr:
        return settings.DEFAULT_FROM_EMAIL
    display = _("%(business)s via %(platform)s") % {
        "business": _one_line(business_name),
        "platform": _one_line(platform) or PLATFORM_NAME,
    }
    return _address(display, addr)


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Template whitespace out of the plain-text body: no trailing spaces, one blank line max."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"
