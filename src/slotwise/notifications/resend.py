"""Staff send a failed notification again: a new outbox row, the failed one kept as it was."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent
from slotwise.core import errors
from slotwise.core.models import Business
from slotwise.notifications.errors import NotResendable
from slotwise.notifications.models import Message


def message_resend(*, business: Business, message_id: int, actor: Actor, now: datetime) -> Message:
    """Queue a copy of ``business``'s failed message ``message_id`` to go out now.

    The failed row stays failed (its error is the record of what went wrong); the copy points
    back to it (``resend_of``) and starts with no attempts. A message that did not fail, or
    was already sent again, is refused with ``NotResendable``; another business's is not
    found. When the message belongs to a booking, its history says who sent it again.
    """
    with transaction.atomic(durable=True):
        # Locked so two clicks (or two staff members) at once make one copy: the second
        # waits here, then sees the first one's copy below and is refused.
        failed = (
            Message.objects.select_for_update(of=("self",))
            .filter(pk=message_id, business=business)
            .select_related("booking")
            .first()
        )
        if failed is None:
            raise errors.NotFound(_("Notification not found."))
        if failed.status != Message.Status.FAILED:
            raise NotResendable(
                _("Only a failed notification can be sent again; this one is “%(status)s”.")
                % {"status": failed.get_status_display()}
            )
        if failed.resends.exists():
            raise NotResendable(_("This notification has already been sent again."))
        copy = Message.objects.create(
            business=business,
            booking=failed.booking,
            channel=failed.channel,
            kind=failed.kind,
            recipient=failed.recipient,
            recipient_name=failed.recipient_name,
            audience=failed.audience,
            context=failed.context,
            reminder_minutes=failed.reminder_minutes,
            # The dedupe key is unique; the failed row keeps its own.
            dedupe_key=f"resend:{failed.pk}:{failed.dedupe_key}"[:200],
            status=Message.Status.QUEUED,
            # A reminder keeps its due time: the worker checks it against the booking's start
            # (a moved booking cancels its old reminders). Everything else is due now.
            due_at=failed.due_at if failed.kind == Message.Kind.REMINDER else now,
            next_attempt_at=now,
            max_attempts=failed.max_attempts,
            created_at=now,
            resend_of=failed,
        )
        if failed.booking is not None:
            facts: dict[str, Any] = {
                "message_id": failed.pk,
                "kind": failed.kind,
                "recipient": failed.recipient,
            }
            BookingEvent.objects.create(
                business_id=business.pk,
                booking=failed.booking,
                kind=BookingEvent.Kind.NOTIFICATION_RESENT,
                actor_kind=actor.kind,
                actor_user=actor.user if actor.kind == "staff" else None,
                actor_label=actor.label[:200],
                old={**facts, "error": failed.last_error[:300]},
                new={**facts, "message_id": copy.pk},
                created_at=now,
            )
    return copy
