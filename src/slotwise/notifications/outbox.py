"""What every booking change queues: customer emails, staff alerts, reminders and webhooks.

``on_booking_changed`` subscribes to the domain's ``BookingChanged`` (registered in
``NotificationsConfig.ready``) and runs inside the action's transaction, so a change and its
messages commit together or not at all. Nothing here sends anything; the worker does.

Each change builds its messages first and inserts them with one statement (``_insert``): a
web booking's confirmation, staff alerts, reminders and webhooks are one round trip, not a
lookup, a savepoint and an insert each. A message whose dedupe key exists already is left as
it is, as the unique dedupe key requires. What decides the messages (the business's settings,
its reminder rules, whether it has webhook endpoints) is read in one statement too
(``_facts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from slotwise.bookings import policy
from slotwise.bookings.actor import Actor
from slotwise.bookings.events import BookingChanged
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.catalog.models import Provider
from slotwise.core import errors
from slotwise.core.events import BusinessCreated
from slotwise.core.models import Business
from slotwise.notifications.models import (
    Message,
    NotificationSettings,
    ReminderRule,
    WebhookEndpoint,
)
from slotwise.notifications.webhooks import webhook_messages

K = Message.Kind


def on_business_created(event: BusinessCreated) -> None:
    """A new business gets its notification settings and one reminder 24 hours before."""
    NotificationSettings.objects.create(business=event.business)
    ReminderRule.objects.create(business=event.business, minutes_before=24 * 60)


def on_booking_changed(event: BookingChanged) -> None:
    """Queue what ``event`` calls for, in the action's transaction."""
    booking, now, kind = event.booking, event.now, event.kind
    if kind == BookingEvent.Kind.CREATED:
        on_booking_created(booking, notify_customer=event.notify_customer, now=now)
    elif kind == BookingEvent.Kind.RESCHEDULED:
        assert event.old is not None, "a reschedule says where the booking was"
        on_booking_rescheduled(
            booking,
            old_start=event.old.start,
            old_end=event.old.end,
            old_provider=event.old.provider,
            actor=event.actor,
            notify_customer=event.notify_customer,
            now=now,
        )
    elif kind == BookingEvent.Kind.CANCELLED:
        on_booking_cancelled(
            booking, actor=event.actor, notify_customer=event.notify_customer, now=now
        )
    elif kind == BookingEvent.Kind.COMPLETED:
        on_booking_completed(booking, now=now, send_at=policy.close_undo_until(now))
    elif kind == BookingEvent.Kind.NO_SHOW:
        on_booking_closed_without_visit(booking, now=now)
    elif kind == BookingEvent.Kind.CLOSE_UNDONE:
        # The action holds the booking's row lock, so no other close or undo runs; a rating
        # request the worker has already claimed or sent cannot be called back, so the undo
        # is refused (raising here rolls the whole change back).
        if completion_messages_sent(booking):
            raise errors.InvalidState(
                _("The rating request has already been sent."),
                status=event.old.status if event.old is not None else booking.status,
            )
        on_booking_close_undone(booking, now=now)
    # Payments and ratings queue nothing.


def event_context(booking: Booking, **extra: Any) -> dict[str, Any]:
    """The booking's facts at this change, frozen into the message."""
    return {
        "version": booking.version,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "provider_id": booking.provider_id,
        "provider_name": booking.provider.name,
        "service_name": booking.service.name,
        **extra,
    }


def _build(
    booking: Booking,
    *,
    kind: str,
    recipient: str,
    recipient_name: str = "",
    audience: str = "customer",
    now: datetime,
    due_at: datetime | None = None,
    context: dict[str, Any] | None = None,
    reminder_minutes: int | None = None,
    key: str | None = None,
) -> Message | None:
    """One unsaved message with its dedupe key; None without a recipient."""
    if not recipient:
        return None
    due = due_at or now
    return Message(
        dedupe_key=key or f"{kind}:{booking.pk}:v{booking.version}:{audience}:{recipient.lower()}",
        business_id=booking.business_id,
        booking=booking,
        kind=kind,
        recipient=recipient,
        recipient_name=recipient_name,
        audience=audience,
        context=context if context is not None else event_context(booking),
        reminder_minutes=reminder_minutes,
        due_at=due,
        next_attempt_at=due,
        created_at=now,
    )


def _insert(messages: Iterable[Message | None]) -> None:
    """Store the messages of one change in one statement; existing dedupe keys are skipped."""
    unique: dict[str, Message] = {}
    for m in messages:
        if m is not None:
            unique.setdefault(m.dedupe_key, m)  # one change may name a recipient twice
    rows = list(unique.values())
    if not rows:
        return
    if connection.vendor == "postgresql":
        # ON CONFLICT DO NOTHING skips only rows whose dedupe key exists.
        Message.objects.bulk_create(rows, ignore_conflicts=True)
        return
    # SQLite's INSERT OR IGNORE would also drop a row that breaks a NOT NULL or CHECK
    # constraint, silently. Writers are serialized there, so leaving out the keys that exist
    # and inserting the rest plainly is just as safe, and a broken row fails the change.
    taken = set(
        Message.objects.filter(dedupe_key__in=[m.dedupe_key for m in rows]).values_list(
            "dedupe_key", flat=True
        )
    )
    Message.objects.bulk_create([m for m in rows if m.dedupe_key not in taken])


def on_booking_created(booking: Booking, *, notify_customer: bool, now: datetime) -> None:
    """Confirmation to the customer, alerts to staff, and the booking's reminders."""
    facts = _facts(booking, reminders=True)
    messages = [_to_customer(booking, kind=K.CONFIRMATION, now=now) if notify_customer else None]
    messages += _to_staff(
        booking,
        facts.settings,
        event="created",
        kind=K.STAFF_CREATED,
        provider=booking.provider,
        now=now,
    )
    messages += [_reminder(booking, minutes=minutes, now=now) for minutes in facts.reminder_minutes]
    messages += _webhooks(booking, facts, event="booking.created", now=now, data={})
    _insert(messages)


def on_booking_rescheduled(
    booking: Booking,
    *,
    old_start: datetime,
    old_end: datetime,
    old_provider: Provider,
    actor: Actor,
    notify_customer: bool,
    now: datetime,
) -> None:
    """New time to the customer (with the old one), staff alerts, and reminders moved."""
    extra = {
        "old_start": old_start.isoformat(),
        "old_end": old_end.isoformat(),
        "old_provider_name": old_provider.name,
        "actor": actor.kind,
    }
    messages = [
        _to_customer(booking, kind=K.RESCHEDULED, now=now, extra=extra) if notify_customer else None
    ]
    facts = _facts(booking)
    settings = facts.settings
    if old_provider.pk != booking.provider_id:
        # The old provider learns the appointment is gone, the new one that it is theirs.
        messages.append(
            _to_provider(
                booking,
                settings,
                event="rescheduled",
                kind=K.STAFF_REASSIGNED_AWAY,
                provider=old_provider,
                now=now,
                extra=extra,
            )
        )
        messages.append(
            _to_provider(
                booking,
                settings,
                event="rescheduled",
                kind=K.STAFF_CREATED,
                provider=booking.provider,
                now=now,
                extra={**extra, "reassigned": True},
            )
        )
        messages.append(
            _to_business(
                booking,
                settings,
                event="rescheduled",
                kind=K.STAFF_RESCHEDULED,
                now=now,
                extra=extra,
            )
        )
    else:
        messages += _to_staff(
            booking,
            settings,
            event="rescheduled",
            kind=K.STAFF_RESCHEDULED,
            provider=booking.provider,
            now=now,
            extra=extra,
        )
    messages += _move_reminders(booking, now=now)
    messages += _webhooks(
        booking,
        facts,
        event="booking.rescheduled",
        now=now,
        data={
            "old_start": old_start.isoformat(),
            "old_end": old_end.isoformat(),
            "old_provider_id": old_provider.pk,
            "rescheduled_by": actor.kind,
        },
    )
    _insert(messages)


def on_booking_cancelled(
    booking: Booking, *, actor: Actor, notify_customer: bool, now: datetime
) -> None:
    """Cancellation to the customer, staff alerts, and every pending reminder cancelled."""
    extra = {"actor": actor.kind, "reason": booking.cancellation_reason}
    messages = [
        _to_customer(booking, kind=K.CANCELLED, now=now, extra=extra) if notify_customer else None
    ]
    facts = _facts(booking)
    messages += _to_staff(
        booking,
        facts.settings,
        event="cancelled",
        kind=K.STAFF_CANCELLED,
        provider=booking.provider,
        now=now,
        extra=extra,
    )
    messages += _webhooks(
        booking,
        facts,
        event="booking.cancelled",
        now=now,
        data={"cancelled_by": actor.kind, "reason": booking.cancellation_reason},
    )
    _insert(messages)
    cancel_reminders(booking, now=now)


def on_booking_completed(
    booking: Booking, *, now: datetime, send_at: datetime | None = None
) -> None:
    """Ask the customer for a rating; no reminder is due any more.

    The rating request and the webhook wait until ``send_at`` (the end of the undo window), so
    a completion that staff undo never reaches the customer or an integration.
    """
    cancel_reminders(booking, now=now)
    rating = _to_customer(booking, kind=K.RATING_REQUEST, now=now)
    if rating is not None and send_at is not None:
        rating.due_at = rating.next_attempt_at = send_at
    hooks = webhook_messages(booking, event="booking.completed", now=now, data={}, due_at=send_at)
    _insert([rating, *hooks])


def completion_messages_sent(booking: Booking) -> bool:
    """Whether the rating request or completion webhook has left (or is leaving) already."""
    return _completion_messages(booking).exclude(status__in=Message.PENDING).exists()


def on_booking_close_undone(booking: Booking, *, now: datetime) -> int:
    """Withdraw the waiting rating request and completion webhook; returns how many."""
    return (
        _completion_messages(booking)
        .filter(status__in=Message.PENDING)
        .update(status=Message.Status.CANCELLED, last_error="closing undone by staff")
    )


def _completion_messages(booking: Booking) -> Any:
    return (
        Message.objects.filter(booking=booking)
        .filter(Q(kind=K.RATING_REQUEST) | Q(kind=K.WEBHOOK, context__event="booking.completed"))
        .exclude(status=Message.Status.CANCELLED)
    )


def on_booking_closed_without_visit(booking: Booking, *, now: datetime) -> None:
    cancel_reminders(booking, now=now)


def cancel_reminders(booking: Booking, *, now: datetime) -> int:
    """Cancel every reminder of the booking that has not been sent; returns how many."""
    return (
        Message.objects.filter(booking=booking, kind=K.REMINDER)
        .filter(status__in=(*Message.PENDING, Message.Status.INFLIGHT))
        .update(status=Message.Status.CANCELLED, last_error="booking no longer confirmed")
    )


def _reminder(booking: Booking, *, minutes: int, now: datetime) -> Message | None:
    """The unsaved reminder ``minutes`` before the booking; None when that is already past."""
    due = booking.start - timedelta(minutes=minutes)
    if due <= now:
        return None  # too late for this reminder: never send one late
    return _build(
        booking,
        kind=K.REMINDER,
        recipient=booking.customer.email,
        recipient_name=booking.contact.name,
        now=now,
        due_at=due,
        reminder_minutes=minutes,
        key=f"reminder:{booking.pk}:{minutes}:v{booking.version}",
    )


def _move_reminders(booking: Booking, *, now: datetime) -> list[Message | None]:
    """Each of the booking's reminders follows the new time; one now in the past is dropped.

    The set of reminders is the booking's own (the rules when it was made), not today's rules.
    Returns the (unsaved) reminders due again, for the caller to insert with its messages.
    """
    # Only what decides the move is read (not each row's context, which is rewritten).
    rows = list(
        Message.objects.filter(booking=booking, kind=K.REMINDER).only(
            "pk", "status", "reminder_minutes"
        )
    )
    offsets = {r.reminder_minutes for r in rows if r.reminder_minutes is not None}
    moved: list[Message] = []
    gone: list[Message] = []
    context = event_context(booking)
    for row in rows:
        if row.status not in (*Message.PENDING, Message.Status.INFLIGHT):
            continue
        due = booking.start - timedelta(minutes=row.reminder_minutes or 0)
        if due <= now:
            row.status = Message.Status.CANCELLED
            gone.append(row)
        else:
            row.due_at = row.next_attempt_at = due
            row.status = Message.Status.QUEUED
            row.context = context
            moved.append(row)
    # One statement for every moved reminder (and one for those now past), not one each.
    if moved:
        Message.objects.bulk_update(moved, ["due_at", "next_attempt_at", "status", "context"])
    if gone:
        Message.objects.filter(pk__in=[r.pk for r in gone]).update(
            status=Message.Status.CANCELLED, last_error="moved before now by a reschedule"
        )
    # A reminder that was already sent for the old time is due again for the new time.
    pending = {
        r.reminder_minutes
        for r in rows
        if r.status in Message.PENDING and r.reminder_minutes is not None
    }
    return [_reminder(booking, minutes=minutes, now=now) for minutes in offsets - pending]


def _queue(
    booking: Booking,
    *,
    kind: str,
    recipient: str,
    name: str,
    audience: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Message | None:
    return _build(
        booking,
        kind=kind,
        recipient=recipient,
        recipient_name=name,
        audience=audience,
        now=now,
        context=event_context(booking, **(extra or {})),
    )


def _to_customer(
    booking: Booking, *, kind: str, now: datetime, extra: dict[str, Any] | None = None
) -> Message | None:
    # The name the booker gave (a web booking never changes the stored customer's).
    contact = booking.contact
    return _queue(
        booking,
        kind=kind,
        recipient=contact.email,
        name=contact.name,
        audience="customer",
        now=now,
        extra=extra,
    )


@dataclass(frozen=True, slots=True)
class _Facts:
    """What decides a change's messages, read in one statement (``_facts``)."""

    settings: NotificationSettings
    #: The business's reminder rules, in minutes before, longest first (when asked for).
    reminder_minutes: list[int]
    has_webhooks: bool


#: The settings' fields a change reads (who is told of what).
_SETTINGS_FIELDS = [
    f.attname for f in NotificationSettings._meta.concrete_fields if f.attname != "business_id"
]


def _facts(booking: Booking, *, reminders: bool = False) -> _Facts:
    """The business's notification settings with, in the same statement, whether it has an
    active webhook endpoint and (``reminders``) its reminder rules' minutes.

    Every booking change reads these; three round trips were a tenth of a web booking's. The
    statement starts at the business and joins its settings and (left) its rules: one row
    per rule, each carrying the settings (a business has a rule or two).
    """
    columns = [f"notification_settings__{name}" for name in _SETTINGS_FIELDS]
    if reminders:
        columns.append("reminder_rules__minutes_before")
    has_webhooks = Exists(WebhookEndpoint.objects.filter(business_id=OuterRef("pk"), active=True))
    rows = list(
        Business.objects.filter(pk=booking.business_id)
        .order_by()
        .values(*columns, has_webhooks=has_webhooks)
    )
    first = rows[0]
    if first["notification_settings__id"] is None:
        # A business made before its settings existed: make them (the old path).
        settings, _ = NotificationSettings.objects.get_or_create(business_id=booking.business_id)
    else:
        settings = NotificationSettings(
            business_id=booking.business_id,
            **{name: first[f"notification_settings__{name}"] for name in _SETTINGS_FIELDS},
        )
    minutes = {r["reminder_rules__minutes_before"] for r in rows} if reminders else set()
    return _Facts(
        settings=settings,
        reminder_minutes=sorted((m for m in minutes if m is not None), reverse=True),
        has_webhooks=bool(first["has_webhooks"]),
    )


def _webhooks(
    booking: Booking, facts: _Facts, *, event: str, now: datetime, data: dict[str, Any]
) -> list[Message | None]:
    """The change's webhook rows, to insert with its other messages (no query without an
    endpoint)."""
    if not facts.has_webhooks:
        return []
    return list(webhook_messages(booking, event=event, now=now, data=data))


def _to_provider(
    booking: Booking,
    settings: NotificationSettings,
    *,
    event: str,
    kind: str,
    provider: Provider,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Message | None:
    wanted = settings.wants(who="provider", event=event)
    if not (wanted and provider.receives_notifications):
        return None
    return _queue(
        booking,
        kind=kind,
        recipient=provider.email,
        name=provider.name,
        audience="provider",
        now=now,
        extra=extra,
    )


def _to_business(
    booking: Booking,
    settings: NotificationSettings,
    *,
    event: str,
    kind: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Message | None:
    if not settings.wants(who="business", event=event):
        return None
    business = booking.business
    return _queue(
        booking,
        kind=kind,
        recipient=business.contact_email,
        name=business.name,
        audience="business",
        now=now,
        extra=extra,
    )


def _to_staff(
    booking: Booking,
    settings: NotificationSettings,
    *,
    event: str,
    kind: str,
    provider: Provider,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> list[Message | None]:
    return [
        _to_provider(
            booking, settings, event=event, kind=kind, provider=provider, now=now, extra=extra
        ),
        _to_business(booking, settings, event=event, kind=kind, now=now, extra=extra),
    ]
