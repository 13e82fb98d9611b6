"""Every change to a booking goes through one of these actions (one module each).

Each is keyword-only, runs in one transaction, locks what it changes, re-checks its rule under
the lock, writes its history row and emits one ``events.BookingChanged`` (the subscribers in
``notifications`` queue the outbox rows in the same transaction), and raises a DomainError
that changes nothing.
"""

from slotwise.bookings.actions.cancel import booking_cancel
from slotwise.bookings.actions.clone import booking_clone, clone_prefill
from slotwise.bookings.actions.complete import (
    booking_close_undo,
    booking_complete,
    booking_mark_no_show,
)
from slotwise.bookings.actions.create import (
    CustomerDetails,
    booking_create_custom,
    booking_create_web,
)
from slotwise.bookings.actions.payments import payment_record
from slotwise.bookings.actions.rate import booking_rate
from slotwise.bookings.actions.reschedule import booking_reschedule
from slotwise.bookings.tokens import token_issue, token_verify

__all__ = [
    "CustomerDetails",
    "booking_cancel",
    "booking_clone",
    "booking_close_undo",
    "booking_complete",
    "booking_create_custom",
    "booking_create_web",
    "booking_mark_no_show",
    "booking_rate",
    "booking_reschedule",
    "clone_prefill",
    "payment_record",
    "token_issue",
    "token_verify",
]
