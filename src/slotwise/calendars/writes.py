"""Bookings written into the provider's write calendar, through the outbox.

``on_booking_changed`` (subscribed to the domain's ``BookingChanged``) queues one
``calendar`` message in the change's own transaction when the provider has a write calendar
(or the booking was written before). The worker sends it (``send``, registered for the
channel) with the outbox's retries and leases.

A message does not carry what to write: the sender makes the calendar match the booking *as
it is now* — event present with the booking's time while the booking holds the time, gone
once it is cancelled or moved to a provider without this calendar. So messages delivered late,
twice, or out of order all end in the same state (at-least-once is safe):

* the resource name is the booking's UID (``<calendar>/<uid>.ics``), the same UID as the
  customer's invites;
* the first write is a PUT with ``If-None-Match: *``; a 412 means an earlier attempt did write
  it (the answer was lost in a crash) — the event is read back and taken over;
* later writes are PUTs with ``If-Match: <etag>`` and a SEQUENCE that rises with the booking's
  version; a cancel is a DELETE.

A 412 on ``If-Match`` means someone changed the event in their calendar. If its time is no
longer the one Slotwise wrote (or it was deleted), a ``CalendarConflict`` is recorded for
staff and nothing is written; the booking is never moved or cancelled because of it. A change
of other details (a note, an alarm) is overwritten when the booking next changes.

The periodic ``check_written`` finds such changes without waiting for a booking change: one
PROPFIND per write calendar compares the ETags with the ones Slotwise last saw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote, urljoin, urlsplit

import requests
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from lxml import etree

from slotwise.bookings.events import BookingChanged
from slotwise.bookings.models import Booking
from slotwise.bookings.models import BookingEvent as History
from slotwise.calendars import crypto, ical, uids
from slotwise.calendars.http import guarded_session
from slotwise.calendars.models import CalendarConnection, RemoteCalendar
from slotwise.calendars.models_out import BookingCalendarEvent, CalendarConflict
from slotwise.core import sqlrows
from slotwise.core.errors import NotFound
from slotwise.notifications.errors import UndeliverableMessage
from slotwise.notifications.models import Message

log = logging.getLogger("slotwise.calendars")

#: Seconds one write (all its requests) may take.
WRITE_BUDGET = 20.0
#: Attempts before a write is given up (with the outbox's backoff, capped at 2 hours between
#: attempts, this covers more than a day of a calendar server being down). A later change of
#: the booking queues a new write anyway.
MAX_ATTEMPTS = 20
#: Changes that move the booking's time or end it: the ones a calendar must follow.
WRITTEN_KINDS = (History.Kind.CREATED, History.Kind.RESCHEDULED, History.Kind.CANCELLED)


class WriteFailed(Exception):
    """The calendar server refused or failed the write; the message is retried."""


# --- queueing (inside the booking's transaction) ---------------------------------------------


def on_booking_changed(event: BookingChanged) -> None:
    """Queue a calendar write for a change of the booking's time or status."""
    if event.kind not in WRITTEN_KINDS:
        return
    providers = {event.booking.provider_id}
    if event.old is not None:
        providers.add(event.old.provider.pk)
    enqueue(event.booking, now=event.now, providers=providers)


def _concerned(booking_id: int, provider_ids: list[int]) -> bool:
    """Whether a write calendar of these providers exists, or the booking was written to a
    calendar before. Written by hand: it runs in every booking change's transaction, and the
    ORM took longer to build it than the database to answer it."""
    among = sqlrows.placeholders(len(provider_ids))
    calendars = RemoteCalendar._meta.db_table
    written = BookingCalendarEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS(SELECT 1 FROM {calendars} WHERE provider_id IN ({among}) "  # noqa: S608
            f"AND is_write_target = %s) OR EXISTS(SELECT 1 FROM {written} WHERE booking_id = %s)",
            [*provider_ids, True, booking_id],
        )
        row = cursor.fetchone()
    return bool(row[0])


def enqueue(
    booking: Booking,
    *,
    now: datetime,
    providers: set[int] | None = None,
    write_back: int | None = None,
) -> bool:
    """Queue a write of ``booking`` if any calendar is concerned; True when queued.

    ``write_back`` is the id of a conflict staff resolved by writing Slotwise's time back:
    that write replaces whatever the calendar has.
    """
    providers = providers or {booking.provider_id}
    if not _concerned(booking.pk, sorted(providers)):
        return False
    key = f"calendar:{booking.pk}:v{booking.version}"
    if write_back is not None:
        key += f":back{write_back}"
    if Message.objects.filter(dedupe_key=key).exists():
        return False
    Message.objects.create(
        business_id=booking.business_id,
        booking=booking,
        channel=Message.Channel.CALENDAR,
        kind=Message.Kind.CALENDAR_WRITE,
        recipient="calendar",
        audience="provider",
        context={"version": booking.version, "write_back": write_back},
        dedupe_key=key,
        due_at=now,
        next_attempt_at=now,
        max_attempts=MAX_ATTEMPTS,
        created_at=now,
    )
    return True


# --- sending (the worker) --------------------------------------------------------------------


def send(message: Message, now: datetime) -> None:
    """Make the calendars match the booking (the worker's sender for the ``calendar`` channel).

    Runs under the booking's row lock: a reschedule or cancel waits for the write in hand,
    and two writes of one booking never interleave (their If-Match would fight).
    """
    if message.booking_id is None:
        raise UndeliverableMessage("a calendar write names no booking")
    force = bool((message.context or {}).get("write_back"))
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("business", "service", "customer")
            .get(pk=message.booking_id)
        )
        reconcile(booking, now=now, force=force)


def reconcile(booking: Booking, *, now: datetime, force: bool = False) -> None:
    """Write, update or delete ``booking``'s events so the calendars show it as it is now."""
    target = (
        RemoteCalendar.objects.select_related("connection")
        .filter(provider_id=booking.provider_id, is_write_target=True, present=True)
        .first()
    )
    keep = target is not None and booking.status in Booking.ACTIVE_STATUSES
    current: BookingCalendarEvent | None = None
    for record in BookingCalendarEvent.objects.select_related("remote_calendar__connection").filter(
        booking=booking
    ):
        if keep and target is not None and record.remote_calendar_id == target.pk:
            current = record
            continue
        # Cancelled, or the provider's write calendar is another one now: remove ours.
        _delete(record)
    if not keep:
        CalendarConflict.objects.filter(booking=booking, resolved_at=None).update(
            resolved_at=now, resolution=CalendarConflict.Resolution.DISMISSED
        )
        return
    assert target is not None
    _write(booking, target, current, now=now, force=force)


@dataclass
class _Remote:
    status: int
    etag: str
    times: tuple[datetime, datetime] | None


def _session(connection: CalendarConnection) -> requests.Session:
    session = guarded_session(budget_seconds=WRITE_BUDGET)
    if connection.username or connection.password_encrypted:
        password = (
            crypto.decrypt(connection.password_encrypted) if connection.password_encrypted else ""
        )
        session.auth = (connection.username, password)
    return session


def object_href(calendar_url: str, uid: str) -> str:
    """Where the booking's event lives in the calendar: named after its UID."""
    base = calendar_url if calendar_url.endswith("/") else calendar_url + "/"
    return urljoin(base, quote(uid, safe="-_.") + ".ics")


def _check(response: requests.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    reason = f"{status} {response.reason}"
    if status in (400, 405, 413, 415, 422):
        # Sending the same again cannot help; a later change of the booking writes anew.
        raise UndeliverableMessage(f"the calendar server refused {what} ({reason})")
    raise WriteFailed(f"the calendar server refused {what} ({reason})")


def _read(session: requests.Session, href: str, *, uid: str, booking: Booking) -> _Remote:
    response = session.get(href)
    if response.status_code in (404, 410):
        return _Remote(response.status_code, "", None)
    _check(response, "reading the event")
    times = ical.event_times(response.content, uid=uid, tz=booking.business.tz)
    return _Remote(response.status_code, response.headers.get("ETag", ""), times)


def _put(
    session: requests.Session, href: str, body: bytes, *, condition: dict[str, str]
) -> requests.Response:
    return session.put(
        href,
        data=body,
        headers={"Content-Type": "text/calendar; charset=utf-8", **condition},
    )


def _write(
    booking: Booking,
    calendar: RemoteCalendar,
    record: BookingCalendarEvent | None,
    *,
    now: datetime,
    force: bool,
) -> None:
    times = (booking.start, booking.end)
    if (
        record is not None
        and not force
        and record.sequence >= booking.version
        and (record.start, record.end) == times
    ):
        return  # this version is written already (a repeated or late message)
    uid = uids.booking_uid(booking)
    href = record.href if record is not None else object_href(calendar.url, uid)
    body = ical.booking_object(booking, now=now)
    session = _session(calendar.connection)
    try:
        if record is None:
            response = _put(session, href, body, condition={"If-None-Match": "*"})
            if response.status_code == 412:
                # Our own earlier write whose answer was lost (a crash after the PUT): the
                # name is the booking's UID, so take the event over and write this version.
                remote = _read(session, href, uid=uid, booking=booking)
                response = _put(
                    session,
                    href,
                    body,
                    condition={"If-Match": remote.etag} if remote.etag else {},
                )
        else:
            response = _put(
                session,
                href,
                body,
                condition={"If-Match": record.etag} if record.etag else {},
            )
            if response.status_code in (404, 410, 412):
                remote = _read(session, href, uid=uid, booking=booking)
                last_written = (record.start, record.end)
                if not force and remote.times != last_written:
                    # Moved or deleted in the calendar: staff decide, nothing is written.
                    record_conflict(booking, calendar, remote, now=now)
                    return
                condition = {"If-Match": remote.etag} if remote.etag else {}
                if remote.times is None:
                    condition = {"If-None-Match": "*"}
                response = _put(session, href, body, condition=condition)
        _check(response, "writing the event")
        etag = response.headers.get("ETag") or _read(session, href, uid=uid, booking=booking).etag
    finally:
        session.close()
    BookingCalendarEvent.objects.update_or_create(
        booking=booking,
        remote_calendar=calendar,
        defaults={
            "business_id": booking.business_id,
            "href": href,
            "etag": etag,
            "sequence": booking.version,
            "start": booking.start,
            "end": booking.end,
            "written_at": now,
        },
    )
    log.info("booking=%s calendar=%s written v%s", booking.pk, calendar.pk, booking.version)


def _delete(record: BookingCalendarEvent) -> None:
    session = _session(record.remote_calendar.connection)
    try:
        response = session.delete(record.href)
    finally:
        session.close()
    if response.status_code not in (404, 410):
        _check(response, "deleting the event")
    record.delete()
    log.info("booking=%s calendar=%s event deleted", record.booking_id, record.remote_calendar_id)


# --- conflicts -------------------------------------------------------------------------------


def record_conflict(
    booking: Booking, calendar: RemoteCalendar, remote: _Remote, *, now: datetime
) -> CalendarConflict:
    """Record (or refresh) the booking's open conflict with what the calendar shows."""
    start, end = remote.times if remote.times is not None else (None, None)
    conflict, _created = CalendarConflict.objects.update_or_create(
        booking=booking,
        resolved_at=None,
        defaults={
            "business_id": booking.business_id,
            "remote_calendar": calendar,
            "slotwise_start": booking.start,
            "slotwise_end": booking.end,
            "calendar_start": start,
            "calendar_end": end,
            "calendar_etag": remote.etag,
            "detected_at": now,
        },
    )
    log.warning(
        "booking=%s calendar=%s conflict: event %s in the calendar",
        booking.pk,
        calendar.pk,
        "deleted" if start is None else "moved",
    )
    return conflict


DAV = "{DAV:}"
PROPFIND_ETAGS = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
)


def _etags(session: requests.Session, calendar_url: str) -> dict[str, str]:
    """The ETag of every object in the calendar, by path (one PROPFIND, depth 1)."""
    response = session.request(
        "PROPFIND",
        calendar_url,
        data=PROPFIND_ETAGS,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
    )
    _check(response, "listing the calendar")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(response.content, parser=parser)
    found: dict[str, str] = {}
    for item in root.iter(f"{DAV}response"):
        href = item.findtext(f"{DAV}href") or ""
        etag = item.findtext(f".//{DAV}getetag")
        if href and etag:
            found[unquote(urlsplit(urljoin(calendar_url, href)).path)] = etag
    return found


def check_written(now: datetime, worker_id: str = "") -> int:
    """Look for Slotwise events moved or deleted in the write calendars; returns conflicts found.

    Only events of bookings still ahead are checked. A failure to reach a calendar is logged
    and left for the next run (the connection's sync shows the server's state to staff).
    """
    found = 0
    calendars = (
        RemoteCalendar.objects.select_related("connection")
        .filter(
            is_write_target=True,
            present=True,
            written_events__booking__status=Booking.Status.CONFIRMED,
            written_events__booking__end__gt=now,
        )
        .distinct()
    )
    for calendar in calendars:
        try:
            found += _check_calendar(calendar, now=now)
        except (WriteFailed, UndeliverableMessage, requests.RequestException, etree.Error) as exc:
            log.warning("calendar=%s check of written events failed: %s", calendar.pk, exc)
        except crypto.UnreadableSecret:
            log.warning("calendar=%s password cannot be read", calendar.pk)
    return found


def _check_calendar(calendar: RemoteCalendar, *, now: datetime) -> int:
    records = list(
        BookingCalendarEvent.objects.filter(
            remote_calendar=calendar,
            booking__status=Booking.Status.CONFIRMED,
            booking__end__gt=now,
        )
        .exclude(
            Exists(CalendarConflict.objects.filter(booking=OuterRef("booking"), resolved_at=None))
        )
        .select_related("booking")
    )
    if not records:
        return 0
    session = _session(calendar.connection)
    found = 0
    try:
        etags = _etags(session, calendar.url)
        for record in records:
            if etags.get(unquote(urlsplit(record.href).path)) == record.etag:
                continue
            with transaction.atomic():
                # A write in hand holds the booking's lock and saves the new ETag before it
                # lets go; once we hold the lock, the record and the calendar agree or differ
                # for real.
                booking = (
                    Booking.objects.select_for_update(of=("self",))
                    .select_related("business")
                    .get(pk=record.booking_id)
                )
                fresh = BookingCalendarEvent.objects.filter(pk=record.pk).first()
                if fresh is None or booking.status != Booking.Status.CONFIRMED:
                    continue
                remote = _read(session, fresh.href, uid=uids.booking_uid(booking), booking=booking)
                if remote.etag and remote.etag == fresh.etag:
                    continue
                if remote.times == (fresh.start, fresh.end):
                    # Something else changed (a note, an alarm): nothing for staff to decide.
                    fresh.etag = remote.etag
                    fresh.save(update_fields=["etag"])
                    continue
                record_conflict(booking, calendar, remote, now=now)
                found += 1
    finally:
        session.close()
    return found


# --- staff decisions -------------------------------------------------------------------------


def access_conflict(business_id: int, conflict_id: int) -> CalendarConflict:
    """The open conflict ``conflict_id`` of the business (NotFound: another's, or closed)."""
    conflict = (
        CalendarConflict.objects.select_for_update()
        .filter(business_id=business_id, pk=conflict_id, resolved_at=None)
        .first()
    )
    if conflict is None:
        raise NotFound(_("This calendar conflict is not open any more."))
    return conflict


def conflict_write_back(*, business_id: int, conflict_id: int, user: object, now: datetime) -> None:
    """Write Slotwise's time back into the calendar (the booking itself does not change)."""
    with transaction.atomic(durable=True):
        conflict = access_conflict(business_id, conflict_id)
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=conflict.booking_id)
        _resolve(conflict, CalendarConflict.Resolution.WRITTEN_BACK, user=user, now=now)
        enqueue(booking, now=now, write_back=conflict.pk)


def conflict_dismiss(*, business_id: int, conflict_id: int, user: object, now: datetime) -> None:
    """Leave the calendar as it is; the booking keeps its time. Its next change is written."""
    with transaction.atomic(durable=True):
        conflict = access_conflict(business_id, conflict_id)
        record = BookingCalendarEvent.objects.filter(
            booking_id=conflict.booking_id, remote_calendar_id=conflict.remote_calendar_id
        ).first()
        if record is not None:
            if conflict.deleted:
                # Deleted there: the next change of the booking writes a new event.
                record.delete()
            else:
                assert conflict.calendar_start is not None and conflict.calendar_end is not None
                record.etag = conflict.calendar_etag
                record.start, record.end = conflict.calendar_start, conflict.calendar_end
                record.save(update_fields=["etag", "start", "end"])
        _resolve(conflict, CalendarConflict.Resolution.DISMISSED, user=user, now=now)


def _resolve(conflict: CalendarConflict, resolution: str, *, user: object, now: datetime) -> None:
    conflict.resolution = resolution
    conflict.resolved_at = now
    conflict.resolved_by = user if getattr(user, "pk", None) else None  # type: ignore[assignment]
    conflict.save(update_fields=["resolution", "resolved_at", "resolved_by"])


def open_conflicts(
    business_id: int, *, booking_reference: str | None = None
) -> list[CalendarConflict]:
    """The business's open conflicts, newest first, with their bookings (only that booking's
    when ``booking_reference`` is given)."""
    found = CalendarConflict.objects.filter(business_id=business_id, resolved_at=None)
    if booking_reference is not None:
        found = found.filter(booking__reference=booking_reference)
    return list(
        found.select_related(
            "booking__provider", "booking__service", "booking__customer", "remote_calendar"
        ).order_by("-detected_at", "-pk")
    )


def booking_conflict(booking: Booking) -> CalendarConflict | None:
    """The booking's open conflict, if any."""
    return CalendarConflict.objects.filter(
        business_id=booking.business_id, booking=booking, resolved_at=None
    ).first()


def install() -> None:
    """Subscribe to booking changes, send through the worker, check written events."""
    from datetime import timedelta

    from slotwise.core import events, periodic
    from slotwise.notifications import worker

    events.subscribe(BookingChanged, on_booking_changed)
    worker.register_sender(Message.Channel.CALENDAR, send, lane="webhooks")
    periodic.register_periodic("calendar-check-written", check_written, every=timedelta(minutes=5))
