"""The one error type every domain action raises.

Each subclass carries a stable machine-readable ``code`` (used by the API and tests) and a
human message (shown on pages). Raising one always means nothing was changed.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule said no. ``code`` is stable; ``message`` is for people."""

    code = "domain_error"
    http_status = 400
    default_message: Any = _("The request could not be completed.")

    def __init__(self, message: object = None, **details: Any) -> None:
        # Lazy translations are resolved here, in the language active when the rule said no.
        self.message = str(message) if message else str(self.default_message)
        self.details = details
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422
    default_message = _("Some of the information given is not valid.")


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


#: "… not found." for each kind of record the faces look up by id or slug, as whole sentences
#: so that every language can word them its own way (keyed by the English name of the kind).
_NOT_FOUND = {
    "Booking": _("Booking not found."),
    "Booking page": _("Booking page not found."),
    "Business": _("Business not found."),
    "Customer": _("Customer not found."),
    "Provider": _("Provider not found."),
    "Reminder": _("Reminder not found."),
    "Service": _("Service not found."),
    "Time off": _("Time off not found."),
    "Webhook": _("Webhook not found."),
}


def not_found(what: str, **details: Any) -> NotFound:
    """``NotFound`` saying which kind of record (``"Provider"``) was not found."""
    return NotFound(_NOT_FOUND.get(what, NotFound.default_message), **details)


class NotAllowed(DomainError):
    code = "not_allowed"
    http_status = 403
    default_message = _("This change is not allowed for this booking.")


class InvalidState(DomainError):
    code = "invalid_state"
    http_status = 409
    default_message = _("The booking is not in a state that allows this.")


class AlreadyStarted(DomainError):
    code = "already_started"
    http_status = 409
    default_message = _("The appointment has already started.")


class ChangeWindowClosed(DomainError):
    code = "change_window_closed"
    http_status = 409
    default_message = _("It is too late to change this booking online.")


class RescheduleLimitReached(DomainError):
    code = "reschedule_limit_reached"
    http_status = 409
    default_message = _("This booking cannot be rescheduled again online.")


class AlreadyRated(DomainError):
    code = "already_rated"
    http_status = 409
    default_message = _("This booking has already been rated. Thank you!")


class SlotUnavailable(DomainError):
    code = "slot_unavailable"
    http_status = 409
    default_message = _("That time is no longer available. Please choose another.")


class StaleBooking(DomainError):
    code = "stale_booking"
    http_status = 409
    default_message = _("This booking was changed meanwhile. Please review its current state.")


class OfferExpired(DomainError):
    code = "offer_expired"
    http_status = 409
    default_message = _(
        "This offer has expired or was already used. You are still on the waitlist."
    )


# --- ratings shown to customers (docs/ratings.md) --------------------------------------------


class AlreadyReplied(DomainError):
    code = "already_replied"
    http_status = 409
    default_message = _("This rating already has a reply. Edit the reply instead.")


class NoReply(DomainError):
    code = "no_reply"
    http_status = 409
    default_message = _("This rating has no reply to edit yet.")


class CommentAlreadyHidden(DomainError):
    code = "already_hidden"
    http_status = 409
    default_message = _("This comment is already hidden.")


class CommentNotHidden(DomainError):
    code = "not_hidden"
    http_status = 409
    default_message = _("This comment is not hidden.")


class ReviewsNotShown(DomainError):
    code = "reviews_not_shown"
    http_status = 404
    default_message = _("This business does not show its ratings.")
