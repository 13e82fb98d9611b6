"""The waitlist's changes: join, leave, freed time turned into offers, accept, offer by hand.

Each public function runs in one transaction (``_common.write_transaction``) and emits its
event (``WaitlistJoined``, ``WaitlistOffered``, ``WaitlistAccepted``) inside it, so the
emails and webhooks ``notifications`` queues commit with the change. Accepting an offer runs
the existing booking actions (``booking_create_web`` or ``booking_reschedule``) in the same
transaction, with every rule they check. The pure rules are in ``bookings/waitlist.py``; the
behaviour is described for people in docs/waitlist.md.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from slotwise.bookings import availability_queries as loaders
from slotwise.bookings import policy, selectors
from slotwise.bookings import waitlist as rules
from slotwise.bookings.actions import _common
from slotwise.bookings.actions.create import (
    CustomerDetails,
    booking_create_web_in_transaction,
    customer_details_of,
)
from slotwise.bookings.actions.reschedule import booking_reschedule_in_transaction
from slotwise.bookings.actor import Actor
from slotwise.bookings.events import (
    BookingChanged,
    WaitlistAccepted,
    WaitlistJoined,
    WaitlistOffered,
)
from slotwise.bookings.models import (
    Booking,
    BookingEvent,
    BookingPage,
    BookingToken,
    FreedTime,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSettings,
    WaitlistToken,
)
from slotwise.bookings.tokens import token_issue, waitlist_token_issue, waitlist_token_verify
from slotwise.catalog.models import Provider
from slotwise.core import errors, events
from slotwise.core.clock import utcnow
from slotwise.core.models import Business

log = logging.getLogger("slotwise.waitlist")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: Freed-time rows one worker round takes.
FREED_BATCH = 20


def waitlist_settings_of(business: Business | int) -> WaitlistSettings:
    """The business's waitlist rule (the defaults until it chose one; nothing is written)."""
    business_id = business if isinstance(business, int) else business.pk
    found = WaitlistSettings.objects.filter(business_id=business_id).first()
    return found or WaitlistSettings(business_id=business_id)


def waitlist_settings_set(*, business: Business, mode: str, hold_minutes: int) -> WaitlistSettings:
    """Choose how freed time is offered: ``one_at_a_time`` or ``notify_all``, held this long."""
    if mode not in WaitlistSettings.Mode.values:
        raise errors.InvalidInput(
            _("Choose one of: %(modes)s.") % {"modes": ", ".join(WaitlistSettings.Mode.values)},
            field="mode",
        )
    if not 5 <= hold_minutes <= 7 * 24 * 60:
        raise errors.InvalidInput(
            _("An offer is held between 5 minutes and 7 days."), field="hold_minutes"
        )
    with transaction.atomic():
        found, _created = WaitlistSettings.objects.select_for_update().get_or_create(
            business=business
        )
        found.mode, found.hold_minutes = mode, hold_minutes
        found.save()
    return found


# --- joining and leaving --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Joined:
    """A new entry and the token of its link (leave the waitlist, see it)."""

    entry: WaitlistEntry
    token: str


def _new_reference() -> str:
    while True:
        ref = "WL-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        if not WaitlistEntry.objects.filter(reference=ref).exists():
            return ref


def _require_waitlist(page: BookingPage) -> None:
    if not (page.active and page.waitlist):
        raise errors.NotFound(_("This booking page has no waitlist."))


def waitlist_join(
    *,
    page: BookingPage,
    service_id: int,
    provider_id: int | None,
    windows: Sequence[Mapping[str, Any]],
    customer: CustomerDetails,
    now: datetime,
) -> Joined:
    """A customer joins the page's waitlist for a service (and optionally a provider)."""
    _require_waitlist(page)
    service = selectors.page_service(page=page, service_id=service_id)
    if service is None:
        raise errors.InvalidInput(_("This service is not offered on this page."), field="service")
    provider = None
    if provider_id is not None:
        provider = selectors.page_provider(page=page, provider_id=provider_id)
        if provider is None or not provider.services.filter(pk=service.pk).exists():
            raise errors.InvalidInput(
                _("This provider is not offered for this service on this page."),
                field="provider",
            )
    elif not page.any_provider:
        raise errors.InvalidInput(_("Please choose a provider."), field="provider")
    details = customer_details_of(customer)
    today = now.astimezone(page.business.tz).date()
    checked = rules.windows_checked(windows, today=today)
    with _common.write_transaction():
        entry = WaitlistEntry.objects.create(
            business=page.business,
            reference=_new_reference(),
            page=page,
            service=service,
            provider=provider,
            name=details.name,
            email=details.email,
            phone=details.phone,
            timezone=details.timezone,
            language=details.language,
            windows=[w.as_json() for w in checked],
            created_at=now,
        )
        token = waitlist_token_issue(entry=entry, purpose=WaitlistToken.Purpose.ENTRY, now=now)
        events.emit(WaitlistJoined(entry=entry, now=now))
    return Joined(entry=entry, token=token)


def waitlist_join_earlier(
    *, booking: Booking, windows: Sequence[Mapping[str, Any]], now: datetime
) -> Joined:
    """The booking's customer asks to be told if an earlier time frees up.

    Only where the booking's own policy lets the customer reschedule now (the one selector,
    ``self_service_status``) and its page has a waitlist. An earlier request of the same
    booking is replaced.
    """
    page = booking.booking_page
    if page is None:
        raise errors.NotAllowed(_("This booking was not made on a booking page."))
    _require_waitlist(page)
    status = selectors.self_service_status(booking, now)
    refusal = status.refusal(policy.Action.RESCHEDULE)
    if refusal is not None:
        raise refusal.error
    tz = booking.business.tz
    checked = rules.windows_checked(windows, today=now.astimezone(tz).date())
    if all(w.first_day > booking.start.astimezone(tz).date() for w in checked):
        raise errors.InvalidInput(
            _("Give days before your booking: only an earlier time is offered."),
            field="windows",
        )
    contact = booking.contact
    scope = status.provider_scope
    with _common.write_transaction():
        _common.lock_booking(booking.pk)
        for old in WaitlistEntry.objects.filter(
            booking=booking, status=WaitlistEntry.Status.WAITING
        ):
            _close_entry(old, status=WaitlistEntry.Status.LEFT, now=now)
        entry = WaitlistEntry.objects.create(
            business=booking.business,
            reference=_new_reference(),
            page=page,
            service=booking.service,
            provider_id=scope,
            booking=booking,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            timezone=contact.timezone,
            windows=[w.as_json() for w in checked],
            created_at=now,
        )
        token = waitlist_token_issue(entry=entry, purpose=WaitlistToken.Purpose.ENTRY, now=now)
        events.emit(WaitlistJoined(entry=entry, now=now))
    return Joined(entry=entry, token=token)


def waitlist_leave(*, raw_token: str, now: datetime) -> WaitlistEntry:
    """Leave the waitlist by the link of any waitlist email; open offers are withdrawn and
    their time goes to the next in line. Leaving twice is not an error."""
    found = waitlist_token_verify(raw=raw_token, purpose=WaitlistToken.Purpose.ENTRY, now=now)
    if found is None:
        found = waitlist_token_verify(raw=raw_token, purpose=WaitlistToken.Purpose.OFFER, now=now)
    if found is None:
        raise errors.NotFound(_("This waitlist link is not valid."))
    with _common.write_transaction():
        entry = WaitlistEntry.objects.select_for_update().get(pk=found.entry_id)
        if entry.status == WaitlistEntry.Status.WAITING:
            _close_entry(entry, status=WaitlistEntry.Status.LEFT, now=now)
    return entry


def _close_entry(entry: WaitlistEntry, *, status: str, now: datetime) -> None:
    entry.status, entry.closed_at = status, now
    entry.save(update_fields=["status", "closed_at"])
    for offer in WaitlistOffer.objects.select_for_update().filter(
        entry=entry, status=WaitlistOffer.Status.OPEN
    ):
        offer.status, offer.closed_at = WaitlistOffer.Status.WITHDRAWN, now
        offer.save(update_fields=["status", "closed_at"])
        _free_again(offer, reason="withdrawn", now=now)


# --- freed time -----------------------------------------------------------------------------


def _has_waiting(business_id: int) -> bool:
    """Whether anyone of the business waits. Written by hand: it runs in every booking
    change's transaction, and the ORM took longer to build it than the database to answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS(SELECT 1 FROM {WaitlistEntry._meta.db_table} "  # noqa: S608
            "WHERE business_id = %s AND status = %s)",
            [business_id, str(WaitlistEntry.Status.WAITING)],
        )
        row = cursor.fetchone()
    return bool(row[0])


def freed_time_record(
    *,
    business_id: int,
    provider_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
    booking: Booking | None = None,
) -> FreedTime | None:
    """Write the freed-time row in the caller's transaction (nothing when nobody waits)."""
    if end <= now or not _has_waiting(business_id):
        return None
    return FreedTime.objects.create(
        business_id=business_id,
        provider_id=provider_id,
        start=start,
        end=end,
        reason=reason,
        booking=booking,
        created_at=now,
    )


def on_booking_changed(event: BookingChanged) -> None:
    """A cancel or a reschedule frees the booking's former time (in the action's transaction);
    a booking that is gone or over closes its "earlier time" request.

    One query when nobody of the business waits (the common case), so a cancel or a
    reschedule costs one statement more, not one per waiting customer.
    """
    booking, now, kind = event.booking, event.now, event.kind
    freeing = kind in (BookingEvent.Kind.CANCELLED, BookingEvent.Kind.RESCHEDULED)
    closing = kind in (
        BookingEvent.Kind.CANCELLED,
        BookingEvent.Kind.COMPLETED,
        BookingEvent.Kind.NO_SHOW,
    )
    if not (freeing or closing) or not _has_waiting(booking.business_id):
        return
    if kind == BookingEvent.Kind.CANCELLED:
        _record_freed(
            booking=booking,
            provider_id=booking.provider_id,
            start=booking.blocked_start,
            end=booking.blocked_end,
            reason="cancel",
            now=now,
        )
    elif kind == BookingEvent.Kind.RESCHEDULED and event.old is not None:
        service = booking.service
        _record_freed(
            booking=booking,
            provider_id=event.old.provider.pk,
            start=event.old.start - timedelta(minutes=service.buffer_before_minutes),
            end=event.old.end + timedelta(minutes=service.buffer_after_minutes),
            reason="reschedule",
            now=now,
        )
    if closing:
        for entry in WaitlistEntry.objects.filter(
            booking=booking, status=WaitlistEntry.Status.WAITING
        ):
            _close_entry(entry, status=WaitlistEntry.Status.LEFT, now=now)


def _record_freed(
    *,
    booking: Booking,
    provider_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
) -> None:
    if end > now:
        FreedTime.objects.create(
            business_id=booking.business_id,
            provider_id=provider_id,
            start=start,
            end=end,
            reason=reason,
            booking=booking,
            created_at=now,
        )


def on_time_freed(event: events.TimeFreed) -> None:
    """Deleted time off or longer hours (``catalog``): the same freed-time row."""
    freed_time_record(
        business_id=event.business_id,
        provider_id=event.provider_id,
        start=event.start,
        end=event.end,
        reason=event.reason,
        now=utcnow(),
    )


def _free_again(offer: WaitlistOffer, *, reason: str, now: datetime) -> None:
    """An offer that lapsed or was withdrawn: its time goes to the next in line."""
    service = offer.entry.service
    freed_time_record(
        business_id=offer.business_id,
        provider_id=offer.provider_id,
        start=offer.start - timedelta(minutes=service.buffer_before_minutes),
        end=offer.end + timedelta(minutes=service.buffer_after_minutes),
        reason=reason,
        now=now,
    )


# --- the worker's round: freed time becomes offers, lapsed offers pass on -------------------


def waitlist_round(*, now: datetime, limit: int = FREED_BATCH) -> int:
    """One worker round: lapse the offers whose hold ran out, then turn pending freed time
    into offers. Returns how many rows it handled (0: nothing to do)."""
    return waitlist_expire_offers(now=now) + waitlist_process_freed(now=now, limit=limit)


def waitlist_expire_offers(*, now: datetime) -> int:
    """Offers whose hold ran out lapse; in ``one_at_a_time`` their time goes to the next."""
    due = list(
        WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OPEN, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:100]
    )
    done = 0
    for pk in due:
        with _common.write_transaction():
            offer = (
                WaitlistOffer.objects.select_for_update(of=("self",))
                .select_related("entry__service")
                .filter(pk=pk, status=WaitlistOffer.Status.OPEN, expires_at__lte=now)
                .first()
            )
            if offer is None:
                continue  # accepted or lapsed meanwhile
            offer.status, offer.closed_at = WaitlistOffer.Status.EXPIRED, now
            offer.save(update_fields=["status", "closed_at"])
            _free_again(offer, reason="offer_expired", now=now)
            done += 1
    return done


def waitlist_process_freed(*, now: datetime, limit: int = FREED_BATCH) -> int:
    """Match pending freed-time rows against the waitlist and make the offers.

    Each row is claimed, matched and marked done in one transaction with its offers (and
    their outbox rows): a crash before the commit leaves the row pending for the next round,
    and a done row is never matched again, so no freed time is offered twice.
    """
    pending = list(
        FreedTime.objects.filter(processed_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in pending:
        try:
            with _common.write_transaction():
                qs = FreedTime.objects.filter(pk=pk, processed_at__isnull=True)
                if connection.features.has_select_for_update_skip_locked:
                    qs = qs.select_for_update(skip_locked=True, of=("self",))
                freed = qs.select_related("provider", "business").first()
                if freed is None:
                    continue  # another worker has it
                _offer_freed(freed, now=now)
                freed.processed_at = now
                freed.save(update_fields=["processed_at"])
                done += 1
        except DatabaseError:
            raise  # the worker pauses and retries; the row stays pending
        except Exception:
            # Nothing of this row was written; it stays pending for the next round, and the
            # rows after it (and the worker's emails) go on.
            log.exception("waitlist: freed time %s could not be matched", pk)
    return done


def _candidates(freed: FreedTime) -> list[WaitlistEntry]:
    """Waiting entries that could take the provider's time, in join order."""
    provider = freed.provider
    open_offer = WaitlistOffer.objects.filter(entry=OuterRef("pk"), status="open")
    return list(
        WaitlistEntry.objects.filter(
            business_id=freed.business_id,
            status=WaitlistEntry.Status.WAITING,
            page__active=True,
            page__waitlist=True,
            page__providers=provider,
            service__in=provider.services.filter(active=True),
        )
        .filter(Q(provider__isnull=True, page__any_provider=True) | Q(provider=provider))
        .exclude(Exists(open_offer))
        .select_related("page", "service", "booking", "business")
        .order_by("created_at", "id")
        .distinct()
    )


def _search_range(
    entry: WaitlistEntry, windows: list[rules.Window], lo: datetime, hi: datetime
) -> tuple[datetime, datetime] | None:
    tz = entry.business.tz
    first = min(w.first_day for w in windows)
    last = max(w.last_day for w in windows)
    lo = max(lo, datetime.combine(first, time(0), tzinfo=tz))
    hi = min(hi, datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))
    if entry.booking is not None:
        hi = min(hi, entry.booking.start)
    return (lo, hi) if lo < hi else None


def _suitable_time(
    entry: WaitlistEntry,
    *,
    provider: Provider,
    lo: datetime,
    hi: datetime,
    now: datetime,
    taken: Sequence[tuple[datetime, datetime]],
) -> tuple[datetime, datetime] | None:
    """The first time in [lo, hi) the entry's page would let it book with ``provider``, that
    suits its windows, was not offered to it before and is not held for someone else."""
    windows = [rules.Window.from_json(w) for w in entry.windows]
    if not windows:
        return None
    span = _search_range(entry, windows, max(lo, now), hi)
    if span is None:
        return None
    service = entry.service
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    slots = loaders.slots_for(
        service=service,
        window_start=span[0],
        window_end=span[1],
        now=now,
        page=entry.page,
        provider=provider,
        exclude_booking_id=entry.booking_id,
    )
    offered_before = set(
        WaitlistOffer.objects.filter(entry=entry, provider=provider).values_list("start", flat=True)
    )
    candidates = [
        (s.start, s.end)
        for s in slots
        if s.start - before >= lo
        and s.end + after <= hi
        and s.start not in offered_before
        and not any(s.start < t_end and s.end > t_start for t_start, t_end in taken)
    ]
    return rules.first_suitable(
        candidates,
        windows=windows,
        tz=entry.business.tz,
        before=entry.booking.start if entry.booking is not None else None,
    )


def _offer_freed(freed: FreedTime, *, now: datetime) -> list[WaitlistOffer]:
    settings = waitlist_settings_of(freed.business_id)
    provider = freed.provider
    if not provider.active:
        return []
    held = list(
        WaitlistOffer.objects.filter(
            provider=provider,
            status=WaitlistOffer.Status.OPEN,
            start__lt=freed.end,
            end__gt=freed.start,
        ).values_list("start", "end")
    )
    matches: dict[int, tuple[datetime, datetime]] = {}
    entries = _candidates(freed)
    for entry in entries:
        found = _suitable_time(
            entry, provider=provider, lo=freed.start, hi=freed.end, now=now, taken=held
        )
        if found is not None:
            matches[entry.pk] = found
            if settings.mode == WaitlistSettings.Mode.ONE_AT_A_TIME:
                break  # first come, first served: nobody further down is asked yet
    chosen = rules.next_in_line(entries, mode=settings.mode, matches=matches, key=lambda e: e.pk)
    return [
        _make_offer(
            entry,
            provider=provider,
            start=start,
            end=end,
            settings=settings,
            now=now,
            offered_by="auto",
        )
        for entry, (start, end) in chosen
    ]


def _make_offer(
    entry: WaitlistEntry,
    *,
    provider: Provider,
    start: datetime,
    end: datetime,
    settings: WaitlistSettings,
    now: datetime,
    offered_by: str,
) -> WaitlistOffer:
    expires = rules.hold_until(
        now=now,
        start=start,
        hold_minutes=settings.hold_minutes,
        min_notice_minutes=entry.page.min_notice_minutes,
    )
    offer = WaitlistOffer.objects.create(
        business_id=entry.business_id,
        entry=entry,
        provider=provider,
        start=start,
        end=end,
        mode=settings.mode,
        offered_by=offered_by,
        expires_at=expires,
        created_at=now,
    )
    events.emit(WaitlistOffered(offer=offer, now=now))
    return offer


def waitlist_offer_by_hand(
    *,
    business: Business,
    entry_id: int,
    provider_id: int,
    start: datetime,
    actor: Actor,
    now: datetime,
) -> WaitlistOffer:
    """Staff offer a waiting customer a time by hand: a time the page would let them book."""
    start = _common.require_aware(start, "start")
    with _common.write_transaction():
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("page", "service", "business", "booking")
            .filter(business=business, pk=entry_id)
            .first()
        )
        if entry is None:
            raise errors.NotFound(_("Waitlist entry not found."))
        if entry.status != WaitlistEntry.Status.WAITING:
            raise errors.InvalidState(_("This customer is no longer waiting."), status=entry.status)
        provider = Provider.objects.filter(business=business, pk=provider_id).first()
        if provider is None:
            raise errors.not_found("Provider")
        _common.validate_service_provider(
            business_id=business.pk, service=entry.service, provider=provider, page=entry.page
        )
        provider = _common.lock_provider(provider.pk)
        _common.ensure_bookable(
            provider=provider,
            service=entry.service,
            start=start,
            now=now,
            page=entry.page,
            customer_rules=True,
            exclude_booking_id=entry.booking_id,
        )
        for old in WaitlistOffer.objects.select_for_update().filter(
            entry=entry, status=WaitlistOffer.Status.OPEN
        ):
            old.status, old.closed_at = WaitlistOffer.Status.WITHDRAWN, now
            old.save(update_fields=["status", "closed_at"])
        end = start + timedelta(minutes=entry.service.duration_minutes)
        return _make_offer(
            entry,
            provider=provider,
            start=start,
            end=end,
            settings=waitlist_settings_of(business),
            now=now,
            offered_by="staff",
        )


# --- accepting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accepted:
    """The booking made (or moved) by an accepted offer and a manage-link token for it."""

    booking: Booking
    token: str
    rescheduled: bool


def offer_from_token(*, raw_token: str, now: datetime) -> WaitlistOffer | None:
    """The offer a link opens (reading only: GET is safe), or None."""
    found = waitlist_token_verify(raw=raw_token, purpose=WaitlistToken.Purpose.OFFER, now=now)
    if found is None or found.offer is None:
        return None
    offer = found.offer
    offer.entry = found.entry
    return offer


def offer_is_open(offer: WaitlistOffer, now: datetime) -> bool:
    return (
        offer.status == WaitlistOffer.Status.OPEN
        and offer.expires_at > now
        and offer.entry.status == WaitlistEntry.Status.WAITING
    )


def offer_accept(*, raw_token: str, now: datetime) -> Accepted:
    """Take the offered time: a new booking under the page's policy as it is now, or, for an
    "earlier time" request, a reschedule of the held booking (with all a reschedule does).

    Raises ``OfferExpired`` for an offer that lapsed or was used, withdrawn or given to
    someone else, and ``SlotUnavailable`` when the time was booked meanwhile: the offer is
    then closed and the customer stays on the waitlist. Either way nothing else changes.
    """
    offer = offer_from_token(raw_token=raw_token, now=now)
    if offer is None:
        raise errors.NotFound(_("This offer link is not valid."))
    try:
        with _common.write_transaction():
            return _accept_locked(offer.pk, now=now)
    except errors.SlotUnavailable:
        with transaction.atomic():
            WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN).update(
                status=WaitlistOffer.Status.TAKEN, closed_at=now
            )
        raise


def _accept_locked(offer_id: int, *, now: datetime) -> Accepted:
    peek = WaitlistOffer.objects.select_related("entry").get(pk=offer_id)
    # Lock order: the held booking (if any), then the provider, then the offer; every accept
    # of a time of this provider queues on the provider's row, so only one can win it.
    if peek.entry.booking_id is not None:
        _common.lock_booking(peek.entry.booking_id)
    _common.lock_provider(peek.provider_id)
    offer = (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("entry__page__business", "entry__service", "entry__booking", "provider")
        .get(pk=offer_id)
    )
    entry = offer.entry
    if not offer_is_open(offer, now):
        raise errors.OfferExpired()
    if entry.booking is None:
        booking, token = booking_create_web_in_transaction(
            page=entry.page,
            service=entry.service,
            provider=offer.provider,
            start=offer.start,
            customer=CustomerDetails(
                name=entry.name, email=entry.email, phone=entry.phone, timezone=entry.timezone
            ),
            now=now,
        )
        rescheduled = False
    else:
        held = entry.booking
        booking = booking_reschedule_in_transaction(
            booking_id=held.pk,
            actor=Actor.customer(entry.name),
            new_start=offer.start,
            new_provider=offer.provider if offer.provider_id != held.provider_id else None,
            now=now,
        )
        token = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=now)
        rescheduled = True
    offer.status, offer.closed_at, offer.booking = WaitlistOffer.Status.ACCEPTED, now, booking
    offer.save(update_fields=["status", "closed_at", "booking"])
    entry.status, entry.closed_at = WaitlistEntry.Status.BOOKED, now
    entry.save(update_fields=["status", "closed_at"])
    # The others told of this time (notify_all) lost it; their entries keep waiting.
    WaitlistOffer.objects.filter(
        provider_id=offer.provider_id,
        status=WaitlistOffer.Status.OPEN,
        start__lt=booking.blocked_end,
        end__gt=booking.blocked_start,
    ).update(status=WaitlistOffer.Status.TAKEN, closed_at=now)
    WaitlistOffer.objects.filter(entry=entry, status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.WITHDRAWN, closed_at=now
    )
    events.emit(WaitlistAccepted(offer=offer, booking=booking, now=now))
    return Accepted(booking=booking, token=token, rescheduled=rescheduled)
