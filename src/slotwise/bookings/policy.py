"""Who may do what to a booking, and when: the customer's self-service rules and the staff rules.

Pure functions over plain data, so every combination can be tested in a table. The actions
call them under a row lock. Faces never call them: they read
``bookings.selectors.self_service_status`` (or ``self_service_preview`` before a booking
exists), which is built from these functions, so every page, email and API answer says what
the actions will allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from slotwise.bookings.models import Booking
from slotwise.bookings.self_service import SelfServicePolicy
from slotwise.core import errors


class Action(StrEnum):
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """The facts about a booking that the rules look at."""

    status: str
    start: datetime
    policy: SelfServicePolicy
    reschedule_count: int = 0


def change_deadline(facts: BookingFacts) -> datetime:
    """The last instant the customer may change the booking (absolute time, DST-safe).

    Computed in UTC: Python subtracts wall-clock time from a datetime in a DST zone.
    """
    return facts.start.astimezone(UTC) - timedelta(minutes=facts.policy.change_deadline_minutes)


def deadline_for(start: datetime, minutes: int) -> datetime:
    """The change deadline of an appointment at ``start`` under a window of ``minutes``."""
    return start.astimezone(UTC) - timedelta(minutes=minutes)


def new_policy_refusal(
    policy: SelfServicePolicy, *, start: datetime, now: datetime
) -> errors.DomainError | None:
    """Why staff may not give a new booking this policy, or None: a policy that offers
    changes must not promise a deadline that has already passed (choose "no online
    changes" instead)."""
    if not (policy.allow_cancel or policy.allow_reschedule):
        return None
    if deadline_for(start, policy.change_deadline_minutes) < now:
        return errors.InvalidInput(
            _(
                "This latest change time has already passed for this appointment. Choose a "
                "later one, or answer No: no online changes."
            ),
            field="change_deadline_minutes",
        )
    return None


def customer_refusal(
    action: Action, facts: BookingFacts, now: datetime
) -> errors.DomainError | None:
    """Why the customer may not take ``action`` now, or None when they may.

    Order matters: the reason shown is the most fundamental one (a booking whose policy never
    allowed cancelling says so, not that the deadline passed).
    """
    allowed = (
        facts.policy.allow_cancel if action is Action.CANCEL else facts.policy.allow_reschedule
    )
    if not allowed:
        return errors.NotAllowed(
            _("This booking cannot be cancelled online.")
            if action is Action.CANCEL
            else _("This booking cannot be rescheduled online."),
        )
    if facts.status != Booking.Status.CONFIRMED:
        return errors.InvalidState(
            _("This booking is %(status)s, so it can no longer be changed.")
            % {"status": _status_word(facts.status)},
            status=facts.status,
        )
    if now >= facts.start:
        return errors.AlreadyStarted()
    if now > change_deadline(facts):
        return errors.ChangeWindowClosed(
            _("Changes online were possible until %(hours)s before the appointment.")
            % {"hours": describe_minutes(facts.policy.change_deadline_minutes)}
            if facts.policy.change_deadline_minutes
            else _("Changes online were possible until the appointment started."),
            deadline=change_deadline(facts).isoformat(),
        )
    limit = facts.policy.max_reschedules
    if action is Action.RESCHEDULE and limit is not None and facts.reschedule_count >= limit:
        return errors.RescheduleLimitReached(
            _("This booking has already been rescheduled the maximum number of times online."),
            limit=limit,
        )
    return None


def allowed_customer_actions(facts: BookingFacts, now: datetime) -> list[Action]:
    """The self-service actions the customer may take now (possibly none)."""
    return [
        a for a in (Action.CANCEL, Action.RESCHEDULE) if customer_refusal(a, facts, now) is None
    ]


# --- staff rules: staff may always change a booking the customer could, and more -----------


def staff_cancel_refusal(*, status: str) -> errors.DomainError | None:
    """Why staff may not cancel the booking, or None: any confirmed booking, whatever its
    customer policy says."""
    if status != Booking.Status.CONFIRMED:
        return errors.InvalidState(
            _("Only a confirmed booking can be cancelled."), status=str(status)
        )
    return None


def staff_reschedule_refusal(*, status: str) -> errors.DomainError | None:
    """Why staff may not reschedule the booking, or None: any confirmed booking."""
    if status != Booking.Status.CONFIRMED:
        return errors.InvalidState(
            _("Only a confirmed booking can be rescheduled."), status=str(status)
        )
    return None


def rating_refusal(*, status: str, already_rated: bool) -> errors.DomainError | None:
    """Why the customer may not rate the booking, or None: only completed ones, only once."""
    if already_rated:
        return errors.AlreadyRated()
    if status != Booking.Status.COMPLETED:
        return errors.InvalidState(_("Only a completed appointment can be rated."), status=status)
    return None


#: From this many whole days up a duration is worded in days; below, in hours.
DAYS_FROM = 3


def describe_minutes(minutes: int) -> str:
    """The one wording of a duration for people, in every page, email and API message.

    Whole days from three days up ('3 days', '7 days'); else whole hours ('1 hour',
    '24 hours', '48 hours'); else minutes ('90 minutes'). So a 24-hour window reads
    "24 hours" everywhere, as in the choices staff pick from.
    """
    if minutes == 0:
        return str(_("the start"))
    if minutes % 1440 == 0 and minutes >= DAYS_FROM * 1440:
        days = minutes // 1440
        return str(_("1 day")) if days == 1 else str(_("%(n)d days") % {"n": days})
    if minutes % 60 == 0:
        hours = minutes // 60
        return str(_("1 hour")) if hours == 1 else str(_("%(n)d hours") % {"n": hours})
    return str(_("%(n)d minutes") % {"n": minutes})


def _status_word(status: str) -> str:
    words: dict[str, str] = {
        Booking.Status.CANCELLED: str(_("cancelled")),
        Booking.Status.COMPLETED: str(_("completed")),
        Booking.Status.NO_SHOW: str(_("marked as a no-show")),
    }
    return words.get(status, status)


#: How long after closing a booking (completed or no-show) staff may still undo it; the rating
#: request waits this long, so an undone "completed" never reaches the customer.
CLOSE_UNDO_MINUTES = 10


def closing_refusal(*, status: str, end: datetime, now: datetime) -> errors.DomainError | None:
    """Why staff may not mark the booking completed or a no-show now, or None when they may.

    Only a confirmed booking whose appointment has ended: "completed" in the middle of the
    appointment would ask the customer for a rating while they are still in the chair.
    """
    if status != Booking.Status.CONFIRMED:
        return errors.InvalidState(_("Only a confirmed booking can be closed."), status=status)
    if now < end:
        return errors.InvalidState(
            _("The appointment has not ended yet; it can be closed once it is over."),
            status=status,
        )
    return None


def close_undo_refusal(
    *, status: str, closed_at: datetime | None, now: datetime, rated: bool
) -> errors.DomainError | None:
    """Why staff may not undo closing the booking, or None: only within the undo window."""
    if status not in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW) or closed_at is None:
        return errors.InvalidState(_("This booking has not been closed."), status=status)
    if rated:
        return errors.InvalidState(_("The customer has already rated this booking."), status=status)
    if now > close_undo_until(closed_at):
        return errors.InvalidState(
            _("Closing can only be undone within %(span)s.")
            % {"span": describe_minutes(CLOSE_UNDO_MINUTES)},
            status=status,
        )
    return None


def close_undo_until(closed_at: datetime) -> datetime:
    """The last instant at which closing a booking can be undone."""
    return closed_at + timedelta(minutes=CLOSE_UNDO_MINUTES)


def reschedule_provider_scope(
    *,
    booking_provider_id: int,
    booked_any_provider: bool,
    page_any_provider: bool,
    chosen_provider_id: int | None = None,
    chose_any: bool = False,
) -> int | None:
    """Whose times a customer's reschedule looks at: a provider id, or None for "any".

    The customer keeps the provider the booking is with, unless they booked "any available
    provider" on a page that still offers it (then the times are pooled), or they explicitly
    choose another provider or "any" (allowed only where the page offers "any provider").
    A choice the page does not allow is refused rather than quietly replaced.
    """
    if chose_any or (chosen_provider_id is not None and chosen_provider_id != booking_provider_id):
        if not page_any_provider:
            raise errors.NotAllowed(
                _("This booking can only be moved to another time with the same provider."),
                field="provider",
            )
        return None if chose_any else chosen_provider_id
    if chosen_provider_id is None and booked_any_provider and page_any_provider:
        return None
    return booking_provider_id


def facts_of(booking: Booking) -> BookingFacts:
    """The policy-relevant facts of a booking row."""
    return BookingFacts(
        status=booking.status,
        start=booking.start,
        reschedule_count=booking.reschedule_count,
        policy=booking.policy,
    )


# --- ratings shown to future customers (docs/ratings.md) -------------------------------------

#: Who may reply to a rating or hide its comment: the business's owners and admins, and its
#: API keys (which only they can create). Front-desk staff see ratings but speak for nobody.
RATING_MODERATOR_ROLES = frozenset({"owner", "admin"})

#: How long a reply may be (characters).
REPLY_MAX_LENGTH = 2000


def rating_moderation_refusal(*, actor_kind: str, role: str | None) -> errors.DomainError | None:
    """Why this actor may not reply to a rating or hide its comment, or None when they may.

    ``role`` is the staff member's role in the rating's business as it is now (None when
    they are not a member).
    """
    if actor_kind == "api":
        return None
    if actor_kind == "staff" and role in RATING_MODERATOR_ROLES:
        return None
    return errors.NotAllowed(
        _("Only the business's owners and admins can reply to or hide ratings.")
    )


def rating_hide_refusal(
    *, comment: str, hidden: bool, reason: str, reasons: frozenset[str]
) -> errors.DomainError | None:
    """Why the comment may not be hidden, or None: only a comment's text, only once, and only
    for one of the content reasons (its stars always count)."""
    if not comment.strip():
        return errors.InvalidInput(_("This rating has no comment to hide."), field="reason")
    if hidden:
        return errors.CommentAlreadyHidden()
    if reason not in reasons:
        return errors.InvalidInput(
            _("Choose why the comment is hidden: abuse, personal data or spam."), field="reason"
        )
    return None


def reply_text_refusal(text: str) -> errors.DomainError | None:
    """Why a reply's text is refused, or None: it says something and is not too long."""
    if not text.strip():
        return errors.InvalidInput(_("Write a reply."), field="text")
    if len(text.strip()) > REPLY_MAX_LENGTH:
        return errors.InvalidInput(
            _("A reply can be at most %(n)d characters long.") % {"n": REPLY_MAX_LENGTH},
            field="text",
        )
    return None


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def public_name(name: str) -> str:
    """How a customer is named on public pages: their first name and the initial of their
    last name ("Casey Lee" → "Casey L."); a single name as it is; nothing → "A customer".

    Never the full name, the email or the phone: a public review must not identify a person
    beyond what they would say of themselves in a shop.
    """
    # Words with an @ or a digit are an address or a number typed into the name: left out.
    parts = [p for p in name.split() if p.strip(".,") and "@" not in p and not _has_digit(p)]
    if not parts:
        return str(_("A customer"))
    first = parts[0][:40]
    if len(parts) == 1:
        return first
    initial = parts[-1].strip(".,")[:1].upper()
    return f"{first} {initial}." if initial else first
